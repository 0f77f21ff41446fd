"""Issue 23: personal data is masked at the door. Before any consent, what the Rasa server
keeps (its tracker, through the HTTP API) and what it sends the action server (recorded by a
proxy between the two, a real HTTP hop) hold placeholders only; the vault holds the values
it took on sight only encrypted (and only minutes: tests/bot/test_consent_and_data_rights.py)."""
from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from typing import List

import pytest
import requests
from faker import Faker

from tests.e2e.conftest import free_port, sender, start, stop, texts, wait_ready

pytestmark = pytest.mark.e2e


class RecordingProxy:
    """Forwards every request to the action server and keeps a copy of each body."""

    def __init__(self, target_port: int) -> None:
        self.bodies: List[bytes] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.bodies.append(body)
                request = urllib.request.Request(f"http://127.0.0.1:{target_port}{self.path}", data=body or None,
                                                 method=self.command,
                                                 headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, data, kind = answer.status, answer.read(), answer.headers.get("Content-Type", "")
                except urllib.error.HTTPError as error:
                    status, data, kind = error.code, error.read(), error.headers.get("Content-Type", "")
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

            def log_message(self, *args) -> None:  # noqa: D102 - quiet
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    actions_port = free_port()
    proxy = RecordingProxy(actions_port)
    instance = start(tmp_path_factory.mktemp("proxied"), actions_port=actions_port,
                     extra_env={"CANDOR_ACTIONS_URL": f"http://127.0.0.1:{proxy.port}/webhook"})
    try:
        wait_ready(instance)
        yield instance, proxy
    finally:
        if instance.process.poll() is None:
            stop(instance)
        proxy.close()


def test_before_consent_the_tracker_and_the_action_servers_requests_hold_placeholders_only(proxied) -> None:
    candor, proxy = proxied
    fake = Faker("nl_NL")
    Faker.seed(4123)
    name, email = fake.name(), f"fake.{fake.user_name()}@example.com"
    phone, street = f"06-{fake.msisdn()[-8:]}", f"{fake.street_name()} {fake.building_number()}"
    customer = sender()
    before = len(proxy.bodies)
    candor.say(customer, f"hi, my name is {name}")
    candor.say(customer, f"you can reach me at {email} or {phone}")
    candor.say(customer, "where is my order?")
    asked = texts(candor.say(customer, f"I don't have the number, my email is {email}"))
    assert any("e-mail address" in t and "(yes / no)" in t for t in asked), asked  # consent asked, not given
    candor.say(customer, f"I live at {street}, {fake.postcode()} {fake.city()}")
    candor.say(customer, "I want to talk to a human")  # the handoff action gets the whole tracker
    calls = [json.loads(body) for body in proxy.bodies[before:] if body]
    assert "action_handoff" in {c.get("next_action") for c in calls} and len(calls) >= 4, [
        c.get("next_action") for c in calls]
    sent = b"".join(proxy.bodies[before:]).decode()
    tracker = json.dumps(requests.get(f"{candor.url}/conversations/{customer}/tracker",
                                      params={"token": candor.token}, timeout=30).json())
    for value in (name, email, phone, street, *name.split()[-1:]):
        assert value not in sent, value
        assert value not in tracker, value
    assert "<EMAIL_ADDRESS_1>" in sent and "<PERSON_1>" in tracker
    # The e-mail address is in the vault, encrypted, waiting for the customer's answer.
    assert candor.query("select count(*) from vault_items where sender_id = ? and entity_type = 'EMAIL_ADDRESS'",
                        customer) == [(1,)]
    stored = b"".join(p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file())
    assert email.encode() not in stored and phone.encode() not in stored
