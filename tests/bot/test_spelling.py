"""Typing errors are corrected towards the training data's words, for the classifier only
(issue 22): real words, placeholders, numbers and button payloads are left alone."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu_spelling import SpellingNormalizer, SpellingRestore

VOCABULARY = {"where", "is", "my", "order", "refund", "payment", "cancel", "bestelling", "invoice", "account",
              "newsletter", "unsubscribe", "klarna", "the", "lamp"}


@pytest.fixture(scope="module")
def normalizer():
    return SpellingNormalizer({}, None, None, VOCABULARY)


@pytest.mark.parametrize("typed, meant", [
    ("wher is my ordr", "where is my order"),
    ("I want a refnud for my paymnet", "I want a refund for my payment"),
    ("mijn bestleling", "mijn bestelling"),
    ("send my invocie", "send my invoice"),
    # Real words stay, however close to a shop word; so do placeholders, numbers, short words.
    ("can I change my accent", "can I change my accent"),
    ("<PERSON_1> here, CND-123456", "<PERSON_1> here, CND-123456"),
    ("hwo", "hwo"),
    ("klarna", "klarna"),
])
def test_typing_errors_are_corrected_and_nothing_else(normalizer, typed, meant) -> None:
    assert normalizer.corrected(typed) == meant


def test_the_parse_keeps_the_text_as_typed(normalizer) -> None:
    message = Message(data={TEXT: "wher is my ordr"})
    normalizer.process([message])
    assert message.get(TEXT) == "where is my order"   # what the classifier reads
    SpellingRestore().process([message])
    assert message.get(TEXT) == "wher is my ordr"     # what the parse and the tracker keep
    payload = Message(data={TEXT: "/cancel_ordr"})
    assert normalizer.process([payload])[0].get(TEXT) == "/cancel_ordr"


def test_the_vocabulary_is_what_the_training_data_says_more_than_once(tmp_path) -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(tmp_path)
    resource = Resource("spelling")
    examples = [Message(data={TEXT: text, "intent": "ask_refund"}) for text in
                ("where is my refund", "refund please", "where is it", "whree is my rfund", "klarna ok",
                 "klarna?", "klarna please", "rfund")]
    trainer = SpellingNormalizer.create({}, storage, resource, None)
    trainer.train(TrainingData(examples))
    loaded = SpellingNormalizer.load({}, storage, resource, None)
    assert "refund" in loaded.vocabulary and "klarna" in loaded.vocabulary
    assert "rfund" not in loaded.vocabulary   # a typo twice is still no word
    data = loaded.process_training_data(TrainingData([Message(data={TEXT: "whree is my rfund"})]))
    assert data.training_examples[0].get(TEXT) == "where is my refund"
