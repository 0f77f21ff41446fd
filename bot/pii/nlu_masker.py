"""PiiMasker: the first component of the NLU pipeline.

The classifier and entity extractors see placeholders, never personal data, so an intent
cannot depend on a person's name. Personal data types become entities (`pii_person`,
`pii_credit_card`, ...) whose value is the placeholder. If analysis fails, the text is
replaced by a marker and `pii_masking_failed` is set, which the GuardrailPolicy turns into
a handoff to a human.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.pii.conversation import WITHHELD
from bot.pii.engine import Placeholders, engine

logger = logging.getLogger(__name__)
FAILED_KEY = "pii_masking_failed"
# The original text, for later components of this one parse only (never in parse output).
UNMASKED_KEY = "text_unmasked"
EXTRACTOR = "PiiMasker"


def entity_name(entity_type: str) -> str:
    return f"pii_{entity_type.lower()}"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class PiiMasker(GraphComponent):
    """Replaces personal data in the message text by typed placeholders before anything else."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PiiMasker":
        return cls()

    def __init__(self) -> None:
        self.engine = engine()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training examples are written with placeholders already; nothing to do.
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            try:
                masked = self.engine.mask(text, Placeholders())
            except Exception:  # noqa: BLE001 - fail closed
                logger.error("Personal-data analysis failed; the message is withheld.")
                message.set(TEXT, WITHHELD)
                message.set(FAILED_KEY, True, add_to_output=True)
                continue
            message.set(UNMASKED_KEY, text)  # not added to the output, so never stored
            message.set(TEXT, masked.text)
            entities = list(message.get(ENTITIES) or [])
            position = 0
            for finding, placeholder in zip(masked.findings, masked.placeholders):
                start = masked.text.find(placeholder, position)
                position = start + len(placeholder)
                entities.append(
                    {
                        "entity": entity_name(finding.entity_type),
                        "value": placeholder,
                        "start": start,
                        "end": position,
                        "extractor": EXTRACTOR,
                    }
                )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
