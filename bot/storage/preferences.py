"""Per-customer preferences keyed by the channel's sender id (today: AI opt-out)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa

from bot.storage.db import customer_preferences, engine


def is_opted_out(sender_id: str, url: Optional[str] = None) -> bool:
    with engine(url).connect() as conn:
        value = conn.execute(
            sa.select(customer_preferences.c.ai_opt_out).where(
                customer_preferences.c.sender_id == sender_id
            )
        ).scalar_one_or_none()
    return bool(value)


def set_opt_out(sender_id: str, opted_out: bool, url: Optional[str] = None) -> None:
    """Record the customer's choice; writing the same choice twice is harmless."""
    now = dt.datetime.now(dt.timezone.utc)
    with engine(url).begin() as conn:
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
