"""The cap on a customer's message, applied by every input channel before anything runs.

A message longer than `CANDOR_MAX_MESSAGE_CHARS` (default 4,000 characters) is answered
politely and goes no further: not to the masker, the classifier or the tracker store, so
one huge message cannot hold up every other conversation.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from bot.config import settings

TOO_LONG = (
    "Sorry, that message is too long for me ({length:,} characters; the limit is {limit:,}). "
    'Could you send it in shorter parts, or type "human" to reach a colleague?'
)


def too_long(text: Any) -> bool:
    return isinstance(text, str) and len(text) > settings().max_message_chars


def capped(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` that answers an over-long message itself and passes on the rest."""

    async def handle(message: UserMessage) -> None:
        if too_long(message.text):
            text = TOO_LONG.format(length=len(message.text), limit=settings().max_message_chars)
            await message.output_channel.send_text_message(message.sender_id, text)
            return None
        return await on_new_message(message)

    return handle
