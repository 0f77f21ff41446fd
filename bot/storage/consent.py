"""The consent ledger: every yes, no and withdrawal, with the notice version it answered."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List, Optional

import sqlalchemy as sa

from bot.storage.db import consent_ledger, engine, vault_items, vault_purposes

DECISIONS = ("granted", "refused", "withdrawn")


def record(
    sender_id: str,
    purpose: str,
    decision: str,
    notice_version: str,
    channel: Optional[str] = None,
    message_id: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> None:
    assert decision in DECISIONS, decision
    with engine(url).begin() as conn:
        conn.execute(consent_ledger.insert().values(
            sender_id=sender_id, purpose=purpose, decision=decision, notice_version=notice_version,
            channel=channel, message_id=message_id,
            recorded_at=now or dt.datetime.now(dt.timezone.utc),
        ))


def history(sender_id: str, url: Optional[str] = None) -> List[Dict]:
    """Every ledger entry of the customer, oldest first."""
    with engine(url).connect() as conn:
        rows = conn.execute(
            sa.select(consent_ledger).where(consent_ledger.c.sender_id == sender_id)
            .order_by(consent_ledger.c.id)
        ).mappings().all()
    return [
        {**dict(row), "recorded_at": row["recorded_at"].isoformat()} for row in rows
    ]


def current(sender_id: str, url: Optional[str] = None) -> Dict[str, Dict]:
    """The latest decision per purpose."""
    latest: Dict[str, Dict] = {}
    for entry in history(sender_id, url):
        latest[entry["purpose"]] = entry
    return latest


def granted(sender_id: str, purpose: str, notice_version: str, url: Optional[str] = None) -> bool:
    """True if the latest decision for `purpose` is a yes to this very notice version."""
    entry = current(sender_id, url).get(purpose)
    return bool(entry) and entry["decision"] == "granted" and entry["notice_version"] == notice_version


def granted_purposes(sender_id: str, url: Optional[str] = None) -> List[str]:
    return sorted(p for p, e in current(sender_id, url).items() if e["decision"] == "granted")


def tag_vault_value(sender_id: str, placeholder: str, purpose: str, url: Optional[str] = None) -> None:
    """Remember that a vault value is kept for `purpose` (withdrawing it destroys the value)."""
    with engine(url).begin() as conn:
        exists = conn.execute(sa.select(vault_purposes.c.placeholder).where(
            vault_purposes.c.sender_id == sender_id, vault_purposes.c.placeholder == placeholder,
            vault_purposes.c.purpose == purpose)).first()
        if exists is None:
            conn.execute(vault_purposes.insert().values(
                sender_id=sender_id, placeholder=placeholder, purpose=purpose,
                created_at=dt.datetime.now(dt.timezone.utc)))


def destroy_purpose_values(sender_id: str, purposes: Iterable[str], url: Optional[str] = None) -> int:
    """Delete the vault values kept for these purposes (and only for them): unreadable after."""
    purposes = list(purposes)
    with engine(url).begin() as conn:
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


def withdraw(
    sender_id: str,
    purposes: Iterable[str],
    versions: Dict[str, str],
    channel: Optional[str] = None,
    message_id: Optional[str] = None,
    url: Optional[str] = None,
) -> List[str]:
    """Withdraw consent for those of `purposes` that are granted now; returns them."""
    active = set(granted_purposes(sender_id, url))
    withdrawn = [p for p in purposes if p in active]
    for purpose in withdrawn:
        record(sender_id, purpose, "withdrawn", versions.get(purpose, "?"), channel, message_id, url=url)
    destroy_purpose_values(sender_id, withdrawn, url)
    return withdrawn
