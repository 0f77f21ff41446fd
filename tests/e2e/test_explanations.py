"""End to end over REST: "why?" after an answer, a fallback and a handoff; `bot explain`."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.guardrails.loader import load_policies
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import sender, texts

pytestmark = pytest.mark.e2e
EXPLAIN = load_policies(PROJECT_ROOT / "policies").explanations


def test_why_after_an_answer(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "how do I return something?")
    [why] = texts(candor.say(customer, "why did you say that?"))
    assert EXPLAIN["intents"]["ask_returns"] in why and EXPLAIN["texts"]["answered"] in why
    assert "ask_returns" not in why


def test_why_after_a_fallback(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "blorp zzkk vrrt")
    [why] = texts(candor.say(customer, "why?"))
    assert EXPLAIN["texts"]["fallback"] in why


def test_why_after_a_handoff_while_a_person_has_the_conversation(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "I want to file a formal complaint")
    assert candor.tracker(customer)["paused"] is True
    [why] = texts(candor.say(customer, "why are you transferring me?"))
    assert "rule complaint_escalation" in why and EXPLAIN["rules"]["complaint_escalation"] in why
    assert candor.tracker(customer)["paused"] is True  # still with the human
    assert candor.say(customer, "ok thanks") == []  # and no AI answers otherwise


def test_operators_see_each_turn_with_rule_ids(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "my lawyer will be in touch")
    result = subprocess.run([sys.executable, "-m", "bot", "explain", "--sender", customer], cwd=PROJECT_ROOT,
                            env={**os.environ, "CANDOR_DATA_DIR": str(candor.data_dir)},
                            capture_output=True, text=True, timeout=120, check=True)
    assert "intent legal_threat" in result.stdout
    assert "guardrail: rule legal_threat (handoff), reason legal, priority high" in result.stdout
    assert "action action_handoff (by" in result.stdout
