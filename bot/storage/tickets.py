"""Handoff tickets: one open ticket per customer, with reason, priority, summary and transcript."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa

from bot.storage.db import engine, handoff_tickets

TRANSCRIPT_TURNS = 50


@dataclass(frozen=True)
class Ticket:
    id: str
    sender_id: str
    reason: str
    priority: str
    status: str
    created: bool


def transcript_from_events(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The last customer and bot messages of a conversation, oldest first, for the agent."""
    lines = []
    for event in events:
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text"):
            lines.append(
                {
                    "from": "customer" if kind == "user" else "bot",
                    "text": event["text"],
                    "timestamp": event.get("timestamp"),
                }
            )
    return lines[-TRANSCRIPT_TURNS:]


def open_ticket(
    sender_id: str,
    reason: str,
    priority: str,
    summary: Dict[str, Any],
    transcript: List[Dict[str, Any]],
    channel: Optional[str] = None,
    url: Optional[str] = None,
) -> Ticket:
    """File a ticket, or return the customer's ticket that is still open (no duplicates)."""
    now = dt.datetime.now(dt.timezone.utc)
    with engine(url).begin() as conn:
        existing = conn.execute(
            sa.select(handoff_tickets).where(
                handoff_tickets.c.sender_id == sender_id,
                handoff_tickets.c.status != "closed",
            )
        ).mappings().first()
        if existing is not None:
            conn.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.id == existing["id"])
                .values(transcript=transcript, updated_at=now)
            )
            return Ticket(
                existing["id"],
                sender_id,
                existing["reason"],
                existing["priority"],
                existing["status"],
                created=False,
            )
        ticket_id = str(uuid.uuid4())
        conn.execute(
            handoff_tickets.insert().values(
                id=ticket_id,
                sender_id=sender_id,
                reason=reason,
                priority=priority,
                status="open",
                channel=channel,
                created_at=now,
                updated_at=now,
                summary=summary,
                transcript=transcript,
            )
        )
    return Ticket(ticket_id, sender_id, reason, priority, "open", created=True)


def tickets_for(sender_id: str, url: Optional[str] = None) -> List[Dict[str, Any]]:
    with engine(url).connect() as conn:
        rows = conn.execute(
            sa.select(handoff_tickets)
            .where(handoff_tickets.c.sender_id == sender_id)
            .order_by(handoff_tickets.c.created_at)
        ).mappings()
        return [dict(row) for row in rows]


def append_to_open_ticket(sender_id: str, lines: List[Dict[str, Any]], url: Optional[str] = None) -> bool:
    """Add (already masked) messages to the customer's open ticket; False if there is none."""
    if not lines:
        return False
    with engine(url).begin() as conn:
        ticket = conn.execute(
            sa.select(handoff_tickets.c.id, handoff_tickets.c.transcript).where(
                handoff_tickets.c.sender_id == sender_id, handoff_tickets.c.status != "closed"
            )
        ).first()
        if ticket is None:
            return False
        conn.execute(
            handoff_tickets.update()
            .where(handoff_tickets.c.id == ticket.id)
            .values(
                transcript=list(ticket.transcript or []) + lines,
                updated_at=dt.datetime.now(dt.timezone.utc),
            )
        )
    return True
