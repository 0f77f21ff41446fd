"""`make bench`: a closed-loop load benchmark over REST, Candor against a stock Rasa assistant.

In one run, on this machine, loopback only (with the memory each server holds, all its
processes, PSS from /proc: tests/bench/memory.py):
- **stock**: `rasa init --no-prompt` in a temp dir with the project's venv, SQLite tracker
  store, `rasa run --enable-api`;
- **candor**: `python -m bot run` (every guardrail on) with a fresh data dir;
- **candor, masking off** (`--masking-off`): the same with `CANDOR_BENCH_MASKING=off`, to
  show what masking costs (refused unless the data dir is a benchmark's temp dir);
- **candor-cluster** (`--cluster`): `python -m bot run-cluster` (two servers behind nginx on
  PostgreSQL, Redis and RabbitMQ, all on this machine), driven through nginx: what a second
  server buys here, against the one server of `make run`.

Each level runs N conversations at once, each sending the same shop questions in a loop
(closed loop: the next message after the reply). It prints turns/s, p50/p95/p99, errors
(HTTP status, time-outs), empty replies, failed action calls (from the server's log), and
for Candor: wrong replies (each message has the reply it should get), lost events (the
tracker holds every message sent) and cross-talk (no conversation sees another's canary,
a made-up order number that Candor repeats back).

    python -m tests.bench.bench_load [--levels 1:30,20:8,50:8,200:4] [--masking-off] [--cluster] [--only candor]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import aiohttp
import jwt

from tests.bench import memory
from tests.e2e.conftest import free_port, free_ports

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TURN_TIMEOUT = 120.0  # seconds a single turn may take before it counts as an error
LEVEL_TIMEOUT = 600.0  # seconds a whole level may take
START_TIMEOUT = 600.0
FAILED_ACTION = re.compile(r"Failed to run custom action|Cannot write to closing transport|"
                           r"Encountered an exception while running action")

# The messages of one loop, and for Candor, what its reply must contain (regex, any language).
# "{canary}" is an order number made up for the conversation: Candor says it back.
SCRIPT: List[Tuple[str, Optional[str]]] = [
    ("hi", r"."),
    # The first time it asks for the number; later in the same conversation it remembers it
    # and asks for the owner check of that order (the canary again).
    ("where is my order?", r"order number|postcode of the delivery address for {canary}"),
    ("{canary}", r"{canary}"),
    ("what are your opening hours?", r"\d{2}:\d{2}"),
    ("how can I pay?", r"iDEAL|PayPal|card"),
    ("how do I return something?", r"return"),
    ("are you a bot?", r"AI assistant"),
    ("thanks", r"."),
]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log: Path
    jwt_secret: str = ""
    api_token: str = ""
    checks: bool = False  # Candor: check replies, events and cross-talk

    def headers(self, sender: str) -> Dict[str, str]:
        if not self.jwt_secret:
            return {}
        token = jwt.encode({"sub": sender, "exp": int(time.time()) + 7200}, self.jwt_secret, algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    server_logs: Tuple[Path, ...] = ()  # the cluster's servers log to their own files

    def failed_actions(self) -> int:
        return sum(1 for log in (self.log, *self.server_logs) if log.exists()
                   for line in log.read_text(errors="replace").splitlines() if FAILED_ACTION.search(line))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def wait_ready(server: Server, probe: bool) -> None:
    import requests

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"{server.name} exited early; its log:\n{server.log.read_text()[-3000:]}")
        try:
            if requests.get(f"{server.url}/", timeout=2).ok:
                if not probe:
                    return
                sender = f"probe-{uuid.uuid4().hex[:8]}"
                reply = requests.post(f"{server.url}/webhooks/rest/webhook", headers=server.headers(sender),
                                      json={"sender": sender, "message": "hello"}, timeout=60)
                if reply.ok and reply.json():
                    return
        except requests.RequestException:
            pass
        time.sleep(2)
    sys.exit(f"{server.name} did not start in {START_TIMEOUT:.0f}s; its log:\n{server.log.read_text()[-3000:]}")


def start_stock(tmp: Path) -> Server:
    """A stock `rasa init` assistant with a SQLite tracker store."""
    project = tmp / "stock"
    project.mkdir()
    print("stock: rasa init --no-prompt (trains its model) ...", flush=True)
    subprocess.run([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
                   cwd=tmp, check=True, stdout=(tmp / "stock-init.log").open("w"), stderr=subprocess.STDOUT)
    (project / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {project / 'tracker.db'}\n")
    port = free_port()
    log = tmp / "stock.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "--enable-api", "--port", str(port), "--endpoints", "endpoints.yml"],
        cwd=project, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("stock", f"http://127.0.0.1:{port}", process, log)
    wait_ready(server, probe=True)
    return server


def start_candor(tmp: Path, masking: bool = True) -> Server:
    name = "candor" if masking else "candor-masking-off"
    data_dir = Path(tempfile.mkdtemp(prefix="candor-bench-", dir=tmp))
    port, secret, token = free_port(), secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    env = {**os.environ, "CANDOR_DATA_DIR": str(data_dir), "CANDOR_PORT": str(port),
           "CANDOR_ACTIONS_PORT": str(free_port()), "CANDOR_JWT_SECRET": secret, "CANDOR_API_TOKEN": token,
           "CANDOR_LOG_LEVEL": "warning",
           # A closed-loop load from one address: the per-address limit would measure itself.
           "CANDOR_ADDRESS_BURST": "0", "CANDOR_SENDER_BURST": "0"}
    if not masking:
        env["CANDOR_BENCH_MASKING"] = "off"
    log = tmp / f"{name}.log"
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", process, log, secret, token, checks=True)
    print(f"{name}: starting ...", flush=True)
    wait_ready(server, probe=True)
    return server


def start_cluster(tmp: Path) -> Server:
    """`python -m bot run-cluster`, driven through its nginx."""
    data_dir = Path(tempfile.mkdtemp(prefix="candor-bench-cluster-", dir=tmp))
    for folder in (data_dir, *data_dir.parents):  # its PostgreSQL runs as `postgres` under root
        if os.geteuid() == 0 and folder.stat().st_uid == 0 and not folder.stat().st_mode & 0o001:
            folder.chmod(folder.stat().st_mode | 0o001)
    port, secret, token = free_ports(15), secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    env = {**os.environ, "CANDOR_DATA_DIR": str(data_dir), "CANDOR_PORT": str(port),
           "CANDOR_ACTIONS_PORT": str(free_ports(2)), "CANDOR_JWT_SECRET": secret, "CANDOR_API_TOKEN": token,
           "CANDOR_LOG_LEVEL": "warning", "CANDOR_ADDRESS_BURST": "0", "CANDOR_SENDER_BURST": "0", "PATH": os.environ.get("PATH", "") + ":/usr/sbin"}
    for variable in ("CANDOR_DATABASE_URL", "CANDOR_REDIS_URL", "CANDOR_EVENT_BROKER_URL"):
        env.pop(variable, None)
    log = tmp / "candor-cluster.log"
    process = subprocess.Popen([sys.executable, "-m", "bot", "run-cluster"], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("candor-cluster", f"http://127.0.0.1:{port}", process, log, secret, token, checks=True,
                    server_logs=tuple(data_dir / "logs" / f"rasa-{name}.log" for name in ("s1", "s2")))
    print("candor-cluster: starting PostgreSQL, Redis, RabbitMQ, two servers, nginx ...", flush=True)
    wait_ready(server, probe=True)
    return server


@dataclass
class Level:
    conversations: int
    turns: int
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    wrong: int = 0
    cross_talk: int = 0
    lost_events: int = 0
    elapsed: float = 0.0
    examples: List[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def conversation(session: aiohttp.ClientSession, server: Server, level: Level, canaries: Dict[str, str],
                       sender: str) -> int:
    """One customer: `level.turns` messages of the script, each after the last reply."""
    canary = canaries[sender]
    others = [c for s, c in canaries.items() if s != sender]
    sent = 0
    for turn in range(level.turns):
        message, expected = SCRIPT[turn % len(SCRIPT)]
        message = message.replace("{canary}", canary)
        started = time.perf_counter()
        try:
            async with session.post(f"{server.url}/webhooks/rest/webhook", headers=server.headers(sender),
                                    json={"sender": sender, "message": message},
                                    timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as reply:
                body = await reply.text()
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            level.errors += 1
            level.examples.append(f"{type(exc).__name__} on {message!r}")
            continue
        level.latencies.append(time.perf_counter() - started)
        sent += 1
        if status != 200:
            level.errors += 1
            level.examples.append(f"HTTP {status} on {message!r}: {body[:120]}")
            continue
        try:
            texts = " ".join(m.get("text") or "" for m in json.loads(body))
        except (ValueError, AttributeError):
            texts = ""
        if not texts.strip():
            level.empty += 1
            continue
        if server.checks:
            if expected and not re.search(expected.replace("{canary}", re.escape(canary)), texts, re.IGNORECASE):
                level.wrong += 1
                if len(level.examples) < 8:
                    level.examples.append(f"wrong reply to {message!r}: {texts[:160]!r}")
            if any(other in texts for other in others):
                level.cross_talk += 1
    return sent


async def run_level(server: Server, conversations: int, turns: int) -> Level:
    level = Level(conversations, turns)
    # Distinct numbers: two conversations drawing the same one would count as cross-talk (at
    # 200 conversations, random draws from 100,000 numbers collide in about one run in five).
    canaries = {f"bench-{uuid.uuid4().hex[:10]}": f"CND-{number}"
                for number in random.sample(range(900000, 1000000), conversations)}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        tasks = {sender: asyncio.create_task(conversation(session, server, level, canaries, sender))
                 for sender in canaries}
        done, pending = await asyncio.wait(tasks.values(), timeout=LEVEL_TIMEOUT)
        for task in pending:
            task.cancel()
            level.errors += 1
        for task in done:
            if task.exception() is not None:
                level.errors += 1
                level.examples.append(f"the client failed: {task.exception()!r}")
        level.elapsed = time.perf_counter() - started
        if server.checks:
            for sender, task in tasks.items():
                if task not in done or task.exception() is not None:
                    continue
                async with session.get(f"{server.url}/conversations/{sender}/tracker",
                                       params={"token": server.api_token}) as reply:
                    tracker = await reply.json()
                users = [e for e in tracker.get("events", []) if e.get("event") == "user"]
                level.lost_events += abs(len(users) - task.result())
    return level


def report(name: str, level: Level, failed_actions: int) -> Dict[str, float]:
    throughput = level.done / level.elapsed if level.elapsed else 0.0
    row = {
        "server": name, "conversations": level.conversations, "turns": level.done,
        "turns_per_s": round(throughput, 2),
        "p50_ms": round(1000 * level.percentile(0.50)), "p95_ms": round(1000 * level.percentile(0.95)),
        "p99_ms": round(1000 * level.percentile(0.99)), "errors": level.errors, "empty": level.empty,
        "failed_actions": failed_actions, "wrong": level.wrong, "lost_events": level.lost_events,
        "cross_talk": level.cross_talk,
    }
    print(f"  {name:>20} x{level.conversations:<4} {row['turns']:>5} turns {throughput:7.2f}/s  "
          f"p50 {row['p50_ms']:>6} ms  p95 {row['p95_ms']:>6} ms  p99 {row['p99_ms']:>6} ms  "
          f"errors {level.errors}  empty {level.empty}  failed actions {failed_actions}"
          + (f"  wrong {level.wrong}  lost events {level.lost_events}  cross-talk {level.cross_talk}"
             if name.startswith("candor") else ""), flush=True)
    for example in level.examples[:4]:
        print(f"      e.g. {example}")
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1:30,20:8,50:8,200:4",
                        help="conversations:turns per conversation, comma-separated")
    parser.add_argument("--masking-off", action="store_true", help="also run Candor with masking off")
    parser.add_argument("--cluster", action="store_true", help="also run `make run-cluster` (two servers, nginx)")
    parser.add_argument("--only", choices=["stock", "candor"], help="run one server only")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    levels = [tuple(int(n) for n in part.split(":")) for part in args.levels.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.platform()}")
    rows: List[Dict[str, float]] = []
    tmp = Path(tempfile.mkdtemp(prefix="candor-bench-"))
    starters = []
    # Per server: its process tree's memory after the level at which it held the most.
    held: Dict[str, List[memory.Process]] = {}
    if args.only != "candor":
        starters.append(lambda: start_stock(tmp))
    if args.only != "stock":
        starters.append(lambda: start_candor(tmp))
        if args.masking_off:
            starters.append(lambda: start_candor(tmp, masking=False))
        if args.cluster:
            starters.append(lambda: start_cluster(tmp))
    try:
        for starter in starters:  # one server at a time: they would share the CPUs
            server = starter()
            try:
                for conversations, turns in levels:
                    before = server.failed_actions()
                    level = asyncio.run(run_level(server, conversations, turns))
                    rows.append(report(server.name, level, server.failed_actions() - before))
                    now = memory.tree(server.process.pid)
                    if sum(p.pss_kb for p in now) > sum(p.pss_kb for p in held.get(server.name, [])):
                        held[server.name] = now
                print(f"  {server.name} memory after load: {memory.summary(held.get(server.name, []))}", flush=True)
            finally:
                server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    by = {(r["server"], r["conversations"]): r for r in rows}
    print("\n| conversations | stock turns/s | Candor turns/s | ratio | Candor p50 / p95 | stock p50 | "
          "Candor errors / empty / failed actions / wrong / lost / cross-talk |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for conversations, _ in levels:
        stock, candor = by.get(("stock", conversations)), by.get(("candor", conversations))
        if not candor:
            continue
        ratio = f"{candor['turns_per_s'] / stock['turns_per_s']:.2f}" if stock and stock["turns_per_s"] else "-"
        print(f"| {conversations} | {stock['turns_per_s'] if stock else '-'} | {candor['turns_per_s']} | {ratio} | "
              f"{candor['p50_ms']} / {candor['p95_ms']} ms | {stock['p50_ms'] if stock else '-'} ms | "
              f"{candor['errors']} / {candor['empty']} / {candor['failed_actions']} / {candor['wrong']} / "
              f"{candor['lost_events']} / {candor['cross_talk']} |")
        off = by.get(("candor-masking-off", conversations))
        if off:
            print(f"|   masking off | | {off['turns_per_s']} | masking costs "
                  f"{100 * (1 - candor['turns_per_s'] / off['turns_per_s']):.0f}% | {off['p50_ms']} / {off['p95_ms']} ms | | |")
    if args.cluster:
        print("\n| conversations | one server turns/s | cluster turns/s | cluster / one | one p50 / p95 | "
              "cluster p50 / p95 | cluster errors / empty / failed actions / wrong / lost / cross-talk |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for conversations, _ in levels:
            one, both = by.get(("candor", conversations)), by.get(("candor-cluster", conversations))
            if not both:
                continue
            ratio = f"{both['turns_per_s'] / one['turns_per_s']:.2f}" if one and one["turns_per_s"] else "-"
            one_latency = f"{one['p50_ms']} / {one['p95_ms']} ms" if one else "-"
            print(f"| {conversations} | {one['turns_per_s'] if one else '-'} | {both['turns_per_s']} | {ratio} | "
                  f"{one_latency} | {both['p50_ms']} / {both['p95_ms']} ms | "
                  f"{both['errors']} / {both['empty']} / {both['failed_actions']} / {both['wrong']} / "
                  f"{both['lost_events']} / {both['cross_talk']} |")
    print("\n| server | memory held (PSS, all its processes, after the level that needed most) |")
    print("| --- | --- |")
    for name, processes in held.items():
        print(f"| {name} | {memory.summary(processes)} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
