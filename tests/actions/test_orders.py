"""Order answers come from the order table, never invented."""
from __future__ import annotations

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import (
    ActionAskOrderNumber,
    ActionChangeAddress,
    ActionOrderStatus,
    ValidateOrderStatusForm,
    messages,
)
from bot.storage.orders import normalise_order_number, seed_orders
from bot.storage.tickets import tickets_for
from tests.actions.conftest import make_tracker


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CND-123456", "CND-123456"),
        ("cnd123456", "CND-123456"),
        ("it's cnd 654321 I think", "CND-654321"),
        ("123456", None),
        ("CND-12345", None),
        ("", None),
    ],
)
def test_order_numbers_are_normalised(text, expected) -> None:
    assert normalise_order_number(text) == expected


def test_seeding_is_idempotent() -> None:
    assert seed_orders(count=20) == 20
    assert seed_orders(count=20) == 0


def test_validation_accepts_a_known_order(add_order) -> None:
    number = add_order("CND-900001", "shipped")
    dispatcher = CollectingDispatcher()
    result = ValidateOrderStatusForm().validate_order_number("cnd900001", dispatcher, make_tracker(), {})
    assert result == {"order_number": number}
    assert dispatcher.messages == []


def test_validation_rejects_unknown_and_malformed_numbers(add_order) -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateOrderStatusForm()
    assert form.validate_order_number("CND-999999", dispatcher, make_tracker(), {}) == {"order_number": None}
    assert "CND-999999" in dispatcher.messages[-1]["text"]
    assert form.validate_order_number("my cat", dispatcher, make_tracker(), {}) == {"order_number": None}
    assert dispatcher.messages[-1]["text"] == messages()["order_number_format"]


async def test_status_answer_is_built_from_the_order_row(add_order) -> None:
    number = add_order("CND-900002", "shipped", items=("Glass vase",), carrier="DHL", tracking="3S1234567890")
    dispatcher = CollectingDispatcher()
    events = await ActionOrderStatus().run(dispatcher, make_tracker(slots={"order_number": number}), {})
    text = dispatcher.messages[0]["text"]
    assert number in text and "Glass vase" in text and "has shipped" in text
    assert "DHL" in text and "3S1234567890" in text and "24 November 2026" in text
    assert events == [SlotSet("order_number", None)]


async def test_ask_order_number_uses_the_configured_text() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskOrderNumber().run(dispatcher, make_tracker(), {})
    assert dispatcher.messages[0]["text"] == messages()["ask_order_number"]


async def test_address_of_a_shipped_order_cannot_change(add_order) -> None:
    number = add_order("CND-900003", "delivered")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender_id="c-addr-1", slots={"order_number": number})
    events = await ActionChangeAddress().run(dispatcher, tracker, {})
    assert events == [SlotSet("order_number", None)]
    assert "can no longer be changed" in dispatcher.messages[0]["text"]
    assert tickets_for("c-addr-1") == []


async def test_address_of_an_unshipped_order_asks_consent_before_taking_it(add_order) -> None:
    from bot.guardrails.loader import policies
    from bot.storage import consent

    number = add_order("CND-900004", "processing")
    purpose = policies().purpose("delivery_address_change")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender_id="c-addr-2", slots={"order_number": number}, intent="inform")
    events = await ActionChangeAddress().run(dispatcher, tracker, {})
    assert dispatcher.messages[-1]["text"] == purpose.notice
    assert events == [SlotSet("consent_pending", {"purpose": purpose.name, "version": purpose.version,
                                                  "placeholder": None, "then": "new_address_form"})]
    assert tickets_for("c-addr-2") == []
    # With consent already given, the address form starts straight away.
    consent.record("c-addr-2", purpose.name, "granted", purpose.version)
    events = await ActionChangeAddress().run(CollectingDispatcher(), tracker, {})
    assert events == [FollowupAction("new_address_form")]
