"""PiiMasker: the first component of the NLU pipeline.

The classifier and entity extractors see placeholders, never personal data, so an intent
cannot depend on a person's name. Personal data types become entities (`pii_person`,
`pii_credit_card`, ...) whose value is the placeholder. If analysis fails, the text is
replaced by a marker and `pii_masking_failed` is set, which the GuardrailPolicy turns into
a handoff to a human.
"""
from __future__ import annotations

import logging
import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu_component import StatelessComponent
from bot.nlu_spelling import TYPED_KEY
from bot.pii.conversation import WITHHELD
from bot.pii import words
from bot.pii.engine import PLACEHOLDER, Placeholders, engine

logger = logging.getLogger(__name__)
FAILED_KEY = "pii_masking_failed"
# The original text, for later components of this one parse only (never in parse output).
UNMASKED_KEY = "text_unmasked"
EXTRACTOR = "PiiMasker"
FALLBACK_INTENT = "nlu_fallback"


def entity_name(entity_type: str) -> str:
    return f"pii_{entity_type.lower()}"


def renumbered(text: str) -> str:
    """`text` with its placeholders numbered from 1 per type, in order of appearance (the
    same placeholder keeps one number): "<PERSON_3> and <PERSON_5>" -> "<PERSON_1> and <PERSON_2>"."""
    numbers: dict = {}

    def fresh(match: "re.Match[str]") -> str:
        kind = match.group(1)
        per_kind = numbers.setdefault(kind, {})
        number = per_kind.setdefault(match.group(), len(per_kind) + 1)
        return f"<{kind}_{number}>"

    return PLACEHOLDER.sub(fresh, text)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class PiiMasker(StatelessComponent):
    """Replaces personal data in the message text by typed placeholders before anything else."""

    def __init__(self) -> None:
        self.engine = engine()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            if text == WITHHELD:  # the channel could not analyse it in time (bot/channels/limits.py)
                message.set(FAILED_KEY, True, add_to_output=True)
                continue
            try:
                masked = self.engine.mask(text, Placeholders())
            except Exception:  # noqa: BLE001 - fail closed
                logger.error("Personal-data analysis failed; the message is withheld.")
                message.set(TEXT, WITHHELD)
                message.set(FAILED_KEY, True, add_to_output=True)
                continue
            message.set(UNMASKED_KEY, text)  # not added to the output, so never stored
            # The classifier sees the placeholders numbered afresh in each message, as in
            # training ("<PERSON_3>" of a long conversation reads as "<PERSON_1>"): how many
            # values a conversation gave before must not change what a message means. The
            # parse keeps the conversation's own placeholders (bot/nlu_spelling.py restores).
            fresh = renumbered(masked.text)
            if fresh != masked.text:
                message.set(TYPED_KEY, masked.text)
            message.set(TEXT, fresh)
            # Every placeholder is an entity: those made here, and those the channel put in
            # (it masks the text at the door with the conversation's placeholders).
            entities = list(message.get(ENTITIES) or [])
            for match in PLACEHOLDER.finditer(masked.text):
                entities.append(
                    {
                        "entity": entity_name(match.group(1)),
                        "value": match.group(),
                        "start": match.start(),
                        "end": match.end(),
                        "extractor": EXTRACTOR,
                    }
                )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


# Words the classifier can know: letters only, placeholders taken out first.
_WORD = re.compile(r"[^\W\d_]{2,}")
UNSURE = 0.7


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class MaskedGibberishFallback(StatelessComponent):
    """A message of placeholders and words of no language ("blorp <PERSON_1>") is not
    understood, however the classifier leans: the placeholder alone must not carry it to
    an intent (spaCy, and so Presidio, takes much gibberish for a name)."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            if not PLACEHOLDER.search(text) or intent.get("name") == FALLBACK_INTENT:
                continue
            rest = _WORD.findall(PLACEHOLDER.sub(" ", text))
            if not rest or any(words.is_common_word(w) or w.lower() in words.stop_words() for w in rest):
                continue
            if (intent.get("confidence") or 0.0) >= UNSURE:
                continue
            fallback = {"name": FALLBACK_INTENT, "confidence": UNSURE}
            message.set(INTENT, fallback, add_to_output=True)
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
            message.set(INTENT_RANKING_KEY, [fallback] + ranking, add_to_output=True)
        return messages
