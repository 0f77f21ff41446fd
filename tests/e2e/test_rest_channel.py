"""End to end: `make run`'s servers on free ports with a temporary data dir, over REST."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from bot.guardrails.loader import load_policies
from bot.constants import CandorMeta
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import Instance, children_of, sender, stop, texts

pytestmark = pytest.mark.e2e
POLICIES = load_policies(PROJECT_ROOT / "policies")


def test_first_reply_discloses_then_answers_in_the_same_turn(candor) -> None:
    replies = texts(candor.say(sender(), "what payment methods do you accept?"))
    assert POLICIES.disclosure["disclosure"] in replies[0]
    assert "AI" in replies[0] and "human" in replies[0]
    assert any("iDEAL" in t for t in replies[1:])


def test_disclosure_version_is_recorded_in_the_tracker(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    tracker = candor.tracker(customer)
    assert tracker["slots"]["disclosure_version"] == POLICIES.disclosure_version
    bots = [e for e in tracker["events"] if e["event"] == "bot"]
    assert CandorMeta.read(bots[0]["metadata"]).disclosure_version == POLICIES.disclosure_version
    assert bots[0]["text"] == POLICIES.disclosure_message()


def test_are_you_human_is_answered_truthfully(candor) -> None:
    customer = sender()
    candor.say(customer, "hello")
    replies = texts(candor.say(customer, "are you a human?"))
    assert replies == [POLICIES.disclosure["is_bot_answer"]]
    assert candor.tracker(customer)["paused"] is False


def test_are_you_a_bot_mid_form_resumes_the_form(candor) -> None:
    customer = sender()
    candor.say(customer, "where is my order?")
    replies = texts(candor.say(customer, "wait, am I talking to a bot?"))
    assert replies[0] == POLICIES.disclosure["is_bot_answer"]
    assert "order number" in replies[-1]
    order = candor.orders("shipped")[0]
    asked = " ".join(texts(candor.say(customer, f"it's {order['order_number']}")))
    assert "postcode" in asked and "shipped" not in asked  # nothing shown before the owner check
    answer = " ".join(texts(candor.say(customer, order["email"])))  # the e-mail it was placed with
    assert order["order_number"] in answer and "shipped" in answer


def test_goodbye_inside_the_order_form_ends_it_and_asks_about_improvement_once(candor) -> None:
    customer = sender()
    candor.say(customer, "where is my order?")
    replies = texts(candor.say(customer, "never mind, goodbye"))
    improve = POLICIES.purpose("improve_assistant").notice
    assert replies.count(improve) == 1, replies
    assert not any("order number" in t for t in replies), replies
    after = texts(candor.say(customer, "yes"))
    assert not any("order number" in t for t in after), after
    assert candor.query("select purpose, decision from consent_ledger where sender_id = ?", customer) == [
        ("improve_assistant", "granted")]
    assert candor.tracker(customer)["active_loop"] in ({}, None) or not candor.tracker(customer)["active_loop"].get("name")


def test_an_order_is_shown_only_after_the_owner_check(candor) -> None:
    order = candor.orders("shipped")[1]
    customer = sender()
    asked = " ".join(texts(candor.say(customer, f"where is order {order['order_number']}?")))
    assert "postcode" in asked and "shipped" not in asked
    wrong = " ".join(texts(candor.say(customer, "1111 AA")))
    assert "don't match" in wrong and "shipped" not in wrong
    # Several postcodes in one message: none is tried (each counts), one at a time.
    several = " ".join(texts(candor.say(
        customer, f"it is either postcode 1111 AA or postcode 2222 BB or postcode {order['postcode']}, "
                  "I am not sure which one of them")))
    one_at_a_time = load_policies().messages["order_one_fact"]
    assert any(one_at_a_time.in_(language) in several for language in ("en", "nl")), several
    assert "shipped" not in several and "verzonden" not in several
    answer = " ".join(texts(candor.say(customer, f"postcode {order['postcode']}")))
    assert order["order_number"] in answer and "shipped" in answer
    # Nothing of the postcode is stored raw.
    stored = b"".join(p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file())
    assert order["postcode"].encode() not in stored and order["postcode"].replace(" ", "").encode() not in stored


def test_routine_question_is_answered_and_not_paused(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    replies = texts(candor.say(customer, "how long does delivery take?"))
    assert any("working days" in t for t in replies)
    assert candor.tracker(customer)["paused"] is False
    assert candor.query("select count(*) from handoff_tickets where sender_id = ?", customer) == [(0,)]


def test_opt_out_takes_one_message_pauses_records_and_files_one_ticket(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    confirmed = " ".join(texts(candor.say(customer, "I don't want a bot")))
    assert POLICIES.opt_out["confirmed"] in confirmed
    tracker = candor.tracker(customer)
    assert tracker["paused"] is True
    assert tracker["slots"]["ai_opt_out"] is True
    assert tracker["slots"]["guardrail_decision"]["rule"] == "opted_out"
    assert candor.query(
        "select reason, priority, status from handoff_tickets where sender_id = ?", customer
    ) == [("opt_out", "normal", "open")]
    assert candor.query(
        "select ai_opt_out from customer_preferences where sender_id = ?", customer
    ) == [(1,)]
    # While paused, the AI stays silent; the message goes to the human's ticket.
    assert candor.say(customer, "hello? where is my order") == []
    transcript = json.loads(candor.query(
        "select transcript from handoff_tickets where sender_id = ?", customer)[0][0])
    assert transcript[-1]["from"] == "customer" and transcript[-1]["text"] == "hello? where is my order"
    assert [line["text"] for line in transcript].count("I don't want a bot") == 1


def _new_session(candor: Instance, customer: str) -> None:
    """What a later conversation looks like to Rasa: a new session in the same tracker."""
    response = requests.post(
        f"{candor.url}/conversations/{customer}/tracker/events",
        params={"token": candor.token},
        json=[{"event": "session_started"}, {"event": "action", "name": "action_listen"}],
        timeout=30,
    )
    response.raise_for_status()


def test_a_later_conversation_of_an_opted_out_customer_goes_to_a_human(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "I object to automated processing")
    _new_session(candor, customer)
    replies = texts(candor.say(customer, "how do I return something?"))
    assert POLICIES.disclosure["disclosure"] in replies[0]
    assert any(POLICIES.opt_out["returning"] in t for t in replies)
    assert not any("30 days" in t for t in replies), "the AI answered an opted-out customer"
    assert candor.tracker(customer)["paused"] is True
    assert candor.query("select count(*) from handoff_tickets where sender_id = ?", customer) == [(1,)]
    # ...and can opt back in; the opt-out ticket is then done with.
    _new_session(candor, customer)
    assert any(POLICIES.opt_out["opted_in"] in t for t in texts(candor.say(customer, "opt in")))
    assert any("iDEAL" in t for t in texts(candor.say(customer, "how can I pay?")))
    assert candor.query("select status from handoff_tickets where sender_id = ?", customer) == [("closed",)]


def test_asking_for_a_human_hands_off(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    replies = texts(candor.say(customer, "can I talk to a real person please"))
    assert any(POLICIES.trigger("customer_asks_for_human").message in t for t in replies)
    assert candor.tracker(customer)["paused"] is True
    assert candor.query("select reason from handoff_tickets where sender_id = ?", customer) == [
        ("customer_request",)
    ]


def test_bad_input_gets_a_clear_error_and_nothing_is_lost(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    bad = requests.post(
        f"{candor.url}/webhooks/rest/webhook",
        data=b"{not json",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert 400 <= bad.status_code < 500
    odd = candor.say(customer, "\u202e\u0000 \U0001f600\u200b" * 50)
    assert odd and odd[0]["text"]
    started = time.monotonic()
    huge = candor.say(customer, "where is my order " * 2000)
    assert "too long" in texts(huge)[0] and time.monotonic() - started < 5
    assert "where is my order where is my order" not in json.dumps(candor.tracker(customer))
    assert any("working days" in t for t in texts(candor.say(customer, "how long does delivery take?")))


def test_hostile_input_does_not_hold_up_another_conversation_and_fails_closed(candor) -> None:
    """4,000 characters that make a pattern grind: analysed off the event loop, withheld at
    the time limit (a human takes over), while another customer is answered meanwhile."""
    import threading

    attacker, other = sender(), sender()
    candor.say(attacker, "hi")
    candor.say(other, "hi")
    hostile = "a." * 2000
    finished = {}

    def attack() -> None:
        finished["replies"] = candor.say(attacker, hostile)
        finished["at"] = time.monotonic()

    thread = threading.Thread(target=attack)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    answer = texts(candor.say(other, "how long does delivery take?"))
    answered = time.monotonic()
    thread.join(timeout=120)
    assert any("working days" in t for t in answer)
    assert answered - started < 5  # unbounded, that pattern alone held the server for 25 s
    tracker = candor.tracker(attacker)
    assert hostile not in json.dumps(tracker)
    assert "[withheld: personal data could not be checked]" in [e.get("text") for e in tracker["events"]]
    assert tracker["paused"] is True  # a human takes over what could not be checked


def test_the_api_needs_the_token(candor) -> None:
    customer = sender()
    candor.say(customer, "hi")
    assert requests.get(f"{candor.url}/conversations/{customer}/tracker", timeout=30).status_code == 401


def test_the_api_token_is_on_no_command_line(candor) -> None:
    """`ps` shows every process's command line to every user of the machine."""
    from tests.e2e.conftest import children_of

    processes = [candor.process.pid, *children_of(candor.process.pid)]
    lines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes if Path(f"/proc/{pid}/cmdline").exists()]
    assert any(b"rasa-run" in line for line in lines)  # the Rasa server is among them
    assert not any(candor.token.encode() in line for line in lines)


def test_two_instances_run_side_by_side_with_their_own_state(instances) -> None:
    first, second = instances
    assert first.port != second.port and first.data_dir != second.data_dir
    customer = sender()
    second.say(customer, "hi")
    second.say(customer, "agent please")
    assert second.query("select count(*) from handoff_tickets where sender_id = ?", customer) == [(1,)]
    assert first.query("select count(*) from handoff_tickets where sender_id = ?", customer) == [(0,)]
    # State lives in the data dir: the SQLite tracker store, not memory.
    assert second.query("select count(*) from events where sender_id = ?", customer)[0][0] > 0


def test_debug_logs_hold_no_personal_data(instances) -> None:
    debug = instances[1]
    canary = _canaries()
    customer = sender()
    debug.say(customer, f"hi, my name is {canary['name']}")
    debug.say(customer, f"mail me at {canary['email']} or call {canary['phone']}")
    debug.say(customer, f"refund to {canary['iban']}, i live at {canary['address']}")
    time.sleep(3)  # the log pump runs beside the server
    logs = b"".join(p.read_bytes() for p in (debug.data_dir / "logs").glob("*.log"))
    assert b"DEBUG" in logs  # debug logging is really on
    for kind, value in canary.items():
        if kind in ("card", "bsn"):
            continue
        assert value.encode() not in logs, f"raw {kind} in the debug log"
        assert json.dumps(value)[1:-1].encode() not in logs


def test_sigint_stops_both_servers_without_orphans(instances) -> None:
    second = instances[1]
    children = children_of(second.process.pid)
    assert len(children) == 2
    assert stop(second) == 0
    time.sleep(1)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []


def _canaries() -> Dict[str, str]:
    """Obviously fake personal data, generated for this run (never committed)."""
    from faker import Faker

    Faker.seed(20261126)
    nl = Faker("nl_NL")
    digits = [int(c) for c in f"{uuid.uuid4().int % 10**8:08d}"]
    digits[0] = digits[0] or 1
    check = sum(d * w for d, w in zip(digits, range(9, 1, -1))) % 11
    while check == 10:  # eleven-test needs a single check digit
        digits[7] = (digits[7] + 1) % 10
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1))) % 11
    return {
        "name": f"{nl.first_name()} {nl.last_name()}".lower(),
        "email": f"canary.{uuid.uuid4().hex[:8]}@example.com",
        "phone": f"06-{uuid.uuid4().int % 10**8:08d}",
        "iban": nl.iban(),
        "card": Faker().credit_card_number(card_type="visa16"),
        "bsn": "".join(map(str, digits + [check])),
        "address": f"{nl.street_name()} {uuid.uuid4().int % 200 + 1}, {nl.postcode()} {nl.city()}",
    }


def test_no_personal_data_at_rest_anywhere_in_the_data_dir(candor) -> None:
    canary = _canaries()
    customer = sender()
    greeting = texts(candor.say(customer, f"hi, this is {canary['name']} speaking"))
    assert any("How can I help" in t for t in greeting), greeting  # a name is not a reason for a human
    candor.say(customer, f"my email is {canary['email']} and my phone is {canary['phone']}")
    warned = texts(candor.say(customer, f"my card is {canary['card']} and bsn {canary['bsn']}"))
    assert load_policies(PROJECT_ROOT / "policies").pii.sensitive_data_warning.in_("en") in warned
    candor.say(customer, f"refund to {canary['iban']} please, order CND-100002 for the Oak side table")
    candor.say(customer, f"i live at {canary['address']}")
    candor.say(customer, "where is order CND-100002?")
    candor.say(customer, "I want to talk to a human")  # a ticket with the transcript
    tracker_json = requests.get(
        f"{candor.url}/conversations/{customer}/tracker", params={"token": candor.token}, timeout=30
    ).text
    stored = b"".join(p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file())
    for kind, value in canary.items():
        for form in {value, json.dumps(value)[1:-1], value.replace(" ", "")}:
            assert form.encode() not in stored, f"raw {kind} found in the data dir"
            assert form not in tracker_json, f"raw {kind} in the tracker API"
    # What the shop needs is kept intact.
    assert b"CND-100002" in stored and b"Oak side table" in stored
    assert "<PERSON_1>" in tracker_json and "<EMAIL_ADDRESS_1>" in tracker_json
    transcript = candor.query("select transcript from handoff_tickets where sender_id = ?", customer)[0][0]
    assert "<PERSON_1>" in transcript and "CND-100002" in transcript


def test_socketio_channel_discloses_first_and_answers(candor) -> None:
    """The web-chat channel: the same guarantees over socket.io."""
    import socketio

    received: List[Dict] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    session = sender()
    client.connect(candor.url, socketio_path="socket.io")
    try:
        client.emit("session_request", {"session_id": session, "customData": {"token": candor.jwt(session)}})
        client.emit("user_uttered", {"message": "how can I pay?", "session_id": session})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("iDEAL" in m.get("text", "") for m in received):
            time.sleep(0.5)
    finally:
        client.disconnect()
    replies = [m.get("text", "") for m in received]
    assert replies and POLICIES.disclosure["disclosure"] in replies[0]
    assert any("iDEAL" in t for t in replies)


def test_what_a_client_sends_besides_the_text_is_data(candor) -> None:
    """Metadata and input_channel are masked before storage; deep nesting is a 400."""
    canary = _canaries()
    customer = sender()
    url = f"{candor.url}/webhooks/rest/webhook"
    body = {"sender": customer, "message": "where is my order?", "input_channel": f"app of {canary['email']}",
            "metadata": {"customer": canary["name"].title(), canary["email"]: {"phone": canary["phone"]}}}
    answered = requests.post(url, json=body, headers=candor.identity(customer), timeout=60)
    assert answered.status_code == 200 and answered.json()
    deep: Dict = {}
    for _ in range(50):
        deep = {"x": deep}
    refused = requests.post(url, json={"sender": customer, "message": "hi", "metadata": deep},
                            headers=candor.identity(customer), timeout=30)
    assert refused.status_code == 400 and "nested" in refused.json()["error"]
    not_an_object = requests.post(url, json={"sender": customer, "message": "hi", "metadata": "x"},
                                  headers=candor.identity(customer), timeout=30)
    assert not_an_object.status_code == 400
    tracker = json.dumps(candor.tracker(customer))
    stored = b"".join(p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file())
    for value in (canary["name"], canary["name"].title(), canary["email"], canary["phone"]):
        assert value not in tracker and value.encode() not in stored
    user = [e for e in candor.tracker(customer)["events"] if e["event"] == "user"]
    assert user[-1]["input_channel"] == "rest"  # the channel is who received it, not a claim
    assert "customer" in user[-1]["metadata"]  # keys that are identifiers keep the shape
