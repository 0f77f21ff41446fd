"""`make shell` (`python -m bot shell`: rasa shell with the action server) in both languages,
driven through a pseudo-terminal as an operator types into it."""
from __future__ import annotations

import os
import pty
import re
import secrets
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import START_TIMEOUT, free_port

pytestmark = pytest.mark.e2e
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")


class Terminal:
    """A process on a pseudo-terminal: type lines, read what it printed."""

    def __init__(self, command: list, env: dict) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, cwd=PROJECT_ROOT,
                                        env=env, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def wait_for(self, pattern: str, timeout: float) -> str:
        """Everything printed since the last wait, once `pattern` appears in it."""
        start, deadline = len(self.seen), time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 1)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
                text = ESCAPES.sub(b"", self.seen[start:]).decode(errors="replace")
                if re.search(pattern, text):
                    return text
        pytest.fail(f"the shell did not print {pattern!r}:\n{ESCAPES.sub(b'', self.seen[-3000:]).decode(errors='replace')}")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            os.close(self.master)


@pytest.fixture(scope="module")
def shell(tmp_path_factory) -> Terminal:
    data_dir: Path = tmp_path_factory.mktemp("shell") / "data"
    env = {**os.environ, "CANDOR_DATA_DIR": str(data_dir), "CANDOR_PORT": str(free_port()),
           "CANDOR_ACTIONS_PORT": str(free_port()), "CANDOR_API_TOKEN": secrets.token_urlsafe(16),
           "CANDOR_JWT_SECRET": secrets.token_urlsafe(32)}
    terminal = Terminal([sys.executable, "-m", "bot", "shell"], env)
    try:
        terminal.wait_for(r"Your input ->", START_TIMEOUT)
        yield terminal
    finally:
        terminal.stop()


def test_the_shell_discloses_and_answers_in_dutch_then_in_english(shell: Terminal) -> None:
    shell.type("Praat ik met een robot?")
    answer = shell.wait_for(r"Ja, ik ben een AI-assistent.*\n(.|\n)*Your input ->", 90)
    # The disclosure comes first, in the language of the message that opened the session.
    assert "AI-assistent" in answer.split("Ja, ik ben")[0]
    assert "I'm Candor" not in answer and "AI assistant" not in answer
    shell.type("Are you a bot? I want to know who I am talking to")
    answer = shell.wait_for(r"I'm an AI assistant(.|\n)*Your input ->", 90)
    assert "AI-assistent" not in answer
