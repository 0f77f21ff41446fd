""""Why?": a plain explanation of the bot's last decision, from what the tracker recorded."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.constants import CandorMeta
from bot.explain import explain_last
from bot.guardrails.loader import policies
from bot.storage import stores
from bot.language import language_of, say


def _consents_in_last_turn(tracker: Tracker) -> List[str]:
    """Purposes (names) the customer consented to in the turn being explained."""
    granted = stores().consent.granted_purposes(tracker.sender_id)
    pending_answered = any(e.get("event") == "action" and e.get("name") == "action_record_consent"
                           for e in tracker.events[-20:])
    return granted if pending_answered else []


class ActionExplainDecision(Action):
    def name(self) -> Text:
        return "action_explain_decision"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        loaded, language = policies(), language_of(tracker)
        titles = [loaded.purpose(name).title.in_(language) for name in _consents_in_last_turn(tracker)]
        text = explain_last(tracker.events, loaded.explanations, titles, language=language)
        say(dispatcher, tracker, text, metadata=CandorMeta(kind="explanation").build())
        return []
