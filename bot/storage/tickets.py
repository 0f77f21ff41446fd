"""Handoff tickets: one open ticket per customer, with reason, priority, summary and transcript."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa

from bot.constants import CandorMeta
from bot.guardrails.handoff_rules import PRIORITY_RANK
from bot.storage.db import FINISHED_STATUSES, TicketStatus, agent_reply_emits, agent_replies, handoff_tickets
from bot.storage.keys import digest
from bot.storage.vault import Vault

TRANSCRIPT_TURNS = 50
# A ticket is finished when the agent handed the conversation back to the bot or closed it.
FINISHED = FINISHED_STATUSES


class TicketError(Exception):
    """A desk operation on a ticket that cannot be done (the desk channel says how, in HTTP)."""


class TicketNotFound(TicketError):
    """No ticket has that id."""


class TicketConflict(TicketError):
    """The ticket is finished, unclaimed or held by another agent."""


@dataclass(frozen=True)
class Ticket:
    id: str
    sender_id: str
    reason: str
    priority: str
    status: str
    created: bool


def transcript_from_events(events: Iterable[Dict[str, Any]], door_marks: bool = False) -> List[Dict[str, Any]]:
    """The last messages of a conversation, oldest first, for the agent: the customer's,
    the bot's, and those a human agent wrote (marked in the event's metadata). With
    `door_marks`, a customer's line masked at the door says so (`masked`: for
    `ConversationMasker.mask_transcript`, which takes the mark off)."""
    lines = []
    for event in events:
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text"):
            candor = CandorMeta.read(event.get("metadata")) if kind == "bot" else CandorMeta()
            line = {
                "from": "customer" if kind == "user" else candor.sender or "bot",
                "text": event["text"],
                "timestamp": event.get("timestamp"),
            }
            if candor.agent_id:
                line["agent_id"] = candor.agent_id
            if door_marks and kind == "user" and CandorMeta.read(event.get("metadata")).masked:
                line["masked"] = True  # at the door (bot/channels/limits.py)
            lines.append(line)
    return lines[-TRANSCRIPT_TURNS:]


def _unfinished(conn: Any, sender_id: str) -> Optional[Any]:
    """The customer's one ticket that no human has handed back or closed yet (a row), or None."""
    return conn.execute(
        sa.select(handoff_tickets).where(
            handoff_tickets.c.sender_id == sender_id,
            handoff_tickets.c.status.notin_(FINISHED),
        )
    ).mappings().first()


def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite hands datetimes back without a zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def pseudonym(sender_id: str) -> str:
    """How the desk names a customer: short, stable, and not their sender id."""
    return "C-" + digest("DESK", sender_id)[:6].upper()


def _public(row: Dict[str, Any]) -> Dict[str, Any]:
    ticket = dict(row)
    ticket["customer"] = pseudonym(ticket["sender_id"])
    for key in ("created_at", "updated_at"):
        ticket[key] = _aware(ticket[key]).isoformat() if ticket.get(key) else None
    return ticket


class TicketStore:
    """The handoff queue: tickets, their transcripts and the human replies waiting for delivery."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def open_ticket(
        self,
        sender_id: str,
        reason: str,
        priority: str,
        summary: Dict[str, Any],
        transcript: List[Dict[str, Any]],
        channel: Optional[str] = None,
    ) -> Ticket:
        """File a ticket, or return the customer's ticket that is still open (no duplicates: the
        database refuses a second unfinished one, so when another server filed it a moment ago,
        this call updates that one)."""
        try:
            return self._open_ticket(sender_id, reason, priority, summary, transcript, channel)
        except sa.exc.IntegrityError:
            return self._open_ticket(sender_id, reason, priority, summary, transcript, channel)

    def _open_ticket(self, sender_id: str, reason: str, priority: str, summary: Dict[str, Any],
                     transcript: List[Dict[str, Any]], channel: Optional[str]) -> Ticket:
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            existing = _unfinished(conn, sender_id)
            if existing is not None:
                # One open ticket per customer. A more urgent trigger raises its priority.
                more_urgent = PRIORITY_RANK[priority] < PRIORITY_RANK.get(existing["priority"], 2)
                values = {"transcript": transcript, "updated_at": now}
                if more_urgent:
                    values.update(priority=priority, reason=reason,
                                  summary={**(existing["summary"] or {}), **summary})
                conn.execute(
                    handoff_tickets.update().where(handoff_tickets.c.id == existing["id"]).values(**values)
                )
                return Ticket(
                    existing["id"],
                    sender_id,
                    reason if more_urgent else existing["reason"],
                    priority if more_urgent else existing["priority"],
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
                    status=TicketStatus.open.value,
                    channel=channel,
                    created_at=now,
                    updated_at=now,
                    summary=summary,
                    transcript=transcript,
                )
            )
        return Ticket(ticket_id, sender_id, reason, priority, TicketStatus.open.value, created=True)

    def raise_priority(self, sender_id: str, reason: str, priority: str, summary: Dict[str, Any]) -> bool:
        """Make the customer's unfinished ticket at least as urgent as `priority` (its
        transcript untouched); False if there is no such ticket."""
        with self.engine.begin() as conn:
            existing = _unfinished(conn, sender_id)
            if existing is None:
                return False
            if PRIORITY_RANK[priority] < PRIORITY_RANK.get(existing["priority"], 2):
                conn.execute(
                    handoff_tickets.update().where(handoff_tickets.c.id == existing["id"]).values(
                        priority=priority, reason=reason, summary={**(existing["summary"] or {}), **summary},
                        updated_at=dt.datetime.now(dt.timezone.utc),
                    )
                )
        return True

    def unfinished_ticket(self, sender_id: str) -> Optional[Dict[str, Any]]:
        """The customer's ticket that no human has handed back or closed yet, if any."""
        with self.engine.connect() as conn:
            row = _unfinished(conn, sender_id)
        return dict(row) if row is not None else None

    def tickets_for(self, sender_id: str) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(handoff_tickets)
                .where(handoff_tickets.c.sender_id == sender_id)
                .order_by(handoff_tickets.c.created_at)
            ).mappings()
            return [dict(row) for row in rows]

    def append_to_open_ticket(self, sender_id: str, lines: List[Dict[str, Any]]) -> bool:
        """Add (already masked) messages to the customer's open ticket; False if there is none."""
        if not lines:
            return False
        with self.engine.begin() as conn:
            ticket = _unfinished(conn, sender_id)
            if ticket is None:
                return False
            conn.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.id == ticket["id"])
                .values(
                    transcript=list(ticket["transcript"] or []) + lines,
                    updated_at=dt.datetime.now(dt.timezone.utc),
                )
            )
        return True

    def queue(self, 
        escalate: Callable[[str, dt.timedelta], str],
        now: Optional[dt.datetime] = None,
    ) -> List[Dict[str, Any]]:
        """Unfinished tickets, most urgent first, then longest waiting. `escalate` turns a
        ticket's priority and waiting time into the priority it is shown with; nothing else
        (no name, language or other attribute of the customer) plays a part."""
        now = now or dt.datetime.now(dt.timezone.utc)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(handoff_tickets).where(handoff_tickets.c.status.notin_(FINISHED))
            ).mappings().all()
        tickets = []
        for row in rows:
            waiting = now - _aware(row["created_at"])
            ticket = _public(row)
            ticket.pop("transcript")
            ticket["waiting_seconds"] = max(0, int(waiting.total_seconds()))
            ticket["queue_priority"] = escalate(row["priority"], waiting)
            tickets.append(ticket)
        tickets.sort(key=lambda t: (PRIORITY_RANK[t["queue_priority"]], t["created_at"], t["id"]))
        return tickets

    def get_ticket(self, ticket_id: str) -> Dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(handoff_tickets).where(handoff_tickets.c.id == ticket_id)
            ).mappings().first()
        if row is None:
            raise TicketNotFound("no such ticket")
        return _public(row)

    def claim(self, ticket_id: str, agent_id: str,
              agents: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """The agent takes the ticket. Another agent's ticket, or a finished one, is a conflict;
        a ticket held by someone no longer among `agents` (removed from the desk) can be taken."""
        holders = [handoff_tickets.c.agent_id.is_(None), handoff_tickets.c.agent_id == agent_id]
        if agents is not None:
            holders.append(handoff_tickets.c.agent_id.notin_(list(agents)))
        with self.engine.begin() as conn:
            result = conn.execute(
                handoff_tickets.update()
                .where(
                    handoff_tickets.c.id == ticket_id,
                    handoff_tickets.c.status.notin_(FINISHED),
                    sa.or_(*holders),
                )
                .values(agent_id=agent_id, status=TicketStatus.claimed.value, updated_at=dt.datetime.now(dt.timezone.utc))
            )
            claimed = result.rowcount == 1
        ticket = self.get_ticket(ticket_id)
        if not claimed:
            if ticket["status"] in FINISHED:
                raise TicketConflict(f"the ticket is {ticket['status'].replace('_', ' ')}")
            raise TicketConflict(f"the ticket is held by agent {ticket['agent_id']}")
        return ticket

    def held_by(self, ticket_id: str, agent_id: str) -> Dict[str, Any]:
        """The ticket, if `agent_id` holds it and it is not finished; else a clear error."""
        ticket = self.get_ticket(ticket_id)
        if ticket["status"] in FINISHED:
            raise TicketConflict(f"the ticket is {ticket['status'].replace('_', ' ')}")
        if ticket["agent_id"] is None:
            raise TicketConflict("claim the ticket first")
        if ticket["agent_id"] != agent_id:
            raise TicketConflict(f"the ticket is held by agent {ticket['agent_id']}")
        return ticket

    def append_lines(self, ticket_id: str, lines: List[Dict[str, Any]]) -> None:
        """Add (already masked) lines to a ticket's transcript."""
        with self.engine.begin() as conn:
            current = conn.execute(
                sa.select(handoff_tickets.c.transcript).where(handoff_tickets.c.id == ticket_id)
            ).scalar_one()
            conn.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.id == ticket_id)
                .values(transcript=list(current or []) + lines, updated_at=dt.datetime.now(dt.timezone.utc))
            )

    def finish(self, ticket_id: str, status: str) -> None:
        status = TicketStatus(status).value
        assert status in FINISHED
        with self.engine.begin() as conn:
            conn.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.id == ticket_id)
                .values(status=status, updated_at=dt.datetime.now(dt.timezone.utc))
            )

    def close_open_tickets(self, sender_id: str) -> int:
        """Close the customer's unfinished tickets (e.g. the opt-out ticket after opting back in)."""
        with self.engine.begin() as conn:
            return conn.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.sender_id == sender_id, handoff_tickets.c.status.notin_(FINISHED))
                .values(status=TicketStatus.closed.value, updated_at=dt.datetime.now(dt.timezone.utc))
            ).rowcount

    def hold_reply(self, ticket_id: str, sender_id: str, agent_id: str, sealed: bytes) -> int:
        """Keep an agent's (encrypted) reply until it is known to have reached the customer;
        its id."""
        with self.engine.begin() as conn:
            return conn.execute(
                agent_replies.insert().values(
                    ticket_id=ticket_id, sender_id=sender_id, agent_id=agent_id,
                    sealed_message=sealed, created_at=dt.datetime.now(dt.timezone.utc),
                )
            ).inserted_primary_key[0]

    def held_messages(self, sender_id: str) -> List[Tuple[int, Dict[str, Any]]]:
        """The customer's waiting human replies, decrypted, oldest first, with their ids. They
        stay held until `delivered` (or, once sent to a socket, `delivered_emitted`)."""
        vault, messages = Vault(self.engine), []
        for reply_id, sealed in self.held_replies(sender_id):
            text = vault.unseal(sender_id, sealed)
            if text is not None:  # None: the conversation's key was erased, nothing to deliver
                messages.append((reply_id, json.loads(text)))
        return messages

    def held_replies(self, sender_id: str) -> List[Tuple[int, bytes]]:
        """The customer's waiting agent replies (encrypted), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(agent_replies.c.id, agent_replies.c.sealed_message)
                .where(agent_replies.c.sender_id == sender_id)
                .order_by(agent_replies.c.id)
            ).all()
        return [(r.id, r.sealed_message) for r in rows]

    def delivered(self, sender_id: str, reply_ids: List[int]) -> int:
        """The customer has these replies (in a response they got, or acknowledged)."""
        if not reply_ids:
            return 0
        with self.engine.begin() as conn:
            conn.execute(agent_reply_emits.delete().where(agent_reply_emits.c.reply_id.in_(reply_ids)))
            return conn.execute(agent_replies.delete().where(
                agent_replies.c.sender_id == sender_id, agent_replies.c.id.in_(reply_ids))).rowcount

    def emitted(self, sender_id: str, reply_ids: List[int]) -> None:
        """These replies were sent to a connected socket of the customer's."""
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            for reply_id in reply_ids:
                conn.execute(agent_reply_emits.delete().where(agent_reply_emits.c.reply_id == reply_id))
                conn.execute(agent_reply_emits.insert().values(reply_id=reply_id, sender_id=sender_id, emitted_at=now))

    def delivered_emitted(self, sender_id: str, before: dt.datetime) -> int:
        """The customer's turn that started at `before` succeeded on a live socket: the
        replies sent to them before it have arrived."""
        with self.engine.connect() as conn:
            ids = [r.reply_id for r in conn.execute(sa.select(agent_reply_emits.c.reply_id).where(
                agent_reply_emits.c.sender_id == sender_id, agent_reply_emits.c.emitted_at <= before))]
        return self.delivered(sender_id, ids)
