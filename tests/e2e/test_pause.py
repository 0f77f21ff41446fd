"""The pause holds: a new session or /restart does not take the conversation from the human,
and an urgent message still gets its crisis lines and raises the ticket."""
from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.conftest import sender, texts

pytestmark = pytest.mark.e2e


def _ticket(candor, customer: str):
    rows = candor.query("select priority, transcript, status from handoff_tickets where sender_id = ?", customer)
    assert len(rows) == 1
    priority, transcript, status = rows[0]
    return priority, json.loads(transcript) if isinstance(transcript, str) else transcript, status


def _start_new_session(candor, customer: str) -> None:
    """What an hour of silence leads to: Rasa runs action_session_start."""
    response = requests.post(f"{candor.url}/conversations/{customer}/execute", params={"token": candor.token},
                             json={"name": "action_session_start"}, timeout=60)
    response.raise_for_status()


@pytest.mark.parametrize("how", ["new session", "restart"])
def test_the_pause_holds_after_a_new_session_or_a_restart(candor, how: str) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "I want to talk to a human")
    assert candor.tracker(customer)["paused"] is True
    if how == "new session":
        _start_new_session(candor, customer)
    else:
        candor.say(customer, "/restart")
    replies = texts(candor.say(customer, "are you still there? my parcel is lost"))
    assert candor.tracker(customer)["paused"] is True
    assert not any("How can I help" in t for t in replies)  # no AI answer
    priority, transcript, status = _ticket(candor, customer)
    assert status == "open" and any("my parcel is lost" in line["text"] for line in transcript)


def test_a_crisis_while_paused_gets_crisis_lines_and_raises_the_ticket(candor) -> None:
    customer = sender()
    candor.say(customer, "I want to talk to a human")
    assert _ticket(candor, customer)[0] == "normal"
    replies = " ".join(texts(candor.say(customer, "i want to kill myself")))
    assert "113" in replies  # the crisis line (domain response utter_crisis_support)
    assert _ticket(candor, customer)[0] == "urgent"
    assert candor.tracker(customer)["paused"] is True
