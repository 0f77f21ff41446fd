"""The message cap: an over-long message is answered politely and goes no further."""
from __future__ import annotations

from typing import List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.limits import capped


async def test_an_over_long_message_is_answered_and_not_passed_on(monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_MAX_MESSAGE_CHARS", "100")
    passed: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        passed.append(message.text)

    handle = capped(on_new_message)
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
