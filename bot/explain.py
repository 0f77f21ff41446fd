"""Explanations of the bot's decisions, from the conversation's events (as dicts).

One home for "why?" in the chat (actions/explain.py, and the REST channel while a human
has the conversation) and for `python -m bot explain --sender ID` (operators). It reads
what the tracker recorded: the classification of each message, the guardrail decisions
(`guardrail_decision` slot, with rule ids) and the actions that followed.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from pydantic import validator

from bot.constants import SLOT_DECISION
from bot.guardrails.model import Say, Texts
from bot.guardrails.texts import text_in

DECISION_SLOT = SLOT_DECISION
WHY_INTENT = "ask_why"
FALLBACK_ACTIONS = {"action_default_fallback", "utter_default", "action_clarify"}
# Slots that hold data the customer gave -> the explanations.yml text that names it.
DATA_SLOTS = {"order_number": "data_order_number", "new_address": "data_new_address",
              "callback_phone": "data_callback_phone"}


def turns(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each customer message with how it was understood and what the bot did after it."""
    result: List[Dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            result.append({
                "text": parse.get("text") or event.get("text"),
                "intent": intent.get("name"), "confidence": intent.get("confidence"),
                "pattern": (parse.get("guardrail_backstop") or {}).get("rule"),
                "actions": [], "decisions": [], "slots": {},
            })
        elif not result:
            continue
        elif kind == "action" and event.get("name") != "action_listen":
            result[-1]["actions"].append({"name": event.get("name"), "policy": event.get("policy")})
        elif kind == "slot" and event.get("name") == DECISION_SLOT and event.get("value"):
            result[-1]["decisions"].append(event["value"])
        elif kind == "slot" and event.get("name") in DATA_SLOTS and event.get("value"):
            result[-1]["slots"][event["name"]] = event["value"]
    return result


class ExplanationTexts(Texts):
    understood: Say
    decided_by_rule: Say
    fallback: Say
    answered: Say
    data_none: Say
    data_used: Say
    nothing_yet: Say
    data_order_number: Say
    data_new_address: Say
    data_callback_phone: Say
    data_consent: Say


class Explanations(Texts):
    """`policies/explanations.yml`: what each intent means in plain words, the parts of an
    explanation, and why each trigger or backstop (by id) acted."""

    intents: Dict[str, Say]
    texts: ExplanationTexts
    rules: Dict[str, Say]

    @validator("intents")
    def _fallback_described(cls, value: Dict[str, Any]) -> Dict[str, Any]:
        if "nlu_fallback" not in value:
            raise ValueError("describe 'nlu_fallback' (what the customer hears when nothing was understood)")
        return value


def explain_last(events: List[Dict[str, Any]], explanations: Explanations,
                 consents: Optional[List[str]] = None, handoff: bool = False,
                 language: Optional[str] = None) -> str:
    """A plain explanation of what the bot did with the customer's last message before the
    "why?" (which may be the latest event); with `handoff`, of the last handoff decision
    (while a person has the conversation, the customer's later messages got no AI answer)."""
    def words(group: str) -> Dict[str, str]:
        return {key: text_in(text, language) for key, text in explanations[group].items()}

    texts, descriptions, rules = words("texts"), words("intents"), words("rules")
    candidates = [t for t in turns(events) if t["intent"] != WHY_INTENT]
    if handoff:
        candidates = [t for t in candidates if any(d.get("kind") == "handoff" for d in t["decisions"])]
    if not candidates:
        return texts["nothing_yet"]
    turn = candidates[-1]
    confidence = round(100 * float(turn["confidence"] or 0))
    parts = [texts["understood"].format(
        text=turn["text"], intent=descriptions.get(turn["intent"], descriptions["nlu_fallback"]),
        confidence=confidence)]
    decisions = [d for d in turn["decisions"] if d.get("rule") in rules]
    actions = {a["name"] for a in turn["actions"]}
    if decisions:
        decision = decisions[-1]
        parts.append(texts["decided_by_rule"].format(rule=decision["rule"], why=rules[decision["rule"]]))
    elif actions & FALLBACK_ACTIONS or turn["intent"] == "nlu_fallback":
        parts.append(texts["fallback"])
    else:
        parts.append(texts["answered"])
    used = [texts[DATA_SLOTS[s]] for s in turn["slots"] if s in DATA_SLOTS]
    used += [texts["data_consent"].format(purpose=c) for c in consents or []]
    parts.append(texts["data_used"].format(data=", ".join(used)) if used else texts["data_none"])
    return " ".join(parts)
