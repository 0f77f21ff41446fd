"""Order status and delivery-address changes, answered from the shop's order table."""
from __future__ import annotations

import abc
import datetime as dt
from typing import Any, Dict, List, Optional, Text

from babel.dates import format_date
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.consent import (PENDING, ask, ask_or_go, latest_user_event, order_by_email, placeholder_for,
                             with_facts_from_the_vault)
from bot.guardrails.loader import policies
from bot.guardrails.texts import Localized, text_in
from bot.storage import stores
from bot.storage.orders import Check, Order, normalise_order_number
from bot.language import language_of, say

CHECK = "order_check"  # the order number whose owner check passed in this form


def messages() -> Dict[Text, Localized]:
    """The order texts of `policies/messages.yml`, in every language."""
    return policies().messages


def status_text(status: str) -> Localized:
    return messages()[f"status_{status}"]


def _date(day: dt.date, language: str) -> str:
    """"Saturday, November 28, 2026", "zaterdag 28 november 2026": Babel's CLDR data."""
    return format_date(day, format="full", locale=language)


def describe(order: Order, language: str, about_refund: bool = False) -> Text:
    """A plain answer built only from what the order table holds, in `language`; with the
    refund's state when there is one, or when the customer asked about a refund."""
    def text(key: str, **values: Any) -> Text:
        return text_in(messages()[key], language).format(**values)

    parts = [text("order_summary", order_number=order.order_number, items=", ".join(order.items),
                  status=text_in(status_text(order.status), language))]
    if order.status in ("processing", "packed", "shipped") and order.expected_delivery:
        parts.append(text("expected_delivery", date=_date(order.expected_delivery, language)))
    if order.status == "delivered" and order.expected_delivery:
        parts.append(text("delivered_on", date=_date(order.expected_delivery, language)))
    if order.tracking_code and not order.returned_on:
        parts.append(text("track_with", carrier=order.carrier, code=order.tracking_code))
    if order.returned_on:
        parts.append(text("return_received", date=_date(order.returned_on, language)))
        parts.append(text("refund_paid", date=_date(order.refunded_on, language)) if order.refunded_on
                     else text("refund_due", date=_date(order.refund_due, language)))
    elif order.status == "cancelled":
        parts.append(text("refund_after_cancel"))
    elif about_refund:
        parts.append(text("no_return_yet" if order.status == "delivered" else "no_refund_before_delivery"))
    return " ".join(parts)


def asked_about_refund(tracker: Tracker, turns: int = 4) -> bool:
    """Was a refund among the customer's last few requests (before giving the order's number
    and postcode)?"""
    intents = [(e.get("parse_data") or {}).get("intent", {}).get("name")
               for e in tracker.events if e.get("event") == "user"][-turns:]
    return "ask_refund" in intents


def typed_number(tracker: Tracker, number: str) -> bool:
    """Did the customer type this order number (rather than have it looked up by e-mail)?"""
    return any(normalise_order_number(e.get("text")) == number
               for e in tracker.events if e.get("event") == "user")


def locked_out(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """Too many failed checks: say so and end the form (its closing action explains again)."""
    say(dispatcher, tracker, messages()["order_check_locked"])
    return {"order_number": None, CHECK: None, "requested_slot": None}


class _OrderNumberValidation(FormValidationAction):
    """Shared, abstract validation for forms that show or change an order: the order number,
    then a second fact of that order (ownership check), rate-limited per sender and order."""

    @abc.abstractmethod
    def name(self) -> Text:
        """`validate_<form name>`."""

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # The slot mapping only fills the number while the form asks for it; when the form
        # starts (it has asked for nothing yet), the message that started it may hold one.
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot("order_number"):
            return {}
        found = [e.get("value") for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == "order_number"]
        return {"order_number": found[0]} if found else {}

    async def extract_order_check(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        number = normalise_order_number(tracker.get_slot("order_number"))
        # The text as masked at the door, with the postcode or e-mail address in it read back
        # from the vault for the check.
        text = latest_user_event(tracker).get("text") or ""
        if tracker.get_slot("requested_slot") != CHECK:
            # Number and proof in one message ("CND-123456, postcode 1234 AB").
            number = normalise_order_number(text)
            if number is None or tracker.get_slot(CHECK) == number:
                return {}
        if number is None:
            return {}
        outcome = stores().orders.check_owner(tracker.sender_id, number, with_facts_from_the_vault(tracker, text),
                                              email_allowed=typed_number(tracker, number))
        if outcome is None:  # no postcode or e-mail in it: the form's usual unhappy path,
            # unless it is this order's number again: then the question is simply asked again.
            return {CHECK: None} if normalise_order_number(text) == number else {}
        if outcome is Check.PASSED:
            return {CHECK: number}
        if outcome is Check.LOCKED:
            return locked_out(dispatcher, tracker)
        say(dispatcher, tracker, messages()["order_one_fact" if outcome is Check.SEVERAL else "order_check_failed"])
        return {CHECK: None}

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        if stores().orders.check_locked(tracker.sender_id):
            return locked_out(dispatcher, tracker)
        number = normalise_order_number(slot_value)
        if number is None:
            say(dispatcher, tracker, messages()["order_number_format"])
            return {"order_number": None}
        # Whether the order exists is not said here: an unknown number goes on to the owner
        # check and fails there like a wrong postcode, so numbers cannot be probed.
        if tracker.get_slot(CHECK) not in (None, number):
            return {"order_number": number, CHECK: None}  # another order: check again
        return {"order_number": number}

    def validate_order_check(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        # Only a check that passed for the order in the form counts.
        number = normalise_order_number(tracker.get_slot("order_number"))
        if slot_value is None or slot_value != number or not stores().orders.owner_checked(tracker.sender_id, number):
            return {CHECK: None}
        return {CHECK: number}


class ValidateOrderStatusForm(_OrderNumberValidation):
    """Checks the order number for the order status form; an e-mail address instead of a
    number is used to look the order up, but only with consent for that purpose."""

    def name(self) -> Text:
        return "validate_order_status_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        before = tracker.get_slot(PENDING)
        events = await super().run(dispatcher, tracker, domain)
        # rasa_sdk only returns the form's own slots; the pending consent question is not one.
        if tracker.slots.get(PENDING) != before:
            events.append(SlotSet(PENDING, tracker.slots.get(PENDING)))
        return events

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        if "order_number" in entities or tracker.get_slot("order_number"):
            return await super().extract_order_number(dispatcher, tracker, domain)
        if "pii_email_address" not in entities or tracker.get_slot("requested_slot") not in (None, "order_number"):
            return {}
        purpose = policies().purpose("order_lookup_by_email")
        placeholder = placeholder_for(tracker, "EMAIL_ADDRESS")
        if placeholder is None:
            return {}
        if not stores().consent.granted(tracker.sender_id, purpose.name, purpose.version):
            # Nothing is looked up yet: the form's next question is the consent question.
            return {PENDING: {"purpose": purpose.name, "version": purpose.version, "placeholder": placeholder}}
        number = order_by_email(dispatcher, tracker, placeholder)
        return {} if number is None else {"order_number": number}


class ValidateChangeAddressForm(_OrderNumberValidation):
    """Checks the order number for the change-of-address form."""

    def name(self) -> Text:
        return "validate_change_address_form"


class ActionAskOrderNumber(Action):
    """Asks for the order number in both order forms."""

    def name(self) -> Text:
        return "action_ask_order_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        pending = tracker.get_slot(PENDING) or {}
        if pending.get("purpose") in policies().purposes:
            # The customer offered personal data instead: ask consent for that use first.
            return [ask(dispatcher, tracker, policies().purpose(pending["purpose"]), pending.get("placeholder"))]
        say(dispatcher, tracker, messages()["ask_order_number"])
        return []


class ActionAskOrderCheck(Action):
    """Asks for the second fact: the delivery postcode, or the e-mail address the order was
    placed with (not when the order was found through that e-mail address)."""

    def name(self) -> Text:
        return "action_ask_order_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        number = normalise_order_number(tracker.get_slot("order_number")) or ""
        key = "ask_order_check" if typed_number(tracker, number) else "ask_order_postcode"
        say(dispatcher, tracker, messages()[key].format(order_number=number))
        return []


def _order_from_slot(tracker: Tracker, dispatcher: CollectingDispatcher) -> Optional[Order]:
    """The order in the slot, only if this customer passed its owner check (checked again
    here, against the database: a slot alone proves nothing); else says why not."""
    number = normalise_order_number(tracker.get_slot("order_number"))
    if number and stores().orders.owner_checked(tracker.sender_id, number) and tracker.get_slot(CHECK) == number:
        order = stores().orders.find_order(number)
        if order is not None:
            return order
    locked = stores().orders.check_locked(tracker.sender_id, number)
    say(dispatcher, tracker, messages()["order_check_locked" if locked else "order_not_checked"])
    return None


class _OwnedOrderAction(Action, abc.ABC):
    """The closing action of an order form: acts on the order in the slot only once its owner
    check passed (else says why not), then clears the form's slots unless `act` goes on."""

    @abc.abstractmethod
    def name(self) -> Text:
        """`action_<what it does>`."""

    @abc.abstractmethod
    def act(self, order: Order, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
        """Do it for the owner; events to return instead of clearing the slots, or None."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        order = _order_from_slot(tracker, dispatcher)
        events = self.act(order, dispatcher, tracker) if order is not None else None
        return events if events is not None else [SlotSet("order_number", None), SlotSet(CHECK, None)]


class ActionOrderStatus(_OwnedOrderAction):
    """Tells the customer where their order is (and its refund, when they asked)."""

    def name(self) -> Text:
        return "action_order_status"

    def act(self, order: Order, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        say(dispatcher, tracker, describe(order, language_of(tracker), about_refund=asked_about_refund(tracker)))


class ActionChangeAddress(_OwnedOrderAction):
    """Address changes go to a colleague while the order can still change; else explain why not."""

    def name(self) -> Text:
        return "action_change_address"

    def act(self, order: Order, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
        if not order.address_changeable:
            say(
                dispatcher, tracker, messages()["address_not_changeable"].format(
                    order_number=order.order_number, status=text_in(status_text(order.status), language_of(tracker))
                )
            )
            return None
        # The bot can take the new address itself, with consent; no means a human does it.
        say(dispatcher, tracker, messages()["address_changeable"].format(order_number=order.order_number))
        return ask_or_go(dispatcher, tracker, "delivery_address_change", then="new_address_form")


class ValidateCancelOrderForm(_OrderNumberValidation):
    """Checks the order number for cancelling an order."""

    def name(self) -> Text:
        return "validate_cancel_order_form"


class ValidateInvoiceForm(_OrderNumberValidation):
    """Checks the order number for sending an order's invoice."""

    def name(self) -> Text:
        return "validate_invoice_form"


class ActionCancelOrder(_OwnedOrderAction):
    """Cancels an owned order that has not shipped; a shipped one is explained as a return."""

    def name(self) -> Text:
        return "action_cancel_order"

    def act(self, order: Order, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        was = order.status
        now = stores().orders.cancel(tracker.sender_id, order.order_number)
        if was == "cancelled":
            key = "order_already_cancelled"
        elif now is not None and now.status == "cancelled":
            key = "order_cancelled"
        else:  # shipped or delivered (perhaps just now)
            key = "order_not_cancellable"
        status = text_in(status_text(now.status if now is not None else was), language_of(tracker))
        say(dispatcher, tracker, messages()[key].format(order_number=order.order_number, status=status))


class ActionSendInvoice(_OwnedOrderAction):
    """Has the invoice of an owned order e-mailed to the address the order was placed with."""

    def name(self) -> Text:
        return "action_send_invoice"

    def act(self, order: Order, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        stores().orders.request_invoice(tracker.sender_id, order.order_number)
        say(dispatcher, tracker, messages()["invoice_requested"].format(order_number=order.order_number))
