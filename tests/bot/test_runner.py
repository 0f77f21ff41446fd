"""Start-up refuses a tracker store that would keep raw personal data."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import settings
from bot.runner import verify_tracker_store
from tests.conftest import PROJECT_ROOT


def test_the_shipped_endpoints_use_the_masking_store(data_dir) -> None:
    verify_tracker_store(settings(), PROJECT_ROOT / "endpoints.yml")
    assert (data_dir / "candor.db").exists()


@pytest.mark.parametrize(
    "store, complaint",
    [
        ("type: SQL\n  dialect: sqlite\n  db: x.db", "does not mask personal data"),
        ("type: bot.storage.no_such_module.Store", "cannot load"),
        ("type: rasa.core.tracker_store.InMemoryTrackerStore", "does not mask personal data"),
    ],
)
def test_start_up_refuses_other_tracker_stores(tmp_path: Path, store: str, complaint: str) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  {store}\n")
    with pytest.raises(SystemExit, match=complaint) as stopped:
        verify_tracker_store(settings(), endpoints)
    assert "tracker_store.type" in str(stopped.value)


@pytest.mark.parametrize("variable, value, complaint", [
    ("CANDOR_REDIS_URL", "http://127.0.0.1:6379", "CANDOR_REDIS_URL must look like"),
    ("CANDOR_REDIS_URL", "redis://127.0.0.1:6379/cache", "database number"),
    ("CANDOR_EVENT_BROKER_URL", "127.0.0.1:5672", "CANDOR_EVENT_BROKER_URL must look like"),
])
def test_start_up_refuses_a_malformed_profile_variable(monkeypatch, variable, value, complaint) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit, match=complaint):
        verify_tracker_store(settings(), PROJECT_ROOT / "endpoints.yml")


@pytest.mark.parametrize("variable, value", [
    ("CANDOR_REDIS_URL", "redis://:pw@127.0.0.1:{port}/1"),
    ("CANDOR_EVENT_BROKER_URL", "amqp://guest:secret-pw@127.0.0.1:{port}/"),
])
def test_start_up_refuses_a_service_that_does_not_answer(monkeypatch, variable, value) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv(variable, value.format(port=port))
    with pytest.raises(SystemExit, match=f"{variable}: .*127.0.0.1:{port}") as stopped:
        verify_tracker_store(settings(), PROJECT_ROOT / "endpoints.yml")
    assert "pw" not in str(stopped.value)


def test_the_api_token_is_never_on_a_command_line_and_a_dash_token_stays_one_argument(tmp_path, monkeypatch) -> None:
    import argparse

    from bot import __main__ as cli
    from bot.config import settings
    from bot.runner import rasa_server_command

    monkeypatch.setenv("CANDOR_API_TOKEN", "-starts-with-dash")
    command = rasa_server_command(settings(), tmp_path / "model.tar.gz")
    assert not any("-starts-with-dash" in part for part in command)
    assert command[1:4] == ["-m", "bot", "rasa-run"]
    # The child reads the token itself and gives it to `rasa run` in its own argv.
    seen = {}
    monkeypatch.setattr(cli.sys, "argv", list(cli.sys.argv))  # restored after the test
    monkeypatch.setattr("rasa.__main__.main", lambda: seen.setdefault("argv", list(cli.sys.argv)))
    assert cli.main(command[3:]) == 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    known, _ = parser.parse_known_args(seen["argv"][2:])
    assert seen["argv"][:2] == ["rasa", "run"] and known.auth_token == "-starts-with-dash"


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-28 01:53:10 INFO     root  - Starting Rasa server on http://0.0.0.0:5005",
        "Task exception was never retrieved",
        "2026-11-28 01:53:12 DEBUG    engineio.server  - 4f1c2a9e8b7d6c5e: Sending packet OPEN data {'sid': '4f1c2a9e8b7d6c5e'}",
        "[2026-11-28 01:53:12 +0000] [1234] [INFO] Sanic v22.12.0 goin fast @ http://127.0.0.1:5055",
        "2026-11-28 01:53:12 INFO     sanic.access  - 127.0.0.1:52144 POST /webhooks/rest/webhook 200 1234",
        "2026-11-28 03:34:46 WARNING  presidio-analyzer  - Entity CARDINAL is not mapped to a Presidio "
        "entity, but keeping anyway. Add to `labels_to_ignore` to remove.",
        "2026-11-28 03:34:46 WARNING  presidio-analyzer  - Entity CARDINAL is not mapped to a Presidio "
        "entity, but keeping anyway. Add to `NerModelConfiguration.labels_to_ignore` to remove.",
        '  File "/work/main/bot/pii/engine.py", line 106, in mask_text',
        '  File "/work/main/.venv/lib/python3.10/site-packages/spacy/language.py", line 1037, in __call__',
    ],
)
def test_the_log_masker_leaves_the_servers_own_words_alone(line: str) -> None:
    from bot.pii.engine import engine
    from bot.runner import LOG_ALLOW

    assert engine().mask(line, allow=LOG_ALLOW).text == line


def test_the_log_masker_still_masks_what_customers_wrote() -> None:
    from bot.pii.engine import engine
    from bot.runner import LOG_ALLOW

    line = ("2026-11-28 01:53:12 DEBUG    rasa.core.processor  - Received user message "
            "'my name is Jan de Vries, mail jan.devries@example.com, from 81.23.45.67'")
    masked = engine().mask(line, allow=LOG_ALLOW).text
    for value in ("Jan de Vries", "jan.devries@example.com", "81.23.45.67"):
        assert value not in masked
    assert masked.startswith("2026-11-28 01:53:12 DEBUG    rasa.core.processor  - Received user message")


def test_cors_only_for_configured_origins(monkeypatch) -> None:
    from bot.runner import cors_arguments

    monkeypatch.delenv("CANDOR_CORS_ORIGINS", raising=False)
    assert cors_arguments() == []
    monkeypatch.setenv("CANDOR_CORS_ORIGINS", "https://shop.example, http://localhost:8080")
    assert cors_arguments() == ["--cors", "https://shop.example", "http://localhost:8080"]
    monkeypatch.setenv("CANDOR_CORS_ORIGINS", "shop.example")
    with pytest.raises(SystemExit, match="not an origin"):
        cors_arguments()


async def test_servers_keep_idle_connections_longer_than_their_http_clients(monkeypatch) -> None:
    """aiohttp (the Rasa server's client for the action server) reuses an idle connection for
    15 s; a server that closes it sooner loses action calls under load."""
    import aiohttp

    from bot.config import settings
    from bot.runner import child_environment

    monkeypatch.delenv("SANIC_KEEP_ALIVE_TIMEOUT", raising=False)
    connector = aiohttp.TCPConnector()
    client_keeps = connector._keepalive_timeout
    await connector.close()
    assert int(child_environment(settings())["SANIC_KEEP_ALIVE_TIMEOUT"]) > client_keeps
    monkeypatch.setenv("SANIC_KEEP_ALIVE_TIMEOUT", "120")
    assert child_environment(settings())["SANIC_KEEP_ALIVE_TIMEOUT"] == "120"  # an operator's choice stays


@pytest.mark.parametrize("line, values", [
    # An unspaced card number and a 20-character IBAN look like the servers' hex and session ids.
    ("2026-12-01 10:00:00 ERROR rasa.core.processor  - failed on 'pay with 4111111111111111 now'",
     ["4111111111111111"]),
    ("2026-12-01 10:00:00 DEBUG rasa.core.processor  - text=NL91ABNA0417164300, intent=inform",
     ["NL91ABNA0417164300"]),
    ("2026-12-01 10:00:00 ERROR rasa.core.channels.rest  - rest.message.received.failure "
     "text='my name is Jan de Vries, bsn 111222333'", ["Jan de Vries", "111222333"]),
])
def test_the_log_masker_never_lets_a_dropped_type_through_an_allow_rule(line, values) -> None:
    from bot.pii.engine import engine
    from bot.runner import LOG_ALLOW

    masked = engine().mask(line, allow=LOG_ALLOW).text
    for value in values:
        assert value not in masked, masked


def test_cors_for_every_origin_is_refused(monkeypatch) -> None:
    from bot.runner import cors_arguments

    for value in ("*", "https://*.shop.example"):
        monkeypatch.setenv("CANDOR_CORS_ORIGINS", value)
        with pytest.raises(SystemExit, match="any web page"):
            cors_arguments()


def test_server_logs_rotate_by_size(data_dir, monkeypatch) -> None:
    from bot.runner import RotatingLog

    monkeypatch.setenv("CANDOR_LOG_MAX_BYTES", "10000")
    monkeypatch.setenv("CANDOR_LOG_BACKUPS", "2")
    data_dir.mkdir(parents=True, exist_ok=True)
    log = RotatingLog(data_dir / "rasa.log")
    for number in range(600):
        log.write(f"line {number:04d} of a server's masked output\n")
    log.close()
    files = sorted(p.name for p in data_dir.iterdir())
    assert files == ["rasa.log", "rasa.log.1", "rasa.log.2"]
    assert all((data_dir / name).stat().st_size <= 10000 for name in files)
    assert (data_dir / "rasa.log").read_text().splitlines()[-1] == "line 0599 of a server's masked output"


def test_the_operators_erasure_is_published_on_the_event_stream(tmp_path) -> None:
    import json

    from rasa.core.brokers.file import FileEventBroker

    from bot.storage.profiles import notify_erasure

    stream = tmp_path / "events.log"
    assert notify_erasure("cli-erased", broker=FileEventBroker(str(stream))) is True
    [notice] = [json.loads(line) for line in stream.read_text().splitlines()]
    assert notice["sender_id"] == "cli-erased" and notice["event"] == "candor_erased"
    assert notify_erasure("cli-erased") is False  # no stream configured: nothing to tell


def test_the_log_pump_masks_and_bounds_every_line() -> None:
    import io

    from bot.runner import MAX_LOG_LINE, pump_masked

    source = io.BytesIO(b"DEBUG rasa.core.processor  - Received user message 'mail jan.devries@example.com'\n"
                        + b"y " * 60_000 + b"\n")
    target = io.StringIO()
    pump_masked(source, [target]).join(timeout=60)
    first, second = target.getvalue().splitlines()
    assert "jan.devries@example.com" not in first and "Received user message" in first
    assert len(second) < MAX_LOG_LINE + 100 and second.endswith("more characters not logged]")
