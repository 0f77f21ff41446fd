"""The doors an attacker on the network would try: the action server answers only the Rasa
server (the shared secret), and both servers listen on loopback only."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from tests.e2e.conftest import sender

pytestmark = pytest.mark.e2e


def _listening(port: int) -> set:
    """The local addresses a TCP port is listened on (from `ss`, no traffic sent)."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines() if line.strip()}


def _forged_export(candor, customer: str) -> dict:
    return {"next_action": "action_export_data", "sender_id": customer, "version": "3.6.21",
            "tracker": {"sender_id": customer, "slots": {}, "latest_message": {}, "events": [],
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": None},
            "domain": {}}


def test_both_servers_listen_on_loopback_only(candor) -> None:
    assert _listening(candor.port) == {"127.0.0.1"}
    assert _listening(candor.actions_port) == {"127.0.0.1"}


@pytest.mark.parametrize("headers", [{}, {"X-Candor-Action-Secret": "wrong-secret-of-some-length"},
                                     {"X-Candor-Action-Secret": ""}])
def test_a_forged_action_call_is_refused(candor, headers) -> None:
    customer = sender()
    candor.say(customer, "hello")
    url = f"http://127.0.0.1:{candor.actions_port}/webhook"
    refused = requests.post(url, json=_forged_export(candor, customer), headers=headers, timeout=30)
    assert refused.status_code == 401
    assert customer not in refused.text
    assert requests.get(f"http://127.0.0.1:{candor.actions_port}/actions", headers=headers, timeout=30).status_code == 401
    # The health check stays open (nothing in it), and the Rasa server's own calls still work.
    assert requests.get(f"http://127.0.0.1:{candor.actions_port}/health", timeout=30).ok
    assert candor.say(customer, "which payment methods do you accept?")


def test_the_rasa_servers_secret_is_what_the_action_server_wants(candor) -> None:
    secret = (candor.data_dir / "action_secret").read_text().strip()
    assert len(secret) >= 32
    assert oct(os.stat(candor.data_dir / "action_secret").st_mode & 0o777) == "0o600"
    customer = sender()
    answered = requests.post(f"http://127.0.0.1:{candor.actions_port}/webhook",
                             json=_forged_export(candor, customer),
                             headers={"X-Candor-Action-Secret": secret}, timeout=30)
    assert answered.status_code == 200


def test_a_long_conversations_tracker_still_reaches_the_action_server(candor) -> None:
    """The whole tracker goes with every action call: past the customer-facing 64 KB cap
    after some dozens of turns, it must still be taken (from the Rasa server only)."""
    secret = (candor.data_dir / "action_secret").read_text().strip()
    customer = sender()
    call = _forged_export(candor, customer)
    call["tracker"]["events"] = [{"event": "bot", "text": "Our opening hours are ... " * 40, "timestamp": i}
                                 for i in range(600)]
    body = requests.models.complexjson.dumps(call).encode()
    assert len(body) > 4 * 65536
    answered = requests.post(f"http://127.0.0.1:{candor.actions_port}/webhook", data=body,
                             headers={"X-Candor-Action-Secret": secret, "Content-Type": "application/json"},
                             timeout=60)
    assert answered.status_code == 200, answered.text[:300]


def _raw_post(candor, customer, body, headers=None, timeout=60):
    return requests.post(f"{candor.url}/webhooks/rest/webhook", data=body, timeout=timeout,
                         headers={"Content-Type": "application/json", **(headers or {})})


def test_the_body_is_bounded_and_the_token_comes_before_it_is_read(candor) -> None:
    customer = sender()
    huge = b'{"message": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert _raw_post(candor, customer, huge, candor.identity(customer)).status_code == 413
    assert _raw_post(candor, customer, b"{not json", {}).status_code == 401  # no token: not even parsed
    assert _raw_post(candor, customer, b"{not json", candor.identity(customer)).status_code == 400
    for message in (42, ["a"], {"text": "hi"}, None):
        answered = requests.post(f"{candor.url}/webhooks/rest/webhook", json={"message": message},
                                 headers=candor.identity(customer), timeout=30)
        assert answered.status_code == 400 and "'message' must be a string" in answered.json()["error"]
    assert candor.query("select count(*) from events where sender_id = ?", customer) == [(0,)]


def test_one_sender_cannot_send_hundreds_of_turns(candor) -> None:
    customer = sender()
    statuses = [requests.post(f"{candor.url}/webhooks/rest/webhook", json={"message": f"hi {i}"},
                              headers=candor.identity(customer), timeout=60).status_code for i in range(40)]
    assert 429 in statuses and statuses[:5] == [200] * 5
    refused = requests.post(f"{candor.url}/webhooks/rest/webhook", json={"message": "again"},
                            headers=candor.identity(customer), timeout=60)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Nobody else is held back by it.
    other = sender()
    assert candor.say(other, "which payment methods do you accept?")


def test_a_flood_of_hostile_messages_from_one_sender_leaves_other_customers_served(candor) -> None:
    """Heavy messages fired at once by one sender pass the door one at a time (the rest are
    refused), so they occupy one analysis worker: another customer is answered, not withheld."""
    from concurrent.futures import ThreadPoolExecutor

    attacker, other = sender(), sender()
    candor.say(other, "hi")
    hostile = "a." * 2000

    def attack(_: int) -> int:
        return requests.post(f"{candor.url}/webhooks/rest/webhook", json={"message": hostile},
                             headers=candor.identity(attacker), timeout=180).status_code

    with ThreadPoolExecutor(12) as pool:
        flood = [pool.submit(attack, i) for i in range(12)]
        time.sleep(1.0)
        started = time.monotonic()
        answer = [m.get("text", "") for m in candor.say(other, "how long does delivery take?")]
        waited = time.monotonic() - started
        statuses = [f.result() for f in flood]
    assert any("working days" in t for t in answer), answer
    assert waited < 8, waited
    assert statuses.count(429) >= 6, statuses  # one analysed at a time, three waiting, the rest refused
    texts_stored = [e.get("text") for e in candor.tracker(other)["events"] if e.get("event") == "user"]
    assert "[withheld: personal data could not be checked]" not in texts_stored
