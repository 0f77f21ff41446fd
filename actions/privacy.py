"""Privacy actions: warn when a customer pastes data that must never be shared in chat."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.constants import CandorMeta
from bot.guardrails.loader import pii_policy
from bot.language import say


class ActionWarnSensitiveData(Action):
    """Warns, then takes its turn back so the customer's question is still answered."""

    def name(self) -> Text:
        return "action_warn_sensitive_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(
            dispatcher, tracker, pii_policy().sensitive_data_warning,
            metadata=CandorMeta(kind="sensitive_data_warning").build(),
        )
        return [ActionReverted()]
