"""Not sure what the customer meant: ask, instead of guessing (issue 22).

Runs for `nlu_fallback` outside a form. The likely requests (up to two, each with a
`topic_<intent>` title in policies/messages.yml, confident enough and close to the best) are
offered as buttons, with a colleague as the last choice; a button carries its intent
("/cancel_order"), so what the customer picks is what happens, and anything that changes data
still needs its owner check. With no likely request the customer hears what the assistant
can do and how to reach a human (`utter_default`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.guardrails.loader import policies
from bot.language import language_of, say
from bot.guardrails.texts import text_in

FALLBACK_INTENT = "nlu_fallback"
# A request is offered when its confidence is at least this, and at least this share of the best's.
MIN_CONFIDENCE = 0.15
MIN_SHARE = 0.4
CHOICES = 2


def likely_requests(ranking: List[Dict[Text, Any]], titled: set) -> List[str]:
    """The intents worth offering, best first."""
    ranked = [r for r in ranking if r.get("name") != FALLBACK_INTENT]
    if not ranked:
        return []
    best = float(ranked[0].get("confidence") or 0.0)
    chosen = []
    for entry in ranked:
        name, confidence = entry.get("name"), float(entry.get("confidence") or 0.0)
        if confidence < MIN_CONFIDENCE or confidence < MIN_SHARE * best:
            break
        if name in titled:
            chosen.append(name)
        if len(chosen) == CHOICES:
            break
    # Offered only when the best guess is itself a request we serve: a near tie between a
    # shop request and "out of scope" or a sensitive matter is not a menu.
    return chosen if chosen and chosen[0] == ranked[0].get("name") else []


class ActionClarify(Action):
    def name(self) -> Text:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        messages = policies().messages
        titled = {key[len("topic_"):] for key in messages.keys() if key.startswith("topic_")}
        choices = likely_requests(tracker.latest_message.get("intent_ranking") or [], titled)
        if not choices:
            dispatcher.utter_message(response="utter_default")
            return []
        language = language_of(tracker)
        buttons = [{"title": text_in(messages[f"topic_{name}"], language), "payload": f"/{name}"} for name in choices]
        buttons.append({"title": text_in(messages["clarify_human"], language), "payload": "/request_human"})
        say(dispatcher, tracker, messages["clarify_question"], buttons=buttons)
        return []
