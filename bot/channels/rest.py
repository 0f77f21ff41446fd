"""Rasa's REST channel, plus the human agents' replies that wait for a REST customer.

Same URL and format as Rasa's own (`/webhooks/rest/webhook`, `{"sender", "message"}`):
registered under the name `rest`. REST cannot push, so an agent's reply is kept
(encrypted with the conversation's vault key) and returned first in the response to the
customer's next message, labelled as from a human agent (`"metadata": {"from": "human"}`).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.pii.vault import Vault
from bot.storage.tickets import take_held_replies

logger = logging.getLogger(__name__)


class CandorRestInput(RestInput):
    """Rasa's REST channel that also delivers waiting human replies."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_human_replies(message: UserMessage) -> None:
            if isinstance(message.output_channel, CollectingOutputChannel) and message.sender_id:
                await deliver_held_replies(message.output_channel, message.sender_id)
            await on_new_message(message)

        return super().blueprint(with_human_replies)


async def deliver_held_replies(collector: CollectingOutputChannel, sender_id: str) -> int:
    """Put the customer's waiting agent replies into this response, oldest first."""
    delivered = 0
    vault = Vault()
    for sealed in take_held_replies(sender_id):
        text = vault.unseal(sender_id, sealed)
        if text is None:
            continue  # the conversation's key was erased: nothing left to deliver
        message = json.loads(text)
        collector.messages.append({"recipient_id": sender_id, **message})
        delivered += 1
    return delivered
