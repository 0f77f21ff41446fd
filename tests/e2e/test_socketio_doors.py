"""socket.io's doors: a socket belongs to one customer, an unsigned socket is closed after a
few messages, a page from another origin cannot connect, and frames are bounded."""
from __future__ import annotations

import time
from typing import Dict, List

import pytest

from bot.guardrails.loader import load_policies
from tests.e2e.conftest import sender

pytestmark = pytest.mark.e2e
MESSAGES = load_policies().messages


def _events(candor, who: str) -> List[Dict]:
    return candor.tracker(who)["events"]


def _client(received: List[Dict]):
    import socketio

    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    return client


def _wait(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_a_socket_signed_in_as_one_customer_cannot_speak_for_another(candor) -> None:
    first, second = sender(), sender()
    received: List[Dict] = []
    client = _client(received)
    client.connect(candor.url, socketio_path="socket.io", auth={"token": candor.jwt(first)})
    try:
        client.emit("user_uttered", {"message": "hi", "customData": {"token": candor.jwt(first)}})
        assert _wait(lambda: len(received) >= 1)
        received.clear()
        client.emit("user_uttered", {"message": "where is my order?", "customData": {"token": candor.jwt(second)}})
        assert _wait(lambda: any(MESSAGES["other_customer"].in_("en") in m.get("text", "") for m in received))
    finally:
        client.disconnect()
    assert not any(e["event"] == "user" for e in _events(candor, second))
    assert not any(e.get("text") == "where is my order?" for e in _events(candor, first))


def test_an_unsigned_socket_is_closed_after_a_few_messages(candor) -> None:
    received: List[Dict] = []
    client = _client(received)
    client.connect(candor.url, socketio_path="socket.io")
    try:
        for number in range(8):
            if not client.connected:
                break
            client.emit("user_uttered", {"message": f"hello {number}"})
            time.sleep(0.2)
        assert _wait(lambda: not client.connected, 10)
    finally:
        if client.connected:
            client.disconnect()
    sign_in = [m for m in received if m.get("text") == MESSAGES["sign_in"].in_("en")]
    assert 1 <= len(sign_in) <= 5


def test_a_page_of_another_origin_cannot_connect(candor) -> None:
    import socketio

    refused = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(candor.url, socketio_path="socket.io", headers={"Origin": "https://evil.example"},
                        transports=["polling"])
    allowed = socketio.Client(reconnection=False)
    allowed.connect(candor.url, socketio_path="socket.io", headers={"Origin": f"http://127.0.0.1:{candor.page_port}"},
                    transports=["polling"])
    assert allowed.connected
    allowed.disconnect()


def test_a_frame_larger_than_64_kb_is_refused_before_it_is_read(candor) -> None:
    customer = sender()
    received: List[Dict] = []
    client = _client(received)
    client.connect(candor.url, socketio_path="socket.io", auth={"token": candor.jwt(customer)},
                   transports=["polling"])
    try:
        client.emit("user_uttered", {"message": "x" * 100_000})  # engine.io answers 413
        time.sleep(5)
    finally:
        client.disconnect()
    assert received == []
    assert not any(e["event"] == "user" for e in _events(candor, customer))
    # A message of an ordinary size from the same customer goes through.
    again: List[Dict] = []
    client = _client(again)
    client.connect(candor.url, socketio_path="socket.io", auth={"token": candor.jwt(customer)},
                   transports=["polling"])
    try:
        client.emit("user_uttered", {"message": "hi"})
        assert _wait(lambda: again)
    finally:
        client.disconnect()
