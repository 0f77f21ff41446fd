"""Honest uncertainty (issue 22): a close call never changes data, and the customer is asked
which request was meant instead of getting an answer to another question."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.clarify import ActionClarify, likely_requests
from bot.nlu_uncertainty import CarefulFallback


def parsed(ranking):
    message = Message(data={TEXT: "something"})
    message.set(INTENT, dict(ranking[0]))
    message.set(INTENT_RANKING_KEY, [dict(r) for r in ranking])
    return message


def ranked(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


@pytest.mark.parametrize("ranking, falls_back", [
    (ranked(("cancel_order", 0.95), ("ask_order_status", 0.03)), False),
    (ranked(("cancel_order", 0.62), ("ask_order_status", 0.2)), True),    # not sure enough
    (ranked(("cancel_order", 0.75), ("change_order", 0.6)), True),        # too close to the next
    (ranked(("opt_out", 0.66), ("ask_is_bot", 0.3)), True),
    (ranked(("request_erasure", 0.9), ("ask_my_data", 0.05)), False),
    (ranked(("ask_returns", 0.5), ("ask_refund", 0.45)), False),          # answers change nothing: Rasa's own fallback decides
    # A crisis or fraud decision needs its own confidence; a clear one passes.
    (ranked(("report_fraud", 0.52), ("ask_payment_methods", 0.2)), True),
    (ranked(("self_harm", 0.5), ("out_of_scope", 0.2)), True),
    (ranked(("self_harm", 0.58), ("out_of_scope", 0.3)), False),
    (ranked(("report_fraud", 0.9), ("ask_refund", 0.05)), False),
])
def test_a_data_changing_intent_needs_a_clear_win(ranking, falls_back) -> None:
    message = CarefulFallback(CarefulFallback.get_default_config()).process([parsed(ranking)])[0]
    assert (message.get(INTENT)["name"] == "nlu_fallback") is falls_back
    if falls_back:  # the ranking is kept, for the question that follows
        assert [r["name"] for r in message.get(INTENT_RANKING_KEY)][:2] == ["nlu_fallback", ranking[0]["name"]]


def test_a_button_payload_is_not_second_guessed() -> None:
    message = Message(data={TEXT: "/cancel_order"})
    message.set(INTENT, {"name": "cancel_order", "confidence": 1.0})
    assert CarefulFallback({}).process([message])[0].get(INTENT)["name"] == "cancel_order"


TITLED = {"cancel_order", "ask_order_status", "ask_returns", "ask_refund", "change_order"}


@pytest.mark.parametrize("ranking, offered", [
    (ranked(("nlu_fallback", 0.45), ("ask_returns", 0.4), ("ask_refund", 0.35), ("cancel_order", 0.1)),
     ["ask_returns", "ask_refund"]),
    (ranked(("nlu_fallback", 0.7), ("cancel_order", 0.6), ("ask_order_status", 0.1)), ["cancel_order"]),
    # A near tie with "out of scope" or a crisis is not a menu of shop requests.
    (ranked(("nlu_fallback", 0.45), ("out_of_scope", 0.3), ("ask_returns", 0.28)), []),
    (ranked(("nlu_fallback", 0.45), ("self_harm", 0.3), ("ask_fees", 0.28)), []),
    (ranked(("nlu_fallback", 0.45), ("ask_returns", 0.1), ("ask_refund", 0.08)), []),   # nothing likely
])
def test_the_likely_requests_are_offered(ranking, offered) -> None:
    assert likely_requests(ranking, TITLED) == offered


async def test_the_question_has_buttons_in_the_customers_language_and_a_human() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from tests.actions.conftest import make_tracker

    tracker = make_tracker(slots={"language": "nl"}, intent="nlu_fallback", text="geld terug of ruilen?")
    tracker.latest_message["intent_ranking"] = ranked(("nlu_fallback", 0.45), ("ask_refund", 0.42), ("ask_returns", 0.4))
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker, {})
    message = dispatcher.messages[-1]
    assert message["text"].startswith("Ik weet niet zeker")
    assert [b["payload"] for b in message["buttons"]] == ["/ask_refund", "/ask_returns", "/request_human"]
    assert message["buttons"][0]["title"] == "Terugbetaling"
    # Nothing likely: the usual "I didn't understand", with the way to a human.
    tracker.latest_message["intent_ranking"] = ranked(("nlu_fallback", 0.3), ("out_of_scope", 0.2))
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker, {})
    assert dispatcher.messages[-1]["response"] == "utter_default"
