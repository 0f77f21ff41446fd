"""SpellingNormalizer: customers who make typing errors are understood as well as those who
do not (issue 22; the fairness audit's writing-style axis checks it).

A word that is neither a word of English or Dutch (pyspellchecker's dictionaries, the ones
the personal-data analysis already uses) nor a word of the training data is replaced, for the
classifier only, by the closest word of the training data's vocabulary (difflib, ratio at
least `cutoff`): "refnud" -> "refund", "bestleling" -> "bestelling". Real words are never
changed ("accent" stays "accent", however close to "account"), nor placeholders, numbers or
short words. The vocabulary is the words that occur at least `min_count` times in the
training data and are real words, or occur once more than that (the shop's own words); so
the generated typos in data/nlu/generated/ do not enter it. It is kept with the model. Training examples go through the same step, so the classifier sees at training
time what it sees at run time. `SpellingRestore`, last in the pipeline, puts the masked text
as typed back, so the parse (and the tracker) keep the customer's own words.
"""
from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu_component import StatelessComponent

TYPED_KEY = "candor_typed_text"
_WORD = re.compile(r"<[A-Z][A-Z_]*_\d+>|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def is_real_word(word: str) -> bool:
    """A word of pyspellchecker's English or Dutch dictionary (loaded once, shared with the
    personal-data analysis in bot/pii/words.py)."""
    from bot.pii.words import word_count

    return word_count(word, "en") > 0 or word_count(word, "nl") > 0


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SpellingNormalizer(GraphComponent):
    """Typing errors corrected towards the training data's words, for the classifier."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_count": 2, "min_length": 4, "cutoff": 0.8}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Iterable[str]] = None) -> None:
        self.config = {**self.get_default_config(), **(config or {})}
        self._storage, self._resource = model_storage, resource
        self.vocabulary = frozenset(vocabulary or ())
        self._by_initial: Dict[str, List[str]] = {}
        for word in sorted(self.vocabulary):
            self._by_initial.setdefault(word[:1], []).append(word)
        self._fixed: Dict[str, Optional[str]] = {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SpellingNormalizer":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SpellingNormalizer":
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        except (ValueError, OSError):
            vocabulary = []
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        counts = Counter(word.lower() for example in training_data.training_examples
                         for word in _WORD.findall(example.get(TEXT) or "") if not word.startswith("<"))
        # What a typo may be corrected to: real words the data uses more than once, and words
        # of the shop's own ("klarna", "postnl") it uses often; a typo of the generated noise
        # that happens to repeat is neither.
        vocabulary = sorted(w for w, n in counts.items()
                            if n >= self.config["min_count"] and (is_real_word(w) or n >= self.config["min_count"] + 1))
        with self._storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(json.dumps(vocabulary), encoding="utf-8")
        return self._resource

    def correction(self, word: str) -> Optional[str]:
        """The training-data word meant, or None to keep the word."""
        lower = word.lower()
        if lower in self._fixed:
            return self._fixed[lower]
        found = None
        if (len(lower) >= self.config["min_length"] and lower not in self.vocabulary and not word.startswith("<")
                and not is_real_word(lower)):
            # The first letter is rarely the one mistyped: look there first, then everywhere.
            for pool in (self._by_initial.get(lower[:1], []), sorted(self.vocabulary)):
                close = difflib.get_close_matches(lower, pool, n=1, cutoff=self.config["cutoff"])
                if close:
                    found = close[0]
                    break
        if len(self._fixed) < 50000:
            self._fixed[lower] = found
        return found

    def corrected(self, text: str) -> str:
        def replace(match: "re.Match[str]") -> str:
            return self.correction(match.group(0)) or match.group(0)
        return _WORD.sub(replace, text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if text:
                example.set(TEXT, self.corrected(text))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            fixed = self.corrected(text)
            if fixed != text:
                if message.get(TYPED_KEY) is None:  # the masker may have kept the text already
                    message.set(TYPED_KEY, text)
                message.set(TEXT, fixed)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SpellingRestore(StatelessComponent):
    """The masked text as the customer typed it, back in the parse."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            typed = message.get(TYPED_KEY)
            if typed is not None:
                message.set(TEXT, typed)
        return messages
