"""Bounded work per message: no pattern and no recognizer runs unbounded on hostile input.

Not a speed benchmark: each check asserts the bound (the time limit on a pattern, the
fail-closed time limit of the masker), with a wide margin.
"""
from __future__ import annotations

import time

import pytest

from bot.guardrails.loader import policies

HOSTILE = ["you're a bot " * 1600, "a'" * 10000, "is there a real person typing " * 700,
           "trek " * 4000 + "x", "a" * 20000, "I'm " * 5000, "a." * 10000, "1-" * 10000, "a\n" * 10000,
           ("x" * 60 + "@") * 330, "http://a" * 2500]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:12]))
def test_every_guardrail_pattern_is_bounded_on_20kb(text: str) -> None:
    from bot.guardrails.loader import PATTERN_TIMEOUT_SECONDS

    patterns = sum(len(rule.compiled) for rule in policies().pattern_rules)
    started = time.monotonic()
    policies().match_pattern(text)
    # Each pattern stops at its time limit at the very worst.
    assert time.monotonic() - started < PATTERN_TIMEOUT_SECONDS * patterns + 2


def test_the_masker_fails_closed_on_hostile_input(data_dir) -> None:
    """Candor's recognizers stop at their time limit; past it, nothing raw is kept."""
    from bot.pii.conversation import WITHHELD, ConversationMasker

    masker = ConversationMasker("conv-hostile")
    masked = masker.mask_text("a'" * 10000)
    # On this machine a recognizer reaches its limit: the marker is kept, not the text.
    # A machine fast enough to finish in time keeps the checked text instead.
    assert (masked.text == WITHHELD and masker.failed) or (not masker.failed and "a'a'" in masked.text)


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:12]))
def test_every_recognizer_is_bounded_on_20kb(text: str) -> None:
    """Each recognizer, Presidio's own included, stops at its patterns' time limit (raising
    TimeoutError, which the masker turns into the withheld marker) or finishes sooner."""
    from bot.pii.engine import engine
    from bot.pii.recognizers.base import PATTERN_TIMEOUT

    pii = engine()
    artifacts = pii.nlp_engine.process_text(text, pii.policy.language)
    for recognizer in [*pii.baseline.registry.recognizers, *pii.own_recognizers]:
        patterns = len(getattr(recognizer, "patterns", None) or []) or 1
        started = time.monotonic()
        try:
            recognizer.analyze(text, recognizer.supported_entities, artifacts)
        except TimeoutError:
            pass
        took = time.monotonic() - started
        assert took < PATTERN_TIMEOUT * patterns + 3, f"{recognizer.name} took {took:.1f}s"
