"""At the door: an over-long message is answered politely and goes no further; the rest is
analysed off the event loop, within a time limit that fails closed."""
from __future__ import annotations

from typing import List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.limits import at_the_door


async def test_an_over_long_message_is_answered_and_not_passed_on(monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_MAX_MESSAGE_CHARS", "100")
    # About the length cap, not the analysis' time limit: the first analysis starts the
    # worker process (Presidio, spaCy), which on a busy machine takes longer than 10 s.
    monkeypatch.setenv("CANDOR_MASK_TIME_LIMIT", "300")
    passed: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        passed.append(message.text)

    handle = at_the_door(on_new_message)
    collector = CollectingOutputChannel()
    await handle(UserMessage("a'" * 51, collector, "customer-1"))
    assert passed == []
    assert "too long" in collector.messages[0]["text"] and "102" in collector.messages[0]["text"]
    await handle(UserMessage("x" * 100, collector, "customer-1"))
    assert passed == ["x" * 100]  # at the limit: passed on


def test_the_cap_must_be_a_positive_number(monkeypatch) -> None:
    import pytest

    from bot.config import settings

    monkeypatch.setenv("CANDOR_MAX_MESSAGE_CHARS", "lots")
    with pytest.raises(SystemExit, match="CANDOR_MAX_MESSAGE_CHARS"):
        settings()
    monkeypatch.setenv("CANDOR_MAX_MESSAGE_CHARS", "0")
    with pytest.raises(SystemExit, match="between 1 and"):
        settings()


def _pid_after(seconds: float) -> int:
    import os
    import time

    time.sleep(seconds)
    return os.getpid()


def _workers_ready(workers, timeout: float = 120.0) -> bool:
    """Every worker is up with its engine loaded: as many short jobs at once as there are
    workers land on as many different processes."""
    import time
    from concurrent.futures import wait

    deadline = time.monotonic() + timeout
    wait(workers.start())
    while time.monotonic() < deadline:
        pool = workers.pool()
        if len({job.result() for job in [pool.submit(_pid_after, 0.3) for _ in range(workers.count)]}) == workers.count:
            return True
    return False


HOSTILE = "a." * 2000  # 4,000 characters; Presidio's own URL pattern took 25 s on it unbounded


async def test_hostile_input_is_analysed_off_the_loop_while_another_conversation_is_answered() -> None:
    import asyncio
    import time

    from bot.channels.limits import screened
    from bot.pii.conversation import WITHHELD
    from bot.pii.engine import engine

    from bot.pii import analysis_process

    assert _workers_ready(analysis_process.ANALYSIS)  # both workers, as some time after server start
    gaps: List[float] = []
    done: List[str] = []

    async def ticker() -> None:
        last = time.monotonic()
        while "hostile" not in done:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def hostile() -> str:
        result = await screened(HOSTILE)
        done.append("hostile")
        return result

    async def ordinary() -> str:
        await asyncio.sleep(0.05)  # arrives while the hostile one is being analysed
        result = await screened("hi, where is my order? this is Jan de Vries")
        done.append("ordinary")
        return result

    hostile_result, ordinary_result, _ = await asyncio.gather(hostile(), ordinary(), ticker())
    assert hostile_result == WITHHELD  # past a pattern's time limit: nothing raw goes on
    assert ordinary_result.startswith("hi, where is my order")
    assert done == ["ordinary", "hostile"]  # the other customer did not wait for it
    assert max(gaps) < 0.5, f"the event loop stalled for {max(gaps):.2f}s"
    # The NLU step and the tracker store reuse the door's analysis.
    assert [f.entity_type for f in engine().analyze("hi, where is my order? this is Jan de Vries")] == ["PERSON"]


async def test_the_time_limit_fails_closed_and_the_nlu_step_flags_it(monkeypatch) -> None:
    import asyncio

    from rasa.shared.nlu.training_data.message import Message

    from bot.channels import limits
    from bot.pii.conversation import WITHHELD
    from bot.pii.nlu_masker import FAILED_KEY, PiiMasker

    release = asyncio.Event()

    async def stuck(text: str) -> list:
        await asyncio.wait_for(release.wait(), 5)
        return []

    monkeypatch.setenv("CANDOR_MASK_TIME_LIMIT", "1")
    monkeypatch.setattr(limits.analysis_process, "analyze", stuck)
    try:
        assert await limits.screened("my name is Pietje Puk") == WITHHELD
    finally:
        release.set()
    message = Message({"text": WITHHELD})
    PiiMasker().process([message])
    assert message.get(FAILED_KEY) is True and message.get("text") == WITHHELD


def test_metadata_is_bounded_like_a_message(monkeypatch) -> None:
    from bot.channels.limits import metadata_problem

    monkeypatch.setenv("CANDOR_MAX_MESSAGE_CHARS", "100")
    assert metadata_problem({"page": "x" * 90}) is None
    assert "more than 100 characters" in metadata_problem({"page": "x" * 101})
    assert "more than 100 characters" in metadata_problem({"a": ["y" * 60, {"b": "z" * 60}]})
    assert metadata_problem(["not", "an", "object"]) == "'metadata' must be a JSON object"


async def test_the_analysis_runs_in_its_own_process_and_a_dead_one_is_replaced() -> None:
    """The worker's findings are the engine's own and are kept for the NLU step; when the
    worker dies, the message is still analysed (in the server) and a new worker follows."""
    import os
    import signal

    from bot.pii import analysis_process
    from bot.pii.engine import engine

    text = "hello, this is Jan de Vries, jan.devries@example.org"
    here = [(f.entity_type, f.start, f.end) for f in engine()._analyze(text, [], ())]
    found = await analysis_process.analyze(text)
    assert [(f.entity_type, f.start, f.end) for f in found] == here and len(here) == 2
    pool = analysis_process.ANALYSIS.pool()
    workers = list(pool._processes)
    assert workers and os.getpid() not in workers
    assert text in engine()._recent  # remembered: the NLU step does not analyse again
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    again = "my name is Pietje Puk"
    assert [f.entity_type for f in await analysis_process.analyze(again)] == ["PERSON"]
    assert analysis_process.ANALYSIS.pool() is not pool
    third = await analysis_process.analyze("call me on +31 6 12345678")
    assert [f.entity_type for f in third] == ["PHONE_NUMBER"]
    assert set(analysis_process.ANALYSIS.pool()._processes).isdisjoint(workers)


def test_token_buckets_refuse_past_the_burst_and_refill_with_time() -> None:
    from bot.channels.rate import TokenBuckets

    now = [1000.0]
    buckets = TokenBuckets(burst=3, per_minute=60, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 1.0  # one more in a second
    assert buckets.take("b") == 0.0  # another key has its own bucket
    now[0] += 2.0
    assert buckets.take("a") == 0.0
    assert TokenBuckets(burst=0, per_minute=60).take("a") == 0.0  # off


def test_the_client_address_is_the_proxys_unless_it_is_trusted(monkeypatch) -> None:
    from bot.channels.rate import client_address

    # The client wrote 198.51.100.1 itself; the proxy appended the address it saw.
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    monkeypatch.delenv("CANDOR_TRUSTED_PROXIES", raising=False)
    assert client_address("127.0.0.1", forwarded) == "127.0.0.1"  # anyone can send the header
    monkeypatch.setenv("CANDOR_TRUSTED_PROXIES", "127.0.0.1")
    assert client_address("127.0.0.1", forwarded) == "203.0.113.9"
    assert client_address("127.0.0.1", {}) == "127.0.0.1"
    assert client_address("198.51.100.7", forwarded) == "198.51.100.7"  # not through the proxy


async def test_one_senders_messages_pass_the_door_one_at_a_time_with_a_short_queue() -> None:
    import asyncio

    from bot.channels.rate import Busy, SenderTurns

    turns, inside, most, order = SenderTurns(waiting=2), [0], [0], []

    async def message(sender: str, number: int) -> str:
        try:
            async with turns.turn(sender):
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                await asyncio.sleep(0.05)
                order.append(number)
                inside[0] -= 1
            return "done"
        except Busy:
            return "busy"

    results = await asyncio.gather(*(message("flood", n) for n in range(6)), message("other", 99))
    assert results[:3] == ["done"] * 3 and results[3:6] == ["busy"] * 3 and results[6] == "done"
    assert order.index(99) < 2  # the other customer did not wait behind the flood
    assert most[0] == 2  # one of each sender at a time


async def test_the_door_masks_with_the_conversations_placeholders_before_rasa_sees_it(monkeypatch, data_dir) -> None:
    """What the Rasa server gets (and so its tracker in memory, the NLU step and the action
    server) holds placeholders only; the same value keeps its number in the next message,
    values pii.yml vaults are in the vault (encrypted), dropped ones nowhere."""
    from faker import Faker

    from bot.storage import stores

    monkeypatch.setenv("CANDOR_MASK_TIME_LIMIT", "300")  # the first analysis starts the worker
    fake = Faker("nl_NL")
    Faker.seed(23)
    name, email, iban = f"{fake.first_name()} {fake.last_name()}", fake.email(), fake.iban()
    passed: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        passed.append(message)

    handle = at_the_door(on_new_message)
    collector = CollectingOutputChannel()
    await handle(UserMessage(f"my name is {name}, mail {email}, refund to {iban}", collector, "door-1",
                             metadata={"from": email, "candor": {"masked": True, "kind": email}}))
    await handle(UserMessage(f"did you get {email}?", collector, "door-1"))
    await handle(UserMessage("/affirm", collector, "door-1", metadata={"candor": {"masked": True}}))
    first, second, payload = passed
    assert first.text == "my name is <PERSON_1>, mail <EMAIL_ADDRESS_1>, refund to <IBAN_CODE_1>"
    assert first.metadata["from"] == "<EMAIL_ADDRESS_1>"
    # Marked as masked here; what the client sent under that key is gone.
    assert first.metadata["candor"] == {"masked": True} and second.metadata["candor"] == {"masked": True}
    assert second.text == "did you get <EMAIL_ADDRESS_1>?"
    # A button payload is not masked here, so it is not marked (the action server checks it).
    assert payload.text == "/affirm" and "candor" not in (payload.metadata or {})
    vault = stores().vault
    assert vault.get("door-1", "<EMAIL_ADDRESS_1>") == email  # pii.yml: vault
    assert vault.get("door-1", "<IBAN_CODE_1>") is None and vault.get("door-1", "<PERSON_1>") is None
    stored = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for value in (name, email, iban):
        assert value.encode() not in stored
