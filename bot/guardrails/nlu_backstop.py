"""NLU side of the deterministic backstop: a matching pattern in `policies/backstops.yml`
sets the guardrail intent, so forms and rules see it even when the classifier missed it.

The GuardrailPolicy checks the same patterns again on the tracker; both use the loader's
`match_backstop`, so there is one list of patterns.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.guardrails.loader import policies

BACKSTOP_KEY = "guardrail_backstop"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class GuardrailIntentBackstop(GraphComponent):
    """A matching backstop pattern decides the intent: patterns are precise, the classifier is not."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"policies_dir": None}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "GuardrailIntentBackstop":
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._policies = policies(config.get("policies_dir"))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            classified = (message.get(INTENT) or {}).get("name")
            # The patterns are written for what customers type, so they read the text as
            # typed (the PiiMasker may have put placeholders in TEXT).
            backstop = self._policies.match_backstop(message.get("text_unmasked") or message.get(TEXT))
            if backstop is None or backstop.intent == classified:
                continue
            message.set(INTENT, {"name": backstop.intent, "confidence": 1.0}, add_to_output=True)
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != backstop.intent
            ]
            message.set(
                INTENT_RANKING_KEY,
                [{"name": backstop.intent, "confidence": 1.0}] + ranking,
                add_to_output=True,
            )
            message.set(
                BACKSTOP_KEY,
                {"intent": backstop.intent, "classified_as": classified},
                add_to_output=True,
            )
        return messages
