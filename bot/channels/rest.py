"""Rasa's REST channel, plus the human agents' replies that wait for a REST customer.

Same URL and format as Rasa's own (`/webhooks/rest/webhook`, `{"sender", "message"}`):
registered under the name `rest`. Every message needs `Authorization: Bearer <JWT>` whose
`sub` is the sender id (bot/identity.py); without it, 401 and nothing runs. REST cannot push, so an agent's reply is kept
(encrypted with the conversation's vault key) and returned first in the response to the
customer's next message, labelled as from a human agent (`"metadata": {"from": "human"}`).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import at_the_door, metadata_problem
from bot.channels.paused import answer_while_paused
from bot.identity import IdentityError, bearer, verify
from bot.storage import stores

logger = logging.getLogger(__name__)


class CandorRestInput(RestInput):
    """Rasa's REST channel that also delivers waiting human replies."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_input_channel(self, req: Request) -> Text:
        # The channel is who received the message, not something a client can claim.
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rasa_agent: Dict[str, Any] = {}

        @at_the_door
        async def with_human_replies(message: UserMessage) -> None:
            if isinstance(message.output_channel, CollectingOutputChannel) and message.sender_id:
                await deliver_held_replies(message.output_channel, message.sender_id)
                await answer_while_paused(rasa_agent.get("agent"), message)
            await on_new_message(message)

        blueprint = super().blueprint(with_human_replies)

        @blueprint.route("/export", methods=["GET"])
        async def export(request: Request) -> HTTPResponse:
            """Everything stored about the token's customer, as a JSON file (the same export
            "what data do you have about me?" gives in the chat)."""
            try:
                sender = verify(bearer(request.headers))
            except IdentityError as exc:
                return response.json({"error": str(exc)}, status=401)
            return response.json(stores().data_rights.export(sender), headers={
                "Content-Disposition": 'attachment; filename="candor-data-export.json"',
                "Cache-Control": "no-store"})

        @blueprint.middleware("request")
        async def remember_agent(request: Request) -> Optional[HTTPResponse]:
            rasa_agent.setdefault("agent", getattr(request.app.ctx, "agent", None))
            if request.method == "POST" and request.path.rstrip("/").endswith("/webhook"):
                try:
                    body = request.json
                except Exception:  # noqa: BLE001 - Sanic raises several kinds for bad JSON
                    return response.json({"error": "the body must be JSON"}, status=400)
                if not isinstance(body, dict):
                    return response.json({"error": "the body must be a JSON object"}, status=400)
                problem = metadata_problem(body.get("metadata"))
                if problem:
                    return response.json({"error": problem}, status=400)
                if "stream" in request.args:
                    # Rasa's streaming mode drops the message after held replies are taken.
                    return response.json({"error": "streaming responses are not supported"}, status=400)
                try:
                    sender = verify(bearer(request.headers))
                except IdentityError as exc:
                    return response.json({"error": str(exc)}, status=401)
                if body.get("sender") is None:
                    body["sender"] = sender
                elif body.get("sender") != sender:
                    return response.json({"error": "'sender' is not the sender id of your token"}, status=403)
            return None

        return blueprint


async def deliver_held_replies(collector: CollectingOutputChannel, sender_id: str) -> int:
    """Put the customer's waiting agent replies into this response, oldest first."""
    messages = stores().tickets.held_messages(sender_id)
    collector.messages.extend({"recipient_id": sender_id, **message} for message in messages)
    return len(messages)
