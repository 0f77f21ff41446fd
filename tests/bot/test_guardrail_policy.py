"""The GuardrailPolicy decides from the tracker alone, ahead of every trained policy."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.guardrails.policy import GuardrailPolicy
from tests.conftest import PROJECT_ROOT

VERSION = "test-version"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


@pytest.fixture
def policy(tmp_path: Path) -> GuardrailPolicy:
    return GuardrailPolicy.create(
        GuardrailPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("guardrails"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def user(text: str, intent: str, confidence: float = 0.9) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence})


def started(*, disclosed: bool = True, opted_out: bool = False) -> List[Event]:
    events: List[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    if disclosed:
        events.append(SlotSet("disclosure_version", VERSION))
    events.append(SlotSet("ai_opt_out", opted_out))
    events.append(ActionExecuted("action_listen"))
    return events


def predict(policy: GuardrailPolicy, domain: Domain, events: List[Event]) -> Optional[str]:
    tracker = DialogueStateTracker.from_events("customer-1", events, domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    if max(prediction.probabilities) == 0:
        return None
    assert max(prediction.probabilities) == 1.0
    assert prediction.policy_priority == 7
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_disclosure_is_forced_before_anything_else(policy, domain) -> None:
    events = started(disclosed=False) + [user("where is my order", "ask_order_status")]
    assert predict(policy, domain, events) == "action_disclose"


def test_disclosure_in_an_earlier_session_does_not_count(policy, domain) -> None:
    events = started() + [user("hi", "greet"), ActionExecuted("utter_greet")]
    events += [ActionExecuted("action_listen")] + started(disclosed=False)
    events += [user("hi again", "greet")]
    assert predict(policy, domain, events) == "action_disclose"


def test_disclosed_session_leaves_business_questions_to_the_other_policies(policy, domain) -> None:
    events = started() + [user("how can I pay?", "ask_payment_methods")]
    assert predict(policy, domain, events) is None


def test_failed_disclosure_tells_the_customer_plainly(policy, domain) -> None:
    events = started(disclosed=False) + [user("hi", "greet"), ActionExecuted("action_disclose")]
    assert predict(policy, domain, events) == "utter_assistant_unavailable"


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("are you a bot?", "ask_is_bot", "action_answer_is_bot"),
        ("r u a real human or what", "greet", "action_answer_is_bot"),
        ("get me a human", "ask_order_status", "action_handoff"),
        ("human please", "nlu_fallback", "action_handoff"),
        ("stop using AI on my case", "ask_refund", "action_opt_out"),
        ("I object to automated processing", "out_of_scope", "action_opt_out"),
        ("my lawyer will be in touch", "complain", "action_handoff"),
        ("I want to kill myself", "greet", "utter_crisis_support"),
    ],
)
def test_guardrails_hold_even_when_the_classifier_is_wrong(
    policy, domain, text, intent, expected
) -> None:
    events = started() + [user(text, intent, confidence=0.3)]
    assert predict(policy, domain, events) == expected


def recorded(events: List[Event], policy, domain) -> dict:
    tracker = DialogueStateTracker.from_events("customer-1", events, domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    [event] = prediction.optional_events
    assert event.key == "guardrail_decision"
    return event.value


def test_a_handoff_records_rule_reason_and_grounds(policy, domain) -> None:
    decision = recorded(started() + [user("agent", "request_human")], policy, domain)
    assert decision == {
        "rule": "customer_asks_for_human", "kind": "handoff", "reason": "customer_request",
        "priority": "normal", "because": ["pattern", "intent"], "intent": "request_human",
    }


def test_is_bot_mid_form_resumes_the_form(policy, domain) -> None:
    events = started() + [
        user("where is my order", "ask_order_status"),
        ActionExecuted("order_status_form"),
        ActiveLoop("order_status_form"),
        SlotSet("requested_slot", "order_number"),
        ActionExecuted("action_listen"),
        user("wait, am I talking to a machine?", "ask_is_bot"),
    ]
    assert predict(policy, domain, events) == "action_answer_is_bot"
    events.append(ActionExecuted("action_answer_is_bot"))
    assert predict(policy, domain, events) == "order_status_form"


def test_is_bot_outside_a_form_then_listens(policy, domain) -> None:
    events = started() + [user("are you human", "ask_is_bot"), ActionExecuted("action_answer_is_bot")]
    assert predict(policy, domain, events) == "action_listen"


def test_a_yes_without_an_opt_out_question_is_not_an_opt_out(policy, domain) -> None:
    events = started() + [
        user("hi", "greet"),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        user("yes", "affirm"),
    ]
    assert predict(policy, domain, events) is None


def test_opt_out_mid_form_takes_one_message(policy, domain) -> None:
    events = started() + [
        user("change my address", "change_address"),
        ActionExecuted("change_address_form"),
        ActiveLoop("change_address_form"),
        ActionExecuted("action_listen"),
        user("no ai", "opt_out"),
    ]
    assert predict(policy, domain, events) == "action_opt_out"


def test_opted_out_customer_goes_straight_to_a_human(policy, domain) -> None:
    events = started(opted_out=True) + [user("where is my order", "ask_order_status")]
    tracker = DialogueStateTracker.from_events("customer-1", events, domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "action_opt_out"
    [decision] = prediction.optional_events
    assert (decision.value["rule"], decision.value["because"]) == ("opted_out", ["opted_out"])


def test_opted_out_customer_can_opt_back_in(policy, domain) -> None:
    events = started(opted_out=True) + [user("opt in", "opt_in")]
    assert predict(policy, domain, events) == "action_opt_in"


def test_a_disclosure_left_in_the_dialogue_state_waits_for_the_customer(policy, domain) -> None:
    events = started(disclosed=False) + [
        user("hi", "greet"),
        ActionExecuted("action_disclose"),
        SlotSet("disclosure_version", VERSION),
    ]
    assert predict(policy, domain, events) == "action_listen"


def test_unchecked_personal_data_goes_to_a_human(policy, domain) -> None:
    message = UserUttered(
        "[withheld]", {"name": "nlu_fallback", "confidence": 1.0},
        parse_data={"intent": {"name": "nlu_fallback"}, "entities": [], "pii_masking_failed": True},
    )
    tracker = DialogueStateTracker.from_events("customer-1", started() + [message], domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "action_handoff"
    [decision] = prediction.optional_events
    assert decision.value["rule"] == "technical_problem"


def test_pasted_card_numbers_get_a_warning_once(policy, domain) -> None:
    message = UserUttered(
        "my card is <CREDIT_CARD_1>", {"name": "ask_payment_methods", "confidence": 0.9},
        parse_data={"intent": {"name": "ask_payment_methods"},
                    "entities": [{"entity": "pii_credit_card", "value": "<CREDIT_CARD_1>"}]},
    )
    events = started() + [message]
    assert predict(policy, domain, events) == "action_warn_sensitive_data"
    events += [ActionExecuted("action_warn_sensitive_data")]
    from rasa.shared.core.events import ActionReverted
    events += [ActionReverted()]
    assert predict(policy, domain, events) is None


def turn(text: str, intent: str, answer: str, confidence: float = 0.9) -> List[Event]:
    """A customer message and the bot's answer to it."""
    return [user(text, intent, confidence), ActionExecuted(answer), ActionExecuted("action_listen")]


def test_special_category_data_brings_in_a_human(policy, domain) -> None:
    message = UserUttered(
        "I was <HEALTH_1> and can't collect the parcel", {"name": "ask_delivery_times", "confidence": 0.8},
        parse_data={"intent": {"name": "ask_delivery_times", "confidence": 0.8},
                    "entities": [{"entity": "pii_health", "value": "<HEALTH_1>"}]},
    )
    decision = recorded(started() + [message], policy, domain)
    assert (decision["rule"], decision["because"]) == ("special_category_data", ["special_category"])


def test_religion_is_masked_but_does_not_change_the_handling(policy, domain) -> None:
    message = UserUttered(
        "as a <RELIGION_1> can I pay with iDEAL", {"name": "ask_payment_methods", "confidence": 0.9},
        parse_data={"intent": {"name": "ask_payment_methods", "confidence": 0.9},
                    "entities": [{"entity": "pii_religion", "value": "<RELIGION_1>"}]},
    )
    assert predict(policy, domain, started() + [message]) is None


def test_repeated_misunderstanding_goes_to_a_human_on_the_third_fallback(policy, domain) -> None:
    events = started() + turn("blorp", "nlu_fallback", "utter_default") + turn("zzzt", "nlu_fallback", "utter_default")
    assert predict(policy, domain, events + [user("qwpo", "nlu_fallback")]) == "action_handoff"
    # Understood in between: the count starts again.
    events = started() + turn("blorp", "nlu_fallback", "utter_default") + turn("hi", "greet", "utter_greet")
    events += turn("zzzt", "nlu_fallback", "utter_default")
    assert predict(policy, domain, events + [user("qwpo", "nlu_fallback")]) is None


def test_a_classifier_with_no_idea_at_all_brings_in_a_human(policy, domain) -> None:
    decision = recorded(started() + [user("hmm", "greet", confidence=0.05)], policy, domain)
    assert (decision["rule"], decision["because"]) == ("repeated_misunderstanding", ["confidence_below"])
    assert predict(policy, domain, started() + [user("hi", "greet", confidence=0.5)]) is None


def test_the_same_question_three_times_brings_in_a_human(policy, domain) -> None:
    events = started() + turn("refund?", "ask_refund", "utter_refund") + turn("but my refund", "ask_refund", "utter_refund")
    decision = recorded(events + [user("WHERE IS MY REFUND", "ask_refund")], policy, domain)
    assert (decision["rule"], decision["because"]) == ("repeated_question", ["repeated_intent"])
    # Saying thanks three times is no sign of trouble.
    events = started() + turn("thanks", "thank", "utter_you_are_welcome") + turn("thx", "thank", "utter_you_are_welcome")
    assert predict(policy, domain, events + [user("thank you", "thank")]) is None


def test_self_harm_gets_crisis_lines_first_then_an_urgent_handoff(policy, domain) -> None:
    events = started() + [user("I don't want to live anymore", "greet")]
    decision = recorded(events, policy, domain)
    assert (decision["rule"], decision["priority"]) == ("self_harm", "urgent")
    assert predict(policy, domain, events) == "utter_crisis_support"
    events += [SlotSet("guardrail_decision", decision), ActionExecuted("utter_crisis_support")]
    assert predict(policy, domain, events) == "action_handoff"


def test_the_most_urgent_trigger_wins(policy, domain) -> None:
    # An opted-out customer (normal) reporting fraud (urgent): the ticket is urgent.
    events = started(opted_out=True) + [user("someone used my card on your site", "report_fraud")]
    decision = recorded(events, policy, domain)
    assert (decision["rule"], decision["priority"]) == ("fraud", "urgent")


def test_a_question_about_a_person_is_not_a_request_for_one(policy, domain) -> None:
    events = started() + [user("am I talking to a real person?", "request_human")]
    assert predict(policy, domain, events) == "action_answer_is_bot"


def test_dialogue_fallbacks_count_as_misunderstanding_too(policy, domain) -> None:
    from rasa.shared.core.events import UserUtteranceReverted

    events = started() + turn("blorp", "nlu_fallback", "utter_default") + turn("zzzt", "nlu_fallback", "utter_default")
    # Understood as "yes" out of the blue: the dialogue falls back and takes it back.
    events += [user("qwfp", "affirm", 0.6), ActionExecuted("action_default_fallback"), UserUtteranceReverted()]
    decision = recorded(events, policy, domain)
    assert (decision["rule"], decision["because"]) == ("repeated_misunderstanding", ["consecutive_fallbacks"])
    assert predict(policy, domain, events) == "action_handoff"


def test_a_message_without_words_is_not_a_low_confidence_handoff(policy, domain) -> None:
    message = UserUttered("\U0001f600\u200b" * 20, {"name": "nlu_fallback", "confidence": 0.45},
                          parse_data={"text": "\U0001f600\u200b" * 20,
                                      "intent": {"name": "nlu_fallback", "confidence": 0.45},
                                      "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                                                         {"name": "affirm", "confidence": 0.05}],
                                      "entities": []})
    assert predict(policy, domain, started() + [message]) is None


def _consent_question(purpose: str = "order_lookup_by_email") -> List[Event]:
    from rasa.shared.core.events import BotUttered

    return [
        SlotSet("consent_pending", {"purpose": purpose, "version": "v", "placeholder": "<EMAIL_ADDRESS_1>"}),
        ActionExecuted("action_ask_order_number"),
        BotUttered("May I use your e-mail address?", metadata={"metadata": {"candor": {"kind": "consent_request"}}}),
        ActionExecuted("action_listen"),
    ]


@pytest.mark.parametrize("answer, intent", [("yes", "affirm"), ("no", "deny")])
def test_the_answer_to_a_consent_question_is_recorded_first(policy, domain, answer, intent) -> None:
    events = started() + [user("where is my order", "ask_order_status")] + _consent_question()
    assert predict(policy, domain, events + [user(answer, intent)]) == "action_record_consent"


def test_a_yes_long_after_a_consent_question_is_not_consent(policy, domain) -> None:
    events = started() + [user("where is my order", "ask_order_status")] + _consent_question()
    events += turn("how do returns work", "ask_returns", "utter_returns")
    assert predict(policy, domain, events + [user("yes", "affirm")]) is None


def test_consent_recorded_mid_form_resumes_the_form(policy, domain) -> None:
    events = started() + [user("where is my order", "ask_order_status"), ActionExecuted("order_status_form"),
                          ActiveLoop("order_status_form"), ActionExecuted("action_listen"),
                          user("don't use my e-mail anymore", "inform")]
    assert predict(policy, domain, events) == "action_withdraw_consent"
    events.append(ActionExecuted("action_withdraw_consent"))
    assert predict(policy, domain, events) == "order_status_form"


@pytest.mark.parametrize("answer, intent, expected", [("yes", "affirm", "action_erase_data"),
                                                      ("no", "deny", "action_cancel_erasure")])
def test_erasure_happens_only_after_a_yes(policy, domain, answer, intent, expected) -> None:
    events = started() + [user("delete my data", "request_erasure")]
    assert predict(policy, domain, events) == "action_confirm_erasure"
    events += [ActionExecuted("action_confirm_erasure"), ActionExecuted("action_listen"), user(answer, intent)]
    assert predict(policy, domain, events) == expected


def test_a_failed_action_call_hands_over_instead_of_a_silently_wrong_turn(policy, domain) -> None:
    """Rasa logs a failed action-server call and goes on without the action's events."""
    from rasa.shared.core.events import BotUttered

    asked = started() + [UserUttered("where is my order", {"name": "ask_order_status", "confidence": 0.9},
                                     input_channel="rest")]
    failed = asked + [ActionExecuted("order_status_form", policy="RulePolicy")]
    assert predict(policy, domain, failed) == "action_handoff"
    tracker = DialogueStateTracker.from_events("customer-1", failed, domain.slots)
    recorded = policy.predict_action_probabilities(tracker, domain).optional_events[0]
    assert recorded.value["rule"] == "technical_problem" and recorded.value["because"] == ["action_failed"]
    # The handoff itself failed too (the action server is down): say how to reach a person.
    failed += [ActionExecuted("action_handoff", policy="GuardrailPolicy")]
    assert predict(policy, domain, failed) == "utter_assistant_unavailable"
    # An action that ran says or returns something; a story replayed by `rasa test` came on no channel.
    ran = asked + [ActionExecuted("order_status_form", policy="RulePolicy"), ActiveLoop("order_status_form"),
                   BotUttered("What's your order number?")]
    assert predict(policy, domain, ran) is None
    replayed = started() + [user("where is my order", "ask_order_status"),
                            ActionExecuted("order_status_form", policy="RulePolicy")]
    assert predict(policy, domain, replayed) is None
