"""Order status and delivery-address changes, answered from the shop's order table."""
from __future__ import annotations

import abc
import functools
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.consent import PENDING, ask, ask_or_go, order_by_email, placeholder_for
from bot.guardrails.loader import policies
from bot.storage import consent
from bot.storage.orders import Order, find_order, normalise_order_number

MESSAGES_FILE = Path(__file__).with_name("orders.yml")
MESSAGE_KEYS = (
    "ask_order_number",
    "order_number_format",
    "order_not_found",
    "address_not_changeable",
    "address_changeable",
)


@functools.lru_cache(maxsize=1)
def messages() -> Dict[Text, Text]:
    """The texts in `actions/orders.yml`, checked once; a missing key stops the action server."""
    with MESSAGES_FILE.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle) or {}
    missing = [key for key in MESSAGE_KEYS if not isinstance(loaded.get(key), str)]
    if missing:
        raise ValueError(f"{MESSAGES_FILE}: field '{missing[0]}': missing or not a text")
    return {key: " ".join(loaded[key].split()) for key in MESSAGE_KEYS}


STATUS_TEXT = {
    "processing": "is being processed in our warehouse",
    "packed": "is packed and waiting for the carrier",
    "shipped": "has shipped",
    "delivered": "was delivered",
    "cancelled": "was cancelled",
}


def describe(order: Order) -> Text:
    """A plain answer built only from what the order table holds."""
    parts = [f"Order {order.order_number} ({', '.join(order.items)}) {STATUS_TEXT[order.status]}."]
    if order.status in ("processing", "packed", "shipped") and order.expected_delivery:
        parts.append(f"Expected delivery: {order.expected_delivery:%A %d %B %Y}.")
    if order.status == "delivered" and order.expected_delivery:
        parts.append(f"Delivery date: {order.expected_delivery:%A %d %B %Y}.")
    if order.tracking_code:
        parts.append(f"Track it with {order.carrier}, code {order.tracking_code}.")
    return " ".join(parts)


class _OrderNumberValidation(FormValidationAction):
    """Shared, abstract validation for forms that ask for an order number."""

    @abc.abstractmethod
    def name(self) -> Text:
        """`validate_<form name>`."""

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        number = normalise_order_number(slot_value)
        if number is None:
            dispatcher.utter_message(text=messages()["order_number_format"])
            return {"order_number": None}
        if find_order(number) is None:
            dispatcher.utter_message(
                text=messages()["order_not_found"].format(order_number=number)
            )
            return {"order_number": None}
        return {"order_number": number}


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
        if "order_number" in entities or "pii_email_address" not in entities:
            return {}
        purpose = policies().purpose("order_lookup_by_email")
        placeholder = placeholder_for(tracker, "EMAIL_ADDRESS")
        if placeholder is None:
            return {}
        if not consent.granted(tracker.sender_id, purpose.name, purpose.version):
            # Nothing is looked up yet: the form's next question is the consent question.
            return {PENDING: {"purpose": purpose.name, "version": purpose.version, "placeholder": placeholder}}
        number = order_by_email(dispatcher, tracker.sender_id, placeholder)
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
            return [ask(dispatcher, policies().purpose(pending["purpose"]), pending.get("placeholder"))]
        dispatcher.utter_message(text=messages()["ask_order_number"])
        return []


def _order_from_slot(tracker: Tracker) -> Optional[Order]:
    number = normalise_order_number(tracker.get_slot("order_number"))
    return find_order(number) if number else None


class ActionOrderStatus(Action):
    """Tells the customer where their order is."""

    def name(self) -> Text:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        order = _order_from_slot(tracker)
        if order is None:
            dispatcher.utter_message(text=messages()["order_number_format"])
        else:
            dispatcher.utter_message(text=describe(order))
        return [SlotSet("order_number", None)]


class ActionChangeAddress(Action):
    """Address changes go to a colleague while the order can still change; else explain why not."""

    def name(self) -> Text:
        return "action_change_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        order = _order_from_slot(tracker)
        if order is None:
            dispatcher.utter_message(text=messages()["order_number_format"])
            return [SlotSet("order_number", None)]
        if not order.address_changeable:
            dispatcher.utter_message(
                text=messages()["address_not_changeable"].format(
                    order_number=order.order_number, status=STATUS_TEXT[order.status]
                )
            )
            return [SlotSet("order_number", None)]
        # The bot can take the new address itself, with consent; no means a human does it.
        dispatcher.utter_message(text=messages()["address_changeable"].format(order_number=order.order_number))
        return ask_or_go(dispatcher, tracker, "delivery_address_change", then="new_address_form")
