"""Rasa's REST channel, plus the human agents' replies that wait for a REST customer.

Same URL and format as Rasa's own (`/webhooks/rest/webhook`, `{"sender", "message"}`):
registered under the name `rest`. Every message needs `Authorization: Bearer <JWT>` whose
`sub` is the sender id (bot/identity.py); without it, 401 and nothing runs. REST cannot push, so an agent's reply is kept
(encrypted with the conversation's vault key) and returned first in the response to the
customer's next message, labelled as from a human agent (`"metadata": {"from": "human"}`).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import at_the_door, metadata_problem
from bot.channels.paused import answer_while_paused
from bot.channels.rate import Busy, client_address, retry_after, wait_for_address, wait_for_sender
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
        """Rasa's two routes (`GET /`, `POST /webhook`), with the door in front: the client
        address's and the sender's rate, the token (before the body is read as JSON), the
        body's shape, then the turn. A turn that fails (the database, say) answers 503: the
        customer is told, and nothing half-done is acknowledged."""
        rasa_agent: Dict[str, Any] = {}

        async def after_the_door(message: UserMessage) -> None:
            await answer_while_paused(rasa_agent.get("agent"), message)
            await on_new_message(message)

        door = at_the_door(after_the_door)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            rasa_agent.setdefault("agent", getattr(request.app.ctx, "agent", None))
            wait = wait_for_address(client_address(request.ip, request.headers))
            if wait:
                return _too_many(wait)
            sender = _signed_in(request)
            if isinstance(sender, HTTPResponse):
                return sender
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic raises several kinds for bad JSON
                return response.json({"error": "the body must be JSON"}, status=400)
            problem = body_problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
            if body.get("sender") not in (None, sender):
                return response.json({"error": "'sender' is not the sender id of your token"}, status=403)
            if "stream" in request.args:
                # Rasa's streaming mode drops the message after held replies are taken.
                return response.json({"error": "streaming responses are not supported"}, status=400)
            collector = CollectingOutputChannel()
            message = UserMessage(body["message"], collector, sender, input_channel=self.name(),
                                  metadata=body.get("metadata"))
            held = deliver_held_replies(collector, sender)
            try:
                await door(message)
            except Busy:
                return _too_many(2.0)
            except Exception as exc:  # noqa: BLE001 - the customer is told; the text is not logged
                logger.error("A REST turn failed (%s: %s); answered 503, nothing acknowledged.",
                             type(exc).__name__, str(exc)[:200])
                return response.json({"error": "the assistant could not take your message just now; "
                                      "nothing was saved: please send it again in a moment"}, status=503,
                                     headers={"Retry-After": "5"})
            stores().tickets.delivered(sender, held)  # in this response: delivered now
            return response.json(collector.messages)

        @webhook.route("/export", methods=["GET"])
        async def export(request: Request) -> HTTPResponse:
            """Everything stored about the token's customer, as a JSON file (the same export
            "what data do you have about me?" gives in the chat)."""
            sender = _signed_in(request)
            if isinstance(sender, HTTPResponse):
                return sender
            return response.json(stores().data_rights.export(sender), headers={
                "Content-Disposition": 'attachment; filename="candor-data-export.json"',
                "Cache-Control": "no-store"})

        return webhook


def _signed_in(request: Request) -> Union[str, HTTPResponse]:
    """The token's sender id, or the answer when there is none (401) or they send too fast (429)."""
    try:
        sender = verify(bearer(request.headers))
    except IdentityError as exc:
        return response.json({"error": str(exc)}, status=401)
    wait = wait_for_sender(sender)
    return _too_many(wait) if wait else sender


def _too_many(wait: float) -> HTTPResponse:
    return response.json({"error": f"too many messages: please wait {retry_after(wait)} s"}, status=429,
                         headers={"Retry-After": retry_after(wait)})


def body_problem(body: Any) -> Optional[str]:
    """Why a webhook body is refused, or None: an object with a string `message`, a string
    `sender` if any, and bounded `metadata`."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("message"), str):
        return "'message' must be a string"
    if body.get("sender") is not None and not isinstance(body.get("sender"), str):
        return "'sender' must be a string"
    return metadata_problem(body.get("metadata"))


def deliver_held_replies(collector: CollectingOutputChannel, sender_id: str) -> List[int]:
    """Put the customer's waiting agent replies into this response, oldest first; their ids,
    to be marked delivered once the response is made (until then they stay held)."""
    held = stores().tickets.held_messages(sender_id)
    collector.messages.extend({"recipient_id": sender_id, **message} for _, message in held)
    return [reply_id for reply_id, _ in held]
