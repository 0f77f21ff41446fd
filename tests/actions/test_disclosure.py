"""Disclosure actions: first message of a session, version recorded, turn taken back."""
from __future__ import annotations

from rasa_sdk.events import ActionExecuted, ActionReverted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.disclosure import ActionDisclose, ActionSessionStart
from bot.guardrails.loader import policies
from bot.storage import stores
from tests.actions.conftest import make_tracker


async def test_session_start_discloses_first_and_records_the_version() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"session_started_metadata": {"language": "en"}})
    events = await ActionSessionStart().run(dispatcher, tracker, {})
    version = policies().disclosure_version
    assert events[0] == SessionStarted()
    assert events[1]["event"] == "bot"
    assert "AI assistant" in events[1]["text"] and "human" in events[1]["text"]
    assert events[1]["metadata"]["candor"]["disclosure_version"] == version
    assert events[2:] == [
        SlotSet("disclosure_version", version),
        SlotSet("language", "en"),
        SlotSet("ai_opt_out", False),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []


async def test_without_the_messages_language_the_disclosure_waits_for_the_message() -> None:
    """`rasa shell` (or a message too short to tell) says nothing of the language at session
    start: no disclosure and no recorded version yet, so the GuardrailPolicy has
    action_disclose give it first thing, once the NLU has found the message's language."""
    events = await ActionSessionStart().run(CollectingDispatcher(), make_tracker(slots={"language": "nl"}), {})
    assert not [e for e in events if e["event"] == "bot"]
    assert not [e for e in events if e["event"] == "slot" and e["name"] == "disclosure_version"]
    assert SlotSet("language", "nl") in events


async def test_a_session_started_by_a_dutch_message_is_disclosed_in_dutch() -> None:
    """The channel puts the message's language in its metadata; Rasa hands the session
    start that metadata (slot `session_started_metadata`) before the message itself."""
    tracker = make_tracker(slots={"session_started_metadata": {"language": "nl"}})
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, {})
    assert events[1]["text"] == policies().disclosure_message().in_("nl")
    assert "AI-assistent" in events[1]["text"] and "medewerker" in events[1]["text"]
    assert SlotSet("language", "nl") in events
    dispatcher = CollectingDispatcher()
    await ActionDisclose().run(dispatcher, make_tracker(slots={"language": "nl"}), {})
    assert "geen mens" in dispatcher.messages[0]["text"]


async def test_session_start_remembers_an_opt_out() -> None:
    stores().preferences.set_opt_out("returning-customer", True)
    events = await ActionSessionStart().run(
        CollectingDispatcher(), make_tracker(sender_id="returning-customer"), {}
    )
    assert SlotSet("ai_opt_out", True) in events


async def test_forced_disclosure_takes_its_turn_back_but_keeps_the_version() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionDisclose().run(dispatcher, make_tracker(), {})
    assert events == [
        ActionReverted(),
        SlotSet("disclosure_version", policies().disclosure_version),
        SlotSet("ai_opt_out", False),
    ]
    assert dispatcher.messages[0]["text"] == policies().disclosure_message()


async def test_a_new_session_stays_with_the_human_who_has_the_conversation() -> None:
    from rasa_sdk.events import ConversationPaused


    ticket = stores().tickets.open_ticket("waiting-customer", "customer_request", "normal", {}, [])
    events = await ActionSessionStart().run(CollectingDispatcher(), make_tracker(sender_id="waiting-customer"), {})
    assert events[-2:] == [ConversationPaused(), ActionExecuted("action_listen")]
    assert SlotSet("disclosure_version", policies().disclosure_version) in events
    assert "colleague" in events[-3]["text"] and events[-5]["metadata"]["candor"]["kind"] == "disclosure"
    stores().tickets.finish(ticket.id, "closed")
    events = await ActionSessionStart().run(CollectingDispatcher(), make_tracker(sender_id="waiting-customer"), {})
    assert ConversationPaused() not in events


async def test_an_opted_out_customers_new_session_is_left_to_the_guardrail_policy() -> None:
    from rasa_sdk.events import ConversationPaused


    stores().tickets.open_ticket("opted-out-customer", "opt_out", "normal", {}, [])
    events = await ActionSessionStart().run(CollectingDispatcher(), make_tracker(sender_id="opted-out-customer"), {})
    assert ConversationPaused() not in events  # "opt in" at the start must still reach the bot
