"""Opt-out, opt-in and handoff: preference rows, one ticket, a paused conversation."""
from __future__ import annotations

from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from actions.opt_out import ActionCancelOptOut, ActionExplainOptOut, ActionOptIn, ActionOptOut
from bot.guardrails.loader import policies
from bot.storage.preferences import is_opted_out, set_opt_out
from bot.storage.tickets import tickets_for
from tests.actions.conftest import make_tracker

PAUSE = [SlotSet("handoff_reason", None), ActiveLoop(None), SlotSet("requested_slot", None), ConversationPaused()]


async def test_explanation_asks_to_confirm_in_one_message() -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionExplainOptOut().run(dispatcher, make_tracker(), {}) == []
    assert len(dispatcher.messages) == 1
    assert dispatcher.messages[0]["text"] == policies().opt_out["explanation"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]


async def test_confirmed_opt_out_records_pauses_and_files_one_ticket() -> None:
    tracker = make_tracker(sender_id="c-1", intent="affirm", text="yes")
    dispatcher = CollectingDispatcher()
    events = await ActionOptOut().run(dispatcher, tracker, {})
    assert events == [SlotSet("ai_opt_out", True)] + PAUSE
    assert is_opted_out("c-1")
    tickets = tickets_for("c-1")
    assert len(tickets) == 1
    assert tickets[0]["reason"] == "opt_out" and tickets[0]["status"] == "open"
    assert tickets[0]["transcript"] == [
        {"from": "customer", "text": "yes", "timestamp": None}
    ]
    assert tickets[0]["channel"] == "rest"
    assert policies().opt_out["confirmed"] in dispatcher.messages[0]["text"]
    # Confirming twice does not queue the customer twice.
    await ActionOptOut().run(CollectingDispatcher(), tracker, {})
    assert len(tickets_for("c-1")) == 1


async def test_cancelled_opt_out_changes_nothing() -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionCancelOptOut().run(dispatcher, make_tracker(sender_id="c-2"), {}) == []
    assert not is_opted_out("c-2") and tickets_for("c-2") == []


async def test_opt_in_clears_the_preference() -> None:
    set_opt_out("c-3", True)
    dispatcher = CollectingDispatcher()
    events = await ActionOptIn().run(dispatcher, make_tracker(sender_id="c-3", slots={"ai_opt_out": True}), {})
    assert events == [SlotSet("ai_opt_out", False)]
    assert not is_opted_out("c-3")
    assert dispatcher.messages[0]["text"] == policies().opt_out["opted_in"]


async def test_opt_in_when_not_opted_out_says_so() -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionOptIn().run(dispatcher, make_tracker(sender_id="c-4"), {}) == []
    assert dispatcher.messages[0]["text"] == policies().opt_out["not_opted_out"]


async def test_handoff_uses_the_reason_the_guardrail_recorded() -> None:
    tracker = make_tracker(sender_id="c-5", slots={"handoff_reason": "opt_out", "ai_opt_out": True})
    dispatcher = CollectingDispatcher()
    assert await ActionHandoff().run(dispatcher, tracker, {}) == PAUSE
    ticket = tickets_for("c-5")[0]
    assert (ticket["reason"], ticket["priority"]) == ("opt_out", "normal")
    assert ticket["summary"]["ai_opt_out"] is True
    assert dispatcher.messages[0]["text"].startswith(policies().opt_out["returning"])


async def test_handoff_defaults_to_a_customer_request() -> None:
    await ActionHandoff().run(CollectingDispatcher(), make_tracker(sender_id="c-6", intent="request_human"), {})
    ticket = tickets_for("c-6")[0]
    assert ticket["reason"] == "customer_request"
    assert ticket["summary"]["intent"] == "request_human"
