"""End to end: every handoff trigger over REST, and the agent desk's API over HTTP."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Dict, List, Optional

import pytest
import requests

from bot.guardrails.loader import load_policies
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import Instance, sender, texts

pytestmark = pytest.mark.e2e
POLICIES = load_policies(PROJECT_ROOT / "policies")


def fake_name() -> str:
    """An obviously fake, generated name (never committed)."""
    from faker import Faker

    return Faker("nl_NL").name()


def add_agent(candor: Instance, agent_id: str, name: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "agent", "add", "--id", agent_id, "--name", name],
        cwd=PROJECT_ROOT, env={**__import__("os").environ, "CANDOR_DATA_DIR": str(candor.data_dir)},
        capture_output=True, text=True, timeout=60, check=True,
    )
    return result.stdout.strip().splitlines()[-1]


class Desk:
    def __init__(self, candor: Instance, token: Optional[str]) -> None:
        self.base = f"{candor.url}/webhooks/agent_desk/api"
        self.token = token
        self.candor = candor

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.request(method, f"{self.base}/{path}", headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> Dict:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def ticket_of(self, customer: str) -> Dict:
        """The customer's ticket in the queue: the desk names customers by pseudonym only, so
        the ticket is found by its id in the database."""
        ids = {row[0] for row in self.candor.query("select id from handoff_tickets where sender_id = ?", customer)}
        queue = self.ok("GET", "queue")["tickets"]
        found = next(t for t in queue if t["id"] in ids)
        assert customer not in json.dumps(found)  # no raw sender id for the agents
        return found


@pytest.fixture(scope="module")
def agents(candor) -> Dict[str, Desk]:
    return {
        "sam": Desk(candor, add_agent(candor, "sam", "Sam")),
        "noor": Desk(candor, add_agent(candor, "noor", "Noor")),
    }


def ticket_row(candor: Instance, customer: str) -> Dict:
    rows = candor.query(
        "select reason, priority, status, summary, transcript from handoff_tickets where sender_id = ?", customer
    )
    assert len(rows) == 1, rows
    reason, priority, status, summary, transcript = rows[0]
    return {"reason": reason, "priority": priority, "status": status,
            "summary": json.loads(summary), "transcript": json.loads(transcript)}


# Each trigger: what the customer writes ({name} becomes a generated fake name, which must
# not reach the ticket), and the words the first handoff reply must contain.
TRIGGER_CASES = {
    "self_harm": ["hi, {name} here. honestly I don't want to live anymore"],
    "product_danger": ["hi, this is {name}. the desk lamp I bought caught fire last night"],
    "fraud": ["this is {name}, there is an unauthorised payment from your shop on my card"],
    "legal_threat": ["my name is {name} and my lawyer will be in touch about this order"],
    "bereavement": ["I'm {name}. my father passed away, what happens to his order?"],
    "complaint_escalation": ["I am {name} and I want to file a formal complaint"],
    "customer_asks_for_human": ["{name} here, can I speak to a real person please"],
    "opted_out": ["hello, I'm {name}. I don't want to talk to a bot"],
    "special_category_data": ["I'm {name}, I was diagnosed with diabetes and can't sign for parcels"],
    "repeated_misunderstanding": ["hello, my name is {name}", "blorp zzkk", "qwfp vrrrt", "xkcd plmn"],
    "repeated_question": ["how long does delivery take?", "how many days is shipping?",
                          "when will it be delivered, how long does shipping take"],
}


def test_every_trigger_with_conditions_has_an_end_to_end_case() -> None:
    conditional = {t.id for t in POLICIES.handoff.triggers if t.intents or t.compiled or t.special_category
                   or t.consecutive_fallbacks or t.repeated_intent or t.opted_out}
    assert conditional <= set(TRIGGER_CASES)


@pytest.mark.parametrize("rule", sorted(TRIGGER_CASES))
def test_each_trigger_pauses_and_files_a_masked_ticket_over_rest(candor, rule) -> None:
    trigger = POLICIES.trigger(rule)
    customer, name = sender(), fake_name()
    candor.say(customer, "hi")
    replies: List[str] = []
    for message in TRIGGER_CASES[rule]:
        replies = texts(candor.say(customer, message.format(name=name)))
    tracker = candor.tracker(customer)
    assert tracker["paused"] is True, replies
    assert tracker["slots"]["guardrail_decision"]["rule"] == rule
    assert any(trigger.message in t for t in replies), replies
    ticket = ticket_row(candor, customer)
    assert (ticket["reason"], ticket["priority"]) == (trigger.reason, trigger.priority)
    assert ticket["summary"]["trigger"] == rule
    stored = json.dumps(ticket) + json.dumps(tracker)
    for part in name.split():
        if len(part) > 3:  # "van", "de": ordinary words too
            assert part not in stored, f"raw name part {part!r} stored"
    if rule == "self_harm":
        assert "113" in replies[0], "crisis lines come first"
    if rule == "special_category_data":
        assert "diabetes" not in stored and "diagnosed" not in stored
    # While paused, no AI answers; the message reaches the ticket.
    assert candor.say(customer, "are you still there?") == []
    assert ticket_row(candor, customer)["transcript"][-1]["text"] == "are you still there?"


def test_the_desk_needs_an_agent_token(candor, agents) -> None:
    assert Desk(candor, None).call("GET", "queue").status_code == 401
    assert Desk(candor, "not-a-token").call("GET", "queue").status_code == 401
    assert Desk(candor, "not-a-token").call("POST", "tickets/x/claim").status_code == 401
    assert agents["sam"].ok("GET", "me") == {"id": "sam", "name": "Sam"}
    assert agents["sam"].call("GET", "queue").headers["Cache-Control"] == "no-store"


def test_queue_orders_by_priority_then_waiting_time_only(candor, agents) -> None:
    first, second, urgent = sender(), sender(), sender()
    for customer, text in ((first, "agent please"), (second, "mag ik een medewerker spreken"),
                           (urgent, "someone used my card without permission")):
        candor.say(customer, "hi")
        candor.say(customer, text)
    ids = [agents["sam"].ticket_of(c)["id"] for c in (urgent, first, second)]
    queue = [t for t in agents["sam"].ok("GET", "queue")["tickets"] if t["id"] in ids]
    assert [t["id"] for t in queue] == ids
    # The same trigger gives the same priority, whatever the language.
    assert queue[1]["queue_priority"] == queue[2]["queue_priority"] == "normal"


def test_claim_reply_handback_over_rest(candor, agents) -> None:
    sam, noor = agents["sam"], agents["noor"]
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "can I talk to a human")
    ticket = sam.ticket_of(customer)
    assert sam.call("POST", f"tickets/{ticket['id']}/reply", json={"text": "hi"}).status_code == 409  # not claimed
    assert sam.ok("POST", f"tickets/{ticket['id']}/claim")["agent_id"] == "sam"
    conflict = noor.call("POST", f"tickets/{ticket['id']}/claim")
    assert conflict.status_code == 409 and "sam" in conflict.json()["error"]
    assert noor.call("POST", f"tickets/{ticket['id']}/reply", json={"text": "me too"}).status_code == 409
    assert sam.call("POST", f"tickets/{ticket['id']}/reply", data=b"{oops").status_code == 400
    assert sam.call("POST", f"tickets/{ticket['id']}/reply", json={"text": "  "}).status_code == 400
    assert sam.call("POST", "tickets/no-such-ticket/claim").status_code == 404

    sam.ok("POST", f"tickets/{ticket['id']}/reply", json={"text": "Hello, I'm looking at your order now."})
    # The customer writes while paused: no AI answer, but the human reply comes with it.
    replies = candor.say(customer, "thanks, order CND-100003")
    assert [r["text"] for r in replies] == ["Sam (human agent): Hello, I'm looking at your order now."]
    assert replies[0]["metadata"]["from"] == "human" and replies[0]["metadata"]["agent_id"] == "sam"
    assert candor.say(customer, "hello?") == []  # delivered once
    transcript = sam.ok("GET", f"tickets/{ticket['id']}")["transcript"]
    assert [line["from"] for line in transcript[-3:]] == ["human", "customer", "customer"]
    assert transcript[-2]["text"] == "thanks, order CND-100003"
    human = [e for e in candor.tracker(customer)["events"]
             if e["event"] == "bot" and (e.get("metadata") or {}).get("candor", {}).get("from") == "human"]
    assert human and human[0]["metadata"]["candor"]["agent_id"] == "sam"
    # A reply that names the customer is stored masked (tracker, ticket), delivered as written.
    sam.ok("POST", f"tickets/{ticket['id']}/reply", json={"text": "Thanks Priyanka Ramaswamy, one moment."})
    assert "Priyanka Ramaswamy" in candor.say(customer, "ok")[0]["text"]
    stored = b"".join(p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file())
    assert b"Priyanka" not in stored and b"Ramaswamy" not in stored

    sam.ok("POST", f"tickets/{ticket['id']}/handback")
    events = candor.tracker(customer)["events"]
    assert [e["event"] for e in events[-2:]] == ["resume", "action"]
    assert candor.tracker(customer)["paused"] is False
    back = texts(candor.say(customer, "how long does delivery take?"))
    assert back[0].startswith("Sam (human agent) has handed you back"), back
    assert any("working days" in t for t in back)  # the bot answers again
    assert sam.ok("GET", f"tickets/{ticket['id']}")["status"] == "handed_back"
    assert sam.call("POST", f"tickets/{ticket['id']}/reply", json={"text": "x"}).status_code == 409


def test_close_resumes_and_a_new_request_files_a_new_ticket(candor, agents) -> None:
    sam = agents["sam"]
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "human please")
    ticket = sam.ticket_of(customer)
    sam.ok("POST", f"tickets/{ticket['id']}/claim")
    assert sam.ok("POST", f"tickets/{ticket['id']}/close")["status"] == "closed"
    assert candor.tracker(customer)["paused"] is False
    assert ticket["id"] not in [t["id"] for t in sam.ok("GET", "queue")["tickets"]]
    candor.say(customer, "can I talk to a human again")
    assert sam.ticket_of(customer)["id"] != ticket["id"]


def test_a_human_reply_reaches_a_socketio_customer_live(candor, agents) -> None:
    import socketio

    sam = agents["sam"]
    received: List[Dict] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    session = f"web-{uuid.uuid4().hex[:10]}"
    client.connect(candor.url, socketio_path="socket.io")
    try:
        client.emit("session_request", {"session_id": session, "customData": {"token": candor.jwt(session)}})
        client.emit("user_uttered", {"message": "I want to talk to a human", "session_id": session})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not candor.query(
                "select id from handoff_tickets where sender_id = ?", session):
            time.sleep(0.5)
        ticket = sam.ticket_of(session)
        assert ticket["channel"] == "socketio"
        sam.ok("POST", f"tickets/{ticket['id']}/claim")
        sam.ok("POST", f"tickets/{ticket['id']}/reply", json={"text": "Hi, Sam here."})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("Sam here" in m.get("text", "") for m in received):
            time.sleep(0.3)
        # Pushed, but held until the socket shows it is alive: the customer's next turn.
        assert candor.query("select count(*) from agent_replies where sender_id = ?", session) == [(1,)]
        client.emit("user_uttered", {"message": "thanks Sam", "session_id": session})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and candor.query(
                "select count(*) from agent_replies where sender_id = ?", session) != [(0,)]:
            time.sleep(0.3)
    finally:
        client.disconnect()
    human = [m for m in received if "Sam here" in m.get("text", "")]
    assert len(human) == 1 and human[0]["text"] == "Sam (human agent): Hi, Sam here."
    assert human[0]["metadata"]["from"] == "human"
    assert candor.query("select count(*) from agent_replies where sender_id = ?", session) == [(0,)]


def test_a_human_reply_to_an_offline_socketio_customer_waits_for_them(candor, agents) -> None:
    import socketio

    sam = agents["sam"]
    session = f"web-{uuid.uuid4().hex[:10]}"
    token = candor.jwt(session)
    first = socketio.Client(reconnection=False)
    first.connect(candor.url, socketio_path="socket.io")
    try:
        first.emit("session_request", {"session_id": session, "customData": {"token": token}})
        first.emit("user_uttered", {"message": "I want to talk to a human", "session_id": session})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not candor.query(
                "select id from handoff_tickets where sender_id = ?", session):
            time.sleep(0.5)
    finally:
        first.disconnect()
    time.sleep(1)
    ticket = sam.ticket_of(session)
    sam.ok("POST", f"tickets/{ticket['id']}/claim")
    sam.ok("POST", f"tickets/{ticket['id']}/reply", json={"text": "Are you still there?"})
    assert candor.query("select count(*) from agent_replies where sender_id = ?", session) == [(1,)]
    received: List[Dict] = []
    back = socketio.Client(reconnection=False)
    back.on("bot_uttered", lambda data: received.append(data))
    back.connect(candor.url, socketio_path="socket.io")
    try:
        back.emit("session_request", {"session_id": session, "customData": {"token": token}})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not received:
            time.sleep(0.3)
    finally:
        back.disconnect()
    assert [m["text"] for m in received] == ["Sam (human agent): Are you still there?"]
    assert candor.query("select count(*) from agent_replies where sender_id = ?", session) == [(0,)]


def test_a_change_of_address_without_consent_is_a_high_priority_ticket(candor) -> None:
    fake = candor.orders("packed")[0]
    order = fake["order_number"]
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "I want to change the delivery address of my order")
    candor.say(customer, order)  # asks for the postcode (owner check)
    candor.say(customer, fake["postcode"])  # asks consent to take the address in the chat
    replies = texts(candor.say(customer, "no"))
    assert any(POLICIES.trigger("address_change").message in t for t in replies), replies
    assert candor.tracker(customer)["paused"] is True
    ticket = ticket_row(candor, customer)
    assert (ticket["reason"], ticket["priority"]) == ("address_change", "high")
    assert ticket["summary"]["order_number"] == order
