"""Candor's own data, beside Rasa's `events` table in the same SQL database: one small
repository per concern, each given its SQLAlchemy engine (`stores()` builds them for the
configured database). Nothing here imports the PII engine: masking (bot/pii) uses the
vault and placeholder stores, never the other way round."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa

from bot.storage.consent import ConsentLedger
from bot.storage.data_rights import DataRights
from bot.storage.db import engine
from bot.storage.orders import OrderBook
from bot.storage.preferences import Preferences
from bot.storage.tickets import TicketStore
from bot.storage.vault import PlaceholderStore, Vault


@dataclass(frozen=True)
class Stores:
    engine: sa.engine.Engine
    tickets: TicketStore
    consent: ConsentLedger
    preferences: Preferences
    orders: OrderBook
    vault: Vault
    placeholders: PlaceholderStore
    data_rights: DataRights


@functools.lru_cache(maxsize=8)
def _stores(database: sa.engine.Engine) -> Stores:
    return Stores(database, TicketStore(database), ConsentLedger(database), Preferences(database),
                  OrderBook(database), Vault(database), PlaceholderStore(database), DataRights(database))


def stores(url: Optional[str] = None) -> Stores:
    """The repositories for `url` (default: `CANDOR_DATABASE_URL` or the data dir's SQLite)."""
    return _stores(engine(url))


__all__ = ["Stores", "stores"]
