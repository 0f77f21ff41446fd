"""MaskingTrackerStore: Rasa's SQL tracker store, with personal data masked before saving.

Configured in `endpoints.yml` (`type: bot.storage.masking_tracker_store.MaskingTrackerStore`,
same parameters as Rasa's SQL store: SQLite by default, a PostgreSQL `url` in production).
User text, parse data, entity values, slot values, bot text and metadata are masked with
the conversation's placeholders; if masking fails, a fixed marker is stored instead.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterator, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.pii.conversation import ConversationMasker
from bot.storage.db import create_engine, erase_for_real, forget_erased
from bot.storage import stores
from bot.storage.tickets import transcript_from_events

logger = logging.getLogger(__name__)


class MaskingTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store that never writes raw personal data."""

    def __init__(self, *args: Any, dialect: Text = "sqlite", db: Text = "rasa.db",
                 host: Optional[Text] = None, **kwargs: Any) -> None:
        if dialect == "sqlite" and not host:
            Path(db).parent.mkdir(parents=True, exist_ok=True)  # the data dir may be new
        super().__init__(*args, dialect=dialect, db=db, host=host, **kwargs)
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
            forget_erased(self.engine)  # and from the WAL and the old pages it still shadows
            logger.info("A conversation was erased on request (receipt %s).", receipt)
            return
        await super().save(tracker)

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
        yield from masked
        if masker.failed:
            logger.error(
                "Conversation %s: a message could not be checked for personal data and "
                "was stored as a marker.", tracker.sender_id
            )
