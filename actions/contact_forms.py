"""Forms that take personal data for a consented purpose: a new delivery address, a phone
number for a callback. The value goes to the vault; slots and logs hold the placeholder."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.consent import SayConsentText, ask_or_go, placeholder_for
from actions.handoff import hand_off
from actions.orders import CHECK, messages
from bot.guardrails.loader import policies
from bot.storage import stores
from bot.language import say


def _extract(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, entity_type: str,
             error_key: str) -> Dict[Text, Any]:
    if tracker.get_slot("requested_slot") != slot:
        return {}
    placeholder = placeholder_for(tracker, entity_type)
    if placeholder is None:
        say(dispatcher, tracker, policies().consent_texts[error_key])
        return {}
    return {slot: placeholder}


def _tag(tracker: Tracker, placeholder: Optional[str], purpose: str) -> None:
    if placeholder:
        stores().consent.tag_vault_value(tracker.sender_id, placeholder, purpose)


class ValidateNewAddressForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_new_address_form"

    async def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return _extract(dispatcher, tracker, "new_address", "STREET_ADDRESS", "not_an_address")


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    async def extract_callback_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return _extract(dispatcher, tracker, "callback_phone", "PHONE_NUMBER", "not_a_phone")


class ActionAskNewAddress(SayConsentText):
    NAME, KEY = "action_ask_new_address", "ask_new_address"


class ActionAskCallbackPhone(SayConsentText):
    NAME, KEY = "action_ask_callback_phone", "ask_callback_phone"


class ActionSubmitNewAddress(Action):
    """Passes the new address (a vault placeholder) on for the order; the customer is told."""

    def name(self) -> Text:
        return "action_submit_new_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        placeholder, order_number = tracker.get_slot("new_address"), tracker.get_slot("order_number")
        # Checked again at submit: the order whose owner check passed, not whatever the slot holds.
        if tracker.get_slot(CHECK) != order_number or not stores().orders.owner_checked(tracker.sender_id, order_number):
            say(dispatcher, tracker, messages()["order_not_checked"])
            return [SlotSet("new_address", None), SlotSet("order_number", None), SlotSet(CHECK, None)]
        _tag(tracker, placeholder, "delivery_address_change")
        stores().orders.request_address_change(tracker.sender_id, order_number, placeholder)
        say(dispatcher, tracker, policies().consent_texts["new_address_saved"].format(order_number=order_number))
        return [SlotSet("new_address", None), SlotSet("order_number", None), SlotSet(CHECK, None)]


class ActionOfferCallback(Action):
    """A callback uses the customer's phone number: consent for that first."""

    def name(self) -> Text:
        return "action_offer_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return ask_or_go(dispatcher, tracker, "phone_callback", then="callback_form")


class ActionSubmitCallback(Action):
    """Files a callback ticket; the agent sees the number only through the desk, audited."""

    def name(self) -> Text:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        placeholder = tracker.get_slot("callback_phone")
        _tag(tracker, placeholder, "phone_callback")
        return [SlotSet("callback_phone", None)] + hand_off(
            dispatcher, tracker, "callback", extra={"callback_phone": placeholder})
