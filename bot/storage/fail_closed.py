"""The Rasa server's tracker store fails closed: a database error fails the turn.

Rasa wraps every tracker store in its `FailSafeTrackerStore`, which on a failed read hands
back a fresh tracker (the customer is answered as a stranger, the message is never stored, a
paused conversation's line never reaches its ticket) and on a failed save keeps the tracker,
unmasked, in an in-memory store that is never emptied. Here the same wrapper is made with an
error callback that raises `TrackerStoreUnavailable` instead, so neither fallback runs: the
channel tells the customer nothing was saved (REST: 503) and the message can be sent again.
"""
from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or saved; nothing of this turn was kept."""


def _unavailable(error: Exception) -> None:
    logger.error("The conversation store failed (%s); the turn fails, nothing is kept in memory.",
                 type(error).__name__)
    raise TrackerStoreUnavailable(type(error).__name__) from error


def fail_closed(tracker_store: Any) -> Any:
    """Rasa's `FailSafeTrackerStore` around `tracker_store`, without its fallbacks."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    return FailSafeTrackerStore(tracker_store, on_tracker_store_error=_unavailable)


def install() -> None:
    """Make the Rasa agent wrap its tracker store this way (idempotent)."""
    import rasa.core.agent

    rasa.core.agent.FailSafeTrackerStore = fail_closed  # type: ignore[assignment]
