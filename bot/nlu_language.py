"""LanguageDetector: the NLU component that records a message's language (slot `language`,
filled from the entity it adds). Which languages and how they are detected: bot/language.py."""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language import ENTITY, EXTRACTOR, detect, hinted
from bot.nlu_component import StatelessComponent


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(StatelessComponent):
    """Adds the entity `language` when a message's language is clear (from its text, else from
    the client's hint); the slot `language` is filled from it and keeps its value otherwise."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            # The masked text: a street, a town or a name says nothing about the customer's
            # language ("Kerkstraat 12, Amsterdam" from an English speaker).
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload says nothing about the language
            language = detect(text) or hinted(message.get(METADATA))
            if language is None:
                continue
            entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != ENTITY]
            entities.append({"entity": ENTITY, "value": language, "start": 0, "end": 0,
                             "extractor": EXTRACTOR})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
