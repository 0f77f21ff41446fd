"""NLU side of the deterministic backstop: a matching pattern of a handoff trigger
(`policies/handoff.yml`) or a backstop (`policies/backstops.yml`) sets its intent, so forms
and rules see it even when the classifier missed it.

The rule that matched is added to the parse data (`guardrail_backstop`), and the
GuardrailPolicy acts on it; both use the loader's `match_pattern`, so there is one list of
patterns and one order.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.guardrails.loader import Backstop, policies
from bot.nlu_component import StatelessComponent

BACKSTOP_KEY = "guardrail_backstop"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class GuardrailIntentBackstop(StatelessComponent):
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


    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            classified = (message.get(INTENT) or {}).get("name")
            # The patterns are written for what customers type, so they read the text as
            # typed (the PiiMasker may have put placeholders in TEXT).
            rule = self._policies.match_pattern(message.get("text_unmasked") or message.get(TEXT))
            if rule is None:
                continue
            intent = rule.intent if isinstance(rule, Backstop) else rule.intents[0] if rule.intents else None
            rule_id = rule.intent if isinstance(rule, Backstop) else rule.id
            message.set(
                BACKSTOP_KEY,
                {"rule": rule_id, "intent": intent, "classified_as": classified},
                add_to_output=True,
            )
            if intent is None or intent == classified:
                continue
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(
                INTENT_RANKING_KEY,
                [{"name": intent, "confidence": 1.0}] + ranking,
                add_to_output=True,
            )
        return messages
