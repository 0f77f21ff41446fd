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

import asyncio
import datetime as dt
import json
import logging
import os
import time
from collections import Counter
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
from bot.channels.rate import Busy, client_address, wait_for_address, wait_for_sender
from bot.identity import LEEWAY_SECONDS, IdentityError, verify_claims
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


class _CandorEngineIO(engineio.AsyncServer):
    """engine.io with the Origin check on (the pages of `CANDOR_CORS_ORIGINS` and the server's
    own), but without engine.io's own CORS headers: Rasa's CORS (`--cors`) answers for the
    whole server, and a second Access-Control-Allow-Origin makes browsers refuse the reply.
    Behind a load balancer, sessions are named `<server id>.<random>` so it can keep each
    session on its server."""

    def generate_id(self) -> str:
        tag = server_id()
        return f"{tag}.{super().generate_id()}" if tag else super().generate_id()

    def _cors_allowed_origins(self, environ: Dict) -> list:
        from bot.runner import cors_origins

        own = [f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}"] if "HTTP_HOST" in environ else []
        return own + cors_origins()

    def _cors_headers(self, environ: Dict) -> list:
        return []


class TaggedAsyncServer(AsyncServer):
    def _engineio_server_class(self) -> Any:
        return _CandorEngineIO


class JsonRedisManager(AsyncRedisManager):
    """socket.io's Redis manager, passing messages between servers as JSON: its own pickles
    them and unpickles whatever anyone publishes on the channel (CVE-2025-61765)."""

    async def _publish(self, data: Dict) -> Any:
        from redis.exceptions import RedisError

        for attempt in range(2):
            try:
                if attempt:
                    self._redis_connect()
                return await self.redis.publish(self.channel, json.dumps(data))
            except RedisError:
                self._get_logger().error("Cannot publish to Redis%s", "... retrying" if not attempt else "")
        return None

    async def _listen(self) -> Any:
        async for raw in super()._listen():
            try:
                data = json.loads(raw)
            except (TypeError, ValueError):
                logger.warning("A message on the socket.io channel that is not JSON was dropped.")
                continue
            if isinstance(data, dict):
                yield data  # a dict: the manager never tries to unpickle it


class Presence:
    """Which customers have a socket on any server: per sender id a Redis sorted set of
    `<server>:<socket id>` scored by when the server last vouched for it. Each server renews
    its sockets every `RENEW_SECONDS`; an entry older than `EXPIRES_SECONDS` (a server that
    crashed) no longer counts, and is dropped when next looked at."""

    RENEW_SECONDS = 20
    EXPIRES_SECONDS = 60

    def __init__(self, url: str, server: str) -> None:
        from redis import asyncio as aioredis

        self.redis = aioredis.from_url(url)
        self.server = server
        self.mine: Dict[str, str] = {}  # socket id -> sender id, on this server

    def _key(self, sender: str) -> str:
        return f"candor:socketio:presence:{sender}"

    async def arrived(self, sender: str, sid: str) -> None:
        self.mine[sid] = sender
        await self.redis.zadd(self._key(sender), {f"{self.server}:{sid}": time.time()})
        await self.redis.expire(self._key(sender), self.EXPIRES_SECONDS)

    async def left(self, sender: str, sid: str) -> None:
        self.mine.pop(sid, None)
        await self.redis.zrem(self._key(sender), f"{self.server}:{sid}")

    async def renew(self) -> None:
        now = time.time()
        for sid, sender in list(self.mine.items()):
            await self.redis.zadd(self._key(sender), {f"{self.server}:{sid}": now})
            await self.redis.expire(self._key(sender), self.EXPIRES_SECONDS)

    async def connected(self, sender: str) -> bool:
        await self.redis.zremrangebyscore(self._key(sender), 0, time.time() - self.EXPIRES_SECONDS)
        return bool(await self.redis.zcard(self._key(sender)))


class CandorSocketIOInput(SocketIOInput):
    """Registered under Rasa's own name, `socketio`, so web chats connect as before."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[CandorSocketIOOutput]:
        return CandorSocketIOOutput(self.sio, self.bot_message_evt) if self.sio is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> SocketBlueprint:
        on_new_message = at_the_door(on_new_message)
        url = redis_url()
        manager = JsonRedisManager(url, channel="candor-socketio") if url else None
        sio = TaggedAsyncServer(async_mode="sanic", client_manager=manager,
                                max_http_buffer_size=MAX_FRAME_BYTES)
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        self.presence = Presence(url, server_id() or f"port-{os.environ.get('CANDOR_PORT', '')}") if url else None
        bindings: Dict[str, Binding] = {}  # socket id -> verified sender and token expiry
        addresses: Dict[str, str] = {}  # socket id -> client address
        per_address: Counter = Counter()
        strangers: Counter = Counter()  # socket id -> messages sent without a valid token
        server: Dict[str, Any] = {}

        async def renew_presence() -> None:
            while True:
                await asyncio.sleep(Presence.RENEW_SECONDS)
                try:
                    await self.presence.renew()
                except Exception as exc:  # noqa: BLE001 - Redis away for a moment: try again later
                    logger.warning("Could not renew socket.io presence in Redis (%s).", type(exc).__name__)

        @blueprint.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            server["app"] = app
            if self.presence is not None:
                server["renewal"] = asyncio.ensure_future(renew_presence())

        async def say(sid: str, key: str, data: Any, **values: Any) -> None:
            language = hinted((data or {}).get("customData") if isinstance(data, dict) else None) or \
                detect((data or {}).get("message") if isinstance(data, dict) else None) or languages().default
            text = text_in(policies().messages[key], language).format(**values)
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)

        async def deliver_held(sid: str, sender: str) -> None:
            """Human replies written while the customer was away; each one stays held until
            the client acknowledges it or the customer's next turn succeeds."""
            held = stores().tickets.held_messages(sender)
            for reply_id, message in held:
                def acknowledged(*_: Any, reply_id: int = reply_id) -> None:
                    stores().tickets.delivered(sender, [reply_id])

                await sio.emit(self.bot_message_evt, message, room=sid, namespace=self.namespace,
                               callback=acknowledged)
            if held:
                stores().tickets.emitted(sender, [reply_id for reply_id, _ in held])

        async def bind(sid: Text, token: Optional[str]) -> Optional[Binding]:
            """The socket's verified sender. A socket belongs to one customer: a token for
            another is refused (the client must reconnect), and an expired one unbinds it."""
            current = bindings.get(sid)
            if current is not None and current.expired():
                await unbind(sid)
                current = None
            if not token:
                return current
            try:
                sender, expires = verify_claims(token)
            except IdentityError as exc:
                logger.info("A socket.io client sent a token that does not verify: %s", exc)
                return current
            if current is not None:
                if current.sender != sender:
                    raise Rebinding()
                bindings[sid] = Binding(sender, expires)  # a fresh token for the same customer
                return bindings[sid]
            bindings[sid] = Binding(sender, expires)
            sio.enter_room(sid, sender, namespace=self.namespace)
            if self.presence is not None:
                await self.presence.arrived(sender, sid)
            await deliver_held(sid, sender)
            return bindings[sid]

        async def unbind(sid: Text) -> None:
            binding = bindings.pop(sid, None)
            if binding is not None:
                sio.leave_room(sid, binding.sender, namespace=self.namespace)
                if self.presence is not None:
                    await self.presence.left(binding.sender, sid)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            request = environ.get("sanic.request")
            address = client_address(getattr(request, "ip", None), getattr(request, "headers", {}) or {})
            if per_address[address] >= sockets_per_address():
                logger.warning("A socket.io connection was refused: too many from one address.")
                return False
            if wait_for_address(address):
                return False
            addresses[sid] = address
            per_address[address] += 1
            try:
                await bind(sid, _token_in(auth))
            except Rebinding:
                pass
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            await unbind(sid)
            strangers.pop(sid, None)
            address = addresses.pop(sid, None)
            if address is not None:
                per_address[address] -= 1
                if per_address[address] <= 0:
                    del per_address[address]

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            try:
                binding = await bind(sid, _token_in(data or {}))
            except Rebinding:
                await say(sid, "other_customer", data)
                return
            # The session is the verified sender; a client's own session_id means nothing.
            # Before a token arrives (rasa-webchat sends it with each message, in customData),
            # the socket's own id stands in: the widget needs a session to start talking.
            await sio.emit("session_confirm", binding.sender if binding else sid, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Dict) -> None:
            data = data if isinstance(data, dict) else {}
            if wait_for_address(addresses.get(sid)):
                await say(sid, "slow_down", data)
                return
            try:
                binding = await bind(sid, _token_in(data))
            except Rebinding:
                await say(sid, "other_customer", data)
                return
            if binding is None:
                strangers[sid] += 1
                if strangers[sid] > MAX_UNSIGNED_MESSAGES:
                    await sio.disconnect(sid, namespace=self.namespace)
                    return
                await say(sid, "sign_in", data)
                return
            sender = binding.sender
            if wait_for_sender(sender):
                await say(sid, "slow_down", data)
                return
            if not isinstance(data.get("message", ""), str):
                await say(sid, "unreadable", data, problem="'message' must be text")
                return
            metadata = _without_tokens(data.get(self.metadata_key) or data.get("customData") or {})
            problem = metadata_problem(metadata)
            if problem:
                await say(sid, "unreadable", data, problem=problem)
                return
            message = UserMessage(
                data.get("message", ""), CandorSocketIOOutput(sio, self.bot_message_evt), sender,
                input_channel=self.name(), metadata=metadata,
            )
            started = dt.datetime.now(dt.timezone.utc)
            try:
                if not too_long(message.text):
                    await answer_while_paused(getattr(getattr(server.get("app"), "ctx", None), "agent", None), message)
                await on_new_message(message)
            except Busy:
                await say(sid, "slow_down", data)
                return
            except Exception as exc:  # noqa: BLE001 - the customer is told; the text is not logged
                logger.error("A socket.io turn failed (%s: %s); the customer was asked to send it again.",
                             type(exc).__name__, str(exc)[:200])
                await say(sid, "try_again", data)
                return
            # The socket is alive and answered: what it was sent before this turn arrived.
            stores().tickets.delivered_emitted(sender, started)

        return blueprint


MAX_FRAME_BYTES = 64 * 1024  # one socket.io message (engine.io refuses larger ones)
MAX_UNSIGNED_MESSAGES = 5  # messages a socket may send without a valid token, then it is closed


def sockets_per_address() -> int:
    """`CANDOR_SOCKETS_PER_ADDRESS` (default 50): open sockets one client address may hold."""
    raw = os.environ.get("CANDOR_SOCKETS_PER_ADDRESS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 50


class Rebinding(Exception):
    """A socket bound to one customer sent another customer's token."""


class Binding:
    """The customer a socket speaks for, until their token expires."""

    def __init__(self, sender: str, expires: Optional[float]) -> None:
        self.sender, self.expires = sender, expires

    def expired(self) -> bool:
        return self.expires is not None and time.time() > self.expires + LEEWAY_SECONDS
