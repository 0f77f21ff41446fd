"""Where a refund is (issue 22): told from the order book after the owner check, in both
languages; a refund question about an order without a return says what happens next."""
from __future__ import annotations

import datetime as dt

from rasa_sdk.executor import CollectingDispatcher

from actions.orders import ActionOrderStatus, asked_about_refund, describe
from bot.config import settings
from bot.storage import stores
from bot.storage.orders import fake_orders, working_days_after
from tests.actions.conftest import checked, make_tracker


def _refund_question(intent: str = "ask_refund") -> list:
    """The events of a customer who asked about a refund, then gave the number and postcode."""
    said = [(intent, "where is my refund"), ("inform", "CND-920001"), ("inform", "9999 ZZ")]
    return [{"event": "user", "text": text, "parse_data": {"intent": {"name": name}}} for name, text in said]


def test_working_days_skip_the_weekend() -> None:
    friday = dt.date(2026, 11, 27)
    assert working_days_after(friday, 1) == dt.date(2026, 11, 30)  # Monday
    assert working_days_after(friday, 5) == dt.date(2026, 12, 4)
    assert working_days_after(dt.date(2026, 11, 23), 5) == dt.date(2026, 11, 30)


async def test_a_paid_refund_is_told_with_its_date(add_order) -> None:
    number = add_order("CND-920001", "delivered", returned_on=dt.date(2026, 11, 26), refunded_on=dt.date(2026, 11, 28))
    dispatcher = CollectingDispatcher()
    await ActionOrderStatus().run(dispatcher, checked("c-refund-1", number, events=_refund_question()), {})
    text = dispatcher.messages[-1]["text"]
    assert "reached our warehouse on Thursday, November 26, 2026" in text
    assert "refund was paid on Saturday, November 28, 2026" in text


async def test_a_refund_still_due_is_told_with_the_latest_day_in_dutch(add_order) -> None:
    number = add_order("CND-920002", "delivered", returned_on=dt.date(2026, 11, 27))
    dispatcher = CollectingDispatcher()
    tracker = checked("c-refund-2", number, slots={"language": "nl"}, events=_refund_question())
    await ActionOrderStatus().run(dispatcher, tracker, {})
    text = dispatcher.messages[-1]["text"]
    assert "op vrijdag 27 november 2026 in ons magazijn aangekomen" in text
    assert "uiterlijk vrijdag 4 december 2026 teruggestort" in text


async def test_a_refund_question_without_a_return_says_what_happens_next(add_order) -> None:
    delivered = add_order("CND-920003", "delivered")
    processing = add_order("CND-920004", "processing")
    answers = {}
    for number in (delivered, processing):
        dispatcher = CollectingDispatcher()
        await ActionOrderStatus().run(dispatcher, checked(f"c-{number}", number, events=_refund_question()), {})
        answers[number] = dispatcher.messages[-1]["text"]
    assert "No return of this order has reached our warehouse yet" in answers[delivered]
    assert "no refund for it yet" in answers[processing] and "cancel" in answers[processing]
    # A plain status question about the same order says nothing about refunds.
    plain = describe(stores().orders.find_order(delivered), "en", about_refund=False)
    assert "refund" not in plain and "return" not in plain


def test_a_refund_counts_only_among_the_last_requests() -> None:
    assert asked_about_refund(make_tracker(events=_refund_question()))
    assert not asked_about_refund(make_tracker(events=_refund_question("ask_order_status")))
    long_ago = _refund_question() + _refund_question("ask_order_status")
    assert not asked_about_refund(make_tracker(events=long_ago))


def test_generated_returns_belong_to_delivered_orders_and_are_seeded() -> None:
    made = fake_orders(settings().fake_orders_seed(), 60)
    returned = [o for o in made if o.returned]
    assert returned and all(o.row["status"] == "delivered" for o in returned)
    assert all(o.returned["returned_on"] <= dt.date.today() for o in returned)
    stores().orders.seed_orders(count=60)
    first = stores().orders.find_order(returned[0].order_number)
    assert first.returned_on == returned[0].returned["returned_on"]
    assert first.refunded_on == returned[0].returned["refunded_on"]
