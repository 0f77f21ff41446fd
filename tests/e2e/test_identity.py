"""Only you see your conversation: the sender id comes from a signed token, over REST and
socket.io; nobody else can read, write or take its replies."""
from __future__ import annotations

import time
from typing import Dict, List

import jwt
import pytest
import requests

from tests.e2e.conftest import sender, texts

pytestmark = pytest.mark.e2e


def _events(candor, customer: str) -> List[Dict]:
    return candor.tracker(customer).get("events") or []


def test_rest_needs_a_token_for_the_sender_and_stores_nothing_without_one(candor) -> None:
    victim, attacker = sender(), sender()
    candor.say(victim, "where is my order?")
    before = len(_events(candor, victim))
    url = f"{candor.url}/webhooks/rest/webhook"
    body = {"sender": victim, "message": "what data do you have about me?"}
    no_token = requests.post(url, json=body, timeout=30)
    assert no_token.status_code == 401 and "sign in" in no_token.json()["error"]
    wrong_sender = requests.post(url, json=body, headers=candor.identity(attacker), timeout=30)
    assert wrong_sender.status_code == 403
    forged = jwt.encode({"sub": victim}, "not-the-shops-key", algorithm="HS256")
    assert requests.post(url, json=body, headers={"Authorization": f"Bearer {forged}"}, timeout=30).status_code == 401
    expired = jwt.encode({"sub": victim, "exp": int(time.time()) - 60}, candor.jwt_secret, algorithm="HS256")
    refused = requests.post(url, json=body, headers={"Authorization": f"Bearer {expired}"}, timeout=30)
    assert refused.status_code == 401 and "expired" in refused.json()["error"]
    streamed = requests.post(f"{url}?stream=true", json=body, headers=candor.identity(victim), timeout=30)
    assert streamed.status_code == 400
    assert len(_events(candor, victim)) == before  # nothing stored, nothing answered
    # The token's sender is the sender when the body names none.
    own = requests.post(url, json={"message": "hi"}, headers=candor.identity(attacker), timeout=60)
    assert own.status_code == 200 and texts(own.json())
    assert any(e["event"] == "user" for e in _events(candor, attacker))


def test_socketio_sender_is_the_tokens_not_the_session_id_a_client_asks_for(candor) -> None:
    import socketio

    victim, attacker = sender(), sender()
    candor.say(victim, "hi")
    before = len(_events(candor, victim))
    received: List[Dict] = []
    confirmed: List[str] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    client.on("session_confirm", lambda data: confirmed.append(data))
    client.connect(candor.url, socketio_path="socket.io")
    try:
        # Asks for the victim's session, proves only the attacker's identity.
        token = candor.jwt(attacker)
        client.emit("session_request", {"session_id": victim, "customData": {"token": token}})
        client.emit("user_uttered", {"message": "where is my order?", "session_id": victim})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(received) < 2:
            time.sleep(0.5)
    finally:
        client.disconnect()
    assert confirmed and confirmed[0] == attacker
    assert len(_events(candor, victim)) == before  # the victim's conversation is untouched
    assert any(e["event"] == "user" for e in _events(candor, attacker))
    # A client without a token is asked to sign in, and nothing runs.
    anonymous: List[Dict] = []
    other = socketio.Client(reconnection=False)
    other.on("bot_uttered", lambda data: anonymous.append(data))
    other.connect(candor.url, socketio_path="socket.io")
    try:
        other.emit("session_request", {"session_id": victim})
        other.emit("user_uttered", {"message": "hi", "session_id": victim})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not anonymous:
            time.sleep(0.5)
    finally:
        other.disconnect()
    assert anonymous and "sign in" in anonymous[0]["text"]
    assert len(_events(candor, victim)) == before


def test_the_data_dir_is_the_owners_only(candor) -> None:
    import stat

    assert stat.S_IMODE(candor.data_dir.stat().st_mode) == 0o700
    loose = [p for p in candor.data_dir.rglob("*") if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []
