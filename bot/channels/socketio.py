"""Rasa's socket.io channel (same events, path and settings), with verified identity and
the message cap.

Who sends is the `sub` of a signed token (bot/identity.py), never the client's
`session_id`: the token comes with the connection (`auth: {token}`), the
`session_request` (`customData.token` or `token`, as rasa-webchat can send it) or a
message's `customData`/`metadata`. The socket joins the room named after that sender id,
so only it receives the conversation's replies (the desk's human replies included).
Without a valid token a message gets a polite "please sign in" and goes no further.

Several Rasa servers (`CANDOR_REDIS_URL` set, see bot/storage/profiles.py):
- socket.io's own Redis client manager carries an emit to a room to every server, so a
  human reply written through one server reaches a customer connected to another; which
  customers are connected anywhere is kept in Redis (`Presence`), so a reply for someone not
  connected is held for them instead of being sent into the void. socket.io's manager
  passes messages between servers pickled: Redis must be reachable by the servers only.
- with `CANDOR_SERVER_ID` set, every engine.io session id starts with `<id>.`; the load
  balancer routes a request carrying `sid=<id>.…` to that server (socket.io's long-polling
  needs every request of a session on the server that holds it; `make run-cluster`'s nginx).
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import engineio

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot.guardrails.loader import policies
from bot.guardrails.texts import text_in
from bot.language import detect, hinted, languages
from bot.channels.limits import at_the_door, metadata_problem, too_long
from bot.channels.paused import answer_while_paused
from bot.identity import IdentityError, verify
from bot.storage import stores
from bot.storage.profiles import redis_url

logger = logging.getLogger(__name__)
TOKEN_KEYS = ("token", "jwt")


def _token_in(data: Any) -> Optional[str]:
    """A token sent inside a socket.io payload, wherever a web chat puts it."""
    if not isinstance(data, dict):
        return None
    for key in TOKEN_KEYS:
        if isinstance(data.get(key), str):
            return data[key]
    for holder in ("customData", "metadata"):
        inner = data.get(holder)
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except ValueError:
                continue
        token = _token_in(inner) if isinstance(inner, dict) else None
        if token:
            return token
    return None


def _without_tokens(value: Any) -> Any:
    """Metadata as stored: a token is a credential, never kept."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {k: _without_tokens(v) if isinstance(v, dict) else v for k, v in value.items() if k not in TOKEN_KEYS}


class CandorSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, but a custom payload (the data export) is sent as one
    `bot_uttered` with `{"custom": ...}`, as web chats expect: Rasa's own passes its keys
    to `emit()` as arguments, which fails and loses the turn."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, {"custom": json_message}, room=recipient_id)


def server_id() -> Optional[str]:
    """`CANDOR_SERVER_ID`: this server's name behind a load balancer (letters, digits, -)."""
    value = os.environ.get("CANDOR_SERVER_ID", "").strip()
    if value and not all(c.isalnum() or c == "-" for c in value):
        raise SystemExit(f"CANDOR_SERVER_ID may hold letters, digits and '-', got {value!r}")
    return value or None


class _TaggedEngineIO(engineio.AsyncServer):
    """engine.io sessions named `<server id>.<random>`, so a load balancer can keep each
    session on its server."""

    def generate_id(self) -> str:
        return f"{server_id()}.{super().generate_id()}"


class TaggedAsyncServer(AsyncServer):
    def _engineio_server_class(self) -> Any:
        return _TaggedEngineIO if server_id() else super()._engineio_server_class()


class Presence:
    """Which customers have a socket on any server: a Redis set per sender id of
    `<server>:<socket id>`, and per server the members it added (removed when the server
    starts again, in case it stopped without saying goodbye)."""

    def __init__(self, url: str, server: str) -> None:
        from redis import asyncio as aioredis

        self.redis = aioredis.from_url(url)
        self.server = server

    def _key(self, sender: str) -> str:
        return f"candor:socketio:sender:{sender}"

    async def forget_own(self) -> None:
        mine = f"candor:socketio:server:{self.server}"
        for entry in await self.redis.smembers(mine):
            sender, _, sid = entry.decode().partition("\t")
            await self.redis.srem(self._key(sender), f"{self.server}:{sid}")
        await self.redis.delete(mine)

    async def arrived(self, sender: str, sid: str) -> None:
        await self.redis.sadd(self._key(sender), f"{self.server}:{sid}")
        await self.redis.sadd(f"candor:socketio:server:{self.server}", f"{sender}\t{sid}")

    async def left(self, sender: str, sid: str) -> None:
        await self.redis.srem(self._key(sender), f"{self.server}:{sid}")
        await self.redis.srem(f"candor:socketio:server:{self.server}", f"{sender}\t{sid}")

    async def connected(self, sender: str) -> bool:
        return bool(await self.redis.scard(self._key(sender)))


class CandorSocketIOInput(SocketIOInput):
    """Registered under Rasa's own name, `socketio`, so web chats connect as before."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[CandorSocketIOOutput]:
        return CandorSocketIOOutput(self.sio, self.bot_message_evt) if self.sio is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> SocketBlueprint:
        on_new_message = at_the_door(on_new_message)
        # Cross-origin pages: Rasa's CORS (`--cors`, from CANDOR_CORS_ORIGINS) answers for
        # the whole server, socket.io included; engine.io adding its own header too would
        # make browsers refuse the response (two Access-Control-Allow-Origin values).
        url = redis_url()
        manager = AsyncRedisManager(url, channel="candor-socketio") if url else None
        sio = TaggedAsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=manager)
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        self.presence = Presence(url, server_id() or f"port-{os.environ.get('CANDOR_PORT', '')}") if url else None
        senders: Dict[str, str] = {}  # socket id -> verified sender id
        server: Dict[str, Any] = {}

        @blueprint.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            server["app"] = app
            if self.presence is not None:
                await self.presence.forget_own()

        async def bind(sid: Text, token: Optional[str]) -> Optional[str]:
            if token:
                try:
                    sender = verify(token)
                except IdentityError as exc:
                    logger.info("A socket.io client sent a token that does not verify: %s", exc)
                    return senders.get(sid)
                if senders.get(sid) != sender:
                    if self.presence is not None and senders.get(sid):
                        await self.presence.left(senders[sid], sid)
                    senders[sid] = sender
                    sio.enter_room(sid, sender, namespace=self.namespace)
                    if self.presence is not None:
                        await self.presence.arrived(sender, sid)
                    # Human replies written while the customer was away wait for them.
                    for message in stores().tickets.held_messages(sender):
                        await sio.emit(self.bot_message_evt, message, room=sid, namespace=self.namespace)
            return senders.get(sid)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            await bind(sid, _token_in(auth))
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            sender = senders.pop(sid, None)
            if sender and self.presence is not None:
                await self.presence.left(sender, sid)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            sender = await bind(sid, _token_in(data or {}))
            # The session is the verified sender; a client's own session_id means nothing.
            # Before a token arrives (rasa-webchat sends it with each message, in customData),
            # the socket's own id stands in: the widget needs a session to start talking.
            await sio.emit("session_confirm", sender or sid, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Dict) -> None:
            data = data if isinstance(data, dict) else {}
            sender = await bind(sid, _token_in(data))
            if not sender:
                language = hinted(data.get("customData")) or detect(data.get("message")) or languages().default
                sign_in = text_in(policies().messages["sign_in"], language)
                await sio.emit(self.bot_message_evt, {"text": sign_in}, room=sid, namespace=self.namespace)
                return
            metadata = _without_tokens(data.get(self.metadata_key) or data.get("customData") or {})
            problem = metadata_problem(metadata)
            if problem:
                language = hinted(data.get("customData")) or detect(data.get("message")) or languages().default
                unreadable = text_in(policies().messages["unreadable"], language).format(problem=problem)
                await sio.emit(self.bot_message_evt, {"text": unreadable}, room=sid, namespace=self.namespace)
                return
            message = UserMessage(
                data.get("message", ""), CandorSocketIOOutput(sio, self.bot_message_evt), sender,
                input_channel=self.name(), metadata=metadata,
            )
            if not too_long(message.text):
                await answer_while_paused(getattr(getattr(server.get("app"), "ctx", None), "agent", None), message)
            await on_new_message(message)

        return blueprint
