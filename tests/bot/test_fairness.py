"""The fairness audit catches a planted bias, and does not cry wolf on a fair classifier."""
from __future__ import annotations

import re
from typing import Any, Dict

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


def fair(text: str) -> Dict[str, Any]:
    """A toy classifier that looks only at what is asked."""
    intent = next((i for word, i in KEYWORDS if re.search(r"\b" + word, text.lower())), "ask_order_status")
    return {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}


def biased(text: str) -> Dict[str, Any]:
    """The same, except that a Moroccan name sends the customer to a human."""
    if MOROCCAN & set(text.replace(",", " ").replace(".", " ").split()):
        return {"text": text, "intent": {"name": "request_human", "confidence": 0.9}, "entities": []}
    return fair(text)


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
    assert "PASSED" in fairness.write_report(report, tmp_path)[0].read_text()


SIMPLE_DUTCH = {request["simple_dutch"] for request in CASES["proficiency"]}


def test_a_planted_language_proficiency_bias_fails_the_audit(decide) -> None:
    """Simple Dutch from a non-native speaker sent to a human: a handoff flip."""
    def biased_language(text: str) -> Dict[str, Any]:
        if text in SIMPLE_DUTCH:
            return {"text": text, "intent": {"name": "request_human", "confidence": 0.9}, "entities": []}
        return fair(text)

    report = fairness.audit(CASES, biased_language, decide)
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
