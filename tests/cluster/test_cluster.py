"""Across servers: `python -m bot run-cluster` (what `make run-cluster` starts) with its real
PostgreSQL, Redis, RabbitMQ and nginx, on free ports and a temporary data dir.

Every guarantee that one server gives must hold when a conversation's turns, its handoff
and its erasure go through different servers; the event stream must carry every event of a
conversation, masked; no service's files may hold a customer's personal data.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import free_ports, sender, texts

pytestmark = pytest.mark.cluster
START_TIMEOUT = 600


def fake_person() -> Dict[str, str]:
    """Obviously fake, generated personal data (never committed)."""
    from faker import Faker

    fake = Faker("en_GB")
    return {"name": fake.name(), "email": f"{uuid.uuid4().hex[:8]}.{fake.user_name()}@example.org"}


class Cluster:
    def __init__(self, tmp: Path) -> None:
        self.data_dir = tmp / "data"
        # nginx on `port`, the servers on +1 and +2, the services on +10..+14 (bot/cluster.py).
        self.port = free_ports(15)
        self.actions_port = free_ports(2)
        self.token = secrets.token_urlsafe(16)
        self.jwt_secret = secrets.token_urlsafe(32)
        self.output = tmp / "cluster.log"
        self.env = {**os.environ, "CANDOR_DATA_DIR": str(self.data_dir), "CANDOR_PORT": str(self.port),
                    "CANDOR_ACTIONS_PORT": str(self.actions_port), "CANDOR_API_TOKEN": self.token,
                    "CANDOR_JWT_SECRET": self.jwt_secret}
        for variable in ("CANDOR_DATABASE_URL", "CANDOR_REDIS_URL", "CANDOR_EVENT_BROKER_URL"):
            self.env.pop(variable, None)
        # The servers parse messages themselves: two NLU workers loading a second copy of the
        # model would double the start-up on a 2-core CI machine, and they move no guarantee
        # across servers (tests/e2e/test_nlu_process.py checks the worker's parse).
        self.env["CANDOR_NLU_PROCESS"] = "off"
        self.env["CANDOR_ADDRESS_BURST"] = "100000"  # every test customer comes from 127.0.0.1
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run-cluster"], cwd=PROJECT_ROOT,
                                        env=self.env, stdout=self.output.open("w"), stderr=subprocess.STDOUT)

    def url(self, server: int = 0) -> str:
        """0: through nginx; 1 or 2: that server itself."""
        return f"http://127.0.0.1:{self.port + server}"

    def jwt(self, who: str) -> str:
        import jwt

        return jwt.encode({"sub": who, "exp": int(time.time()) + 3600}, self.jwt_secret, algorithm="HS256")

    def say(self, who: str, text: str, server: int = 0) -> List[Dict]:
        response = requests.post(f"{self.url(server)}/webhooks/rest/webhook", json={"sender": who, "message": text},
                                 headers={"Authorization": f"Bearer {self.jwt(who)}"}, timeout=120)
        response.raise_for_status()
        return response.json()

    def tracker(self, who: str, server: int = 0) -> Dict:
        response = requests.get(f"{self.url(server)}/conversations/{who}/tracker", params={"token": self.token},
                                timeout=60)
        response.raise_for_status()
        return response.json()

    def secrets(self) -> Dict[str, str]:
        return json.loads((self.data_dir / "cluster" / "secrets.json").read_text())

    @property
    def database_url(self) -> str:
        return f"postgresql://candor:{self.secrets()['postgres']}@127.0.0.1:{self.port + 10}/candor"

    def sql(self, statement: str, *args) -> List[tuple]:
        import psycopg2

        conn = psycopg2.connect(self.database_url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement, args)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def stored_events(self, who: str) -> List[Dict]:
        return [json.loads(data) for (data,) in self.sql("select data from events where sender_id = %s order by id", who)]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"run-cluster exited early:\n{self.output.read_text()[-4000:]}")
            if "The Candor cluster is ready" in self.output.read_text(errors="replace"):
                return
            time.sleep(2)
        pytest.fail(f"the cluster did not start in {START_TIMEOUT}s:\n{self.output.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    # Run as root, the cluster's PostgreSQL runs as the `postgres` user, who must pass
    # through every folder above the data dir (pytest's are the owner's only).
    for folder in (tmp, *tmp.parents):
        if folder.stat().st_uid == os.geteuid() and not folder.stat().st_mode & 0o001:
            folder.chmod(folder.stat().st_mode | 0o001)
    running = Cluster(tmp)
    try:
        running.wait_ready()
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGINT)
            running.process.wait(timeout=120)


@pytest.fixture(scope="module")
def stream(cluster):
    """A consumer of the event stream: its own queue bound to Rasa's fanout exchange, from the
    cluster's start on, so it sees every event published during these tests."""
    import aio_pika

    loop = asyncio.new_event_loop()
    password = cluster.secrets()["rabbitmq"]
    url = f"amqp://candor:{password}@127.0.0.1:{cluster.port + 12}/"
    guest = f"amqp://guest:guest@127.0.0.1:{cluster.port + 12}/"

    async def refused_for_guest() -> bool:
        try:
            await (await aio_pika.connect(guest, timeout=10)).close()
        except Exception:  # noqa: BLE001 - any refusal: RabbitMQ has no guest user here
            return True
        return False

    async def bind():
        assert await refused_for_guest(), "RabbitMQ still accepts guest/guest"
        connection = await aio_pika.connect_robust(url)
        channel = await connection.channel()
        exchange = await channel.get_exchange("rasa-exchange")  # Rasa's, declared by the servers
        queue = await channel.declare_queue(f"test-{uuid.uuid4().hex[:6]}", exclusive=True)
        await queue.bind(exchange)
        return connection, queue

    connection, queue = loop.run_until_complete(bind())
    received: List[Dict] = []

    def drain(until_quiet: float = 3.0) -> List[Dict]:
        async def _drain():
            quiet_since = time.monotonic()
            while time.monotonic() - quiet_since < until_quiet:
                message = await queue.get(fail=False, no_ack=True)
                if message is None:
                    await asyncio.sleep(0.2)
                    continue
                received.append(json.loads(message.body))
                quiet_since = time.monotonic()
        loop.run_until_complete(_drain())
        return received

    yield drain
    loop.run_until_complete(connection.close())
    loop.close()


def test_a_conversation_alternating_between_the_servers_stays_whole(cluster) -> None:
    customer = sender()
    turns = ["hi", "where is my order?", "how can I pay?", "how long does delivery take?", "are you a bot?", "thanks"]
    for i, text in enumerate(turns):
        replies = cluster.say(customer, text, server=1 + i % 2)
        assert replies, f"no reply to {text!r} on server {1 + i % 2}"
    stored = cluster.stored_events(customer)
    users = [e["text"] for e in stored if e["event"] == "user"]
    assert users == turns  # none lost, none twice, in order
    # Both servers see the same conversation (read from PostgreSQL).
    assert cluster.tracker(customer, 1)["events"] == cluster.tracker(customer, 2)["events"]
    assert len(cluster.tracker(customer, 1)["events"]) == len(stored)
    timestamps = [e["timestamp"] for e in stored]
    assert timestamps == sorted(timestamps)


def test_concurrent_turns_of_one_conversation_on_both_servers_take_turns(cluster) -> None:
    """Rasa's Redis lock store: each turn runs whole before the next starts, on either server."""
    import redis

    locks = redis.Redis.from_url(f"redis://:{cluster.secrets()['redis']}@127.0.0.1:{cluster.port + 11}/1")

    def lock_writes() -> int:
        return int(locks.info("commandstats").get("cmdstat_set", {}).get("calls", 0))

    customer = sender()
    cluster.say(customer, "hi", server=1)
    # Six different requests (the same one three times in a row would hand the customer over).
    turns = ["how can I pay?", "how long does delivery take?", "what are your opening hours?",
             "how do I return something?", "when do I get my refund?", "are you a bot?"]
    writes_before = lock_writes()
    with ThreadPoolExecutor(len(turns)) as pool:
        answers = list(pool.map(lambda it: cluster.say(customer, it[1], server=1 + it[0] % 2), enumerate(turns)))
    assert all(answers)
    assert lock_writes() - writes_before >= len(turns)  # the turns took Redis's lock
    assert not locks.exists(f"candor:lock:{customer}")  # and gave it back
    stored = cluster.stored_events(customer)
    users = [e["text"] for e in stored if e["event"] == "user"]
    assert sorted(users) == sorted(["hi", *turns])  # every turn stored once
    # Turns never interleave: before each message after the first, the bot went back to listening.
    seen_user = False
    for i, event in enumerate(stored):
        if event["event"] == "user":
            if seen_user:
                previous = [e for e in stored[:i] if e["event"] == "action"][-1]
                assert previous["name"] == "action_listen", stored[i - 3:i + 1]
            seen_user = True
    # Each turn's reply belongs to its own message (no reply went to another turn).
    assert any("Klarna" in m.get("text", "") for m in answers[0]), answers[0]
    assert any("working days" in m.get("text", "") for m in answers[1]), answers[1]


def add_agent(cluster: Cluster, agent_id: str) -> str:
    result = subprocess.run([sys.executable, "-m", "bot", "agent", "add", "--id", agent_id, "--name", "Sam"],
                            cwd=PROJECT_ROOT, env=cluster.env, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip().splitlines()[-1]


def desk(cluster: Cluster, token: str, server: int, method: str, path: str, **kwargs) -> Dict:
    response = requests.request(method, f"{cluster.url(server)}/webhooks/agent_desk/api/{path}",
                                headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_handoff_filed_on_one_server_is_answered_through_the_other_and_reaches_the_customer(cluster) -> None:
    import socketio

    agent = add_agent(cluster, "sam")
    customer = f"web-{uuid.uuid4().hex[:10]}"
    received: List[Dict] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    client.connect(cluster.url(1), socketio_path="socket.io")  # the customer is on server 1
    try:
        client.emit("session_request", {"session_id": customer, "customData": {"token": cluster.jwt(customer)}})
        client.emit("user_uttered", {"message": "I want to talk to a human", "session_id": customer})
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not cluster.sql(
                "select id from handoff_tickets where sender_id = %s", customer):
            time.sleep(0.5)
        queue = desk(cluster, agent, 2, "GET", "queue")["tickets"]  # the agent is on server 2
        ids = {row[0] for row in cluster.sql("select id from handoff_tickets where sender_id = %s", customer)}
        ticket = next(t for t in queue if t["id"] in ids)  # the desk names customers by pseudonym only
        assert ticket["channel"] == "socketio"
        assert cluster.tracker(customer, 2)["paused"] is True
        desk(cluster, agent, 2, "POST", f"tickets/{ticket['id']}/claim")
        desk(cluster, agent, 2, "POST", f"tickets/{ticket['id']}/reply", json={"text": "Hi, Sam here."})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("Sam here" in m.get("text", "") for m in received):
            time.sleep(0.3)
        # Pushed through the other server; held until the customer's next turn shows it arrived.
        client.emit("user_uttered", {"message": "thanks Sam", "session_id": customer})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and cluster.sql(
                "select count(*) from agent_replies where sender_id = %s", customer) != [(0,)]:
            time.sleep(0.3)
    finally:
        client.disconnect()
    human = [m for m in received if "Sam here" in m.get("text", "")]
    assert [m["text"] for m in human] == ["Sam (human agent): Hi, Sam here."]
    assert human[0]["metadata"]["from"] == "human"
    assert cluster.sql("select count(*) from agent_replies where sender_id = %s", customer) == [(0,)]
    # Handed back through server 1, the bot answers again on server 2.
    desk(cluster, agent, 1, "POST", f"tickets/{ticket['id']}/handback")
    assert cluster.tracker(customer, 2)["paused"] is False


def test_socketio_through_the_balancer_stays_on_its_server(cluster) -> None:
    """Long-polling only (each poll a new HTTP request): every request of a session must reach
    the server that holds it, or socket.io answers 'Invalid session'."""
    import socketio

    servers = set()
    for _ in range(4):
        customer = f"web-{uuid.uuid4().hex[:10]}"
        received: List[Dict] = []
        client = socketio.Client(reconnection=False)
        client.on("bot_uttered", lambda data, received=received: received.append(data))
        client.connect(cluster.url(0), socketio_path="socket.io", transports=["polling"])
        try:
            servers.add(client.eio.sid.split(".")[0])  # engine.io session ids name their server
            client.emit("session_request", {"session_id": customer, "customData": {"token": cluster.jwt(customer)}})
            # One turn may be answered in several bubbles, each its own event: wait for the
            # answer each turn is for, not merely for the next bubble.
            for text, answered in (
                ("hi", lambda: bool(received)),
                ("how can I pay?", lambda: any("Klarna" in m.get("text", "") for m in received)),
            ):
                client.emit("user_uttered", {"message": text, "session_id": customer})
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not answered():
                    time.sleep(0.2)
                assert answered(), f"no answer to {text!r} through the balancer: {received}"
        finally:
            client.disconnect()
    assert servers == {"s1", "s2"}  # new sessions are spread over both servers


def test_erasure_through_one_server_leaves_nothing_of_the_sender_in_postgresql(cluster) -> None:
    customer = f"erase-me-{uuid.uuid4().hex[:10]}"
    person = fake_person()
    cluster.say(customer, "hi", server=1)
    cluster.say(customer, f"my name is {person['name']} and my email is {person['email']}", server=2)
    cluster.say(customer, "can I talk to a human", server=1)  # a ticket too
    assert cluster.sql("select count(*) from events where sender_id = %s", customer)[0][0] > 0
    desk_agent = add_agent(cluster, "noor")
    ids = {row[0] for row in cluster.sql("select id from handoff_tickets where sender_id = %s", customer)}
    ticket = next(t for t in desk(cluster, desk_agent, 1, "GET", "queue")["tickets"] if t["id"] in ids)
    desk(cluster, desk_agent, 1, "POST", f"tickets/{ticket['id']}/claim")
    desk(cluster, desk_agent, 1, "POST", f"tickets/{ticket['id']}/close")
    cluster.say(customer, "please delete all my data", server=2)
    erased = texts(cluster.say(customer, "yes", server=1))
    assert erased and erased[-1].startswith("Done: everything we stored about you here is deleted"), erased
    import glob

    pg_dump = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1:] or ["pg_dump"]
    dump = subprocess.run([pg_dump[0], "--data-only", cluster.database_url], capture_output=True, text=True,
                          timeout=120, check=True).stdout
    assert customer not in dump
    tables = [t for (t,) in cluster.sql("select table_name from information_schema.columns "
                                       "where column_name = 'sender_id' and table_schema = 'public'")]
    assert "events" in tables and "handoff_tickets" in tables
    for table in tables:
        assert cluster.sql(f'select count(*) from "{table}" where sender_id = %s', customer) == [(0,)], table


def test_the_event_stream_carries_every_event_masked(cluster, stream) -> None:
    customer = sender()
    person = fake_person()
    cluster.say(customer, "hi", server=1)
    cluster.say(customer, f"I'm {person['name']}, mail me at {person['email']}", server=2)
    cluster.say(customer, "how can I pay?", server=1)
    published = [e for e in stream() if e.get("sender_id") == customer]
    stored = cluster.stored_events(customer)
    assert [(e["event"], e.get("timestamp")) for e in published] == [(e["event"], e.get("timestamp")) for e in stored]
    assert [e.get("text") for e in published if e["event"] == "user"] == [e.get("text") for e in stored if e["event"] == "user"]
    body = json.dumps(published)
    for value in (*person.values(), person["email"].split("@")[0]):
        assert value not in body
    assert "<EMAIL_ADDRESS_1>" in body and "<PERSON_1>" in body


def _service_pid(port: int) -> int:
    """The pid of the process listening on one of the cluster's own service ports (`ss`)."""
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"pid=(\d+)", out)
    assert found, f"nothing listens on {port}: {out!r}"
    return int(found.group(1))


def _post(cluster: Cluster, who: str, text: str, server: int) -> int:
    try:
        return requests.post(f"{cluster.url(server)}/webhooks/rest/webhook", json={"sender": who, "message": text},
                             headers={"Authorization": f"Bearer {cluster.jwt(who)}"}, timeout=60).status_code
    except requests.RequestException:
        return 0


def test_redis_and_rabbitmq_away_for_a_while_fail_turns_clearly_and_nothing_is_lost(cluster, stream) -> None:
    """Redis (the lock store) frozen for 15 s: turns on either server fail clearly (503) or
    wait, none is acknowledged without being stored; RabbitMQ frozen for 15 s: turns go on,
    and the events of that time reach the stream once it is back."""
    stream()  # what came before
    customer = sender()
    assert _post(cluster, customer, "hi", 1) == 200
    redis = _service_pid(cluster.port + 11)
    os.kill(redis, signal.SIGSTOP)
    try:
        during = [(f"turn {i}: how can I pay?", _post(cluster, customer, f"turn {i}: how can I pay?", 1 + i % 2))
                  for i in range(2)]
    finally:
        os.kill(redis, signal.SIGCONT)
    assert all(status in (200, 503) for _, status in during), during
    assert _post(cluster, customer, "turn after redis: how can I pay?", 2) == 200
    stored = [e.get("text") for e in cluster.stored_events(customer) if e["event"] == "user"]
    for text, status in during:
        if status == 200:
            assert text in stored
    rabbit = _service_pid(cluster.port + 12)
    os.kill(rabbit, signal.SIGSTOP)
    try:
        statuses = [_post(cluster, customer, f"while the stream is away {i}: how can I pay?", 1 + i % 2)
                    for i in range(2)]
        time.sleep(10)
    finally:
        os.kill(rabbit, signal.SIGCONT)
    assert statuses == [200, 200]  # the stream is not on the turn's path
    published = [e.get("text") for e in stream(until_quiet=10.0) if e.get("sender_id") == customer]
    for i in range(2):
        assert f"while the stream is away {i}: how can I pay?" in published


def test_the_presence_of_a_server_that_stopped_renewing_expires(cluster) -> None:
    """A server that crashed leaves its sockets in Redis; past the expiry they no longer
    count, so a human reply for such a customer is held instead of pushed to nobody."""
    from bot.channels.socketio import Presence

    url = f"redis://:{cluster.secrets()['redis']}@127.0.0.1:{cluster.port + 11}/1"

    async def check() -> None:
        presence = Presence(url, "crashed")
        ghost = sender()
        await presence.redis.zadd(presence._key(ghost), {"crashed:sid-1": time.time() - Presence.EXPIRES_SECONDS - 5})
        assert not await presence.connected(ghost)
        await presence.arrived(ghost, "sid-2")
        assert await presence.connected(ghost)
        await presence.left(ghost, "sid-2")
        assert not await presence.connected(ghost)
        await presence.redis.close()

    asyncio.new_event_loop().run_until_complete(check())


def test_no_service_keeps_personal_data_on_disk(cluster, stream) -> None:
    customer = sender()
    person = fake_person()
    cluster.say(customer, "hi", server=2)
    cluster.say(customer, f"this is {person['name']}, my address is {person['email']}", server=1)
    cluster.say(customer, "can I talk to a human", server=2)
    stream()  # consumed too
    cluster.sql("CHECKPOINT")
    import redis

    redis.Redis.from_url(f"redis://:{cluster.secrets()['redis']}@127.0.0.1:{cluster.port + 11}/1").save()
    home = cluster.data_dir / "cluster"
    assert (home / "redis" / "dump.rdb").exists() and (home / "postgres" / "db" / "base").is_dir()
    stored = b"".join(p.read_bytes() for p in cluster.data_dir.rglob("*") if p.is_file() and not p.is_symlink())
    for value in person.values():
        assert value.encode() not in stored
        assert value.encode("utf-16-le") not in stored


def test_ctrl_c_stops_every_process_of_the_cluster(cluster) -> None:
    # The last test of the module: stop the cluster as an operator would, and look for leftovers.
    def descendants(pid: int) -> List[int]:
        out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
        children: Dict[int, List[int]] = {}
        for line in out.splitlines():
            child, parent = (int(x) for x in line.split())
            children.setdefault(parent, []).append(child)
        found, todo = [], [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    started = descendants(cluster.process.pid)
    assert len(started) >= 10  # 2 × (supervisor, Rasa, action server, workers), nginx, services
    cluster.process.send_signal(signal.SIGINT)
    assert cluster.process.wait(timeout=120) == 0
    time.sleep(1)
    alive = [pid for pid in started if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert alive == []
    for port in (cluster.port, cluster.port + 1, cluster.port + 10, cluster.port + 11, cluster.port + 12,
                 cluster.port + 14):
        import socket

        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, port
