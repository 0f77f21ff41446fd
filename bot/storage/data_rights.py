"""Data rights and retention: export, erasure, retention runs, consented training exports.

Used by the in-chat actions and the operator CLI alike. Everything is idempotent, and
every run is written to the audit log, where the customer is named only by a keyed hash.
The customer's identity is the channel's sender id (see README).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

import sqlalchemy as sa

from bot.storage.consent import ConsentLedger
from bot.storage.vault import Vault
from bot.storage.db import (
    address_change_requests,
    order_requests,
    agent_replies,
    agent_reply_emits,
    audit_log,
    consent_ledger,
    customer_preferences,
    erasure_receipts,
    forget_erased,
    handoff_tickets,
    order_checks,
    pii_placeholders,
    vault_items,
    vault_keys,
    vault_purposes,
)
from bot.storage.keys import digest
from bot.storage.tickets import FINISHED

if TYPE_CHECKING:
    from bot.guardrails.loader import Policies

# Rasa's SQL tracker store table (same database: endpoints.yml and CANDOR_DATABASE_URL).
events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

# Tables keyed by sender id, erased with the customer.
PER_SENDER = {
    "conversation_events": events,
    "handoff_tickets": handoff_tickets,
    "agent_replies": agent_replies,
    "agent_reply_emits": agent_reply_emits,
    "customer_preferences": customer_preferences,
    "address_change_requests": address_change_requests,
    "order_requests": order_requests,
    "order_checks": order_checks,
    "consent_ledger": consent_ledger,
    "vault_purposes": vault_purposes,
    "vault_items": vault_items,
    "vault_keys": vault_keys,
    "pii_placeholders": pii_placeholders,
}


def subject(sender_id: str) -> str:
    """How the audit log and erasure receipts name a customer: a keyed hash of the id."""
    return digest("SENDER", sender_id)


def _has_events_table(conn) -> bool:
    return sa.inspect(conn).has_table("events")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


# A customer may ask for erasure this many times within the window (operators: always).
ERASURES_PER_WINDOW = 3
ERASURE_WINDOW = dt.timedelta(hours=1)

# Retention deletes in short transactions of at most this many rows or conversations, so a
# run never holds the write lock for long: customers' turns are saved in between.
RETENTION_BATCH = 200


class DataRights:
    """Export, erasure, retention and training exports over every store."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
        self.consent = ConsentLedger(engine)

    def audit(self, actor: str, action: str, sender_id: Optional[str], details: Dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(audit_log.insert().values(
                at=dt.datetime.now(dt.timezone.utc), actor=actor, action=action,
                subject=subject(sender_id) if sender_id else None, details=details,
            ))

    def stored_events(self, sender_id: str) -> List[Dict[str, Any]]:
        """The conversation's events as stored (masked), oldest first."""
        with self.engine.connect() as conn:
            if not _has_events_table(conn):
                return []
            rows = conn.execute(sa.select(events.c.data).where(events.c.sender_id == sender_id).order_by(events.c.id))
            return [json.loads(row.data or "{}") for row in rows]

    def _transcript(self, sender_id: str) -> List[Dict[str, Any]]:
        """What the customer and the assistant said, as stored (masked)."""
        return [
            {"from": "customer" if e.get("event") == "user" else "assistant", "text": e["text"],
             "timestamp": e.get("timestamp")}
            for e in self.stored_events(sender_id) if e.get("event") in ("user", "bot") and e.get("text")
        ]

    def export(self, sender_id: str, actor: str = "customer") -> Dict[str, Any]:
        """Everything stored about the customer, as stored (masked), machine-readable."""
        transcript = self._transcript(sender_id)
        with self.engine.connect() as conn:
            tickets = [
                {k: _iso(v) for k, v in dict(r).items()}
                for r in conn.execute(sa.select(handoff_tickets).where(handoff_tickets.c.sender_id == sender_id)).mappings()
            ]
            preferences = [
                {k: _iso(v) for k, v in dict(r).items()}
                for r in conn.execute(sa.select(customer_preferences)
                                      .where(customer_preferences.c.sender_id == sender_id)).mappings()
            ]
            vault = [
                {"placeholder": r.placeholder, "type": r.entity_type, "stored_at": _iso(r.created_at),
                 "value": "encrypted; used only for the purposes you consented to"}
                for r in conn.execute(sa.select(vault_items).where(vault_items.c.sender_id == sender_id))
            ]
        data = {
            "sender_id": sender_id,
            "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "conversation": transcript,
            "consents": self.consent.history(sender_id),
            "handoff_tickets": tickets,
            "preferences": preferences,
            "encrypted_values": vault,
        }
        self.audit(actor, "export", sender_id, {"items": {k: len(v) for k, v in data.items() if isinstance(v, list)}})
        return data

    def erasures_left(self, sender_id: str, now: Optional[dt.datetime] = None) -> int:
        """How many more erasures this sender may ask for now (customers: a few an hour; an
        erasure is real work for the database, and asking again erases nothing new)."""
        now = now or dt.datetime.now(dt.timezone.utc)
        with self.engine.connect() as conn:
            done = conn.execute(sa.select(sa.func.count()).select_from(erasure_receipts).where(
                erasure_receipts.c.subject == subject(sender_id),
                erasure_receipts.c.erased_at >= now - ERASURE_WINDOW)).scalar_one()
        return max(0, ERASURES_PER_WINDOW - done)

    def erase(self, sender_id: str, actor: str = "customer") -> Dict[str, Any]:
        """Erase every row about the customer; keep only a receipt with a hashed id. Idempotent.
        Blocking (database work): the actions call it in a thread."""
        counts: Dict[str, int] = {}
        with self.engine.begin() as conn:
            has_events = _has_events_table(conn)
            for name, table in PER_SENDER.items():
                if table is events and not has_events:
                    counts[name] = 0
                    continue
                counts[name] = conn.execute(table.delete().where(table.c.sender_id == sender_id)).rowcount
            receipt = {"id": str(uuid.uuid4()), "subject": subject(sender_id),
                       "erased_at": dt.datetime.now(dt.timezone.utc), "counts": counts}
            conn.execute(erasure_receipts.insert().values(**receipt))
        forget_erased(self.engine)
        self.audit(actor, "erase", sender_id, {"receipt": receipt["id"], "counts": counts})
        return {**receipt, "erased_at": receipt["erased_at"].isoformat()}

    def _in_batches(self, work: Callable[[Any], int]) -> int:
        """Run `work(conn)` (one batch, returns how many it removed) in its own transaction until
        a batch removes nothing; the total removed."""
        total = 0
        while True:
            with self.engine.begin() as conn:
                removed = work(conn)
            total += removed
            if removed == 0:
                return total

    def retention_run(self, now: Optional[dt.datetime] = None, actor: str = "operator",
                      loaded: Optional["Policies"] = None) -> Dict[str, int]:
        """Apply policies/retention.yml and the purposes' retention periods, in small batches.
        Idempotent."""
        loaded = loaded or _policies()
        now = now or dt.datetime.now(dt.timezone.utc)
        rules = loaded.retention
        removed = {"conversations": 0, "conversation_events": 0, "with_conversations": 0, "handoff_tickets": 0,
                   "vault_values": 0, "vault_keys": 0, "consent_records": 0, "preferences": 0, "log_files": 0}
        with self.engine.connect() as conn:
            last_seen = conn.execute(sa.select(events.c.sender_id, sa.func.max(events.c.timestamp))
                                     .group_by(events.c.sender_id)).all() if _has_events_table(conn) else []
        stale = []
        for sender_id, last in last_seen:
            consented = "improve_assistant" in self.consent.granted_purposes(sender_id)
            days = (rules.conversations.improve_assistant_consented_days if consented
                    else rules.conversations.default_days)
            if last is not None and last < (now - dt.timedelta(days=days)).timestamp():
                stale.append(sender_id)
        for sender_id in stale:
            removed["conversations"] += 1

            def conversation_batch(conn: Any, sender_id: str = sender_id) -> int:
                ids = sa.select(events.c.id).where(events.c.sender_id == sender_id).limit(RETENTION_BATCH)
                return conn.execute(events.delete().where(events.c.id.in_(ids.scalar_subquery()))).rowcount

            removed["conversation_events"] += self._in_batches(conversation_batch)
            # What else is kept under the id goes with the conversation (consents, preferences,
            # tickets and vault values have periods of their own).
            with self.engine.begin() as conn:
                for name in WITH_THE_CONVERSATION:
                    table = PER_SENDER[name]
                    removed["with_conversations"] += conn.execute(
                        table.delete().where(table.c.sender_id == sender_id)).rowcount

        cutoff = now - dt.timedelta(days=rules.handoff_tickets.finished_days)

        def ticket_batch(conn: Any) -> int:
            ids = sa.select(handoff_tickets.c.id).where(
                handoff_tickets.c.status.in_(FINISHED), handoff_tickets.c.updated_at < cutoff).limit(RETENTION_BATCH)
            return conn.execute(handoff_tickets.delete().where(handoff_tickets.c.id.in_(ids.scalar_subquery()))).rowcount

        removed["handoff_tickets"] = self._in_batches(ticket_batch)
        # Vault values live as long as the longest purpose they are kept for; values kept for
        # no purpose (never consented to) only minutes (retention.yml `vault_pending`).
        removed["vault_values"] += Vault(self.engine).forget_unconsented(
            now - dt.timedelta(minutes=rules.vault_pending.minutes))
        shortest = min(p.retention_days for p in loaded.purposes.values())
        tags: Dict[tuple, int] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(sa.select(vault_purposes)):
                days = loaded.purposes[row.purpose].retention_days if row.purpose in loaded.purposes else shortest
                key = (row.sender_id, row.placeholder)
                tags[key] = max(tags.get(key, 0), days)
            expired = []
            for row in conn.execute(sa.select(vault_items.c.sender_id, vault_items.c.placeholder, vault_items.c.created_at)):
                days = tags.get((row.sender_id, row.placeholder))
                if days is None:  # untagged: minutes only, destroyed above (or still waiting)
                    continue
                created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.timezone.utc)
                if created < now - dt.timedelta(days=days):
                    expired.append((row.sender_id, row.placeholder))
        for start in range(0, len(expired), RETENTION_BATCH):
            with self.engine.begin() as conn:
                for sender_id, placeholder in expired[start:start + RETENTION_BATCH]:
                    removed["vault_values"] += conn.execute(vault_items.delete().where(
                        vault_items.c.sender_id == sender_id, vault_items.c.placeholder == placeholder)).rowcount
                    conn.execute(vault_purposes.delete().where(
                        vault_purposes.c.sender_id == sender_id, vault_purposes.c.placeholder == placeholder))
        with self.engine.begin() as conn:
            # A conversation key that locks nothing any more (no value, no held reply).
            in_use = sa.union(sa.select(vault_items.c.sender_id), sa.select(agent_replies.c.sender_id),
                              sa.select(events.c.sender_id) if _has_events_table(conn) else
                              sa.select(vault_items.c.sender_id))
            removed["vault_keys"] = conn.execute(vault_keys.delete().where(
                vault_keys.c.sender_id.notin_(in_use.scalar_subquery()))).rowcount
            consent_cutoff = now - dt.timedelta(days=rules.consent_records.days)
            latest = sa.select(consent_ledger.c.sender_id).group_by(consent_ledger.c.sender_id).having(
                sa.func.max(consent_ledger.c.recorded_at) >= consent_cutoff)
            removed["consent_records"] = conn.execute(consent_ledger.delete().where(
                consent_ledger.c.sender_id.notin_(latest.scalar_subquery()))).rowcount
            removed["preferences"] = conn.execute(customer_preferences.delete().where(
                customer_preferences.c.updated_at < now - dt.timedelta(days=rules.preferences.days))).rowcount
        removed["log_files"] = _expire_logs(now - dt.timedelta(days=rules.logs.days))
        self.audit(actor, "retention_run", None, {"now": now.isoformat(), "removed": removed})
        return removed

    def training_export(self, actor: str = "operator") -> List[Dict[str, Any]]:
        """Masked conversations of the customers who consent to `improve_assistant` now; nobody else's."""
        purpose = _policies().purpose("improve_assistant")
        conversations = []
        with self.engine.connect() as conn:
            if not _has_events_table(conn):
                return []
            senders = [r[0] for r in conn.execute(sa.select(events.c.sender_id).distinct())]
        for sender_id in senders:
            if not self.consent.granted(sender_id, purpose.name, purpose.version):
                continue
            conversations.append({"conversation": subject(sender_id), "turns": self._transcript(sender_id)})
        self.audit(actor, "training_export", None, {"conversations": len(conversations)})
        return conversations


# Deleted with a conversation that is past its retention period.
WITH_THE_CONVERSATION = ("pii_placeholders", "agent_reply_emits", "agent_replies", "address_change_requests",
                         "order_requests", "order_checks")


def _expire_logs(before: dt.datetime) -> int:
    """Rotated server logs (`*.log.N`) last written before `before`; how many were deleted."""
    from bot.config import settings

    removed = 0
    for path in settings().logs_dir.glob("*.log.*"):
        if path.suffix.lstrip(".").isdigit() and path.stat().st_mtime < before.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _policies() -> "Policies":
    # Imported when used: the policy loader reads consent.yml and retention.yml through
    # bot/storage/policy.py, so importing it here at module level would be circular.
    from bot.guardrails.loader import policies

    return policies()
