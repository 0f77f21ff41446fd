"""Explanations come from what the tracker recorded, in plain words, never internal names."""
from __future__ import annotations

from bot.explain import explain_last, turns
from bot.guardrails.loader import policies

EXPLANATIONS = policies().explanations


def user(text: str, intent: str, confidence: float = 0.93) -> dict:
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}}}


def action(name: str, policy: str = "RulePolicy") -> dict:
    return {"event": "action", "name": name, "policy": policy}


def decision(rule: str, kind: str = "handoff") -> dict:
    return {"event": "slot", "name": "guardrail_decision",
            "value": {"rule": rule, "kind": kind, "reason": "x", "because": ["intent"]}}


def test_an_answer_is_explained_with_the_intent_description_not_its_name() -> None:
    events = [user("how long does delivery take?", "ask_delivery_times"), action("utter_delivery_times"),
              action("action_listen"), user("why?", "ask_why")]
    text = explain_last(events, EXPLANATIONS)
    assert EXPLANATIONS["intents"]["ask_delivery_times"] in text and "ask_delivery_times" not in text
    assert "93% sure" in text and EXPLANATIONS["texts"]["answered"] in text
    assert EXPLANATIONS["texts"]["data_none"] in text


def test_a_handoff_is_explained_by_its_rule() -> None:
    events = [user("my lawyer will call you", "legal_threat"), decision("legal_threat"),
              action("action_handoff", "GuardrailPolicy"), user("are you there?", "greet"), user("why?", "ask_why")]
    text = explain_last(events, EXPLANATIONS, handoff=True)
    assert "rule legal_threat" in text and EXPLANATIONS["rules"]["legal_threat"] in text
    assert "my lawyer will call you" in text


def test_a_fallback_is_explained_as_not_sure_enough() -> None:
    events = [user("blorp", "nlu_fallback", 0.45), action("utter_default"), user("why did you say that", "ask_why")]
    text = explain_last(events, EXPLANATIONS)
    assert EXPLANATIONS["texts"]["fallback"] in text
    assert EXPLANATIONS["intents"]["nlu_fallback"] in text


def test_data_used_is_named() -> None:
    events = [user("CND-100001", "inform"), {"event": "slot", "name": "order_number", "value": "CND-100001"},
              action("action_order_status"), user("why?", "ask_why")]
    assert "your order number" in explain_last(events, EXPLANATIONS)
    title = policies().purpose("order_lookup_by_email").title
    assert "your consent to looking up your order by e-mail" in explain_last(events, EXPLANATIONS, [title.in_("en")])
    dutch = explain_last(events, EXPLANATIONS, [title.in_("nl")], language="nl")
    assert "uw toestemming voor uw bestelling opzoeken via e-mail" in dutch and "uw bestelnummer" in dutch


def test_nothing_to_explain_yet() -> None:
    assert explain_last([user("why?", "ask_why")], EXPLANATIONS) == EXPLANATIONS["texts"]["nothing_yet"]


def test_turns_list_decisions_and_actions_per_message() -> None:
    events = [user("agent please", "request_human"), decision("customer_asks_for_human"),
              action("action_handoff", "GuardrailPolicy")]
    [turn] = turns(events)
    assert turn["decisions"][0]["rule"] == "customer_asks_for_human"
    assert turn["actions"] == [{"name": "action_handoff", "policy": "GuardrailPolicy"}]
