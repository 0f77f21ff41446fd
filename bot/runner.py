"""Runs the action server and the Rasa server (or `rasa shell`) in the foreground.

Ctrl-C (SIGINT) or SIGTERM stops both. An action server that dies is started again (a few
times a minute at most); if the Rasa server dies, the action server is stopped too, so no
process is left behind.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, List

import logging

import regex

from bot.config import PROJECT_ROOT, Settings, bind_address

STOP_GRACE_SECONDS = 15
# An action server that ends is started again, up to this many times a minute; then Candor stops.
ACTION_SERVER_RESTARTS = 5


KEEP_ALIVE_SECONDS = 75


def child_environment(current: Settings) -> dict:
    """Environment for both servers: endpoints.yml reads these; no telemetry, no network."""
    env = dict(os.environ)
    env.update(
        CANDOR_DATA_DIR=str(current.data_dir),
        CANDOR_PORT=str(current.port),
        CANDOR_ACTIONS_PORT=str(current.actions_port),
        # Where the Rasa server calls the action server (endpoints.yml): this machine's
        # action server unless CANDOR_ACTIONS_URL names another address (a proxy, say).
        CANDOR_ACTIONS_URL=actions_url(current),
        # endpoints.yml sends it with every action call; the action server refuses calls without it.
        CANDOR_ACTION_SECRET=current.action_secret()[0],
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    # Sanic closes an idle keep-alive connection after 5 s; the Rasa server's HTTP client
    # (aiohttp) keeps one for 15 s and reuses it. Under load a call to the action server then
    # went out on a connection the server was closing ("Cannot write to closing transport"):
    # the action's events were lost and the turn went on without them. The servers keep
    # idle connections longer than their clients do (load balancers: 60 s).
    env.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", str(KEEP_ALIVE_SECONDS))
    # Request bodies: Sanic refuses a larger one (413) before reading it (its default is 100 MB).
    env["SANIC_REQUEST_MAX_SIZE"] = str(current.max_body_bytes)
    return env


def local_actions_url(port: int) -> str:
    """The webhook of the action server a supervisor starts on `port`."""
    return f"http://127.0.0.1:{port}/webhook"


def actions_url(current: Settings) -> str:
    """`CANDOR_ACTIONS_URL`, else the action server this supervisor starts."""
    url = os.environ.get("CANDOR_ACTIONS_URL", "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise SystemExit(f"CANDOR_ACTIONS_URL: {url!r} is not a URL like {local_actions_url(5055)}")
    return url or local_actions_url(current.actions_port)


LOG_LEVEL_FLAGS = {"debug": "--debug", "info": "--verbose", "warning": "--quiet"}


def log_flag() -> str:
    """`CANDOR_LOG_LEVEL` (debug, info, warning; default info) as Rasa's command-line flag."""
    level = os.environ.get("CANDOR_LOG_LEVEL", "info").strip().lower()
    if level not in LOG_LEVEL_FLAGS:
        raise SystemExit(f"CANDOR_LOG_LEVEL must be one of {', '.join(LOG_LEVEL_FLAGS)}, got {level!r}")
    return LOG_LEVEL_FLAGS[level]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def action_server_command(current: Settings) -> List[str]:
    # Not `rasa run actions`: that listens on every interface and runs actions for anyone
    # (bot/action_server.py).
    return [sys.executable, "-m", "bot", "run-actions", "--port", str(current.actions_port), log_flag()]


def rasa_server_command(current: Settings, model: Path, shell: bool = False) -> List[str]:
    common = ["--model", str(model), "--endpoints", "endpoints.yml", log_flag()]
    if shell:
        return [_bin("rasa"), "shell", *common]
    # `python -m bot rasa-run` reads the HTTP API token itself (CANDOR_API_TOKEN or the data
    # dir's file) and hands it to `rasa run` inside the process: not on any command line,
    # where `ps` shows it to every user of the machine.
    return [
        sys.executable, "-m", "bot", "rasa-run",
        "--enable-api",
        "--interface", bind_address(),
        "--port", str(current.port),
        "--credentials", "credentials.yml",
        *cors_arguments(),
        *common,
    ]


def cors_origins() -> List[str]:
    """`CANDOR_CORS_ORIGINS` (comma-separated, e.g. https://shop.example): the web pages
    that may call the servers from a browser (REST and socket.io); by default none."""
    origins = [o.strip().rstrip("/") for o in os.environ.get("CANDOR_CORS_ORIGINS", "").split(",") if o.strip()]
    for origin in origins:
        if origin == "*" or "*" in origin:
            raise SystemExit("CANDOR_CORS_ORIGINS: '*' would let any web page talk to the servers as the "
                             "customer whose browser it runs in; name the shop's pages (https://shop.example)")
        if not origin.startswith(("http://", "https://")):
            raise SystemExit(f"CANDOR_CORS_ORIGINS: {origin!r} is not an origin like https://shop.example")
    return origins


def cors_arguments() -> List[str]:
    origins = cors_origins()
    return ["--cors", *origins] if origins else []


def verify_tracker_store(current: Settings, endpoints: Path = PROJECT_ROOT / "endpoints.yml") -> None:
    """Refuse to start unless endpoints.yml yields the masking tracker store.

    Rasa silently falls back to an in-memory store when a custom store cannot be
    imported; this check loads the store exactly as Rasa does, in the same environment.
    """
    os.environ.update(child_environment(current))
    from rasa.shared.core.domain import Domain
    from rasa.shared.utils.common import class_from_module_path
    from rasa.utils.endpoints import read_endpoint_config

    from bot.storage.masking_tracker_store import MaskingTrackerStore

    from bot.storage import profiles

    # Any event broker is safe: the masking tracker store publishes the masked events it
    # stores and keeps the broker from Rasa's raw streaming (masking_tracker_store.py).
    profiles.check()
    profiles.reachable()
    config = read_endpoint_config(str(endpoints), "tracker_store")
    if config is None or not config.type:
        raise SystemExit("endpoints.yml: field 'tracker_store.type': missing; Candor needs the masking tracker store.")
    if config.type.lower() in {"sql", "redis", "mongod", "dynamo", "in_memory"}:
        raise SystemExit(
            f"endpoints.yml: field 'tracker_store.type': Rasa's {config.type!r} store does not "
            "mask personal data; use bot.storage.masking_tracker_store.MaskingTrackerStore."
        )
    try:
        store_class = class_from_module_path(config.type)
    except (ImportError, AttributeError) as exc:
        raise SystemExit(f"endpoints.yml: field 'tracker_store.type': cannot load {config.type!r}: {exc}") from exc
    if not (isinstance(store_class, type) and issubclass(store_class, MaskingTrackerStore)):
        raise SystemExit(
            f"endpoints.yml: field 'tracker_store.type': {config.type!r} does not mask personal "
            "data; use bot.storage.masking_tracker_store.MaskingTrackerStore."
        )
    store_class(host=config.url, domain=Domain.empty(), **config.kwargs)


# What the servers themselves print and is nobody's personal data: loggers, timestamps,
# process ids, the servers' own addresses, socket.io session ids, request lines, versions.
LOG_ALLOW = tuple(regex.compile(p) for p in (
    r"\b(?:rasa|rasa_sdk|sanic|engineio|socketio|bot|actions|asyncio|root|presidio[\w-]*|urllib3|"
    r"sqlalchemy|apscheduler|tensorflow|absl|aiohttp|spacy|matplotlib|jax|h5py|numexpr|pika|"
    r"aio_pika|websockets|httpx|multipart|py\.warnings)(?:\.[A-Za-z_]\w*)*\b",
    r"\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[+-]\d{2}:?\d{2})?\]?",
    r"\[\d{1,7}\]",
    r"(?:https?://)?(?:0\.0\.0\.0|127(?:\.\d{1,3}){3}|localhost|\[?::1?\]?)(?::\d{1,5})?(?:/[\w/.-]*)?",
    r"\b[0-9a-f]{16,64}\b|\b[A-Za-z0-9_-]{20}\b(?=['\"]?[,}\s])",
    r"\b(?:GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) /[\w/.?=&%{}-]*(?: HTTP/[\d.]+)?(?: \d{3}(?: \d+)?)?",
    r"\bv\d+\.\d+\.\d+\b|(?<![\d.])\d+\.\d+\.\d+(?![.\d])",
    r"\bTask(?:-\d+)?\b|\b(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b",
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b",  # names in code: labels_to_ignore, utter_greet
    # Tracebacks: source files ("/work/bot/pii/engine.py", line 106) and qualified names in
    # code (NerModelConfiguration.labels_to_ignore); a `.py` file was taken for a URL.
    r"(?:/[\w.-]+)+\.py\b|\b[\w-]+\.py(?=\b\W*(?:,|:|\s*$))|(?<=\.py\S*,? )line \d+\b",
    r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+(?:\.[a-z_]\w*)+\b",
))


class RotatingLog:
    """A server's log file, rotated by size (`CANDOR_LOG_MAX_BYTES`, default 10 MB; keeps
    `CANDOR_LOG_BACKUPS` old files, default 5) with the standard library's handler; rotated
    files older than retention.yml's `logs.days` are deleted by `python -m bot retention run`."""

    def __init__(self, path: Path) -> None:
        import logging.handlers

        from bot.config import _whole_number

        self.handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_whole_number("CANDOR_LOG_MAX_BYTES", 10 * 1024 * 1024, 10_000, 10 ** 11, "a number of bytes"),
            backupCount=_whole_number("CANDOR_LOG_BACKUPS", 5, 1, 1000, "a whole number"), encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(message)s"))

    def write(self, text: str) -> None:
        self.handler.handle(logging.makeLogRecord({"msg": text.rstrip("\n"), "levelno": logging.INFO}))

    def flush(self) -> None:
        self.handler.flush()

    def close(self) -> None:
        self.handler.close()


MAX_LOG_LINE = 8000


def pump_masked(source: IO[bytes], targets: List[IO[str]]) -> threading.Thread:
    """Copy a child's output line by line through the PII masker into the log and terminal."""
    from bot.pii.engine import engine

    pii = engine()

    def _run() -> None:
        for raw in iter(source.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            if len(line) > MAX_LOG_LINE:  # bounded work for the masker, whatever a server printed
                line = f"{line[:MAX_LOG_LINE]} [{len(line) - MAX_LOG_LINE} more characters not logged]"
            try:
                line = pii.mask(line, allow=LOG_ALLOW).text
            except Exception:  # noqa: BLE001 - never print what could not be checked
                line = "[log line withheld: personal data could not be checked]"
            for target in targets:
                target.write(line + "\n")
                target.flush()

    thread = threading.Thread(target=_run, daemon=True)
    thread.start()
    return thread


class Supervisor:
    """Starts child processes in their own process groups and stops them all together."""

    def __init__(self) -> None:
        self.children: List[subprocess.Popen] = []
        self._stopping = False

    def start(
        self, command: List[str], env: dict, own_group: bool = True, cwd: Path = PROJECT_ROOT, **kwargs
    ) -> subprocess.Popen:
        """Start a child; `own_group=False` keeps it on the terminal (for the shell)."""
        child = subprocess.Popen(
            command, cwd=cwd, env=env, start_new_session=own_group, **kwargs
        )
        self.children.append(child)
        return child

    def forget(self, child: subprocess.Popen) -> None:
        """A child that ended and is not to be waited for again (it is being replaced)."""
        self.children.remove(child)

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        for child in self.children:
            if child.poll() is None:
                self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL)
                child.wait()

    def stop_one(self, child: subprocess.Popen, signum: int, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop one child with its own signal (PostgreSQL: SIGINT, nginx: SIGQUIT); killed
        after `grace` seconds."""
        if child.poll() is not None:
            return
        self._signal(child, signum)
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal(child, signal.SIGKILL)
            child.wait()

    @staticmethod
    def _signal(child: subprocess.Popen, signum: int) -> None:
        try:
            if os.getpgid(child.pid) == child.pid:
                os.killpg(child.pid, signum)
            else:
                child.send_signal(signum)
        except ProcessLookupError:
            pass

    def first_exit(self, poll_seconds: float = 0.5) -> subprocess.Popen:
        while True:
            for child in self.children:
                if child.poll() is not None:
                    return child
            time.sleep(poll_seconds)


def wait_until_up(url: str, timeout: float, child: subprocess.Popen) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except OSError:
            time.sleep(1)
    return False


def run(current: Settings, model: Path, shell: bool = False) -> int:
    """Start both servers in the foreground; return the exit code."""
    from bot.storage import profiles

    current.lock_down()
    token_file = current.api_token()[1]
    from bot.identity import secret

    secret()  # made now, before both servers read it; refused when too short
    env = child_environment(current)
    supervisor = Supervisor()

    def _on_signal(signum, frame):  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    verify_tracker_store(current)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    # Several servers on one data dir (`make run-cluster`) each keep their own logs.
    suffix = f"-{os.environ['CANDOR_SERVER_ID']}" if os.environ.get("CANDOR_SERVER_ID") else ""
    actions_log = RotatingLog(current.logs_dir / f"actions{suffix}.log")
    rasa_log = RotatingLog(current.logs_dir / f"rasa{suffix}.log")
    pumps: List[threading.Thread] = []
    try:
        actions = supervisor.start(
            action_server_command(current), env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        pumps.append(pump_masked(actions.stdout, [actions_log]))
        if shell:
            # The shell stays in our process group so it keeps reading the terminal.
            shell_child = supervisor.start(
                rasa_server_command(current, model, shell=True), env, own_group=False
            )
            return shell_child.wait()
        server = supervisor.start(
            rasa_server_command(current, model), env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        pumps.append(pump_masked(server.stdout, [rasa_log, sys.stdout]))
        if wait_until_up(f"http://127.0.0.1:{current.port}/", 300, server):
            where = f"stored in {token_file}" if token_file else "from CANDOR_API_TOKEN"
            print(
                f"\nCandor is ready.\n"
                f"  REST channel:  POST http://localhost:{current.port}/webhooks/rest/webhook\n"
                f"  Socket.IO:     http://localhost:{current.port}/socket.io\n"
                f"  HTTP API token {where}\n"
                f"  Customers sign in with a JWT (sub = sender id) signed with "
                f"{'CANDOR_JWT_SECRET' if not current.jwt_secret()[1] else current.jwt_secret()[1]}; "
                f"python -m bot token --sender ID issues one\n"
                f"  Data and logs: {current.data_dir}\n"
                f"  Profile: {profiles.describe()}\n"
                f"Press Ctrl-C to stop.\n",
                flush=True,
            )
        restarts: List[float] = []
        while True:
            ended = supervisor.first_exit()
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60]
            if ended is actions and len(restarts) < ACTION_SERVER_RESTARTS:
                # Turns meanwhile hand over or say how to reach a person (a failed action call).
                print(f"The action server ended (exit code {ended.returncode}); starting it again.",
                      file=sys.stderr, flush=True)
                supervisor.forget(actions)
                actions = supervisor.start(
                    action_server_command(current), env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                pumps.append(pump_masked(actions.stdout, [actions_log]))
                restarts.append(now)
                continue
            print(f"A Candor process ended (exit code {ended.returncode}); stopping the other.", file=sys.stderr)
            return ended.returncode or 1
    except KeyboardInterrupt:
        print("\nStopping Candor...", file=sys.stderr)
        return 0
    finally:
        supervisor.stop()
        # The children are gone: let the pumps write their last lines, so no thread is still
        # writing to the terminal while the interpreter shuts down (Python aborts then).
        for pump in pumps:
            pump.join(timeout=10)
        actions_log.close()
        rasa_log.close()
