"""Shared end-to-end harness: `make run`'s servers on free ports with temporary data dirs.

Two instances are started once per test session and shared by every e2e module; the
second logs at debug level (and is stopped by the SIGINT test, which runs last in
test_rest_channel.py).
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests

from tests.conftest import PROJECT_ROOT

START_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(size: int) -> int:
    """The first of `size` consecutive ports nobody listens on (`make run-cluster` takes
    CANDOR_PORT to CANDOR_PORT+14)."""
    while True:
        start = free_port()
        if start + size >= 65535:
            continue
        for port in range(start, start + size):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
        else:
            return start


@dataclass
class Instance:
    process: subprocess.Popen
    data_dir: Path
    port: int
    token: str
    output: Path
    jwt_secret: str = ""
    page_port: int = 0  # a shop page on this port may use the socket.io channel (CORS)
    actions_port: int = 0

    def jwt(self, sender: str) -> str:
        """A token that proves `sender` (HS256, signed with this instance's key)."""
        import jwt

        return jwt.encode({"sub": sender, "exp": int(time.time()) + 3600}, self.jwt_secret, algorithm="HS256")

    def identity(self, sender: str) -> Dict[str, str]:
        """The header that proves `sender`."""
        return {"Authorization": f"Bearer {self.jwt(sender)}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def say(self, sender: str, text: str) -> List[Dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=self.identity(sender),
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> Dict:
        response = requests.get(
            f"{self.url}/conversations/{sender}/tracker", params={"token": self.token}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def orders(self, status: str = "") -> List[Dict[str, str]]:
        """This instance's fake orders with their owners' facts (`python -m bot orders`)."""
        import json

        out = subprocess.run([sys.executable, "-m", "bot", "orders", "--json", "--limit", "200"], cwd=PROJECT_ROOT,
                             env={**os.environ, "CANDOR_DATA_DIR": str(self.data_dir)},
                             capture_output=True, text=True, check=True).stdout
        found = [json.loads(line) for line in out.splitlines()]
        return [o for o in found if not status or o["status"] == status]

    def query(self, sql: str, *args) -> List[tuple]:
        with sqlite3.connect(self.data_dir / "candor.db") as conn:
            return conn.execute(sql, args).fetchall()


def start(tmp: Path, log_level: str = "info", actions_port: int = 0, extra_env: Optional[Dict[str, str]] = None) -> Instance:
    data_dir = tmp / f"data-{uuid.uuid4().hex[:6]}"
    port, actions_port, token = free_port(), actions_port or free_port(), secrets.token_urlsafe(16)
    jwt_secret = secrets.token_urlsafe(32)
    page_port = free_port()
    output = tmp / f"run-{port}.log"
    env = {
        # The action secret is made in the data dir; the action server's URL follows the port.
        **{k: v for k, v in os.environ.items() if k not in ("CANDOR_ACTION_SECRET", "CANDOR_ACTIONS_URL")},
        "CANDOR_DATA_DIR": str(data_dir),
        "CANDOR_PORT": str(port),
        "CANDOR_ACTIONS_PORT": str(actions_port),
        "CANDOR_API_TOKEN": token,
        "CANDOR_JWT_SECRET": jwt_secret,
        "CANDOR_LOG_LEVEL": log_level,
        "CANDOR_CORS_ORIGINS": f"http://127.0.0.1:{page_port}",
        # Every test's customers come from 127.0.0.1: the per-address limit (its own unit
        # test) would make one test's traffic refuse the next test's.
        "CANDOR_ADDRESS_BURST": "100000",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
    )
    return Instance(process, data_dir, port, token, output, jwt_secret, page_port, actions_port)


def wait_ready(instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            pytest.fail(f"Candor exited early:\n{instance.output.read_text()[-3000:]}")
        try:
            # Ready when the model is loaded and the action server answers through it.
            if requests.get(f"{instance.url}/status", params={"token": instance.token}, timeout=2).ok:
                if instance.say(f"probe-{uuid.uuid4().hex}", "hello"):
                    return
        except requests.RequestException:
            pass
        time.sleep(2)
    pytest.fail(f"Candor did not start in {START_TIMEOUT}s:\n{instance.output.read_text()[-3000:]}")


def children_of(pid: int) -> List[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


def stop(instance: Instance) -> int:
    instance.process.send_signal(signal.SIGINT)
    return instance.process.wait(timeout=60)


@pytest.fixture(scope="session")
def instances(tmp_path_factory):
    """Two instances side by side, with their own ports, tokens and data dirs; the second
    logs at debug level, where Rasa writes whole messages and events to its log."""
    tmp = tmp_path_factory.mktemp("e2e")
    pair = [start(tmp), start(tmp, log_level="debug")]
    try:
        for instance in pair:
            wait_ready(instance)
        yield pair
    finally:
        for instance in pair:
            if instance.process.poll() is None:
                stop(instance)


@pytest.fixture(scope="session")
def candor(instances) -> Instance:
    return instances[0]


def texts(messages: List[Dict]) -> List[str]:
    return [m.get("text", "") for m in messages]


def sender() -> str:
    return f"customer-{uuid.uuid4().hex[:10]}"
