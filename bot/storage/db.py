"""SQLAlchemy tables and engine for Candor's own data, beside Rasa's `events` table."""
from __future__ import annotations

import functools
import logging
import time
from typing import Any, Dict, Optional

import sqlalchemy as sa

from bot.config import settings
from bot.guardrails.model import Code


class TicketStatus(Code):
    """Where a handoff ticket is: waiting, with an agent, or finished (back to the AI, closed)."""

    open = "open"
    claimed = "claimed"
    handed_back = "handed_back"
    closed = "closed"



metadata = sa.MetaData()

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_number", sa.String(16), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("placed_on", sa.Date, nullable=False),
    sa.Column("expected_delivery", sa.Date, nullable=True),
    sa.Column("carrier", sa.String(32), nullable=True),
    sa.Column("tracking_code", sa.String(32), nullable=True),
    sa.Column("items", sa.Text, nullable=False),
)

# Which e-mail address placed which order, as a keyed hash only: an order can be found by
# e-mail (with the customer's consent) without the shop's chat database holding addresses.
order_contacts = sa.Table(
    "order_contacts",
    metadata,
    sa.Column("order_number", sa.String(16), primary_key=True),
    sa.Column("email_digest", sa.String(64), nullable=False, index=True),
)

# The postcode of each order's delivery address, as a keyed hash: the second fact that
# shows an order to its owner (with the order number or the e-mail address).
order_postcodes = sa.Table(
    "order_postcodes",
    metadata,
    sa.Column("order_number", sa.String(16), primary_key=True),
    sa.Column("postcode_digest", sa.String(64), nullable=False),
)

# Returns that reached the warehouse, and when their refund was paid (None: not yet; it is
# due within 5 working days of the return's arrival).
order_returns = sa.Table(
    "order_returns",
    metadata,
    sa.Column("order_number", sa.String(16), primary_key=True),
    sa.Column("returned_on", sa.Date, nullable=False),
    sa.Column("refunded_on", sa.Date, nullable=True),
)

# Every ownership check (order number + second fact), kept for an hour: proof of a passed
# check for the actions that use the order, and the count that rate-limits failed ones.
order_checks = sa.Table(
    "order_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("order_number", sa.String(16), nullable=False, index=True),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
)

customer_preferences = sa.Table(
    "customer_preferences",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("ai_opt_out", sa.Boolean, nullable=False, default=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Shaped for the agent desk: a queue ordered by priority then waiting time, claimed by one
# agent at a time, with a masked transcript and a summary of what the bot already knows.
handoff_tickets = sa.Table(
    "handoff_tickets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=TicketStatus.open.value),
    sa.Column("channel", sa.String(64), nullable=True),
    sa.Column("agent_id", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("transcript", sa.JSON, nullable=False),
)

# One unfinished ticket per customer, kept by the database itself (two servers filing a
# ticket for one customer at once cannot both insert one). A partial unique index, in
# SQLite and PostgreSQL alike.
UNFINISHED_STATUSES = (TicketStatus.open.value, TicketStatus.claimed.value)
FINISHED_STATUSES = (TicketStatus.handed_back.value, TicketStatus.closed.value)
one_unfinished_ticket = sa.Index(
    "one_unfinished_ticket_per_customer",
    handoff_tickets.c.sender_id,
    unique=True,
    sqlite_where=handoff_tickets.c.status.in_(UNFINISHED_STATUSES),
    postgresql_where=handoff_tickets.c.status.in_(UNFINISHED_STATUSES),
)

# Replies human agents wrote to REST customers, until delivered: REST has no push, so they
# go out with the response to the customer's next message. (Socket.io gets them live.)
agent_replies = sa.Table(
    "agent_replies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(36), nullable=False, index=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("agent_id", sa.String(128), nullable=False),
    # What the channel sends (label included), encrypted with the conversation's vault key:
    # an agent may write personal data. Deleted once delivered.
    sa.Column("sealed_message", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Held replies that were sent to a connected socket: kept until the client acknowledges them
# or the customer's next turn succeeds (a socket may drop what it was sent).
agent_reply_emits = sa.Table(
    "agent_reply_emits",
    metadata,
    sa.Column("reply_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("emitted_at", sa.DateTime(timezone=True), nullable=False),
)


# Consent, provable: who, for which purpose, yes / no / withdrawn, to which notice version,
# when, on which channel, in answer to which message.
consent_ledger = sa.Table(
    "consent_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),  # granted | refused | withdrawn
    sa.Column("notice_version", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(64), nullable=True),
    sa.Column("message_id", sa.String(64), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# New delivery addresses for the warehouse: the address itself is only in the vault.
address_change_requests = sa.Table(
    "address_change_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("order_number", sa.String(16), nullable=False),
    sa.Column("address_placeholder", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# What a customer asked the shop to do with an owned order (after the owner check): cancel
# it, or e-mail its invoice to the address it was placed with. The shop's systems act on these.
order_requests = sa.Table(
    "order_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("order_number", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Which vault values were kept for which purpose (so withdrawing destroys exactly those).
vault_purposes = sa.Table(
    "vault_purposes",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("placeholder", sa.String(64), primary_key=True),
    sa.Column("purpose", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# What operators and data-rights requests did. Subjects are HMAC digests, never sender ids.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(64), nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
)

# Proof that an erasure happened, without keeping who it was about.
erasure_receipts = sa.Table(
    "erasure_receipts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("subject", sa.String(64), nullable=False, index=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
)

# Personal data at rest is only ever here, and only encrypted: one data key per
# conversation (wrapped by the master key), one ciphertext per placeholder.
vault_keys = sa.Table(
    "vault_keys",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

vault_items = sa.Table(
    "vault_items",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("placeholder", sa.String(64), primary_key=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Which placeholder a value got in a conversation, keyed by a keyed hash of the value
# (HMAC with a key derived from the master key), never by the value itself.
pii_placeholders = sa.Table(
    "pii_placeholders",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("value_digest", sa.String(64), primary_key=True),
    sa.Column("placeholder", sa.String(64), nullable=False),
)


# How long a write waits for another writer. Rasa's SQL tracker store writes on the server's
# event loop, so every customer waits with it: a writer normally holds the lock for
# milliseconds, and a lock held far longer (another program) fails the turn soon and clearly.
BUSY_TIMEOUT_MS = 3000


@functools.lru_cache(maxsize=8)
def erase_for_real(engine: sa.engine.Engine) -> sa.engine.Engine:
    """SQLite settings for several writers and for erasure that is real.

    - WAL: readers do not block the writer, and a write waits (busy timeout, 3 s) for
      another instead of failing with "database is locked" at once.
    - secure_delete: deleted rows are overwritten, not left in free pages; after an
      erasure, `forget_erased` checkpoints and truncates the WAL, where earlier versions of
      the erased pages would otherwise stay until overwritten.
    """
    if engine.dialect.name == "sqlite":
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
            dbapi_connection.execute("PRAGMA secure_delete = ON")
            dbapi_connection.execute("PRAGMA synchronous = NORMAL")

        sa.event.listen(engine, "connect", _on_connect)
    return engine


CHECKPOINT_TRIES = 40


def forget_erased(engine: sa.engine.Engine) -> bool:
    """After an erasure, without stopping anyone. SQLite: the rows were overwritten in place
    (`secure_delete`); a truncating checkpoint then writes the WAL back and empties it, where
    earlier versions of the pages would otherwise stay. The checkpoint waits at most a moment
    for the write lock (its own short busy timeout), so it never holds other writers back for
    long; when others keep the database busy it tries again a little later, and a later
    checkpoint finishes the job. The file is rebuilt (VACUUM) only by `python -m bot
    maintenance vacuum`. PostgreSQL: nothing here (dead row versions go with autovacuum or the
    maintenance command). Returns whether the WAL was emptied. Call it off the event loop."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout = 100")
        try:
            for _ in range(CHECKPOINT_TRIES):
                try:
                    busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                except sa.exc.OperationalError:
                    busy = (1,)
                if busy is None or not busy[0]:
                    return True
                time.sleep(0.25)  # not holding any lock: other writers go first
            logging.getLogger(__name__).warning(
                "After an erasure the WAL could not be emptied yet (the database stayed busy); "
                "the next checkpoint will.")
            return False
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def vacuum(engine: sa.engine.Engine) -> None:
    """Maintenance (`python -m bot maintenance vacuum`, in a quiet hour): rebuild the SQLite
    file so no stale copy of an erased row survives in free space or moved index cells, then
    empty the WAL; PostgreSQL: plain VACUUM of Candor's tables and the conversations, which
    removes dead row versions without locking out conversations (VACUUM FULL would)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            present = set(sa.inspect(conn).get_table_names())
            tables = [name for name in (*metadata.tables, "events") if name in present]
            if tables:
                conn.exec_driver_sql("VACUUM " + ", ".join(f'"{name}"' for name in tables))
            return
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("VACUUM")
    forget_erased(engine)


def create_engine(url: Any, future: bool = True) -> sa.engine.Engine:
    """An SQLAlchemy engine for `url` with `erase_for_real`'s settings. A SQLite file keeps a
    small pool of open connections: SQLAlchemy 1.4 otherwise opens the file (and runs its
    PRAGMAs) for every use, which took 5% of the Rasa server's time under load (py-spy,
    `make bench`). A pooled connection is used by one thread at a time (QueuePool)."""
    url = sa.engine.make_url(url)
    kwargs: Dict[str, Any] = {}
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        kwargs = {"poolclass": sa.pool.QueuePool, "pool_size": 5, "max_overflow": 10,
                  "connect_args": {"check_same_thread": False}}
    return erase_for_real(sa.create_engine(url, future=future, **kwargs))


@functools.lru_cache(maxsize=8)
def _engine(url: str) -> sa.engine.Engine:
    engine = create_engine(url)
    metadata.create_all(engine)
    try:  # data dirs made before the constraint existed
        one_unfinished_ticket.create(engine, checkfirst=True)
    except sa.exc.IntegrityError:
        logging.getLogger(__name__).warning(
            "A customer has more than one unfinished handoff ticket; close one, then restart, "
            "to add the one-unfinished-ticket constraint.")
    return engine


def engine(url: Optional[str] = None) -> sa.engine.Engine:
    """The engine for `url` (default: the data dir's SQLite file), built and its tables
    created once per process."""
    if url is None:
        current = settings()
        current.ensure_dirs()
        url = current.database_url
    return _engine(url)
