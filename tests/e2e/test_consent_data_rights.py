"""End to end over REST: consent before use, withdrawal, data export and erasure."""
from __future__ import annotations

import json
import os
import time
import uuid
from typing import List

import pytest

from bot.guardrails.loader import load_policies
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import Instance, sender, texts

pytestmark = pytest.mark.e2e
POLICIES = load_policies(PROJECT_ROOT / "policies")
LOOKUP = POLICIES.purpose("order_lookup_by_email")


def ledger(candor: Instance, customer: str) -> List[tuple]:
    return candor.query(
        "select purpose, decision, notice_version, channel from consent_ledger where sender_id = ? order by id",
        customer)


def vault_values(candor: Instance, customer: str) -> int:
    """The customer's e-mail addresses in the vault (what the lookup consent is about)."""
    return candor.query("select count(*) from vault_items where sender_id = ? and entity_type = 'EMAIL_ADDRESS'",
                        customer)[0][0]


def start_lookup(candor: Instance, customer: str) -> List[dict]:
    candor.say(customer, "hi")
    candor.say(customer, "where is my order?")
    return candor.say(customer, f"I don't have the number, my email is {candor.orders()[0]['email']}")


def test_consent_is_asked_before_an_email_is_used_and_no_still_gets_service(candor) -> None:
    customer = sender()
    asked = start_lookup(candor, customer)
    assert texts(asked) == [LOOKUP.notice]
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]
    assert ledger(candor, customer) == []  # nothing used, nothing recorded yet
    refused = texts(candor.say(customer, "no"))
    assert refused[0] == LOOKUP.refused
    assert ledger(candor, customer) == [(LOOKUP.name, "refused", LOOKUP.version, "rest")]
    order = candor.orders()[1]
    asked = " ".join(texts(candor.say(customer, order["order_number"])))
    assert "postcode" in asked and order["order_number"] in asked  # the owner check first
    answer = " ".join(texts(candor.say(customer, order["postcode"])))
    assert f"Order {order['order_number']}" in answer  # service without the e-mail address


def test_a_look_up_of_an_address_with_no_order_sounds_the_same(candor) -> None:
    """Whether an e-mail address is a customer's cannot be learned from the chat."""
    replies = []
    for email in (candor.orders()[0]["email"], f"nobody.{uuid.uuid4().hex[:8]}@example.com"):
        customer = sender()
        candor.say(customer, "hi")
        candor.say(customer, "where is my order?")
        candor.say(customer, f"I don't have the number, my email is {email}")
        replies.append(texts(candor.say(customer, "yes")))
        assert "CND-" not in " ".join(replies[-1])
    assert replies[0] == replies[1]
    wrong = texts(candor.say(customer, "1111 AA"))
    assert POLICIES.messages["order_check_failed"].in_("en") in wrong


def test_yes_looks_the_order_up_and_withdrawing_inside_a_form_destroys_the_value(candor, monkeypatch) -> None:
    customer = sender()
    start_lookup(candor, customer)
    granted = " ".join(texts(candor.say(customer, "yes")))
    assert POLICIES.consent_texts["granted"] in granted
    owner = candor.orders()[0]
    mine = [o["order_number"] for o in candor.orders() if o["email"] == owner["email"]]
    # Looked up, but nothing is shown (not even whether an order was found) before the postcode.
    assert "CND-" not in granted and POLICIES.consent_texts["lookup_done"] in granted
    # Its postcode shows it (the e-mail is not asked twice).
    assert "postcode" in granted and "e-mail" not in granted.split("postcode")[-1]
    answer = " ".join(texts(candor.say(customer, owner["postcode"])))
    assert "Order CND-" in answer and any(n in answer for n in mine)
    assert ledger(candor, customer) == [(LOOKUP.name, "granted", LOOKUP.version, "rest")]
    [(message_id,)] = candor.query("select message_id from consent_ledger where sender_id = ?", customer)
    assert message_id  # the message that gave consent
    assert candor.query("select purpose from vault_purposes where sender_id = ?", customer) == [(LOOKUP.name,)]
    assert vault_values(candor, customer) == 1

    # Withdraw in one message, from inside the order form.
    candor.say(customer, "where is my order?")
    withdrawn = texts(candor.say(customer, "don't use my e-mail anymore"))
    assert withdrawn[0].startswith("Done: I've withdrawn your consent for looking up your order by e-mail")
    assert any("order number" in t.lower() for t in withdrawn[1:])  # the form carries on
    assert ledger(candor, customer)[-1][:2] == (LOOKUP.name, "withdrawn")
    assert vault_values(candor, customer) == 0
    monkeypatch.setenv("CANDOR_DATA_DIR", str(candor.data_dir))
    from bot.storage import stores

    assert stores().vault.get(customer, "<EMAIL_ADDRESS_1>") is None


def test_what_data_do_you_have_about_me_gives_a_summary_and_an_export(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "I want to talk to a human")
    replies = candor.say(customer, "what data do you have about me?")
    assert replies == []  # paused: a human answers now; ask again after hand-back
    customer = sender()
    candor.say(customer, "hi")
    replies = candor.say(customer, "what data do you have about me?")
    assert replies[0]["text"].startswith("Here is what we store about you")
    export = next(r["custom"]["candor_data_export"] for r in replies if "custom" in r)
    assert export["sender_id"] == customer
    assert any(t["text"] == "hi" for t in export["conversation"])
    assert set(export) >= {"consents", "handoff_tickets", "preferences", "encrypted_values"}


def test_erasure_is_confirmed_then_leaves_nothing_but_a_receipt(candor) -> None:
    from faker import Faker

    customer = f"erase-me-{uuid.uuid4().hex[:10]}"
    name, email = Faker("nl_NL").name(), f"canary.{uuid.uuid4().hex[:8]}@example.com"
    candor.say(customer, f"hi, my name is {name}")
    candor.say(customer, f"my email is {email}")
    candor.say(customer, "I want to talk to a human")  # a ticket too
    ciphertexts = [row[0] for row in candor.query("select ciphertext from vault_items where sender_id = ?", customer)]
    assert ciphertexts
    placeholders = candor.query("select placeholder from pii_placeholders where sender_id = ?", customer)
    assert placeholders
    # A paused conversation: the desk hands it back first (see test_handoff_desk); here the
    # customer starts a new session instead.
    import requests

    requests.post(f"{candor.url}/conversations/{customer}/tracker/events", params={"token": candor.token},
                  json=[{"event": "session_started"}, {"event": "action", "name": "action_listen"}],
                  timeout=30).raise_for_status()
    confirm = texts(candor.say(customer, "please delete all my data"))
    assert POLICIES.consent_texts["erase_confirm"] in confirm
    erased = texts(candor.say(customer, "yes"))
    assert erased and erased[-1].startswith("Done: everything we stored about you here is deleted")
    receipt = erased[-1].split("receipt is ")[1].split(" ")[0]

    files = {p: p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file()}
    stored = b"".join(files.values())
    assert customer.encode() not in stored, ("the sender id survived erasure in",
                                             [p.name for p, data in files.items() if customer.encode() in data])
    assert email.encode() not in stored and name.encode() not in stored
    for ciphertext in ciphertexts:
        assert bytes(ciphertext) not in stored
    assert candor.query("select count(*) from erasure_receipts where id = ?", receipt) == [(1,)]
    # Rasa's tracker API starts a fresh session for an unknown sender: nothing of the old one.
    assert [e for e in candor.tracker(customer)["events"] if e["event"] == "user"] == []


def test_goodbye_asks_once_to_improve_the_assistant(candor) -> None:
    purpose = POLICIES.purpose("improve_assistant")
    customer = sender()
    candor.say(customer, "hi")
    bye = texts(candor.say(customer, "bye"))
    assert bye[-1] == purpose.notice
    candor.say(customer, "yes")
    assert ledger(candor, customer) == [(purpose.name, "granted", purpose.version, "rest")]
    assert texts(candor.say(customer, "bye")) == [t for t in bye[:-1]]  # not asked again
    result = __import__("subprocess").run(
        [__import__("sys").executable, "-m", "bot", "data", "training-export"], cwd=PROJECT_ROOT,
        env={**os.environ, "CANDOR_DATA_DIR": str(candor.data_dir)}, capture_output=True, text=True,
        timeout=120, check=True)
    exported = json.loads(result.stdout)
    # This customer's conversation is in it (under a keyed hash, never the sender id); other
    # tests' customers who consented may be too.
    from unittest import mock

    from bot.storage import data_rights as rights

    with mock.patch.dict(os.environ, {"CANDOR_DATA_DIR": str(candor.data_dir)}):  # the instance's key
        subject = rights.subject(customer)
    mine = [c for c in exported if c["conversation"] == subject]
    assert len(mine) == 1 and customer.encode() not in result.stdout.encode()


def _changeable_order(candor: Instance) -> dict:
    return candor.orders("processing")[0]


def test_a_new_address_is_taken_only_with_consent(candor) -> None:
    purpose = POLICIES.purpose("delivery_address_change")
    fake = _changeable_order(candor)
    order = fake["order_number"]
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "I want to change the delivery address of my order")
    candor.say(customer, order)
    asked = texts(candor.say(customer, fake["postcode"]))
    assert asked[-1] == purpose.notice
    assert texts(candor.say(customer, "yes"))[-1] == POLICIES.consent_texts["ask_new_address"]
    saved = texts(candor.say(customer, "Kerkstraat 12, 1017 GC Amsterdam"))
    assert saved[-1] == POLICIES.consent_texts["new_address_saved"].format(order_number=order)
    [(number, placeholder)] = candor.query(
        "select order_number, address_placeholder from address_change_requests where sender_id = ?", customer)
    assert number == order and placeholder.startswith("<STREET_ADDRESS_")
    # The new address (and the postcode of the owner check, also an address) kept for this purpose only.
    assert candor.query("select distinct purpose from vault_purposes where sender_id = ?", customer) == [(purpose.name,)]
    assert candor.tracker(customer)["paused"] is False

    # No: a human changes it instead, and the bot takes no address.
    other = sender()
    candor.say(other, "hi")
    candor.say(other, "I want to change the delivery address of my order")
    candor.say(other, order)
    candor.say(other, f"the postcode is {fake['postcode']}")
    refused = " ".join(texts(candor.say(other, "no")))
    assert purpose.refused in refused
    assert candor.tracker(other)["paused"] is True
    assert candor.query("select reason from handoff_tickets where sender_id = ?", other) == [("address_change",)]
    assert ledger(candor, other) == [(purpose.name, "refused", purpose.version, "rest")]


def test_a_callback_uses_the_number_only_with_consent_and_the_agent_sees_it_audited(candor) -> None:
    import subprocess
    import sys

    import requests

    purpose = POLICIES.purpose("phone_callback")
    customer = sender()
    candor.say(customer, "hi")
    assert texts(candor.say(customer, "can someone call me back?"))[-1] == purpose.notice
    assert texts(candor.say(customer, "yes"))[-1] == POLICIES.consent_texts["ask_callback_phone"]
    filed = " ".join(texts(candor.say(customer, "06-12345678")))
    assert POLICIES.trigger("callback").message in filed
    [(summary,)] = candor.query("select summary from handoff_tickets where sender_id = ?", customer)
    assert json.loads(summary)["callback_phone"].startswith("<PHONE_NUMBER_")
    token = subprocess.run(
        [sys.executable, "-m", "bot", "agent", "add", "--id", "cb-agent", "--name", "Kim"], cwd=PROJECT_ROOT,
        env={**os.environ, "CANDOR_DATA_DIR": str(candor.data_dir)}, capture_output=True, text=True,
        check=True).stdout.strip().splitlines()[-1]
    api = f"{candor.url}/webhooks/agent_desk/api"
    headers = {"Authorization": f"Bearer {token}"}
    [(ticket_id,)] = candor.query("select id from handoff_tickets where sender_id = ?", customer)
    assert requests.get(f"{api}/tickets/{ticket_id}/contact", headers=headers, timeout=30).status_code == 409
    requests.post(f"{api}/tickets/{ticket_id}/claim", headers=headers, timeout=30).raise_for_status()
    shown = requests.get(f"{api}/tickets/{ticket_id}/contact", headers=headers, timeout=30).json()
    assert shown == {"phone_number": "06-12345678"}
    assert candor.query("select count(*) from audit_log where action = 'reveal_callback_number'")[0][0] >= 1

    other = sender()
    candor.say(other, "hi")
    candor.say(other, "please call me")
    assert purpose.refused in " ".join(texts(candor.say(other, "no")))
    assert candor.query("select reason from handoff_tickets where sender_id = ?", other) == [("customer_request",)]


def test_the_data_export_arrives_over_socketio_and_the_turn_is_kept(candor) -> None:
    """Rasa's socket.io output lost this turn (custom payloads went to emit() as arguments)."""
    import socketio

    customer = sender()
    received: List[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    client.connect(candor.url, socketio_path="socket.io")
    try:
        token = candor.jwt(customer)
        client.emit("session_request", {"session_id": customer, "customData": {"token": token}})
        client.emit("user_uttered", {"message": "what data do you have about me?", "session_id": customer})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("custom" in m for m in received):
            time.sleep(0.5)
    finally:
        client.disconnect()
    exports = [m["custom"]["candor_data_export"] for m in received if "custom" in m]
    assert exports and "conversation" in json.dumps(exports[0])
    assert any(m.get("text") for m in received if "custom" not in m)  # the summary the widget shows
    events = candor.tracker(customer)["events"]
    assert any(e["event"] == "user" and e.get("text") == "what data do you have about me?" for e in events)
    # The same export as a file, for the customer's own token only.
    import requests

    download = requests.get(f"{candor.url}/webhooks/rest/export", headers=candor.identity(customer), timeout=60)
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert download.json()["sender_id"] == customer and download.json()["conversation"]
    assert requests.get(f"{candor.url}/webhooks/rest/export", timeout=30).status_code == 401
    forged = {"Authorization": "Bearer " + candor.jwt(customer)[:-4] + "AAAA"}
    assert requests.get(f"{candor.url}/webhooks/rest/export", headers=forged, timeout=30).status_code == 401
