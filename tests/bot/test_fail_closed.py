"""A database that fails fails the turn: no fresh tracker, no in-memory copy."""
from __future__ import annotations

import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage.fail_closed import TrackerStoreUnavailable, install
from bot.storage.masking_tracker_store import MaskingTrackerStore


@pytest.fixture
def store(data_dir):
    """The Rasa agent's wrapper around the masking store, as `make run` builds it."""
    import rasa.core.agent

    install()
    db = data_dir / "candor.db"
    inner = MaskingTrackerStore(domain=Domain.empty(), db=str(db))
    return rasa.core.agent.Agent._create_tracker_store(inner, Domain.empty()), db


async def test_a_failed_read_fails_instead_of_a_fresh_tracker(store) -> None:
    wrapped, db = store
    tracker = DialogueStateTracker("c-read", [])
    tracker.update(UserUttered("hello there"))
    await wrapped.save(tracker)
    assert len((await wrapped.retrieve("c-read")).events) == 1
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE events RENAME TO events_away")
    with pytest.raises(TrackerStoreUnavailable):
        await wrapped.retrieve("c-read")
    with pytest.raises(TrackerStoreUnavailable):
        await wrapped.retrieve_full_tracker("c-read")


async def test_a_failed_save_fails_and_keeps_nothing_in_memory(store) -> None:
    wrapped, db = store
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY)")
        conn.execute("DROP TABLE events")
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY)")  # not what Rasa's store writes
    tracker = DialogueStateTracker("c-save", [])
    tracker.update(UserUttered("my e-mail is kept.nowhere@example.com"))
    with pytest.raises(TrackerStoreUnavailable):
        await wrapped.save(tracker)
    assert wrapped._fallback_tracker_store is None  # Rasa's in-memory fallback never made
