"""The shop's order table: fake orders generated at set-up, looked up by order number."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
import enum
from dataclasses import dataclass
from typing import Any, List, Optional

import sqlalchemy as sa

from bot.config import settings
from bot.storage.db import (address_change_requests, order_checks, order_contacts, order_postcodes, order_requests,
                             order_returns, orders)
from bot.storage.keys import digest

ORDER_NUMBER = re.compile(r"\bCND[- ]?(\d{6})\b", re.IGNORECASE)
STATUSES = ("processing", "packed", "shipped", "delivered", "cancelled")
CHANGEABLE = ("processing", "packed")
PRODUCTS = (
    "Linen bedding set",
    "Oak side table",
    "Ceramic mug set",
    "Wool throw blanket",
    "Desk lamp",
    "Cotton bath towels",
    "Cast-iron pan",
    "Bamboo cutting board",
    "Glass vase",
    "Reading chair",
)
CARRIERS = ("PostNL", "DHL", "DPD")
REFUND_WORKING_DAYS = 5  # a refund is paid within this many working days of the return's arrival


def working_days_after(day: dt.date, count: int) -> dt.date:
    """The date `count` working days (Monday to Friday) after `day`."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= day.weekday() < 5
    return day


@dataclass(frozen=True)
class Order:
    order_number: str
    status: str
    placed_on: dt.date
    expected_delivery: Optional[dt.date]
    carrier: Optional[str]
    tracking_code: Optional[str]
    items: List[str]
    returned_on: Optional[dt.date] = None  # the return reached the warehouse
    refunded_on: Optional[dt.date] = None  # its refund was paid

    @property
    def refund_due(self) -> Optional[dt.date]:
        """The latest day a received return's refund is paid."""
        return self.returned_on and working_days_after(self.returned_on, REFUND_WORKING_DAYS)

    @property
    def address_changeable(self) -> bool:
        return self.status in CHANGEABLE

    @property
    def cancellable(self) -> bool:
        """Not yet handed to the carrier: it can still be stopped."""
        return self.status in CHANGEABLE


def normalise_order_number(text: Optional[str]) -> Optional[str]:
    """`cnd 123456`, `CND123456` and `CND-123456` all mean `CND-123456`; anything else is None."""
    if not text:
        return None
    match = ORDER_NUMBER.search(str(text))
    return f"CND-{match.group(1)}" if match else None


@dataclass(frozen=True)
class FakeOrder:
    """One generated order with the facts its owner knows (fake: example.com, made-up postcode)."""

    order_number: str
    email: str
    postcode: str
    row: dict
    returned: Optional[dict] = None  # a row of `order_returns`, for some delivered orders


def fake_orders(seed: str, count: int = 200) -> List[FakeOrder]:
    """The installation's fake orders, generated again from its seed: random, non-sequential
    numbers; 50 fake customers (e-mail at example.com), each with a made-up postcode."""
    rng = random.Random(seed)
    today = dt.date.today()
    numbers = rng.sample(range(100000, 1000000), count)
    customers = []
    for _ in range(50):
        letters = "".join(rng.choice("ABCEGHJKLMNPRTVWXZ") for _ in range(2))
        customers.append((f"customer.{rng.getrandbits(32):08x}@example.com", f"{rng.randint(1000, 9999)} {letters}"))
    made = []
    for index, number in enumerate(numbers):
        status = STATUSES[index % len(STATUSES)]
        placed = today - dt.timedelta(days=rng.randint(0, 20))
        shipped = status in ("shipped", "delivered")
        if status == "cancelled":
            expected = None
        elif status == "delivered":
            expected = placed + dt.timedelta(days=rng.randint(1, 3))
        else:
            expected = today + dt.timedelta(days=rng.randint(1, 4))
        row = {
            "order_number": f"CND-{number:06d}",
            "status": status,
            "placed_on": placed,
            "expected_delivery": expected,
            "carrier": rng.choice(CARRIERS) if shipped else None,
            "tracking_code": f"3S{rng.randint(10**9, 10**10 - 1)}" if shipped else None,
            "items": json.dumps(rng.sample(PRODUCTS, rng.randint(1, 3))),
        }
        email, postcode = customers[index % len(customers)]
        made.append(FakeOrder(row["order_number"], email, postcode, row))
    return _with_returns(made, random.Random(f"{seed}:returns"), today)


def _with_returns(made: List[FakeOrder], rng: random.Random, today: dt.date) -> List[FakeOrder]:
    """Every other delivered order was sent back: the return arrived a few days after
    delivery; its refund is paid, or still due (its own generator, so the orders themselves
    stay what they were before returns existed)."""
    delivered = [o for o in made if o.row["status"] == "delivered"]
    returned = {o.order_number for o in delivered[::2]}
    out = []
    for order in made:
        if order.order_number in returned:
            arrived = min(today, order.row["expected_delivery"] + dt.timedelta(days=rng.randint(2, 6)))
            paid = arrived + dt.timedelta(days=rng.randint(1, 6))
            order = dataclasses.replace(order, returned={
                "order_number": order.order_number, "returned_on": arrived,
                "refunded_on": paid if paid <= today else None})
        out.append(order)
    return out


def email_digest(email: str) -> str:
    return digest("EMAIL_ADDRESS", email.strip().lower())


def postcode_digest(postcode: str) -> str:
    return digest("POSTCODE", "".join(postcode.split()).upper())


# --- Ownership: an order is shown only to someone who gives a second fact that matches it.
CHECK_WINDOW = dt.timedelta(hours=1)
MAX_FAILED_CHECKS = 5  # per sender and per order, within CHECK_WINDOW
POSTCODES = re.compile(
    r"(?<![\w-])(?:[1-9]\d{3}\s?[A-Za-z]{2}|[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}|\d{4,5})(?![\w@-])")
EMAILS = re.compile(r"[^\s@<>()\[\],;:\"]{1,64}@[^\s@<>()\[\],;:\"]{1,255}\.[A-Za-z]{2,24}")


def facts_in(text: str) -> dict:
    """The postcodes and e-mail addresses a message offers as proof (never stored)."""
    text = (text or "")[:2000]
    return {"postcode": [m.group(0) for m in POSTCODES.finditer(text)
                         if not ORDER_NUMBER.search(text[max(0, m.start() - 4):m.end()])],
            "email": [m.group(0).rstrip(".") for m in EMAILS.finditer(text)]}


# What an e-mail look-up that found nothing puts in the form: an order number no order has (the
# generated ones start at 100000), so the postcode check fails as for any other wrong fact.
NO_SUCH_ORDER = "CND-000000"
EMAIL_LOOKUP = "email-lookup"  # how an e-mail look-up is recorded among the checks


class Check(enum.Enum):
    """The outcome of one ownership check."""

    PASSED = "passed"
    FAILED = "failed"
    SEVERAL = "several"  # more than one fact in the message: none was tried
    LOCKED = "locked"  # too many failed attempts within the hour


def _since(now: dt.datetime) -> dt.datetime:
    return now - CHECK_WINDOW


class OrderBook:
    """The shop's orders and the ownership checks that guard them."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def find_order(self, order_number: str) -> Optional[Order]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(orders, order_returns.c.returned_on, order_returns.c.refunded_on)
                .select_from(orders.outerjoin(order_returns, order_returns.c.order_number == orders.c.order_number))
                .where(orders.c.order_number == order_number)
            ).mappings().first()
        if row is None:
            return None
        return Order(**{**row, "items": json.loads(row["items"])})

    def seed_orders(self, count: int = 200, seed: Optional[str] = None) -> int:
        """Fill an empty order table with generated fake orders; returns how many were added.
        Orders from before ownership checks (no postcodes) are generated again."""
        seed = seed if seed is not None else settings().fake_orders_seed()
        with self.engine.begin() as conn:
            existing = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
            with_postcode = conn.execute(sa.select(sa.func.count()).select_from(order_postcodes)).scalar_one()
            if existing and with_postcode:
                return 0
            for table in (order_returns, orders, order_contacts, order_postcodes):
                conn.execute(table.delete())
            made = fake_orders(seed, count)
            conn.execute(orders.insert(), [order.row for order in made])
            returns = [order.returned for order in made if order.returned]
            if returns:
                conn.execute(order_returns.insert(), returns)
            conn.execute(order_contacts.insert(), [
                {"order_number": o.order_number, "email_digest": email_digest(o.email)} for o in made])
            conn.execute(order_postcodes.insert(), [
                {"order_number": o.order_number, "postcode_digest": postcode_digest(o.postcode)} for o in made])
        return len(made)

    def link_facts(self, order_number: str, email: Optional[str] = None, postcode: Optional[str] = None) -> None:
        """Record (as keyed hashes) the e-mail address an order was placed with and the postcode
        it goes to."""
        with self.engine.begin() as conn:
            for table, column, value in ((order_contacts, "email_digest", email and email_digest(email)),
                                         (order_postcodes, "postcode_digest", postcode and postcode_digest(postcode))):
                if value:
                    conn.execute(table.delete().where(table.c.order_number == order_number))
                    conn.execute(table.insert().values(order_number=order_number, **{column: value}))

    def orders_for_email(self, email: str) -> List[Order]:
        """The orders placed with this e-mail address, newest first."""
        with self.engine.connect() as conn:
            numbers = [r[0] for r in conn.execute(
                sa.select(order_contacts.c.order_number).where(order_contacts.c.email_digest == email_digest(email)))]
        found = [o for o in (self.find_order(n) for n in numbers) if o is not None]
        return sorted(found, key=lambda o: o.placed_on, reverse=True)

    def check_locked(self, sender_id: str, order_number: Optional[str] = None) -> bool:
        """Too many failed checks in the last hour, by this sender or on this order."""
        with self.engine.connect() as conn:
            return self._locked(conn, sender_id, order_number, dt.datetime.now(dt.timezone.utc))

    @staticmethod
    def _locked(conn: Any, sender_id: str, order_number: Optional[str], now: dt.datetime, allowed: int = 0) -> bool:
        failed = sa.select(sa.func.count()).select_from(order_checks).where(
            order_checks.c.passed.is_(False), order_checks.c.at >= _since(now))
        limit = MAX_FAILED_CHECKS + allowed
        if conn.execute(failed.where(order_checks.c.sender_id == sender_id)).scalar_one() >= limit:
            return True
        return bool(order_number) and conn.execute(
            failed.where(order_checks.c.order_number == order_number[:16])).scalar_one() >= limit

    @staticmethod
    def _serialised(conn: Any, *keys: str) -> None:
        """Checks of one sender or one order run one after the other. SQLite: the attempt is
        inserted first, which takes the database's write lock until commit. PostgreSQL: a
        transaction-scoped advisory lock per key (sorted, so two checks never deadlock)."""
        if conn.dialect.name == "postgresql":
            for key in sorted(set(keys)):
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"order-check:{key}"})

    def _attempts(self, conn: Any, sender_id: str, order_number: str, count: int, now: dt.datetime) -> List[int]:
        """Record `count` attempts (failed until shown otherwise); their row ids."""
        conn.execute(order_checks.delete().where(order_checks.c.at < _since(now) - CHECK_WINDOW))
        return [conn.execute(order_checks.insert().values(
            sender_id=sender_id, order_number=order_number[:16], passed=False, at=now)).inserted_primary_key[0]
            for _ in range(count)]

    def record_check(self, sender_id: str, order_number: str, passed: bool) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            self._serialised(conn, sender_id, order_number)
            ids = self._attempts(conn, sender_id, order_number, 1, now)
            if passed:
                conn.execute(order_checks.update().where(order_checks.c.id == ids[0]).values(passed=True))

    def check_owner(self, sender_id: str, order_number: str, text: str, email_allowed: bool = True) -> Optional[Check]:
        """Does the message hold a fact of this order (its postcode, or the e-mail address it was
        placed with when `email_allowed`)? None when it offers no fact.

        Every fact offered is an attempt: a message with several is not tried at all
        (`Check.SEVERAL`, each counted as failed), so one message can never try hundreds of
        postcodes. The lockout is decided in the same transaction as the attempt is recorded.
        An order that does not exist fails exactly like a postcode that does not match."""
        offered = facts_in(text)
        candidates = {("postcode", postcode_digest(p)) for p in offered["postcode"]}
        if email_allowed:
            candidates |= {("email", email_digest(e)) for e in offered["email"]}
        if not candidates:
            return None
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            self._serialised(conn, sender_id, order_number)
            ids = self._attempts(conn, sender_id, order_number, len(candidates), now)
            if self._locked(conn, sender_id, order_number, now, allowed=len(candidates)):
                return Check.LOCKED
            if len(candidates) > 1:
                return Check.LOCKED if self._locked(conn, sender_id, order_number, now) else Check.SEVERAL
            (kind, wanted), = candidates
            table, column = (order_postcodes, order_postcodes.c.postcode_digest) if kind == "postcode" else (
                order_contacts, order_contacts.c.email_digest)
            passed = conn.execute(sa.select(table.c.order_number).where(
                table.c.order_number == order_number, column == wanted)).first() is not None
            if passed:
                conn.execute(order_checks.update().where(order_checks.c.id == ids[0]).values(passed=True))
                return Check.PASSED
            return Check.LOCKED if self._locked(conn, sender_id, order_number, now) else Check.FAILED

    def look_up_by_email(self, sender_id: str, email: str) -> Optional[str]:
        """The newest order placed with `email`, or `NO_SUCH_ORDER` when there is none (the
        customer is told neither: both go on to the postcode check); None when locked out.
        Every look-up counts as an attempt against the lockout until a postcode check passes."""
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            self._serialised(conn, sender_id)
            self._attempts(conn, sender_id, EMAIL_LOOKUP, 1, now)
            if self._locked(conn, sender_id, None, now, allowed=1):
                return None
        found = self.orders_for_email(email)
        return found[0].order_number if found else NO_SUCH_ORDER

    def owner_checked(self, sender_id: str, order_number: Optional[str]) -> bool:
        """Did this sender pass the check for this order within the last hour?"""
        if not order_number:
            return False
        since = _since(dt.datetime.now(dt.timezone.utc))
        with self.engine.connect() as conn:
            return conn.execute(sa.select(order_checks.c.id).where(
                order_checks.c.sender_id == sender_id, order_checks.c.order_number == order_number,
                order_checks.c.passed.is_(True), order_checks.c.at >= since)).first() is not None

    def request_address_change(self, sender_id: str, order_number: str, address_placeholder: str) -> None:
        """A new delivery address for the warehouse (the address itself is only in the vault)."""
        with self.engine.begin() as conn:
            conn.execute(address_change_requests.insert().values(
                sender_id=sender_id, order_number=order_number, address_placeholder=address_placeholder,
                created_at=dt.datetime.now(dt.timezone.utc)))

    def _request(self, conn: Any, sender_id: str, order_number: str, kind: str) -> None:
        conn.execute(order_requests.insert().values(
            sender_id=sender_id, order_number=order_number, kind=kind, created_at=dt.datetime.now(dt.timezone.utc)))

    def cancel(self, sender_id: str, order_number: str) -> Optional[Order]:
        """Cancel an order that has not shipped yet, in one statement (a parcel that ships
        meanwhile is not cancelled); returns the order as it is now, None if unknown."""
        with self.engine.begin() as conn:
            done = conn.execute(orders.update().where(
                orders.c.order_number == order_number, orders.c.status.in_(CHANGEABLE)
            ).values(status="cancelled")).rowcount
            if done:
                self._request(conn, sender_id, order_number, "cancel")
        return self.find_order(order_number)

    def request_invoice(self, sender_id: str, order_number: str) -> None:
        """Ask the shop's mailer to e-mail the invoice to the address the order was placed with
        (only its keyed hash is here: the address itself never passes through the assistant)."""
        with self.engine.begin() as conn:
            self._request(conn, sender_id, order_number, "invoice")

    def requests_of(self, sender_id: str) -> List[tuple]:
        """(order number, kind) of what this sender asked for, oldest first."""
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                sa.select(order_requests.c.order_number, order_requests.c.kind)
                .where(order_requests.c.sender_id == sender_id).order_by(order_requests.c.id))]
