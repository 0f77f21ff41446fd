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
        ("stop using AI on my case", "ask_refund", "action_explain_opt_out"),
        ("I object to automated processing", "out_of_scope", "action_explain_opt_out"),
    ],
)
def test_guardrails_hold_even_when_the_classifier_is_wrong(
    policy, domain, text, intent, expected
) -> None:
    events = started() + [user(text, intent, confidence=0.3)]
    assert predict(policy, domain, events) == expected


def test_a_handoff_records_its_reason(policy, domain) -> None:
    tracker = DialogueStateTracker.from_events(
        "customer-1", started() + [user("agent", "request_human")], domain.slots
    )
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert prediction.optional_events == [SlotSet("handoff_reason", "customer_request")]


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


@pytest.mark.parametrize(
    "answer, intent, expected",
    [("yes", "affirm", "action_opt_out"), ("no", "deny", "action_cancel_opt_out")],
)
def test_opt_out_needs_confirmation(policy, domain, answer, intent, expected) -> None:
    events = started() + [
        user("I don't want a bot", "opt_out"),
        ActionExecuted("action_explain_opt_out"),
        ActionExecuted("action_listen"),
        user(answer, intent),
    ]
    assert predict(policy, domain, events) == expected


def test_a_yes_without_an_opt_out_question_is_not_an_opt_out(policy, domain) -> None:
    events = started() + [
        user("hi", "greet"),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        user("yes", "affirm"),
    ]
    assert predict(policy, domain, events) is None


def test_cancelled_opt_out_mid_form_resumes_the_form(policy, domain) -> None:
    events = started() + [
        user("change my address", "change_address"),
        ActionExecuted("change_address_form"),
        ActiveLoop("change_address_form"),
        ActionExecuted("action_listen"),
        user("no ai", "opt_out"),
        ActionExecuted("action_explain_opt_out"),
        ActionExecuted("action_listen"),
        user("no", "deny"),
        ActionExecuted("action_cancel_opt_out"),
    ]
    assert predict(policy, domain, events) == "change_address_form"


def test_opted_out_customer_goes_straight_to_a_human(policy, domain) -> None:
    events = started(opted_out=True) + [user("where is my order", "ask_order_status")]
    tracker = DialogueStateTracker.from_events("customer-1", events, domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "action_handoff"
    assert prediction.optional_events == [SlotSet("handoff_reason", "opt_out")]


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
    assert prediction.optional_events == [SlotSet("handoff_reason", "technical_problem")]


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
