"""Deployment profiles: the environment picks Rasa's own lock store, broker and database."""
from __future__ import annotations

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import read_endpoint_config

from bot.storage import profiles
from bot.storage.masking_tracker_store import MaskingTrackerStore
from tests.conftest import PROJECT_ROOT

ENDPOINTS = str(PROJECT_ROOT / "endpoints.yml")


@pytest.fixture(autouse=True)
def _actions_url(monkeypatch) -> None:
    """endpoints.yml names the action server's URL; the supervisor sets it for its servers."""
    monkeypatch.setenv("CANDOR_ACTIONS_URL", "http://127.0.0.1:5055/webhook")


def test_the_shipped_lock_store_is_in_memory_without_redis(monkeypatch) -> None:
    monkeypatch.delenv("CANDOR_REDIS_URL", raising=False)
    store = LockStore.create(read_endpoint_config(ENDPOINTS, "lock_store"))
    assert isinstance(store, InMemoryLockStore)


def test_the_shipped_lock_store_is_rasas_redis_one_with_a_url(monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_REDIS_URL", "redis://:s%40cret@10.0.0.7:6380/3")
    store = LockStore.create(read_endpoint_config(ENDPOINTS, "lock_store"))  # connects on first use
    assert isinstance(store, RedisLockStore)
    assert store.key_prefix == "candor:lock:"
    kwargs = store.red.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["password"]) == ("10.0.0.7", 6380, 3, "s@cret")


async def test_no_event_broker_without_a_url(monkeypatch) -> None:
    from rasa.core.brokers.broker import EventBroker

    monkeypatch.delenv("CANDOR_EVENT_BROKER_URL", raising=False)
    assert await EventBroker.create(read_endpoint_config(ENDPOINTS, "event_broker")) is None


def test_the_broker_url_becomes_rasas_pika_settings(monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_EVENT_QUEUE", "analytics")
    settings = profiles.broker_settings("amqp://candor:p%3Ass@mq.internal:5673/shop")
    assert settings == {"host": "amqp://mq.internal:5673/shop", "port": 5673, "username": "candor",
                        "password": "p:ss", "queues": ["analytics"]}
    assert profiles.broker_settings("amqps://mq")["port"] == 5671


@pytest.mark.parametrize("url", ["localhost", "http://mq:5672", "amqp://"])
def test_a_broker_url_that_is_not_amqp_is_refused(url) -> None:
    with pytest.raises(SystemExit, match="CANDOR_EVENT_BROKER_URL"):
        profiles.broker_settings(url)


def test_the_database_url_moves_the_tracker_store_too(monkeypatch, tmp_path) -> None:
    target = tmp_path / "elsewhere.db"
    monkeypatch.setenv("CANDOR_DATABASE_URL", f"sqlite:///{target}")
    store = MaskingTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "default.db"))
    assert store.engine.url.database == str(target)
    assert target.exists() and not (tmp_path / "default.db").exists()


def test_the_operator_sees_which_profile_runs(monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_REDIS_URL", "redis://:pw@127.0.0.1:6379/1")
    monkeypatch.delenv("CANDOR_EVENT_BROKER_URL", raising=False)
    line = profiles.describe()
    assert "locks: Redis" in line and "event stream: none" in line and "pw" not in line
