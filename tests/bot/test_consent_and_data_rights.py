"""Consent ledger, withdrawal, export, erasure and retention, on the real database."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bot.guardrails.loader import policies
from bot.pii.conversation import ConversationMasker
from bot.storage import data_rights, stores
from bot.storage.db import audit_log, engine, erasure_receipts, handoff_tickets, vault_items
from tests.conftest import PROJECT_ROOT

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


def _events_table():
    """Rasa's events table, as the SQL tracker store creates it."""
    with engine().begin() as conn:
        data_rights.events.create(conn, checkfirst=True)


def _event(sender: str, text: str, when: dt.datetime) -> None:
    with engine().begin() as conn:
        conn.execute(data_rights.events.insert().values(
            sender_id=sender, type_name="user", timestamp=when.timestamp(),
            data=json.dumps({"event": "user", "text": text, "timestamp": when.timestamp()})))


def test_consent_is_per_purpose_and_per_notice_version() -> None:
    purpose = policies().purpose("order_lookup_by_email")
    assert not stores().consent.granted("c1", purpose.name, purpose.version)
    stores().consent.record("c1", purpose.name, "granted", purpose.version, "rest", "m-1")
    assert stores().consent.granted("c1", purpose.name, purpose.version)
    assert not stores().consent.granted("c1", purpose.name, "an-older-notice")
    assert not stores().consent.granted("c1", "phone_callback", policies().purpose("phone_callback").version)
    [entry] = stores().consent.history("c1")
    assert (entry["decision"], entry["channel"], entry["message_id"]) == ("granted", "rest", "m-1")


def test_withdrawal_destroys_exactly_the_values_kept_for_that_purpose() -> None:
    masker = ConversationMasker("c2")
    masker.mask_text("mail me at test.person@example.com or call 06-12345678")
    vault = stores().vault
    stores().consent.record("c2", "order_lookup_by_email", "granted", "v")
    stores().consent.record("c2", "phone_callback", "granted", "v")
    stores().consent.tag_vault_value("c2", "<EMAIL_ADDRESS_1>", "order_lookup_by_email")
    stores().consent.tag_vault_value("c2", "<PHONE_NUMBER_1>", "phone_callback")
    assert vault.get("c2", "<EMAIL_ADDRESS_1>") == "test.person@example.com"
    withdrawn = stores().consent.withdraw("c2", ["order_lookup_by_email", "improve_assistant"], {"order_lookup_by_email": "v"})
    assert withdrawn == ["order_lookup_by_email"]  # improve_assistant was never granted
    assert vault.get("c2", "<EMAIL_ADDRESS_1>") is None
    assert vault.get("c2", "<PHONE_NUMBER_1>") == "06-12345678"
    assert stores().consent.current("c2")["order_lookup_by_email"]["decision"] == "withdrawn"
    assert stores().consent.withdraw("c2", ["order_lookup_by_email"], {}) == []  # idempotent


def test_export_holds_what_is_stored_and_erase_leaves_only_a_receipt(data_dir) -> None:
    _events_table()
    _event("c3", "where is my order <PERSON_1>", NOW)
    ConversationMasker("c3").mask_text("mail test.person@example.com")
    stores().consent.record("c3", "improve_assistant", "granted", "v")
    stores().preferences.set_opt_out("c3", True)
    stores().tickets.open_ticket("c3", "customer_request", "normal", {}, [{"from": "customer", "text": "hi"}])
    exported = stores().data_rights.export("c3", actor="operator")
    assert exported["conversation"][0]["text"] == "where is my order <PERSON_1>"
    assert len(exported["consents"]) == 1 and len(exported["handoff_tickets"]) == 1
    assert exported["preferences"][0]["ai_opt_out"] is True
    assert exported["encrypted_values"][0]["placeholder"] == "<EMAIL_ADDRESS_1>"
    assert "test.person" not in json.dumps(exported, default=str)

    receipt = stores().data_rights.erase("c3", actor="operator")
    assert receipt["counts"]["conversation_events"] == 1 and receipt["counts"]["vault_keys"] == 1
    again = stores().data_rights.export("c3", actor="operator")
    assert all(again[k] == [] for k in ("conversation", "consents", "handoff_tickets", "preferences", "encrypted_values"))
    assert stores().data_rights.erase("c3")["counts"]["handoff_tickets"] == 0  # idempotent
    with engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(erasure_receipts)).scalar_one() == 2
        audit = conn.execute(sa.select(audit_log)).mappings().all()
    assert {a["action"] for a in audit} == {"export", "erase"}
    assert all(a["subject"] == data_rights.subject("c3") for a in audit)
    stored = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert b"test.person" not in stored


def test_retention_removes_exactly_what_is_past_its_period() -> None:
    _events_table()
    rules = policies().retention
    default = rules.conversations.default_days
    consented = rules.conversations.improve_assistant_consented_days
    _event("old", "hi", NOW - dt.timedelta(days=default + 1))
    _event("recent", "hi", NOW - dt.timedelta(days=default - 1))
    _event("old-but-consented", "hi", NOW - dt.timedelta(days=default + 1))
    _event("too-old-even-consented", "hi", NOW - dt.timedelta(days=consented + 1))
    for sender in ("old-but-consented", "too-old-even-consented"):
        stores().consent.record(sender, "improve_assistant", "granted", "v")
    ticket = stores().tickets.open_ticket("t", "customer_request", "normal", {}, [])
    with engine().begin() as conn:
        conn.execute(handoff_tickets.update().where(handoff_tickets.c.id == ticket.id).values(
            status="closed", updated_at=NOW - dt.timedelta(days=rules.handoff_tickets.finished_days + 1)))
    ConversationMasker("v").mask_text("mail test.person@example.com")
    with engine().begin() as conn:
        conn.execute(vault_items.update().values(created_at=NOW - dt.timedelta(days=400)))
    removed = stores().data_rights.retention_run(now=NOW)
    assert {k: removed[k] for k in ("conversations", "conversation_events", "handoff_tickets", "vault_values")} == {
        "conversations": 2, "conversation_events": 2, "handoff_tickets": 1, "vault_values": 1}
    with engine().connect() as conn:
        left = {r[0] for r in conn.execute(sa.select(data_rights.events.c.sender_id))}
    assert left == {"recent", "old-but-consented"}
    assert stores().data_rights.retention_run(now=NOW) == {k: 0 for k in removed}  # idempotent


def test_retention_takes_everything_kept_under_an_old_conversations_id(data_dir) -> None:
    import os

    from bot.storage.db import customer_preferences

    _events_table()
    rules = policies().retention
    old = NOW - dt.timedelta(days=rules.conversations.default_days + 1)
    for sender in ("stale", "fresh"):
        _event(sender, "hi", old if sender == "stale" else NOW)
        ConversationMasker(sender).mask_text(f"mail {sender}.person@example.com")
        stores().orders.record_check(sender, "CND-100001", passed=False)
        stores().orders.request_address_change(sender, "CND-100001", "<STREET_ADDRESS_1>")
        stores().orders.request_invoice(sender, "CND-100001")
        ticket = stores().tickets.open_ticket(sender, "customer_request", "normal", {}, [])
        reply = stores().tickets.hold_reply(ticket.id, sender, "sam", stores().vault.seal(sender, "{}"))
        stores().tickets.emitted(sender, [reply])
    with engine().begin() as conn:
        conn.execute(vault_items.update().where(vault_items.c.sender_id == "stale").values(
            created_at=NOW - dt.timedelta(days=400)))
        conn.execute(customer_preferences.insert().values(
            sender_id="gone-long-ago", ai_opt_out=True, updated_at=NOW - dt.timedelta(days=rules.preferences.days + 1)))
    stores().consent.record("consented-long-ago", "improve_assistant", "granted", "v")
    with engine().begin() as conn:
        conn.execute(data_rights.consent_ledger.update().where(
            data_rights.consent_ledger.c.sender_id == "consented-long-ago").values(
            recorded_at=NOW - dt.timedelta(days=rules.consent_records.days + 1)))
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for name, age in (("rasa.log.1", rules.logs.days + 1), ("rasa.log.2", 1), ("rasa.log", 400)):
        (logs / name).write_text("masked lines\n")
        os.utime(logs / name, (NOW.timestamp() - age * 86400,) * 2)
    removed = stores().data_rights.retention_run(now=NOW)
    assert removed["consent_records"] == 1 and removed["preferences"] == 1 and removed["log_files"] == 1
    assert sorted(p.name for p in logs.iterdir()) == ["rasa.log", "rasa.log.2"]  # the live log stays
    with engine().connect() as conn:
        for name, table in data_rights.PER_SENDER.items():
            if name == "handoff_tickets":
                continue  # open tickets wait for a human; finished ones have their own period
            senders = {r.sender_id for r in conn.execute(sa.select(table.c.sender_id))}
            assert "stale" not in senders, name
            if name not in ("vault_items", "vault_purposes", "consent_ledger", "customer_preferences"):
                assert "fresh" in senders, name


def test_training_export_has_only_consenting_customers() -> None:
    _events_table()
    purpose = policies().purpose("improve_assistant")
    for sender in ("yes", "no", "withdrew"):
        _event(sender, f"hello from {sender}", NOW)
    stores().consent.record("yes", purpose.name, "granted", purpose.version)
    stores().consent.record("no", purpose.name, "refused", purpose.version)
    stores().consent.record("withdrew", purpose.name, "granted", purpose.version)
    stores().consent.record("withdrew", purpose.name, "withdrawn", purpose.version)
    exported = stores().data_rights.training_export()
    assert [c["turns"][0]["text"] for c in exported] == ["hello from yes"]
    assert exported[0]["conversation"] == data_rights.subject("yes")


def test_the_cli_erases_exports_and_shows_consent(data_dir) -> None:
    stores().consent.record("cli-1", "improve_assistant", "granted", "v")

    def cli(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=120, check=True)
        return json.loads(result.stdout)

    assert cli("consent", "show", "--sender", "cli-1")["current"]["improve_assistant"]["decision"] == "granted"
    assert len(cli("data", "export", "--sender", "cli-1")["consents"]) == 1
    assert cli("data", "erase", "--sender", "cli-1")["receipt"]["counts"]["consent_ledger"] == 1
    assert cli("consent", "show", "--sender", "cli-1")["history"] == []
    assert cli("retention", "run", "--now", "2030-01-01T00:00:00")["removed"]["conversations"] == 0


def test_retention_in_batches_lets_concurrent_saves_through(monkeypatch) -> None:
    """A retention run of many conversations while turns are saved from other threads (as
    the tracker store and the desk do): every save lands, none fails with a locked database."""
    import threading

    monkeypatch.setattr(data_rights, "RETENTION_BATCH", 25)
    _events_table()
    stale = NOW - dt.timedelta(days=policies().retention.conversations.default_days + 5)
    with engine().begin() as conn:
        conn.execute(data_rights.events.insert(), [
            {"sender_id": f"gone-{i % 40}", "type_name": "user", "timestamp": stale.timestamp(),
             "data": json.dumps({"event": "user", "text": "hi"})} for i in range(2000)])
    errors, saved = [], []

    def save(worker: int) -> None:
        for turn in range(30):
            try:
                _event(f"live-{worker}", f"turn {turn}", NOW)
                stores().tickets.open_ticket(f"live-{worker}", "customer_request", "normal", {}, [])
                saved.append(1)
            except Exception as exc:  # noqa: BLE001 - the assertion names it
                errors.append(repr(exc))

    savers = [threading.Thread(target=save, args=(w,)) for w in range(3)]
    for thread in savers:
        thread.start()
    removed = stores().data_rights.retention_run(now=NOW)
    for thread in savers:
        thread.join()
    assert errors == []
    assert len(saved) == 90
    assert removed["conversations"] == 40 and removed["conversation_events"] == 2000
    with engine().connect() as conn:
        live = conn.execute(sa.select(sa.func.count()).select_from(data_rights.events)
                            .where(data_rights.events.c.sender_id.like("live-%"))).scalar_one()
    assert live == 90


def test_one_unfinished_ticket_per_customer_is_a_database_constraint() -> None:
    first = stores().tickets.open_ticket("dup", "customer_request", "normal", {}, [])
    with pytest.raises(sa.exc.IntegrityError):
        with engine().begin() as conn:
            conn.execute(handoff_tickets.insert().values(
                id="another", sender_id="dup", reason="customer_request", priority="normal", status="open",
                created_at=NOW, updated_at=NOW, summary={}, transcript=[]))
    assert stores().tickets.open_ticket("dup", "fraud", "urgent", {}, []).id == first.id  # the same ticket, raised
    with engine().begin() as conn:
        conn.execute(handoff_tickets.update().values(status="closed"))
    assert stores().tickets.open_ticket("dup", "customer_request", "normal", {}, []).id != first.id  # finished: a new one


def test_sqlite_runs_with_wal_and_an_erasure_leaves_nothing_in_the_wal(data_dir) -> None:
    ConversationMasker("wal-customer").mask_text("mail wal.person@example.com")
    with engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 3000
    stores().data_rights.erase("wal-customer", actor="operator")
    wal = data_dir / "candor.db-wal"
    assert not wal.exists() or b"wal-customer" not in wal.read_bytes()
    assert b"wal-customer" not in (data_dir / "candor.db").read_bytes()


def test_an_erasure_does_not_hold_other_writers_back(data_dir) -> None:
    """A 150 MB database (other customers' conversations), an erasure, and another customer's
    turns written meanwhile: none of them waits a second (VACUUM on every erasure rebuilt the
    whole file while everyone else waited)."""
    import threading
    import time

    _events_table()
    filler = json.dumps({"event": "user", "text": "x" * 1000})
    with engine().begin() as conn:
        conn.execute(data_rights.events.insert(), [
            {"sender_id": f"other-{i % 500}", "type_name": "user", "timestamp": 1.0, "data": filler}
            for i in range(150_000)])
    _event("erase-me", "gone soon", NOW)
    waits, done = [], threading.Event()

    def other_customer() -> None:
        while not done.is_set():
            started = time.monotonic()
            _event("writer", "a turn", NOW)
            waits.append(time.monotonic() - started)
            time.sleep(0.02)

    writer = threading.Thread(target=other_customer)
    writer.start()
    time.sleep(0.2)
    try:
        started = time.monotonic()
        stores().data_rights.erase("erase-me")
        erased_in = time.monotonic() - started
    finally:
        time.sleep(0.2)
        done.set()
        writer.join()
    assert len(waits) > 5 and max(waits) < 1.0, (max(waits), erased_in)
    assert stores().data_rights.stored_events("erase-me") == []
    assert b"gone soon" not in (data_dir / "candor.db").read_bytes()


def test_customers_may_erase_a_few_times_an_hour() -> None:
    rights = stores().data_rights
    assert rights.erasures_left("often") == data_rights.ERASURES_PER_WINDOW
    for _ in range(data_rights.ERASURES_PER_WINDOW):
        rights.erase("often")
    assert rights.erasures_left("often") == 0
    assert rights.erasures_left("someone-else") == data_rights.ERASURES_PER_WINDOW
    later = dt.datetime.now(dt.timezone.utc) + data_rights.ERASURE_WINDOW + dt.timedelta(minutes=1)
    assert rights.erasures_left("often", now=later) == data_rights.ERASURES_PER_WINDOW


def test_the_maintenance_command_vacuums(data_dir) -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "maintenance", "vacuum"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "vacuumed" in done.stdout


def test_a_vault_value_no_consent_asked_for_lives_only_minutes(data_dir, monkeypatch) -> None:
    """Values the door vaults on sight (pii.yml `vault`) wait retention.yml's `vault_pending`
    minutes for a purpose the customer consents to; then they are destroyed: by the door's
    sweep as customers write, and by the retention run. A value a consent tagged stays."""
    from bot.channels import limits

    minutes = policies().retention.vault_pending.minutes
    ConversationMasker("pend").mask_text("mail pending.person@example.com, call 06 12345678")
    stores().consent.tag_vault_value("pend", "<PHONE_NUMBER_1>", "callback")
    now = dt.datetime.now(dt.timezone.utc)
    vault = stores().vault
    assert vault.forget_unconsented(now - dt.timedelta(minutes=minutes)) == 0  # still waiting
    assert vault.get("pend", "<EMAIL_ADDRESS_1>") == "pending.person@example.com"
    with engine().begin() as conn:
        conn.execute(vault_items.update().values(created_at=now - dt.timedelta(minutes=minutes + 1)))
    monkeypatch.setattr(limits, "_last_sweep", [float("-inf")])
    limits.forget_pending_values()
    assert vault.get("pend", "<EMAIL_ADDRESS_1>") is None
    assert vault.get("pend", "<PHONE_NUMBER_1>") is not None  # kept for the consented callback
    # The sweep runs at most once a minute: a second value is left to the next one ...
    ConversationMasker("pend-2").mask_text("mail second.person@example.com")
    with engine().begin() as conn:
        conn.execute(vault_items.update().where(vault_items.c.sender_id == "pend-2").values(
            created_at=now - dt.timedelta(minutes=minutes + 1)))
    limits.forget_pending_values()
    assert vault.get("pend-2", "<EMAIL_ADDRESS_1>") is not None
    # ... or to the retention run.
    assert stores().data_rights.retention_run(now=now)["vault_values"] == 1
    assert vault.get("pend-2", "<EMAIL_ADDRESS_1>") is None
    stored = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert b"pending.person" not in stored and b"second.person" not in stored
