"""The shop's order table: fake orders generated at set-up, looked up by order number."""
from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa

from bot.storage.db import engine, orders

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


@dataclass(frozen=True)
class Order:
    order_number: str
    status: str
    placed_on: dt.date
    expected_delivery: Optional[dt.date]
    carrier: Optional[str]
    tracking_code: Optional[str]
    items: List[str]

    @property
    def address_changeable(self) -> bool:
        return self.status in CHANGEABLE


def normalise_order_number(text: Optional[str]) -> Optional[str]:
    """`cnd 123456`, `CND123456` and `CND-123456` all mean `CND-123456`; anything else is None."""
    if not text:
        return None
    match = ORDER_NUMBER.search(str(text))
    return f"CND-{match.group(1)}" if match else None


def find_order(order_number: str, url: Optional[str] = None) -> Optional[Order]:
    with engine(url).connect() as conn:
        row = conn.execute(
            sa.select(orders).where(orders.c.order_number == order_number)
        ).mappings().first()
    if row is None:
        return None
    return Order(**{**row, "items": json.loads(row["items"])})


def seed_orders(count: int = 200, seed: int = 7, url: Optional[str] = None) -> int:
    """Fill an empty order table with generated fake orders; returns how many were added."""
    rng = random.Random(seed)
    today = dt.date.today()
    with engine(url).begin() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
        if existing:
            return 0
        rows = []
        for index in range(count):
            status = STATUSES[index % len(STATUSES)]
            placed = today - dt.timedelta(days=rng.randint(0, 20))
            shipped = status in ("shipped", "delivered")
            if status == "cancelled":
                expected = None
            elif status == "delivered":
                expected = placed + dt.timedelta(days=rng.randint(1, 3))
            else:
                expected = today + dt.timedelta(days=rng.randint(1, 4))
            rows.append(
                {
                    "order_number": f"CND-{100000 + index:06d}",
                    "status": status,
                    "placed_on": placed,
                    "expected_delivery": expected,
                    "carrier": rng.choice(CARRIERS) if shipped else None,
                    "tracking_code": f"3S{rng.randint(10**9, 10**10 - 1)}" if shipped else None,
                    "items": json.dumps(rng.sample(PRODUCTS, rng.randint(1, 3))),
                }
            )
        conn.execute(orders.insert(), rows)
        # Each fake order was placed with an obviously fake address: customer007@example.com.
        from bot.storage.db import order_contacts

        conn.execute(order_contacts.insert(), [
            {"order_number": row["order_number"], "email_digest": email_digest(f"customer{index % 50:03d}@example.com")}
            for index, row in enumerate(rows)
        ])
    return len(rows)


def link_email(order_number: str, email: str, url: Optional[str] = None) -> None:
    """Record (as a keyed hash) the e-mail address an order was placed with."""
    from bot.storage.db import order_contacts

    with engine(url).begin() as conn:
        conn.execute(order_contacts.delete().where(order_contacts.c.order_number == order_number))
        conn.execute(order_contacts.insert().values(order_number=order_number, email_digest=email_digest(email)))


def email_digest(email: str) -> str:
    from bot.pii.vault import digest

    return digest("EMAIL_ADDRESS", email.strip().lower())


def orders_for_email(email: str, url: Optional[str] = None) -> List[Order]:
    """The orders placed with this e-mail address, newest first."""
    from bot.storage.db import order_contacts

    with engine(url).connect() as conn:
        numbers = [r[0] for r in conn.execute(
            sa.select(order_contacts.c.order_number).where(order_contacts.c.email_digest == email_digest(email)))]
    found = [o for o in (find_order(n, url) for n in numbers) if o is not None]
    return sorted(found, key=lambda o: o.placed_on, reverse=True)
