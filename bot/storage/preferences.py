"""Per-customer preferences keyed by the channel's sender id (today: AI opt-out)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.storage.db import customer_preferences


class Preferences:
    """Per-customer preferences (today: AI opt-out)."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def is_opted_out(self, sender_id: str) -> bool:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(customer_preferences.c.ai_opt_out).where(
                    customer_preferences.c.sender_id == sender_id
                )
            ).scalar_one_or_none()
        return bool(value)

    def set_opt_out(self, sender_id: str, opted_out: bool) -> None:
        """Record the customer's choice; writing the same choice twice is harmless."""
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            updated = conn.execute(
                customer_preferences.update()
                .where(customer_preferences.c.sender_id == sender_id)
                .values(ai_opt_out=opted_out, updated_at=now)
            ).rowcount
            if not updated:
                conn.execute(
                    customer_preferences.insert().values(
                        sender_id=sender_id, ai_opt_out=opted_out, updated_at=now
                    )
                )
