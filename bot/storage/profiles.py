"""Deployment profiles chosen by environment variables, built from Rasa's own parts.

`endpoints.yml` names the two classes below; each picks a stock Rasa part from the
environment, so one endpoints file serves one machine and a cluster alike:

- `CANDOR_REDIS_URL` (e.g. `redis://127.0.0.1:6379/1`): Rasa's `RedisLockStore`, so two Rasa
  servers never run turns of one conversation at the same time; unset: the in-memory lock
  store of one server. The socket.io channel uses the same Redis to reach a customer
  connected to another server (bot/channels/socketio.py).
- `CANDOR_EVENT_BROKER_URL` (e.g. `amqp://user:password@127.0.0.1:5672/`): Rasa's
  `PikaEventBroker` (RabbitMQ), queue `CANDOR_EVENT_QUEUE` (default `candor_events`); unset: no
  event stream. Only masked events reach it: the masking tracker store publishes the events
  it stores, after masking (bot/storage/masking_tracker_store.py), never Rasa's raw ones.
- `CANDOR_DATABASE_URL` (PostgreSQL): read by the masking tracker store and Candor's tables.
"""
from __future__ import annotations

import os
from asyncio import AbstractEventLoop
from typing import Any, Dict, Optional, Text
from urllib.parse import unquote, urlparse

DEFAULT_EVENT_QUEUE = "candor_events"
LOCK_KEY_PREFIX = "candor"


class ProfileError(SystemExit):
    """A profile variable that cannot be used (said before any server starts)."""


def redis_url() -> Optional[str]:
    return os.environ.get("CANDOR_REDIS_URL", "").strip() or None


def event_broker_url() -> Optional[str]:
    return os.environ.get("CANDOR_EVENT_BROKER_URL", "").strip() or None


def redis_settings(url: str) -> Dict[str, Any]:
    """`redis://[:password@]host[:port][/db]` as `RedisLockStore`'s arguments."""
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss"} or not parsed.hostname:
        raise ProfileError(f"CANDOR_REDIS_URL must look like redis://host:6379/1, got scheme {parsed.scheme!r}")
    path = parsed.path.strip("/")
    if path and not path.isdigit():
        raise ProfileError("CANDOR_REDIS_URL: the path must be a database number, like /1")
    return {
        "host": parsed.hostname,
        "port": parsed.port or 6379,
        "db": int(path) if path else 1,
        "password": unquote(parsed.password) if parsed.password else None,
        "use_ssl": parsed.scheme == "rediss",
    }


def broker_settings(url: str) -> Dict[str, Any]:
    """`amqp://user:password@host:port/vhost` as `PikaEventBroker`'s arguments."""
    parsed = urlparse(url)
    if parsed.scheme not in {"amqp", "amqps"} or not parsed.hostname:
        raise ProfileError(f"CANDOR_EVENT_BROKER_URL must look like amqp://user:password@host:5672/, got scheme {parsed.scheme!r}")
    port = parsed.port or (5671 if parsed.scheme == "amqps" else 5672)
    vhost = parsed.path if parsed.path not in {"", "/"} else ""
    return {
        # Rasa's broker takes the address as an amqp URL and adds user, password and port.
        "host": f"{parsed.scheme}://{parsed.hostname}:{port}{vhost}",
        "port": port,
        "username": unquote(parsed.username or "guest"),
        "password": unquote(parsed.password or "guest"),
        "queues": [os.environ.get("CANDOR_EVENT_QUEUE", "").strip() or DEFAULT_EVENT_QUEUE],
    }


def check() -> None:
    """Refuse to start on a malformed profile variable (before any server starts)."""
    if redis_url():
        redis_settings(redis_url())
    if event_broker_url():
        broker_settings(event_broker_url())


def reachable() -> None:
    """Refuse to start, saying which variable, when Redis or the broker does not answer: Rasa
    would fail every turn at its lock (Redis) or stop with "Cannot connect to event broker"."""
    import socket

    import redis

    url = redis_url()
    if url:
        settings = redis_settings(url)
        try:
            redis.Redis(host=settings["host"], port=settings["port"], db=settings["db"], password=settings["password"],
                        ssl=settings["use_ssl"], socket_timeout=5, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            raise ProfileError(f"CANDOR_REDIS_URL: Redis at {settings['host']}:{settings['port']} does not "
                               f"answer: {exc}") from exc
    url = event_broker_url()
    if url:
        parsed = urlparse(url)
        port = broker_settings(url)["port"]
        try:
            socket.create_connection((parsed.hostname, port), timeout=5).close()
        except OSError as exc:
            raise ProfileError(f"CANDOR_EVENT_BROKER_URL: nothing answers at {parsed.hostname}:{port}: {exc}") from exc


class LockStoreFromEnvironment:
    """`lock_store.type` in endpoints.yml: Rasa's Redis lock store when `CANDOR_REDIS_URL` is
    set, else its in-memory one. Rasa makes a custom lock store by calling its class with the
    endpoint config; this class hands back Rasa's own store instead of an instance of itself."""

    def __new__(cls, endpoint_config: Any = None) -> Any:  # type: ignore[misc]
        from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

        url = redis_url()
        if not url:
            return InMemoryLockStore()
        return RedisLockStore(key_prefix=LOCK_KEY_PREFIX, **redis_settings(url))


class EventBrokerFromEnvironment:
    """`event_broker.type` in endpoints.yml: Rasa's RabbitMQ (Pika) broker when
    `CANDOR_EVENT_BROKER_URL` is set, else none. Rasa hands the broker to the tracker store
    only; the masking tracker store publishes masked events to it."""

    @classmethod
    async def from_endpoint_config(cls, broker_config: Any, event_loop: Optional[AbstractEventLoop] = None) -> Any:
        from rasa.core.brokers.pika import PikaEventBroker

        url = event_broker_url()
        if not url:
            return None
        settings = broker_settings(url)
        broker = PikaEventBroker(
            settings.pop("host"), event_loop=event_loop,
            # Fail at start-up rather than retry for minutes (Rasa's default: 20 × 5 s).
            connection_attempts=3, retry_delay_in_seconds=2, **settings)
        await broker.connect()
        return broker


def describe() -> Text:
    """One line for the operator: which profile is in effect (no passwords)."""
    parts = [
        "database: " + ("CANDOR_DATABASE_URL" if os.environ.get("CANDOR_DATABASE_URL") else "SQLite in the data dir"),
        "locks: " + ("Redis" if redis_url() else "in memory (one server)"),
        "event stream: " + ("RabbitMQ, masked events" if event_broker_url() else "none"),
    ]
    return "; ".join(parts)


def erasure_notice(sender_id: Text) -> Dict[Text, Any]:
    """What the event stream carries when a conversation is erased: consumers delete what they
    hold of it."""
    import time

    return {"sender_id": sender_id, "event": "candor_erased", "timestamp": time.time()}


def notify_erasure(sender_id: Text, broker: Any = None) -> bool:
    """Publish the erasure notice outside the servers (the operator's `python -m bot data
    erase`): to `broker`, else to the configured stream; False when there is none."""
    import asyncio

    async def _send() -> bool:
        target = broker or await EventBrokerFromEnvironment.from_endpoint_config(None)
        if target is None:
            return False
        target.publish(erasure_notice(sender_id))
        pending = list(getattr(target, "_background_tasks", ()))
        if pending:  # Rasa's Pika broker publishes in a background task
            await asyncio.gather(*pending)
        await target.close()
        return True

    return asyncio.run(_send())
