"""Masking at rest: placeholders per conversation, the vault, the tracker store, fail closed."""
from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest
import tldextract
from cryptography.fernet import Fernet
from faker import Faker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.pii import conversation as conversation_module
from bot.pii.conversation import WITHHELD, ConversationMasker
from bot.pii.engine import engine, use_bundled_suffix_list
from bot.storage import stores
from bot.storage.keys import VaultError, master_key
from bot.storage.masking_tracker_store import MaskingTrackerStore
from tests.conftest import PROJECT_ROOT

fake = Faker("en_GB")


@pytest.fixture
def canary():
    """Obviously fake personal data, made fresh for each test."""
    Faker.seed(20261126)
    return {
        "name": f"{fake.first_name()} {fake.last_name()}".lower(),
        "email": f"canary.{fake.user_name()}@example.com",
        "card": "4111 1111 1111 1111",
    }


def every_byte(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


def test_same_value_same_placeholder_across_messages_and_restarts(canary) -> None:
    first = ConversationMasker("conv-1")
    a = first.mask_text(f"my name is {canary['name']}, mail {canary['email']}").text
    assert a == "my name is <PERSON_1>, mail <EMAIL_ADDRESS_1>"
    # A new masker (e.g. after a restart) for the same conversation reuses the numbers.
    again = ConversationMasker("conv-1")
    assert again.mask_text(f"{canary['email']} again, it's {canary['name'].title()}").text == (
        "<EMAIL_ADDRESS_1> again, it's <PERSON_1>"
    )
    assert again.mask_text("write to someone.else@example.org").text == "write to <EMAIL_ADDRESS_2>"
    # Another conversation starts from 1.
    assert ConversationMasker("conv-2").mask_text(f"mail {canary['email']}").text == "mail <EMAIL_ADDRESS_1>"


def test_vault_keeps_only_what_a_purpose_needs_and_only_encrypted(canary, data_dir) -> None:
    masker = ConversationMasker("conv-v")
    masker.mask_text(f"mail {canary['email']}, card {canary['card']}, i'm {canary['name']}")
    vault = stores().vault
    assert vault.get("conv-v", "<EMAIL_ADDRESS_1>") == canary["email"]  # operator: vault
    assert vault.get("conv-v", "<CREDIT_CARD_1>") is None  # operator: drop
    assert vault.get("conv-v", "<PERSON_1>") is None  # operator: mask
    stored = every_byte(data_dir)
    for value in canary.values():
        assert value.encode() not in stored
    vault.destroy("conv-v")
    assert vault.get("conv-v", "<EMAIL_ADDRESS_1>") is None


def test_master_key_is_generated_owner_only_or_taken_from_the_environment(data_dir, monkeypatch) -> None:
    key = master_key()
    path = data_dir / "vault.key"
    assert path.read_bytes().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    own = Fernet.generate_key().decode()
    monkeypatch.setenv("CANDOR_VAULT_KEY", own)
    assert master_key() == own.encode()
    monkeypatch.setenv("CANDOR_VAULT_KEY", "not-a-key")
    with pytest.raises(VaultError, match="Fernet key"):
        master_key()


def test_threads_creating_the_master_key_at_once_all_get_the_one_written(data_dir, monkeypatch) -> None:
    """The first save of a fresh data dir can come from several threads at once (the tracker
    store and the desk): none may read a half-written key file."""
    import threading

    from bot.storage import keys

    monkeypatch.delenv("CANDOR_VAULT_KEY", raising=False)
    got, errors = [], []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        try:
            got.append(keys._master_key.__wrapped__("", str(data_dir / "vault.key")))
        except Exception as exc:  # noqa: BLE001 - the assertion names it
            errors.append(repr(exc))

    for _ in range(20):
        (data_dir / "vault.key").unlink(missing_ok=True)
        got.clear()
        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(got)) == 1 and got[0] == (data_dir / "vault.key").read_bytes().strip()
    assert [p.name for p in data_dir.glob(".vault.key.*")] == []


def _tracker(sender: str, canary) -> DialogueStateTracker:
    domain = Domain.load(PROJECT_ROOT / "domain.yml")
    text = f"hi, this is {canary['name']} speaking, order CND-100002 for the Oak side table, mail {canary['email']}"
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered(text, {"name": "ask_order_status", "confidence": 0.9},
                        entities=[{"entity": "order_number", "value": "CND-100002"}],
                        parse_data={"text": text, "intent": {"name": "ask_order_status"}, "entities": []},
                        metadata={"from": canary["email"]}),
            SlotSet("order_number", "CND-100002"),
            BotUttered(f"Thanks {canary['name']}!", metadata={"echo": canary["email"]}),
        ],
        domain.slots,
    )


async def test_tracker_store_masks_everything_before_saving(canary, data_dir) -> None:
    db = data_dir / "candor.db"
    store = MaskingTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))
    await store.save(_tracker("conv-t", canary))
    stored = every_byte(data_dir)
    for value in canary.values():
        assert value.encode() not in stored
        assert json.dumps(value)[1:-1].encode() not in stored
    assert b"CND-100002" in stored and b"Oak side table" in stored
    events = (await store.retrieve("conv-t")).events
    user = next(e for e in events if isinstance(e, UserUttered))
    assert user.text == "hi, this is <PERSON_1> speaking, order CND-100002 for the Oak side table, mail <EMAIL_ADDRESS_1>"
    assert user.parse_data["text"] == user.text
    bot = next(e for e in events if isinstance(e, BotUttered))
    assert bot.text == "Thanks <PERSON_1>!" and bot.metadata == {"echo": "<EMAIL_ADDRESS_1>"}


async def test_a_broken_analyzer_stores_a_marker_not_the_message(canary, data_dir, monkeypatch) -> None:
    class Broken:
        policy = engine().policy

        def mask(self, *args, **kwargs):
            raise RuntimeError("analyzer crashed")

    monkeypatch.setattr(conversation_module, "engine", lambda: Broken())
    store = MaskingTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(data_dir / "candor.db"))
    await store.save(_tracker("conv-f", canary))
    stored = every_byte(data_dir)
    for value in canary.values():
        assert value.encode() not in stored
    user = next(e for e in (await store.retrieve("conv-f")).events if isinstance(e, UserUttered))
    assert user.text == WITHHELD


def test_email_recognition_needs_no_network(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    use_bundled_suffix_list()
    assert tldextract.extract("someone@shop.example.co.uk").suffix == "co.uk"
    assert [f.entity_type for f in engine().analyze("mail me at someone@shop.example.co.uk")] == ["EMAIL_ADDRESS"]


def test_nlu_masker_hides_personal_data_and_exposes_placeholders(canary) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.pii.nlu_masker import PiiMasker

    message = Message(data={"text": f"my card is {canary['card']} and i'm {canary['name']}"})
    PiiMasker().process([message])
    assert message.get("text") == "my card is <CREDIT_CARD_1> and i'm <PERSON_1>"
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("pii_credit_card", "<CREDIT_CARD_1>"),
        ("pii_person", "<PERSON_1>"),
    ]


def test_nlu_masker_fails_closed(canary, monkeypatch) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.pii.nlu_masker import PiiMasker

    masker = PiiMasker()
    monkeypatch.setattr(masker.engine, "mask", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    message = Message(data={"text": f"i'm {canary['name']}"})
    masker.process([message])
    assert message.get("text") == WITHHELD
    assert message.get("pii_masking_failed") is True


def test_client_metadata_is_data_keys_and_values_and_input_channel(canary, data_dir) -> None:
    masker = ConversationMasker("conv-m")
    event = UserUttered(
        "hi", input_channel=f"web of {canary['name'].title()}",
        metadata={"name": canary["name"].title(), canary["email"]: {"id": "x", "phone": 612345678},
                  "candor": {"from": "human", "note": f"call {canary['name'].title()}"}},
    ).as_dict()
    masked = masker.mask_event(event)
    stored = json.dumps(masked)
    for value in (canary["name"], canary["name"].title(), canary["email"], "612345678"):
        assert value not in stored
    assert masked["metadata"]["candor"]["from"] == "human"  # Candor's own codes keep their shape
    # Rasa copies the metadata into a slot when the session starts.
    slot = masker.mask_event(SlotSet("session_started_metadata", {canary["email"]: canary["name"]}).as_dict())
    assert canary["email"] not in json.dumps(slot) and canary["name"] not in json.dumps(slot)
    assert masker.mask_event(UserUttered("hi", input_channel="socketio").as_dict())["input_channel"] == "socketio"


def test_deeply_nested_metadata_is_cut_off_not_a_crash(data_dir) -> None:
    deep: dict = {}
    for _ in range(1000):
        deep = {"x": deep}
    masked = ConversationMasker("conv-deep").mask_event(UserUttered("hi", metadata=deep).as_dict())
    assert "[withheld: nested too deeply]" in json.dumps(masked)


def test_dropped_values_leave_no_digest_behind(canary, data_dir) -> None:
    from bot.storage.keys import digest
    from bot.storage.db import engine as db_engine
    from bot.storage.db import pii_placeholders

    masker = ConversationMasker("conv-d")
    assert masker.mask_text(f"card {canary['card']}, mail {canary['email']}").text == (
        "card <CREDIT_CARD_1>, mail <EMAIL_ADDRESS_1>")
    with db_engine().connect() as conn:
        rows = {r.entity_type: r.value_digest for r in conn.execute(pii_placeholders.select()).all()}
    # A card number cannot be found again by trying candidates against a keyed hash.
    assert rows["CREDIT_CARD"] != digest("CREDIT_CARD", "4111111111111111") and rows["CREDIT_CARD"].startswith("dropped:")
    assert rows["EMAIL_ADDRESS"] == digest("EMAIL_ADDRESS", canary["email"])  # kept: the same e-mail keeps its number
    # The next card in this conversation still gets a number of its own.
    assert ConversationMasker("conv-d").mask_text("card 5555 5555 5555 4444").text == "card <CREDIT_CARD_2>"


def test_the_bots_own_metadata_keeps_its_shape(data_dir) -> None:
    """Actions nest Candor's codes under "metadata"; the guardrail policy reads them back."""
    metadata = {"metadata": {"candor": {"kind": "consent_request", "rule": "order_lookup_by_email"}},
                "utter_action": "utter_ask_consent"}
    masked = ConversationMasker("conv-b").mask_event(BotUttered("Is that OK?", metadata=metadata).as_dict())
    assert masked["metadata"] == metadata


@pytest.mark.parametrize(
    "text, confidence, expected",
    [
        ("blorp <PERSON_1>", 0.46, "nlu_fallback"),  # gibberish and a "name": not understood
        ("hi, this is <PERSON_1>", 0.46, "greet"),  # real words: the classifier decides
        ("<PHONE_NUMBER_1>", 0.46, "greet"),  # only data (answering a form): the classifier decides
        ("blorp <PERSON_1>", 0.95, "greet"),  # the classifier is sure
        ("blorp zzkk", 0.46, "greet"),  # no placeholder: the FallbackClassifier's business
    ],
)
def test_placeholders_with_gibberish_are_not_understood(text: str, confidence: float, expected: str) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.pii.nlu_masker import MaskedGibberishFallback

    message = Message(data={"text": text, "intent": {"name": "greet", "confidence": confidence},
                            "intent_ranking": [{"name": "greet", "confidence": confidence}]})
    MaskedGibberishFallback().process([message])
    assert message.get("intent")["name"] == expected


def test_one_engine_per_database_per_process(data_dir) -> None:
    from bot.storage.db import engine as db_engine

    assert db_engine() is db_engine()
    with db_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 3000


async def test_the_event_stream_carries_exactly_the_masked_events_stored(canary, data_dir, tmp_path) -> None:
    from rasa.core.brokers.file import FileEventBroker
    from rasa.core.tracker_store import FailSafeTrackerStore

    stream = tmp_path / "events.log"
    store = MaskingTrackerStore(domain=Domain.load(PROJECT_ROOT / "domain.yml"), dialect="sqlite", db=str(data_dir / "candor.db"),
                                event_broker=FileEventBroker(str(stream)))
    # Rasa wraps the store; the in-memory store it falls back on must never get the broker.
    assert FailSafeTrackerStore(store).fallback_tracker_store.event_broker is None
    await store.save(_tracker("conv-s", canary))
    published = [json.loads(line) for line in stream.read_text().splitlines()]
    stored = (await store.retrieve("conv-s")).events
    assert [e["event"] for e in published] == [e.as_dict()["event"] for e in stored]
    assert all(e["sender_id"] == "conv-s" for e in published)
    for value in canary.values():
        assert value not in stream.read_text()
    user = next(e for e in published if e["event"] == "user")
    assert user["text"] == next(e for e in stored if isinstance(e, UserUttered)).text
    assert "<PERSON_1>" in user["text"]

    tracker = await store.retrieve("conv-s")  # a second save publishes only what is new
    tracker.update(BotUttered("Anything else?"))
    await store.save(tracker)
    published = [json.loads(line) for line in stream.read_text().splitlines()]
    assert [e.get("text") for e in published[-1:]] == ["Anything else?"]
    assert len(published) == len(stored) + 1

    tracker.update(SlotSet("erasure_receipt", "r-1"))
    await store.save(tracker)
    last = json.loads(stream.read_text().splitlines()[-1])
    assert last["event"] == "candor_erased" and last["sender_id"] == "conv-s"
