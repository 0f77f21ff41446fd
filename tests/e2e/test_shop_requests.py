"""Issue 22 through the real servers: cancelling an order and getting its invoice take the
owner check first; a shipped order is explained as a return; a close call is a question."""
from __future__ import annotations

import pytest

from bot.guardrails.loader import load_policies
from tests.e2e.conftest import sender, texts

pytestmark = pytest.mark.e2e
POLICIES = load_policies()


def _say(candor, customer, text):
    return " ".join(texts(candor.say(customer, text)))


def test_cancelling_an_order_that_has_not_shipped(candor) -> None:
    order = next(o for o in candor.orders() if o["status"] in ("processing", "packed"))
    customer = sender()
    candor.say(customer, "hi")
    asked = _say(candor, customer, "I want to cancel my order")
    assert "order number" in asked
    assert "postcode" in _say(candor, customer, order["order_number"])
    assert candor.query("select status from orders where order_number = ?", order["order_number"]) != [("cancelled",)]
    done = _say(candor, customer, order["postcode"])
    assert f"order {order['order_number']} is cancelled" in done
    assert candor.query("select status from orders where order_number = ?", order["order_number"]) == [("cancelled",)]
    assert candor.query("select kind from order_requests where sender_id = ?", customer) == [("cancel",)]


def test_a_shipped_order_is_not_cancelled_and_a_wrong_postcode_cancels_nothing(candor) -> None:
    shipped = next(o for o in candor.orders() if o["status"] in ("shipped", "delivered"))
    customer = sender()
    candor.say(customer, "hi")
    candor.say(customer, "please cancel my order")
    candor.say(customer, shipped["order_number"])
    answer = _say(candor, customer, shipped["postcode"])
    assert "can no longer be cancelled" in answer and "return" in answer
    # An order still open in the database (another test may have cancelled the first one).
    [(open_number,)] = candor.query(
        "select order_number from orders where status in ('processing', 'packed') order by order_number desc limit 1")
    other = {"order_number": open_number}
    thief = sender()
    candor.say(thief, "hi")
    candor.say(thief, "cancel my order")
    candor.say(thief, other["order_number"])
    assert POLICIES.messages["order_check_failed"] in texts(candor.say(thief, "0000 AA"))
    assert candor.query("select status from orders where order_number = ?", other["order_number"]) != [("cancelled",)]


def test_the_invoice_in_dutch(candor) -> None:
    order = candor.orders()[0]
    customer = sender()
    candor.say(customer, "hallo")
    assert "bestelnummer" in _say(candor, customer, "ik heb een factuur nodig van mijn bestelling")
    candor.say(customer, order["order_number"])
    answer = _say(candor, customer, order["postcode"])
    assert "factuur" in answer and order["order_number"] in answer
    assert candor.query("select kind from order_requests where sender_id = ?", customer) == [("invoice",)]


def test_where_a_refund_is_after_the_owner_check(candor) -> None:
    """The general refund answer offers the look-up; the order number and postcode then give
    the return's arrival and the refund's date, from the order book."""
    order = next(o for o in candor.orders() if o.get("refund"))
    customer = sender()
    candor.say(customer, "hi")
    assert "send me its order number" in _say(candor, customer, "where is my refund?")
    asked = _say(candor, customer, order["order_number"])
    assert "postcode" in asked and "reached our warehouse" not in asked
    answer = _say(candor, customer, order["postcode"])
    assert "reached our warehouse on" in answer
    assert ("refund was paid on" if order["refund"] == "paid" else "refund will be paid by") in answer
