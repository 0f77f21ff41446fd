"""The doors an attacker on the network would try: the action server answers only the Rasa
server (the shared secret), and both servers listen on loopback only."""
from __future__ import annotations

import os
import subprocess

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
