"""The fairness audit catches a planted bias, and does not cry wolf on a fair classifier."""
from __future__ import annotations

import re
from typing import Any, Callable, Dict

import pytest

from bot import fairness

CASES = fairness.load_cases()
MOROCCAN = set(" ".join(CASES["attributes"]["name"]["moroccan"]).split())
KEYWORDS = [("human", "request_human"), ("person", "request_human"), ("complaint", "escalate_complaint"),
            ("return", "ask_returns"), ("refund", "ask_refund"), ("address", "change_address"),
            ("hours", "ask_opening_hours"), ("pay", "ask_payment_methods"),
            # Dutch, and what the proficiency requests ask (the toy knows each language alike)
            ("passed away", "bereavement"), ("overleden", "bereavement"), ("dood", "bereavement"),
            ("computer", "opt_out"), ("robot", "ask_is_bot"), ("medewerker", "request_human"),
            ("employee", "request_human"), ("mens\\b", "request_human"), ("klacht", "escalate_complaint"),
            ("retour", "ask_returns"), ("terug sturen", "ask_returns"), ("money back", "ask_refund"),
            ("geld terug", "ask_refund"), ("openingstijden", "ask_opening_hours"), ("open", "ask_opening_hours"),
            ("betal", "ask_payment_methods"), ("bank", "ask_payment_methods"), ("damaged", "complain"),
            ("beschadigd", "complain"), ("kapot", "complain"), ("deliver", "ask_delivery_times"),
            ("bezorg", "ask_delivery_times")]


# Each writing-style variant, and the clean request it stands for (a fair reader understands both).
WRITTEN = {text: request["clean"] for request in CASES["writing_style"]
           for text in fairness.writing_styles(request).values()}
TYPOS = {fairness.writing_styles(request)["typos"] for request in CASES["writing_style"]}


def fair(text: str) -> Dict[str, Any]:
    """A toy classifier that looks only at what is asked."""
    asked = WRITTEN.get(text, text)
    intent = next((i for word, i in KEYWORDS if re.search(r"\b" + word, asked.lower())), "ask_order_status")
    return {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}


def planted(bias_on: Callable[[str], bool], intent: str, confidence: float = 0.9) -> Callable[[str], Dict[str, Any]]:
    """The fair classifier with a bias planted: `intent` for every text `bias_on` picks."""
    def parse(text: str) -> Dict[str, Any]:
        if bias_on(text):
            return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
        return fair(text)
    return parse


# The same, except that a Moroccan name sends the customer to a human.
biased = planted(lambda text: bool(MOROCCAN & set(text.replace(",", " ").replace(".", " ").split())), "request_human")


@pytest.fixture(scope="module")
def decide():
    return fairness.policy_decider()


def test_a_planted_name_bias_fails_the_audit(decide, tmp_path) -> None:
    report = fairness.audit(CASES, biased, decide)
    assert not report.passed
    rows = {(r["attribute"], r["group"]): r for r in report.table}
    assert rows[("name", "moroccan")]["intent_flips"] > 0
    assert rows[("name", "moroccan")]["handoff_flips"] > 0
    assert all(r["intent_flips"] == 0 for key, r in rows.items() if key != ("name", "moroccan"))
    assert any(f["group"] == "moroccan" and "handoff" in f["kinds"] for f in report.flips)
    markdown, chart = fairness.write_report(report, tmp_path)
    assert "FAILED" in markdown.read_text() and "moroccan" in markdown.read_text()
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_fair_classifier_passes(decide, tmp_path) -> None:
    report = fairness.audit(CASES, fair, decide)
    assert report.passed, report.flips
    assert report.comparisons > 200 and report.intent_flip_rate == 0
    assert report.proficiency_comparisons == 2 * len(CASES["proficiency"]) and report.proficiency_flip_rate == 0
    assert report.writing_comparisons == 3 * len(CASES["writing_style"]) and report.writing_flips == 0
    assert "PASSED" in fairness.write_report(report, tmp_path)[0].read_text()


def test_typos_that_change_the_answer_fail_the_audit(decide) -> None:
    """A customer who makes typing errors told "I didn't understand": a writing-style flip."""
    report = fairness.audit(CASES, planted(TYPOS.__contains__, "nlu_fallback", 0.3), decide)
    assert not report.passed and report.writing_flips == len(CASES["writing_style"])
    rows = {(r["attribute"], r["group"]): r for r in report.table}
    assert rows[("writing_style", "typos")]["intent_flips"] == len(CASES["writing_style"])
    assert rows[("writing_style", "no_punctuation")]["intent_flips"] == 0
    # Every typo variant is really different from its clean request, and made the same each time.
    assert all(fairness.writing_styles(r)["typos"] != r["clean"] for r in CASES["writing_style"])
    assert [fairness.writing_styles(r)["typos"] for r in CASES["writing_style"]] == \
        [fairness.writing_styles(r)["typos"] for r in CASES["writing_style"]]


SIMPLE_DUTCH = {request["simple_dutch"] for request in CASES["proficiency"]}


def test_a_planted_language_proficiency_bias_fails_the_audit(decide) -> None:
    """Simple Dutch from a non-native speaker sent to a human: a handoff flip."""
    report = fairness.audit(CASES, planted(SIMPLE_DUTCH.__contains__, "request_human"), decide)
    assert not report.passed and report.proficiency_flip_rate > 0
    rows = {(r["attribute"], r["group"]): r for r in report.table}
    assert rows[("language_proficiency", "simple_dutch")]["handoff_flips"] > 0
    assert rows[("language_proficiency", "english")]["handoff_flips"] == 0


def test_every_attribute_group_is_compared_with_like() -> None:
    variants = list(fairness.expand(CASES))
    names = [v for v in variants if v.attribute == "name"]
    assert {v.group for v in names} == set(CASES["attributes"]["name"])
    # each message is varied in one attribute only: no placeholder is left unfilled
    assert all("{" not in v.text for v in variants)
