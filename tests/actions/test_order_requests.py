"""Cancelling an order and sending its invoice (issue 22): only after the owner check, from
what the order table says, recorded for the shop's systems."""
from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import ActionCancelOrder, ActionSendInvoice, messages
from bot.guardrails.texts import text_in
from bot.storage import stores
from tests.actions.conftest import checked, make_tracker

CLEARED = [SlotSet("order_number", None), SlotSet("order_check", None)]


async def test_an_order_that_has_not_shipped_is_cancelled(add_order) -> None:
    number = add_order("CND-910001", "processing")
    dispatcher = CollectingDispatcher()
    events = await ActionCancelOrder().run(dispatcher, checked("c-cancel-1", number), {})
    assert events == CLEARED
    assert dispatcher.messages[-1]["text"] == messages()["order_cancelled"].format(order_number=number)
    assert stores().orders.find_order(number).status == "cancelled"
    assert stores().orders.requests_of("c-cancel-1") == [(number, "cancel")]
    # Asking again changes nothing and says so.
    again = CollectingDispatcher()
    await ActionCancelOrder().run(again, checked("c-cancel-1", number), {})
    assert again.messages[-1]["text"] == messages()["order_already_cancelled"].format(order_number=number)
    assert stores().orders.requests_of("c-cancel-1") == [(number, "cancel")]


async def test_a_shipped_order_is_not_cancelled_and_the_return_is_explained(add_order) -> None:
    number = add_order("CND-910002", "shipped")
    dispatcher = CollectingDispatcher()
    await ActionCancelOrder().run(dispatcher, checked("c-cancel-2", number), {})
    text = dispatcher.messages[-1]["text"]
    assert "can no longer be cancelled" in text and "has shipped" in text and "return" in text
    assert stores().orders.find_order(number).status == "shipped"
    assert stores().orders.requests_of("c-cancel-2") == []
    dutch = CollectingDispatcher()
    await ActionCancelOrder().run(dutch, checked("c-cancel-2", number, slots={"language": "nl"}), {})
    assert "is verzonden" in dutch.messages[-1]["text"] and "retourneren" in dutch.messages[-1]["text"]


async def test_nothing_is_cancelled_or_sent_without_the_owner_check(add_order) -> None:
    number = add_order("CND-910003", "processing")
    for action in (ActionCancelOrder(), ActionSendInvoice()):
        dispatcher = CollectingDispatcher()
        # The slots claim a passed check, but the database has none for this sender.
        tracker = make_tracker(sender_id="c-cancel-3", slots={"order_number": number, "order_check": number})
        assert await action.run(dispatcher, tracker, {}) == CLEARED
        assert dispatcher.messages[-1]["text"] == messages()["order_not_checked"]
    assert stores().orders.find_order(number).status == "processing"
    assert stores().orders.requests_of("c-cancel-3") == []


async def test_the_invoice_goes_to_the_address_the_order_was_placed_with(add_order) -> None:
    number = add_order("CND-910004", "delivered")
    dispatcher = CollectingDispatcher()
    events = await ActionSendInvoice().run(dispatcher, checked("c-invoice", number, slots={"language": "nl"}), {})
    assert events == CLEARED
    assert dispatcher.messages[-1]["text"] == text_in(messages()["invoice_requested"].format(order_number=number), "nl")
    assert stores().orders.requests_of("c-invoice") == [(number, "invoice")]


def test_order_requests_are_erased_with_the_customer(add_order) -> None:
    from bot.storage.data_rights import PER_SENDER, WITH_THE_CONVERSATION

    assert "order_requests" in PER_SENDER and "order_requests" in WITH_THE_CONVERSATION
