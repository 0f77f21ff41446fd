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
from bot.storage import stores
from bot.storage.orders import normalise_order_number
from tests.actions.conftest import checked, make_tracker


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


def test_seeding_is_idempotent_and_numbers_are_not_sequential() -> None:
    from bot.config import settings
    from bot.storage.orders import fake_orders

    assert stores().orders.seed_orders(count=20) == 20
    assert stores().orders.seed_orders(count=20) == 0
    numbers = sorted(int(o.order_number[4:]) for o in fake_orders(settings().fake_orders_seed(), 20))
    gaps = {b - a for a, b in zip(numbers, numbers[1:])}
    assert len(gaps) > 10 and min(gaps) > 1 or len(set(gaps)) > 15  # no runs of neighbours
    # Another installation gets other numbers.
    assert fake_orders("another-seed", 20)[0].order_number != fake_orders(settings().fake_orders_seed(), 20)[0].order_number


def test_validation_accepts_a_known_order(add_order) -> None:
    number = add_order("CND-900001", "shipped")
    dispatcher = CollectingDispatcher()
    result = ValidateOrderStatusForm().validate_order_number("cnd900001", dispatcher, make_tracker(), {})
    assert result == {"order_number": number}
    assert dispatcher.messages == []


async def test_validation_rejects_malformed_numbers_and_does_not_say_whether_an_order_exists(add_order) -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateOrderStatusForm()
    assert form.validate_order_number("my cat", dispatcher, make_tracker(), {}) == {"order_number": None}
    assert dispatcher.messages[-1]["text"] == messages()["order_number_format"]
    # An unknown number is taken like a known one: whether it exists is not said before the
    # owner check, which then fails with the same words as a wrong postcode.
    known = add_order("CND-900020", "shipped", postcode="1234 AB")
    quiet = CollectingDispatcher()
    assert form.validate_order_number("CND-999999", quiet, make_tracker(), {}) == {"order_number": "CND-999999"}
    assert form.validate_order_number(known, quiet, make_tracker(), {}) == {"order_number": known}
    assert quiet.messages == []
    replies = []
    for number in ("CND-999999", known):
        tracker, dispatcher = _form_turn(f"c-probe-{number}", "5000 XY", {"order_number": number})
        assert await form.extract_order_check(dispatcher, tracker, {}) == {"order_check": None}
        replies.append(dispatcher.messages[-1]["text"])
    assert replies[0] == replies[1] == messages()["order_check_failed"]


async def test_status_answer_is_built_from_the_order_row(add_order) -> None:
    number = add_order("CND-900002", "shipped", items=("Glass vase",), carrier="DHL", tracking="3S1234567890")
    dispatcher = CollectingDispatcher()
    events = await ActionOrderStatus().run(dispatcher, checked("c-status", number), {})
    text = dispatcher.messages[0]["text"]
    assert number in text and "Glass vase" in text and "has shipped" in text
    assert "DHL" in text and "3S1234567890" in text and "November 24, 2026" in text
    # The same answer for a Dutch customer: Dutch words, a Dutch date.
    dutch = CollectingDispatcher()
    await ActionOrderStatus().run(dutch, checked("c-status", number, slots={"language": "nl"}), {})
    text = dutch.messages[0]["text"]
    assert text.startswith(f"Bestelling {number} (Glass vase) is verzonden.")
    assert "dinsdag 24 november 2026" in text and "Volg haar bij DHL" in text
    assert events == [SlotSet("order_number", None), SlotSet("order_check", None)]


async def test_ask_order_number_uses_the_configured_text() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskOrderNumber().run(dispatcher, make_tracker(), {})
    assert dispatcher.messages[0]["text"] == messages()["ask_order_number"]


async def test_address_of_a_shipped_order_cannot_change(add_order) -> None:
    number = add_order("CND-900003", "delivered")
    dispatcher = CollectingDispatcher()
    tracker = checked("c-addr-1", number)
    events = await ActionChangeAddress().run(dispatcher, tracker, {})
    assert events == [SlotSet("order_number", None), SlotSet("order_check", None)]
    assert "can no longer be changed" in dispatcher.messages[0]["text"]
    assert stores().tickets.tickets_for("c-addr-1") == []


async def test_address_of_an_unshipped_order_asks_consent_before_taking_it(add_order) -> None:
    from bot.guardrails.loader import policies
    number = add_order("CND-900004", "processing")
    purpose = policies().purpose("delivery_address_change")
    dispatcher = CollectingDispatcher()
    tracker = checked("c-addr-2", number, intent="inform")
    events = await ActionChangeAddress().run(dispatcher, tracker, {})
    assert dispatcher.messages[-1]["text"] == purpose.notice
    assert events == [SlotSet("consent_pending", {"purpose": purpose.name, "version": purpose.version,
                                                  "placeholder": None, "then": "new_address_form"})]
    assert stores().tickets.tickets_for("c-addr-2") == []
    # With consent already given, the address form starts straight away.
    stores().consent.record("c-addr-2", purpose.name, "granted", purpose.version)
    events = await ActionChangeAddress().run(CollectingDispatcher(), tracker, {})
    assert events == [FollowupAction("new_address_form")]


# --- Ownership: the order number alone shows nothing.
async def test_no_order_is_shown_or_changed_without_a_passed_owner_check(add_order) -> None:
    number = add_order("CND-900010", "processing")
    for action in (ActionOrderStatus(), ActionChangeAddress()):
        dispatcher = CollectingDispatcher()
        # The slots claim a check, but the database has no passed check for this sender.
        tracker = make_tracker(sender_id="c-claims", slots={"order_number": number, "order_check": number})
        await action.run(dispatcher, tracker, {})
        assert [m["text"] for m in dispatcher.messages] == [messages()["order_not_checked"]]


def _form_turn(sender: str, text: str, slots: dict, requested: str = "order_check") -> tuple:
    tracker = make_tracker(sender_id=sender, text=text, intent="inform",
                           slots={**slots, "requested_slot": requested}, active_loop="order_status_form")
    return tracker, CollectingDispatcher()


async def test_the_postcode_or_typed_e_mail_of_the_order_passes_the_check(add_order) -> None:
    number = add_order("CND-900011", "shipped", postcode="1234 AB", email="owner.11@example.com")
    form = ValidateOrderStatusForm()
    tracker, dispatcher = _form_turn("c-own-1", "it's 1234ab", {"order_number": number})
    assert await form.extract_order_check(dispatcher, tracker, {}) == {"order_check": number}
    # The e-mail address counts when the customer typed the number (it is in their messages).
    events = [{"event": "user", "text": f"order {number}"}, {"event": "user", "text": "owner.11@example.com"}]
    tracker = make_tracker(sender_id="c-own-2", text="owner.11@example.com", events=events,
                           slots={"order_number": number, "requested_slot": "order_check"}, active_loop="order_status_form")
    assert await form.extract_order_check(CollectingDispatcher(), tracker, {}) == {"order_check": number}
    # ...not when the order was found through that e-mail address (then the postcode is asked).
    events = [{"event": "user", "text": "owner.11@example.com"}]
    tracker = make_tracker(sender_id="c-own-3", text="owner.11@example.com", events=events,
                           slots={"order_number": number, "requested_slot": "order_check"}, active_loop="order_status_form")
    assert await form.extract_order_check(CollectingDispatcher(), tracker, {}) == {}


async def test_a_wrong_postcode_fails_and_repeated_failures_lock_the_sender_and_the_order(add_order) -> None:
    number = add_order("CND-900012", "shipped", postcode="1234 AB")
    form = ValidateOrderStatusForm()
    for attempt in range(4):
        tracker, dispatcher = _form_turn("c-guess", f"{5000 + attempt} XY", {"order_number": number})
        assert await form.extract_order_check(dispatcher, tracker, {}) == {"order_check": None}
        assert dispatcher.messages[-1]["text"] == messages()["order_check_failed"]
    tracker, dispatcher = _form_turn("c-guess", "5999 XY", {"order_number": number})
    assert await form.extract_order_check(dispatcher, tracker, {}) == {
        "order_number": None, "order_check": None, "requested_slot": None}
    assert dispatcher.messages[-1]["text"] == messages()["order_check_locked"]
    # Locked now even with the right postcode, for this sender...
    tracker, dispatcher = _form_turn("c-guess", "1234 AB", {"order_number": number})
    assert (await form.extract_order_check(dispatcher, tracker, {}))["requested_slot"] is None
    # ...and for this order, from any sender (many sender ids do not buy more guesses).
    tracker, dispatcher = _form_turn("c-other", "1234 AB", {"order_number": number})
    assert (await form.extract_order_check(dispatcher, tracker, {}))["requested_slot"] is None
    # Another customer's own order is not locked.
    mine = add_order("CND-900013", "shipped", postcode="4321 BA")
    tracker, dispatcher = _form_turn("c-other", "4321 BA", {"order_number": mine})
    assert await form.extract_order_check(dispatcher, tracker, {}) == {"order_check": mine}


async def test_guessing_order_numbers_counts_as_failed_checks(add_order) -> None:
    form = ValidateOrderStatusForm()
    for attempt in range(4):
        tracker, dispatcher = _form_turn("c-enum", "1234 AB", {"order_number": f"CND-80000{attempt}"})
        assert await form.extract_order_check(dispatcher, tracker, {}) == {"order_check": None}
    tracker, dispatcher = _form_turn("c-enum", "1234 AB", {"order_number": "CND-800009"})
    result = await form.extract_order_check(dispatcher, tracker, {})
    assert result["requested_slot"] is None and dispatcher.messages[-1]["text"] == messages()["order_check_locked"]
    assert form.validate_order_number("CND-800010", CollectingDispatcher(), make_tracker("c-enum"), {})[
        "requested_slot"] is None


async def test_a_message_with_several_postcodes_tries_none_and_counts_each(add_order) -> None:
    number = add_order("CND-900021", "shipped", postcode="1234 AB")
    form = ValidateOrderStatusForm()
    # The right postcode among three wrong ones: nothing is tried, "one at a time".
    tracker, dispatcher = _form_turn("c-many", "5000 XY 5001 XY 1234 AB 5002 XY", {"order_number": number})
    assert await form.extract_order_check(dispatcher, tracker, {}) == {"order_check": None}
    assert dispatcher.messages[-1]["text"] == messages()["order_one_fact"]
    assert not stores().orders.owner_checked("c-many", number)
    # Four attempts were counted: one more wrong one locks the sender out...
    tracker, dispatcher = _form_turn("c-many", "5003 XY", {"order_number": number})
    assert (await form.extract_order_check(dispatcher, tracker, {}))["requested_slot"] is None
    assert dispatcher.messages[-1]["text"] == messages()["order_check_locked"]
    # ...and a message with hundreds of postcodes is locked out at once, even with the right one.
    hundreds = " ".join(f"{code} AB" for code in range(2000, 2400)) + " 1234 AB"
    tracker, dispatcher = _form_turn("c-many-2", hundreds, {"order_number": number})
    assert (await form.extract_order_check(dispatcher, tracker, {}))["requested_slot"] is None
    assert not stores().orders.owner_checked("c-many-2", number)


def test_concurrent_checks_never_pass_the_lockout(add_order) -> None:
    """Many checks at once on one order (threads, as several servers would): at most the
    allowed number of attempts is tried before the lockout holds."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.storage.orders import MAX_FAILED_CHECKS, Check

    number = add_order("CND-900022", "shipped", postcode="1234 AB")
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda i: stores().orders.check_owner(f"c-race-{i}", number, f"{6000 + i} XY"),
                                 range(24)))
    assert outcomes.count(Check.FAILED) + outcomes.count(Check.LOCKED) == 24
    tried = [o for o in outcomes if o is Check.FAILED]
    assert len(tried) <= MAX_FAILED_CHECKS - 1  # the fifth failure already answers "locked"
    assert stores().orders.check_owner("c-race-late", number, "1234 AB") is Check.LOCKED


def test_an_e_mail_look_up_never_says_whether_an_order_was_found_and_counts(add_order) -> None:
    from bot.storage.orders import MAX_FAILED_CHECKS, NO_SUCH_ORDER

    number = add_order("CND-900023", "shipped", postcode="1234 AB", email="owner.23@example.com")
    assert stores().orders.look_up_by_email("c-mail", "owner.23@example.com") == number
    assert stores().orders.look_up_by_email("c-mail", "nobody.23@example.com") == NO_SUCH_ORDER
    assert stores().orders.find_order(NO_SUCH_ORDER) is None
    for _ in range(MAX_FAILED_CHECKS - 2):
        stores().orders.look_up_by_email("c-mail", "nobody.23@example.com")
    assert stores().orders.look_up_by_email("c-mail", "owner.23@example.com") is None  # locked out


def test_another_number_mid_form_needs_a_new_check(add_order) -> None:
    first, second = add_order("CND-900014", "processing"), add_order("CND-900015", "processing")
    tracker = checked("c-swap", first)
    result = ValidateOrderStatusForm().validate_order_number(second, CollectingDispatcher(), tracker, {})
    assert result == {"order_number": second, "order_check": None}
    # A check slot that does not match a passed check in the database is dropped.
    assert ValidateOrderStatusForm().validate_order_check(second, CollectingDispatcher(), tracker, {}) == {
        "order_check": None}


async def test_the_address_change_checks_the_order_again_at_submit(add_order) -> None:
    from actions.contact_forms import ActionSubmitNewAddress
    from bot.storage.db import address_change_requests, engine  # what the warehouse reads

    mine, theirs = add_order("CND-900016", "processing"), add_order("CND-900017", "processing")
    tracker = checked("c-submit", mine, slots={"order_number": theirs, "new_address": "<STREET_ADDRESS_1>"})
    dispatcher = CollectingDispatcher()
    await ActionSubmitNewAddress().run(dispatcher, tracker, {})
    assert dispatcher.messages[-1]["text"] == messages()["order_not_checked"]
    with engine().connect() as conn:
        assert conn.execute(address_change_requests.select()).fetchall() == []
    tracker = checked("c-submit", mine, slots={"new_address": "<STREET_ADDRESS_1>"})
    await ActionSubmitNewAddress().run(CollectingDispatcher(), tracker, {})
    with engine().connect() as conn:
        assert [r.order_number for r in conn.execute(address_change_requests.select())] == [mine]
