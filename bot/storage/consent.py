"""The consent ledger: every yes, no and withdrawal, with the notice version it answered."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List, Optional

import sqlalchemy as sa

from bot.storage.db import consent_ledger, vault_items, vault_purposes

DECISIONS = ("granted", "refused", "withdrawn")


class ConsentLedger:
    """The consent ledger of every customer, and the vault values kept for each purpose."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def record(self, 
        sender_id: str,
        purpose: str,
        decision: str,
        notice_version: str,
        channel: Optional[str] = None,
        message_id: Optional[str] = None,
        now: Optional[dt.datetime] = None,
    ) -> None:
        assert decision in DECISIONS, decision
        with self.engine.begin() as conn:
            conn.execute(consent_ledger.insert().values(
                sender_id=sender_id, purpose=purpose, decision=decision, notice_version=notice_version,
                channel=channel, message_id=message_id,
                recorded_at=now or dt.datetime.now(dt.timezone.utc),
            ))

    def history(self, sender_id: str) -> List[Dict]:
        """Every ledger entry of the customer, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(consent_ledger).where(consent_ledger.c.sender_id == sender_id)
                .order_by(consent_ledger.c.id)
            ).mappings().all()
        return [
            {**dict(row), "recorded_at": row["recorded_at"].isoformat()} for row in rows
        ]

    def current(self, sender_id: str) -> Dict[str, Dict]:
        """The latest decision per purpose."""
        latest: Dict[str, Dict] = {}
        for entry in self.history(sender_id):
            latest[entry["purpose"]] = entry
        return latest

    def granted(self, sender_id: str, purpose: str, notice_version: str) -> bool:
        """True if the latest decision for `purpose` is a yes to this very notice version."""
        entry = self.current(sender_id).get(purpose)
        return bool(entry) and entry["decision"] == "granted" and entry["notice_version"] == notice_version

    def granted_purposes(self, sender_id: str) -> List[str]:
        return sorted(p for p, e in self.current(sender_id).items() if e["decision"] == "granted")

    def tag_vault_value(self, sender_id: str, placeholder: str, purpose: str) -> None:
        """Remember that a vault value is kept for `purpose` (withdrawing it destroys the value)."""
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(vault_purposes.c.placeholder).where(
                vault_purposes.c.sender_id == sender_id, vault_purposes.c.placeholder == placeholder,
                vault_purposes.c.purpose == purpose)).first()
            if exists is None:
                conn.execute(vault_purposes.insert().values(
                    sender_id=sender_id, placeholder=placeholder, purpose=purpose,
                    created_at=dt.datetime.now(dt.timezone.utc)))

    def destroy_purpose_values(self, sender_id: str, purposes: Iterable[str]) -> int:
        """Delete the vault values kept for these purposes (and only for them): unreadable after."""
        purposes = list(purposes)
        with self.engine.begin() as conn:
            tagged = conn.execute(sa.select(vault_purposes.c.placeholder, vault_purposes.c.purpose).where(
                vault_purposes.c.sender_id == sender_id)).all()
            doomed = {p for p, purpose in tagged if purpose in purposes}
            still_needed = {p for p, purpose in tagged if purpose not in purposes}
            to_delete = sorted(doomed - still_needed)
            if to_delete:
                conn.execute(vault_items.delete().where(
                    vault_items.c.sender_id == sender_id, vault_items.c.placeholder.in_(to_delete)))
            conn.execute(vault_purposes.delete().where(
                vault_purposes.c.sender_id == sender_id, vault_purposes.c.purpose.in_(purposes)))
        return len(to_delete)

    def withdraw(self, 
        sender_id: str,
        purposes: Iterable[str],
        versions: Dict[str, str],
        channel: Optional[str] = None,
        message_id: Optional[str] = None,
    ) -> List[str]:
        """Withdraw consent for those of `purposes` that are granted now; returns them."""
        active = set(self.granted_purposes(sender_id))
        withdrawn = [p for p in purposes if p in active]
        for purpose in withdrawn:
            self.record(sender_id, purpose, "withdrawn", versions.get(purpose, "?"), channel, message_id)
        self.destroy_purpose_values(sender_id, withdrawn)
        return withdrawn

    def tag_values_of_types(self, sender_id: str, entity_types: Iterable[str], purpose: str) -> None:
        """Tag every vault value of these types the customer gave as kept for `purpose`."""
        entity_types = list(entity_types)
        if not entity_types:
            return
        with self.engine.connect() as conn:
            placeholders = [r.placeholder for r in conn.execute(sa.select(vault_items.c.placeholder).where(
                vault_items.c.sender_id == sender_id, vault_items.c.entity_type.in_(entity_types)))]
        for placeholder in placeholders:
            self.tag_vault_value(sender_id, placeholder, purpose)
