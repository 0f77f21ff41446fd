"""Opt-out, opt-in and handoff: preference rows, one ticket, a paused conversation."""
from __future__ import annotations

import datetime as dt

import pytest
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, hand_off
from actions.opt_out import ActionOptIn, ActionOptOut
from bot.guardrails.loader import policies
from bot.storage import stores
from tests.actions.conftest import make_tracker

PAUSE = [ActiveLoop(None), SlotSet("requested_slot", None), ConversationPaused()]
AMSTERDAM = policies().handoff.office_hours.timezone
TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0, tzinfo=AMSTERDAM)
SATURDAY_NIGHT = dt.datetime(2026, 11, 28, 22, 0, tzinfo=AMSTERDAM)


def decided(rule: str) -> dict:
    trigger = policies().trigger(rule)
    return {"rule": rule, "kind": "handoff", "reason": trigger.reason, "because": ["intent"]}


async def test_opt_out_takes_one_message_records_pauses_and_files_one_ticket() -> None:
    tracker = make_tracker(sender_id="c-1", intent="opt_out", text="no bots please",
                           slots={"guardrail_decision": decided("opted_out")})
    dispatcher = CollectingDispatcher()
    events = await ActionOptOut().run(dispatcher, tracker, {})
    assert events == [SlotSet("ai_opt_out", True)] + PAUSE
    assert stores().preferences.is_opted_out("c-1")
    tickets = stores().tickets.tickets_for("c-1")
    assert len(tickets) == 1
    assert tickets[0]["reason"] == "opt_out" and tickets[0]["status"] == "open"
    assert tickets[0]["transcript"] == [{"from": "customer", "text": "no bots please", "timestamp": None}]
    assert tickets[0]["channel"] == "rest"
    assert dispatcher.messages[0]["text"].startswith(policies().opt_out["confirmed"])
    # Asking twice does not queue the customer twice.
    await ActionOptOut().run(CollectingDispatcher(), tracker, {})
    assert len(stores().tickets.tickets_for("c-1")) == 1


async def test_a_returning_opted_out_customer_is_told_why_a_human_answers() -> None:
    tracker = make_tracker(sender_id="c-5", slots={"ai_opt_out": True, "guardrail_decision": decided("opted_out")})
    dispatcher = CollectingDispatcher()
    await ActionOptOut().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"].startswith(policies().opt_out["returning"])
    assert stores().tickets.tickets_for("c-5")[0]["summary"]["ai_opt_out"] is True


async def test_opt_in_clears_the_preference_and_closes_the_opt_out_ticket() -> None:
    stores().preferences.set_opt_out("c-3", True)
    await ActionOptOut().run(CollectingDispatcher(), make_tracker(sender_id="c-3"), {})
    dispatcher = CollectingDispatcher()
    events = await ActionOptIn().run(dispatcher, make_tracker(sender_id="c-3", slots={"ai_opt_out": True}), {})
    assert events == [SlotSet("ai_opt_out", False)]
    assert not stores().preferences.is_opted_out("c-3")
    assert dispatcher.messages[0]["text"] == policies().opt_out["opted_in"]
    assert [t["status"] for t in stores().tickets.tickets_for("c-3")] == ["closed"]


async def test_opt_in_when_not_opted_out_says_so() -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionOptIn().run(dispatcher, make_tracker(sender_id="c-4"), {}) == []
    assert dispatcher.messages[0]["text"] == policies().opt_out["not_opted_out"]


@pytest.mark.parametrize("rule", [t.id for t in policies().handoff.triggers])
async def test_handoff_files_the_trigger_the_guardrail_recorded(rule) -> None:
    trigger = policies().trigger(rule)
    sender = f"c-{rule}"
    tracker = make_tracker(sender_id=sender, intent="request_human", slots={"guardrail_decision": decided(rule)})
    dispatcher = CollectingDispatcher()
    assert await ActionHandoff().run(dispatcher, tracker, {}) == PAUSE
    [ticket] = stores().tickets.tickets_for(sender)
    assert (ticket["reason"], ticket["priority"]) == (trigger.reason, trigger.priority)
    assert ticket["summary"]["trigger"] == rule and ticket["summary"]["because"] == ["intent"]
    assert ticket["summary"]["intent"] == "request_human"
    assert {"order_number", "consents", "ai_opt_out"} <= set(ticket["summary"])
    assert trigger.message in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["metadata"]["candor"]["rule"] == rule


async def test_handoff_without_a_decision_is_a_customer_request() -> None:
    await ActionHandoff().run(CollectingDispatcher(), make_tracker(sender_id="c-6", intent="request_human"), {})
    assert stores().tickets.tickets_for("c-6")[0]["reason"] == "customer_request"


def test_in_office_hours_the_customer_hears_the_expected_wait() -> None:
    dispatcher = CollectingDispatcher()
    hand_off(dispatcher, make_tracker(sender_id="c-7"), "fraud", now=TUESDAY_NOON)
    minutes = policies().handoff.office_hours.expected_wait_minutes["urgent"]
    assert f"within {minutes} minutes" in dispatcher.messages[0]["text"]
    assert stores().tickets.tickets_for("c-7")[0]["summary"]["filed_in_office_hours"] is True


def test_outside_office_hours_the_customer_hears_when_we_reply() -> None:
    dispatcher = CollectingDispatcher()
    hand_off(dispatcher, make_tracker(sender_id="c-8"), "customer_asks_for_human", now=SATURDAY_NIGHT)
    text = dispatcher.messages[0]["text"]
    assert "Monday at 09:00" in text and "minutes" not in text
    assert stores().tickets.tickets_for("c-8")[0]["summary"]["filed_in_office_hours"] is False


def test_a_more_urgent_trigger_raises_the_open_ticket() -> None:
    hand_off(CollectingDispatcher(), make_tracker(sender_id="c-9"), "customer_asks_for_human")
    hand_off(CollectingDispatcher(), make_tracker(sender_id="c-9"), "self_harm")
    hand_off(CollectingDispatcher(), make_tracker(sender_id="c-9"), "repeated_question")
    [ticket] = stores().tickets.tickets_for("c-9")
    assert (ticket["reason"], ticket["priority"]) == ("vulnerable_customer", "urgent")


def test_a_dutch_customer_hears_the_handoff_in_dutch() -> None:
    dispatcher = CollectingDispatcher()
    hand_off(dispatcher, make_tracker(sender_id="c-nl", slots={"language": "nl"}), "customer_asks_for_human",
             now=SATURDAY_NIGHT)
    text = dispatcher.messages[0]["text"]
    assert text.startswith(policies().trigger("customer_asks_for_human").message.in_("nl"))
    assert "zodra we open zijn" in text and "maandag om 09:00" in text
