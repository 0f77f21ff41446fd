"""The agent desk: a Rasa input channel for human agents, served by the Rasa server.

Mounted at `/webhooks/agent_desk/` (credentials.yml). The console page is `GET /`; the JSON
API lives under `/api/` and needs `Authorization: Bearer <agent token>` (401 otherwise):

    GET  api/me                      who the token belongs to
    GET  api/queue                   unfinished tickets: priority (with waiting time), then wait
    GET  api/tickets/<id>            one ticket, with its masked transcript and summary
    POST api/tickets/<id>/claim      take the ticket (409 if another agent holds it)
    GET  api/tickets/<id>/contact    a callback ticket's phone number (consented; audited)
    POST api/tickets/<id>/reply      {"text": "..."}: a reply to the customer, labelled human
    POST api/tickets/<id>/handback   the bot takes over again (ConversationResumed)
    POST api/tickets/<id>/close      done; the next customer message starts with the bot

A reply is a bot utterance in the customer's tracker whose metadata says it came from a
human (`{"candor": {"from": "human", "agent_id": ...}}`), so the record is complete. It
reaches socket.io customers at once; REST customers get it with the response to their
next message (REST has no push), until then it waits encrypted (bot/channels/rest.py).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.constants import CANDOR_KEY, CandorMeta
from bot.channels.agents import Agent, AgentConfigError, authenticate, load_agents
from bot.guardrails.loader import policies
from bot.guardrails.texts import text_in
from bot.language import language_of
from bot.pii.conversation import ConversationMasker
from bot.storage import stores
from bot.storage.tickets import TicketConflict, TicketError, TicketNotFound

logger = logging.getLogger(__name__)


class DeskError(Exception):
    """A request the desk cannot serve, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# The ticket store's domain errors, as the desk's HTTP answers.
STATUS_OF = {TicketNotFound: 404, TicketConflict: 409}

CONSOLE_DIR = Path(__file__).parent / "console"
MAX_REPLY_CHARS = 4000
CONSOLE_HEADERS = {
    # The console shows customers' words: no inline script, nothing from elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def human_label(agent: Agent, language: Optional[str] = None) -> str:
    """"Sam (human agent)", "Sam (medewerker)": how the customer sees who wrote."""
    return text_in(policies().messages["human_label"], language).format(name=agent.name)


def for_agents(ticket: Dict[str, Any]) -> Dict[str, Any]:
    """A ticket as the desk shows it: the customer by pseudonym (`customer`), never by the
    channel's sender id (which may be a login name, a phone number or an e-mail address)."""
    return {key: value for key, value in ticket.items() if key != "sender_id"}


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


Handler = Callable[..., Awaitable[HTTPResponse]]


def agent_only(handler: Handler) -> Handler:
    """Only a configured agent's bearer token gets through; desk errors become JSON."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        try:
            agent = authenticate(token)
        except AgentConfigError as exc:
            logger.error("Agent desk: %s", exc)
            return _error(500, "the desk's agent configuration is invalid; see the server log")
        if agent is None:
            return response.json(
                {"error": "a valid agent token is required"}, status=401,
                headers={"WWW-Authenticate": 'Bearer realm="candor-agent-desk"'},
            )
        try:
            return await handler(request, agent, *args, **kwargs)
        except DeskError as exc:
            return _error(exc.status, str(exc))
        except TicketError as exc:  # the store's domain errors, in HTTP
            return _error(STATUS_OF.get(type(exc), 409), str(exc))

    return wrapped


class AgentDeskInput(InputChannel):
    """Human agents work the handoff queue through this channel."""

    @classmethod
    def name(cls) -> Text:
        return "agent_desk"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "AgentDeskInput":
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        desk = Blueprint("agent_desk_webhook", __name__)

        @desk.route("/", methods=["GET"])
        async def console(request: Request) -> HTTPResponse:
            return await response.file(CONSOLE_DIR / "index.html", headers=CONSOLE_HEADERS)

        @desk.route("/console.js", methods=["GET"])
        async def console_script(request: Request) -> HTTPResponse:
            return await response.file(CONSOLE_DIR / "console.js", headers=CONSOLE_HEADERS)

        @desk.route("/console.css", methods=["GET"])
        async def console_style(request: Request) -> HTTPResponse:
            return await response.file(CONSOLE_DIR / "console.css", headers=CONSOLE_HEADERS)

        @desk.route("/api/me", methods=["GET"])
        @agent_only
        async def me(request: Request, agent: Agent) -> HTTPResponse:
            return response.json({"id": agent.id, "name": agent.name})

        @desk.route("/api/queue", methods=["GET"])
        @agent_only
        async def queue(request: Request, agent: Agent) -> HTTPResponse:
            escalate = policies().handoff.queue_priority
            return response.json({"tickets": [for_agents(t) for t in stores().tickets.queue(escalate)]})

        @desk.route("/api/tickets/<ticket_id>", methods=["GET"])
        @agent_only
        async def ticket(request: Request, agent: Agent, ticket_id: str) -> HTTPResponse:
            return response.json(for_agents(stores().tickets.get_ticket(ticket_id)))

        @desk.route("/api/tickets/<ticket_id>/claim", methods=["POST"])
        @agent_only
        async def claim(request: Request, agent: Agent, ticket_id: str) -> HTTPResponse:
            return response.json(for_agents(stores().tickets.claim(ticket_id, agent.id,
                                                                   agents=[a.id for a in load_agents()])))

        @desk.route("/api/tickets/<ticket_id>/reply", methods=["POST"])
        @agent_only
        async def reply(request: Request, agent: Agent, ticket_id: str) -> HTTPResponse:
            text = _reply_text(request)
            ticket = stores().tickets.held_by(ticket_id, agent.id)
            await self._say(request, ticket, agent, text, kind="human_reply")
            return response.json(for_agents(stores().tickets.get_ticket(ticket_id)))

        @desk.route("/api/tickets/<ticket_id>/contact", methods=["GET"])
        @agent_only
        async def contact(request: Request, agent: Agent, ticket_id: str) -> HTTPResponse:
            return response.json(_callback_number(stores().tickets.held_by(ticket_id, agent.id), agent))

        @desk.route("/api/tickets/<ticket_id>/handback", methods=["POST"])
        @agent_only
        async def handback(request: Request, agent: Agent, ticket_id: str) -> HTTPResponse:
            return await self._finish(request, agent, ticket_id, "handed_back", "handed_back")

        @desk.route("/api/tickets/<ticket_id>/close", methods=["POST"])
        @agent_only
        async def close(request: Request, agent: Agent, ticket_id: str) -> HTTPResponse:
            return await self._finish(request, agent, ticket_id, "closed", "closed")

        @desk.middleware("response")
        async def no_store(request: Request, answer: HTTPResponse) -> None:
            if "/api/" in request.path:
                answer.headers["Cache-Control"] = "no-store"  # tickets are for the agent's eyes only

        return desk

    async def _finish(
        self, request: Request, agent: Agent, ticket_id: str, status: str, notice: str
    ) -> HTTPResponse:
        """`notice`: the key of the text in policies/messages.yml that tells the customer."""
        """Hand back or close: the customer is told, and the bot listens again either way
        (after a close, too: otherwise the customer's next words would reach no one)."""
        ticket = stores().tickets.held_by(ticket_id, agent.id)
        await self._say(request, ticket, agent, policies().messages[notice].format(name=agent.name),
                        kind=status, resume=True, labelled=False)
        stores().tickets.finish(ticket_id, status)
        return response.json(for_agents(stores().tickets.get_ticket(ticket_id)))

    async def _say(
        self,
        request: Request,
        ticket: Dict[str, Any],
        agent: Agent,
        text: Any,
        kind: str,
        resume: bool = False,
        labelled: bool = True,
    ) -> None:
        """Record a human message in the customer's tracker (masked by the tracker store),
        in the ticket (masked) and deliver it on the customer's channel, labelled in the
        conversation's language (`text` may be a policy text in every language)."""
        sender_id = ticket["sender_id"]
        metadata = CandorMeta(sender="human", kind=kind, agent_id=agent.id, ticket_id=ticket["id"]).build()
        rasa_agent = request.app.ctx.agent
        async with rasa_agent.lock_store.lock(sender_id):
            tracker = await rasa_agent.tracker_store.retrieve(sender_id)
            if tracker is None:
                raise DeskError(410, "the customer's conversation no longer exists")
            language = language_of(tracker)
            text = text_in(text, language)
            shown = f"{human_label(agent, language)}: {text}" if labelled else text
            tracker.update(BotUttered(text=shown, metadata=metadata))
            if resume:
                # As after any bot turn: the bot now listens (a paused conversation logged
                # no action_listen, and Rasa's policies expect one before a message).
                tracker.update(ConversationResumed())
                tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await rasa_agent.tracker_store.save(tracker)
        masker = ConversationMasker(sender_id)
        # In the ticket the agent is named by id; the customer-facing label is left out.
        stores().tickets.append_lines(ticket["id"], masker.mask_transcript([{
            "from": "human", "agent_id": agent.id, "text": text,
            "timestamp": dt.datetime.now(dt.timezone.utc).timestamp(),
        }]))
        message = {"text": shown, "metadata": metadata[CANDOR_KEY]}
        # Held until it is known to have arrived: REST delivers it with the next response;
        # socket.io pushes it now if a socket is connected, and forgets it on the client's
        # acknowledgement or the customer's next turn.
        reply_id = stores().tickets.hold_reply(ticket["id"], sender_id, agent.id,
                                               stores().vault.seal(sender_id, json.dumps(message)))
        if ticket.get("channel") == "socketio" and await _push_socketio(request, sender_id, message):
            stores().tickets.emitted(sender_id, [reply_id])


def _callback_number(ticket: Dict[str, Any], agent: Agent) -> Dict[str, str]:
    """The phone number of a callback ticket, for the agent who holds it, while the customer
    consents to the callback purpose. Every reveal is audited (without the number)."""
    placeholder = (ticket.get("summary") or {}).get("callback_phone")
    purpose = policies().purpose("phone_callback")
    if not placeholder or not stores().consent.granted(ticket["sender_id"], purpose.name, purpose.version):
        raise DeskError(404, "no phone number may be used for this ticket")
    number = stores().vault.get(ticket["sender_id"], placeholder)
    if number is None:
        raise DeskError(410, "the phone number has been deleted")
    stores().data_rights.audit(f"agent:{agent.id}", "reveal_callback_number", ticket["sender_id"], {"ticket": ticket["id"]})
    return {"phone_number": number}


def _reply_text(request: Request) -> str:
    try:
        body = request.json
    except Exception:  # sanic raises its own InvalidUsage for malformed JSON
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise DeskError(400, 'send JSON like {"text": "..."}')
    text = body["text"].strip()
    if not text:
        raise DeskError(400, "the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise DeskError(413, f"the reply is longer than {MAX_REPLY_CHARS} characters")
    return text


async def _push_socketio(request: Request, sender_id: str, message: Dict[str, Any]) -> bool:
    """Send to the customer's socket.io room (their verified sender id); False when no
    socket of theirs is connected (the reply is then held until they are back)."""
    for channel in getattr(request.app.ctx, "input_channels", []):
        if channel.name() == "socketio" and getattr(channel, "sio", None) is not None:
            namespace = getattr(channel, "namespace", None) or "/"
            here = channel.sio.manager.rooms.get(namespace, {}).get(sender_id)
            presence = getattr(channel, "presence", None)
            # Several servers: the customer's socket may be on another one (socket.io's Redis
            # manager carries the emit there).
            if not here and not (presence is not None and await presence.connected(sender_id)):
                return False
            await channel.sio.emit(channel.bot_message_evt, message, room=sender_id, namespace=namespace)
            return True
    logger.warning("Agent desk: no socket.io channel to deliver a reply to a web-chat customer.")
    return False
