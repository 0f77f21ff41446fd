"""The handoff queue and the desk's agents, below the HTTP layer."""
from __future__ import annotations

import datetime as dt
import stat

import pytest

from bot.channels.agents import AgentConfigError, add_agent, agents_file, authenticate, load_agents, remove_agent
from bot.guardrails.loader import policies
from bot.storage import stores, tickets

NOW = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.timezone.utc)


def _file(sender: str, priority: str, minutes_ago: int) -> str:
    ticket = stores().tickets.open_ticket(sender, "customer_request", priority, {}, [])
    from bot.storage.db import engine, handoff_tickets

    with engine().begin() as conn:
        conn.execute(handoff_tickets.update().where(handoff_tickets.c.id == ticket.id)
                     .values(created_at=NOW - dt.timedelta(minutes=minutes_ago)))
    return ticket.id


def test_queue_is_priority_then_waiting_time_and_waiting_escalates() -> None:
    escalate = policies().handoff.queue_priority
    step = policies().handoff.escalate_after_minutes
    old_normal = _file("a", "normal", step + 1)   # waited one period: shown as high
    new_high = _file("b", "high", 1)
    new_normal = _file("c", "normal", 2)
    urgent = _file("d", "urgent", 0)
    older_normal = _file("e", "normal", 5)
    queue = stores().tickets.queue(escalate, now=NOW)
    assert [t["id"] for t in queue] == [urgent, old_normal, new_high, older_normal, new_normal]
    assert [t["queue_priority"] for t in queue] == ["urgent", "high", "high", "normal", "normal"]
    assert queue[1]["priority"] == "normal"  # the ticket itself keeps its trigger's priority
    assert escalate("normal", dt.timedelta(minutes=10 * step)) == "urgent"


def test_queue_ignores_everything_about_the_customer() -> None:
    """Same trigger, same wait: same place, whoever the customer is (ids, language)."""
    escalate = policies().handoff.queue_priority
    ids = [_file(sender, "normal", 3) for sender in ("fatima-el-amrani", "jan-de-vries", "nl-ik-wil")]
    queue = stores().tickets.queue(escalate, now=NOW)
    assert {t["queue_priority"] for t in queue if t["id"] in ids} == {"normal"}
    assert {t["waiting_seconds"] for t in queue if t["id"] in ids} == {180}


def test_claims_conflict_and_finished_tickets_are_closed_to_agents() -> None:
    ticket_id = _file("f", "normal", 1)
    with pytest.raises(tickets.TicketError, match="claim the ticket first"):
        stores().tickets.held_by(ticket_id, "sam")
    assert stores().tickets.claim(ticket_id, "sam")["agent_id"] == "sam"
    assert stores().tickets.claim(ticket_id, "sam")["status"] == "claimed"  # claiming again is harmless
    with pytest.raises(tickets.TicketConflict) as error:
        stores().tickets.claim(ticket_id, "noor")
    assert "sam" in str(error.value)
    stores().tickets.finish(ticket_id, "handed_back")
    with pytest.raises(tickets.TicketError, match="handed back"):
        stores().tickets.held_by(ticket_id, "sam")
    with pytest.raises(tickets.TicketNotFound):
        stores().tickets.get_ticket("nope")
    # The desk channel answers these in HTTP: not found 404, conflict 409.
    from bot.channels.desk import STATUS_OF

    assert STATUS_OF == {tickets.TicketNotFound: 404, tickets.TicketConflict: 409}


def test_held_replies_stay_until_delivered_in_order() -> None:
    import datetime as dt

    ticket_id = _file("g", "normal", 1)
    one = stores().tickets.hold_reply(ticket_id, "g", "sam", b"one")
    two = stores().tickets.hold_reply(ticket_id, "g", "sam", b"two")
    assert stores().tickets.held_replies("g") == [(one, b"one"), (two, b"two")]
    # Read is not delivered: a turn that failed after reading them delivers nothing.
    assert stores().tickets.held_replies("g") == [(one, b"one"), (two, b"two")]
    assert stores().tickets.delivered("someone-else", [one]) == 0
    assert stores().tickets.delivered("g", [one]) == 1
    assert stores().tickets.held_replies("g") == [(two, b"two")]
    # Sent to a socket: gone only after a later turn of the customer's succeeded.
    stores().tickets.emitted("g", [two])
    assert stores().tickets.delivered_emitted("g", dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)) == 0
    assert stores().tickets.delivered_emitted("g", dt.datetime.now(dt.timezone.utc)) == 1
    assert stores().tickets.held_replies("g") == []


def test_agents_file_keeps_only_token_hashes_owner_only(data_dir) -> None:
    token = add_agent("sam", "Sam")
    path = agents_file()
    assert token not in path.read_text() and "token_sha256" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert authenticate(token).id == "sam"
    assert authenticate(token + "x") is None and authenticate("") is None and authenticate(None) is None
    new_token = add_agent("sam", "Sam")  # re-keyed: the old token stops working
    assert authenticate(token) is None and authenticate(new_token).name == "Sam"
    assert remove_agent("sam") and authenticate(new_token) is None
    with pytest.raises(AgentConfigError):
        add_agent("Sam Smith!", "Sam")


def test_a_broken_agents_file_is_a_clear_error(data_dir) -> None:
    agents_file().parent.mkdir(parents=True, exist_ok=True)
    agents_file().write_text("agents: [{id: sam}]\n")
    with pytest.raises(AgentConfigError, match="agents.0"):
        load_agents()


def test_a_removed_agents_ticket_can_be_taken_over() -> None:
    ticket_id = _file("r", "high", 1)
    stores().tickets.claim(ticket_id, "sam", agents=["sam", "noor"])
    with pytest.raises(tickets.TicketError):
        stores().tickets.claim(ticket_id, "noor", agents=["sam", "noor"])  # sam is still on the desk
    assert stores().tickets.claim(ticket_id, "noor", agents=["noor"])["agent_id"] == "noor"  # sam was removed


def test_ticket_statuses_are_an_enum_and_finishing_takes_only_a_finished_one() -> None:
    import pytest

    from bot.storage import stores
    from bot.storage.db import TicketStatus

    ticket = stores().tickets.open_ticket("status-customer", "customer_request", "normal", {}, [])
    assert ticket.status == TicketStatus.open
    with pytest.raises(ValueError):
        stores().tickets.finish(ticket.id, "lost")
    with pytest.raises(AssertionError):
        stores().tickets.finish(ticket.id, TicketStatus.claimed)
    stores().tickets.finish(ticket.id, TicketStatus.closed)
    assert stores().tickets.unfinished_ticket("status-customer") is None
