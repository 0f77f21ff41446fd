"""Helpers to build rasa_sdk trackers and orders for action tests."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker

from bot.storage.db import engine, order_returns, orders
from bot.storage import stores

SLOTS = {
    "order_number": None,
    "order_check": None,
    "disclosure_version": None,
    "ai_opt_out": False,
    "guardrail_decision": None,
    "requested_slot": None,
}


def make_tracker(
    sender_id: str = "test-sender",
    slots: Optional[Dict[str, Any]] = None,
    intent: str = "greet",
    text: str = "hello",
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    return Tracker(
        sender_id=sender_id,
        slots={**SLOTS, **(slots or {})},
        latest_message=latest,
        events=events
        if events is not None
        else [{"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def add_order():
    """Insert an order built in the test; returns its number."""

    def _add(number: str, status: str, items=("Desk lamp",), carrier=None, tracking=None,
             postcode: str = "9999 ZZ", email: str = "owner.fake@example.com",
             returned_on: Optional[dt.date] = None, refunded_on: Optional[dt.date] = None) -> str:
        with engine().begin() as conn:
            conn.execute(
                orders.insert().values(
                    order_number=number,
                    status=status,
                    placed_on=dt.date(2026, 11, 20),
                    expected_delivery=dt.date(2026, 11, 24),
                    carrier=carrier,
                    tracking_code=tracking,
                    items=json.dumps(list(items)),
                )
            )
            if returned_on:
                conn.execute(order_returns.insert().values(
                    order_number=number, returned_on=returned_on, refunded_on=refunded_on))
        stores().orders.link_facts(number, email=email, postcode=postcode)
        return number

    return _add


def checked(sender_id: str, number: str, slots: Optional[Dict[str, Any]] = None, **kwargs) -> Tracker:
    """A tracker of a customer who passed the owner check for `number` (postcode given)."""
    from bot.storage.orders import Check

    assert stores().orders.check_owner(sender_id, number, "9999 ZZ") is Check.PASSED
    return make_tracker(sender_id=sender_id, slots={"order_number": number, "order_check": number, **(slots or {})},
                        **kwargs)
