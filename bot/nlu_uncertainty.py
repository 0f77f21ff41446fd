"""CarefulFallback: the NLU component that never lets a close call change a customer's data.

Rasa's FallbackClassifier turns a message into `nlu_fallback` when the best intent is unsure
or barely ahead of the next. For the intents that act on a customer's data or on how they are
served (cancel an order, change an address, erase, withdraw consent, opt out of the AI) a
guess is worse than a question, so this component asks for more: a confidence of at least
`threshold` and a lead of at least `margin` over the next intent, else `nlu_fallback`, whose
action (`action_clarify`) asks which request was meant. The guardrails' own pattern backstops
run after it and still win (policies/backstops.yml); a button payload ("/cancel_order")
carries its intent with full confidence and passes.

Sensitive matters that hand the conversation to a human with crisis lines or a fraud ticket
need a confidence of their own (`sensitive`): measured on this model (2026-12-03), 24 of the
39 sensitive decisions for outside requests that are not sensitive (card questions taken for
fraud, ...) were below 0.6, against 3 of 80 true ones in the held-out sets. A wrong crisis
answer is worse than "I didn't understand, type human"; the handoff triggers' own patterns
(policies/handoff.yml) still catch the plain words of a crisis whatever the classifier says.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.nlu_component import StatelessComponent

FALLBACK_INTENT = "nlu_fallback"
CAREFUL = ("cancel_order", "change_address", "request_erasure", "withdraw_consent", "opt_out", "request_callback")
SENSITIVE = {"self_harm": 0.55, "report_fraud": 0.6, "legal_threat": 0.6, "bereavement": 0.6}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CarefulFallback(StatelessComponent):
    """A data-changing intent needs a clear win; otherwise the message is not understood."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.intents = frozenset(config.get("intents") or CAREFUL)
        self.threshold = float(config.get("threshold", 0.7))
        self.margin = float(config.get("margin", 0.2))
        self.sensitive = {name: float(v) for name, v in (config.get("sensitive") or SENSITIVE).items()}

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": list(CAREFUL), "threshold": 0.7, "margin": 0.2, "sensitive": dict(SENSITIVE)}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls(config)

    def unsure(self, intent: Dict[Text, Any], ranking: List[Dict[Text, Any]]) -> bool:
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        if name in self.sensitive:
            return confidence < self.sensitive[name]
        if name not in self.intents:
            return False
        others = [float(r.get("confidence") or 0.0) for r in ranking if r.get("name") not in (name, FALLBACK_INTENT)]
        runner_up = max(others, default=0.0)
        return confidence < self.threshold or confidence - runner_up < self.margin

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not ranking or not self.unsure(intent, ranking):
                continue  # no ranking: an intent given by a button payload
            fallback = {"name": FALLBACK_INTENT, "confidence": float(intent.get("confidence") or 0.0)}
            message.set(INTENT, fallback, add_to_output=True)
            rest = [r for r in ranking if r.get("name") != FALLBACK_INTENT]
            message.set(INTENT_RANKING_KEY, [fallback] + rest, add_to_output=True)
        return messages
