"""MaskingTrackerStore: Rasa's SQL tracker store, with personal data masked before saving.

Configured in `endpoints.yml` (`type: bot.storage.masking_tracker_store.MaskingTrackerStore`,
same parameters as Rasa's SQL store). SQLite in the data dir by default; when
`CANDOR_DATABASE_URL` is set and endpoints.yml names no `host`, that database (PostgreSQL in
production), the one Candor's own tables use.
User text, parse data, entity values, slot values, bot text and metadata are masked with
the conversation's placeholders; if masking fails, a fixed marker is stored instead.

With an event broker (`CANDOR_EVENT_BROKER_URL`, bot/storage/profiles.py) the store publishes
exactly the masked events it writes, after they are written. Rasa's own streaming (the raw
events of the tracker in memory) never runs: the store keeps the broker as `broker`, and
leaves Rasa's `event_broker` empty. An erasure is published too, as
`{"sender_id": ..., "event": "candor_erased", "timestamp": ...}`, so consumers can delete
what they hold of that conversation.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.pii.conversation import ConversationMasker
from bot.storage.db import create_engine, erase_for_real, forget_erased
from bot.storage.profiles import erasure_notice
from bot.storage import stores
from bot.storage.tickets import transcript_from_events

logger = logging.getLogger(__name__)


class MaskingTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store that never writes raw personal data."""

    def __init__(self, *args: Any, dialect: Text = "sqlite", db: Text = "rasa.db",
                 host: Optional[Text] = None, **kwargs: Any) -> None:
        url = os.environ.get("CANDOR_DATABASE_URL", "").strip()
        if url and not host:
            # One database for the conversations and Candor's tables (erasure deletes from both).
            parsed = sa.engine.make_url(url)
            dialect, host, db = parsed.drivername, parsed.host, parsed.database
            kwargs.update(port=parsed.port, username=parsed.username, password=parsed.password,
                          query=dict(parsed.query) or None)
        if dialect == "sqlite" and not host:
            Path(db).parent.mkdir(parents=True, exist_ok=True)  # the data dir may be new
        super().__init__(*args, dialect=dialect, db=db, host=host, **kwargs)
        # The broker is kept out of Rasa's sight: Rasa's FailSafeTrackerStore hands
        # `event_broker` to the in-memory store it falls back on when a save fails, which
        # would publish that turn's raw events.
        self.broker, self.event_broker = self.event_broker, None
        self._unpublished: Dict[Text, List[Event]] = {}
        if self.engine.dialect.name == "sqlite":
            # Rasa's engine opens the file for every use; this one keeps connections open.
            self.engine = create_engine(self.engine.url, future=False)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        erase_for_real(self.engine)  # every new connection gets the settings

    async def save(self, tracker: DialogueStateTracker) -> None:
        receipt = tracker.get_slot("erasure_receipt")
        if receipt:
            # The customer asked for erasure (actions/data_rights.py erased everything else):
            # delete the stored conversation instead of saving it.
            with self.session_scope() as session:
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
                session.commit()
            # ...and from the WAL, in a thread: other conversations go on meanwhile.
            await asyncio.get_running_loop().run_in_executor(None, forget_erased, self.engine)
            logger.info("A conversation was erased on request (receipt %s).", receipt)
            self._publish(erasure_notice(tracker.sender_id))
            return
        try:
            await super().save(tracker)
            stored = self._unpublished.pop(tracker.sender_id, [])
        finally:
            self._unpublished.pop(tracker.sender_id, None)
        for event in stored:
            self._publish({"sender_id": tracker.sender_id, **event.as_dict()})

    def _publish(self, body: Dict[Text, Any]) -> None:
        if self.broker is not None:
            self.broker.publish(body)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        masker = ConversationMasker(tracker.sender_id)
        masked = [Event.from_parameters(masker.mask_event(e.as_dict()))
                  for e in super()._additional_events(session, tracker)]
        if tracker.is_paused():
            # No AI answers a paused conversation: what the customer writes after the pause
            # goes to the human's ticket instead (masked, like everything stored).
            pauses = [i for i, e in enumerate(masked) if e.type_name == "pause"]
            since_pause = masked[pauses[-1] + 1:] if pauses else masked
            stores().tickets.append_to_open_ticket(tracker.sender_id, transcript_from_events(
                [e.as_dict() for e in since_pause if e.type_name == "user"]))
        if self.broker is not None:
            self._unpublished[tracker.sender_id] = masked  # published once committed
        yield from masked
        if masker.failed:
            logger.error(
                "Conversation %s: a message could not be checked for personal data and "
                "was stored as a marker.", tracker.sender_id
            )
