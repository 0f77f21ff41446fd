"""Consent before use, for one purpose at a time, and withdrawal in one message."""
from __future__ import annotations

import abc
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.constants import SLOT_CONSENT_PENDING, CandorMeta
from actions.handoff import hand_off
from bot.guardrails.loader import Purpose, policies
from bot.guardrails.texts import text_in
from bot.constants import PLACEHOLDER
from bot.storage import stores
from bot.language import language_of, say

PENDING = SLOT_CONSENT_PENDING
YES_NO = ("button_yes", "button_no")  # titles in policies/messages.yml


def yes_no(tracker: Tracker, titles: Tuple[str, str] = YES_NO) -> List[Dict[str, str]]:
    """Yes and no buttons titled in the conversation's language."""
    yes, no = (text_in(policies().messages[key], language_of(tracker)) for key in titles)
    return [{"title": yes, "payload": "/affirm"}, {"title": no, "payload": "/deny"}]


def latest_user_event(tracker: Tracker) -> Dict[Text, Any]:
    """The customer's latest message as the Rasa server logged it (text as typed)."""
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})


def ask(dispatcher: CollectingDispatcher, tracker: Tracker, purpose: Purpose, placeholder: Optional[str] = None,
        then: Optional[str] = None) -> SlotSet:
    """Ask for consent to this purpose alone; the answer is handled by ActionRecordConsent,
    which runs `then` (a form or action that uses the data) after a yes."""
    say(dispatcher, tracker, purpose.notice, buttons=yes_no(tracker),
        metadata=CandorMeta(kind="consent_request", rule=purpose.name).build())
    return SlotSet(PENDING, {"purpose": purpose.name, "version": purpose.version,
                             "placeholder": placeholder, "then": then})


def ask_or_go(dispatcher: CollectingDispatcher, tracker: Tracker, purpose_name: str, then: str) -> List[Dict[Text, Any]]:
    """Run `then` if the customer consents to the purpose already; else ask first."""
    purpose = policies().purpose(purpose_name)
    if stores().consent.granted(tracker.sender_id, purpose.name, purpose.version):
        return [FollowupAction(then)]
    return [ask(dispatcher, tracker, purpose, then=then)]


def placeholder_for(tracker: Tracker, entity_type: str) -> Optional[str]:
    """The conversation's placeholder for the first `entity_type` value in the latest message.
    The message was masked at the door (bot/channels/limits.py), so its text holds the
    placeholder; the value itself is in the vault, encrypted, and is not read here. Nothing
    is analysed in the action server."""
    text = latest_user_event(tracker).get("text") or ""
    return next((m.group() for m in PLACEHOLDER.finditer(text) if m.group(1) == entity_type), None)


# The kinds of value an order's owner check compares (bot/storage/orders.py `facts_in`).
CHECKED_FACTS = frozenset({"STREET_ADDRESS", "EMAIL_ADDRESS"})


def with_facts_from_the_vault(tracker: Tracker, text: str) -> str:
    """`text` (masked at the door) with the postcodes and e-mail addresses it holds read back
    from the vault, for the owner check only: it compares keyed digests and keeps nothing.
    A placeholder the vault has no value for stays as it is (and proves nothing)."""
    vault = stores().vault

    def back(match: "re.Match[str]") -> str:
        if match.group(1) not in CHECKED_FACTS:
            return match.group()
        value = vault.get(tracker.sender_id, match.group())
        return value if value is not None else match.group()

    return PLACEHOLDER.sub(back, text)


def _tag_values(sender_id: str, purpose: Purpose, placeholder: Optional[str]) -> None:
    """Mark the vault values this purpose uses, so withdrawing it destroys them."""
    ledger = stores().consent
    if placeholder:
        ledger.tag_vault_value(sender_id, placeholder, purpose.name)
    ledger.tag_values_of_types(sender_id, purpose.data_types, purpose.name)


class SayConsentText(Action, abc.ABC):
    """An action that only says one text of policies/consent.yml (subclasses name it; being
    abstract, this base is not registered with the action server under an empty name)."""

    BUTTONS: Optional[Tuple[str, str]] = None  # yes/no button titles, keys of messages.yml

    @property
    @abc.abstractmethod
    def NAME(self) -> Text:  # noqa: N802 - a subclass sets it as a class attribute
        """The action's name."""

    @property
    @abc.abstractmethod
    def KEY(self) -> Text:  # noqa: N802
        """The text of policies/consent.yml it says."""

    def name(self) -> Text:
        return self.NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, tracker, policies().consent_texts[self.KEY],
            buttons=yes_no(tracker, self.BUTTONS) if self.BUTTONS else None)
        return []


class ActionRecordConsent(Action):
    """Records yes or no to the pending consent question, then uses the data if it was yes."""

    def name(self) -> Text:
        return "action_record_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        pending = tracker.get_slot(PENDING) or {}
        loaded = policies()
        purpose = loaded.purposes.get(pending.get("purpose"))
        events: List[Dict[Text, Any]] = [SlotSet(PENDING, None)]
        if purpose is None:
            return events
        said_yes = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        stores().consent.record(
            tracker.sender_id, purpose.name, "granted" if said_yes else "refused", purpose.version,
            channel=tracker.get_latest_input_channel(),
            message_id=latest_user_event(tracker).get("message_id"),
        )
        if not said_yes:
            if purpose.refusal_trigger:  # saying no still gets service: from a person
                return events + hand_off(dispatcher, tracker, purpose.refusal_trigger, intro=purpose.refused)
            say(dispatcher, tracker, purpose.refused)
            return events
        say(dispatcher, tracker, loaded.consent_texts["granted"])
        _tag_values(tracker.sender_id, purpose, pending.get("placeholder"))
        if purpose.name == "order_lookup_by_email":
            events += self._look_up(dispatcher, tracker, pending.get("placeholder"))
        if pending.get("then"):
            events.append(FollowupAction(pending["then"]))
        return events

    @staticmethod
    def _look_up(dispatcher: CollectingDispatcher, tracker: Tracker, placeholder: Optional[str]) -> List[Dict[Text, Any]]:
        number = order_by_email(dispatcher, tracker, placeholder)
        if number is None:
            return []
        say(dispatcher, tracker, policies().consent_texts["lookup_done"])
        return [SlotSet("order_number", number)]


def order_by_email(dispatcher: CollectingDispatcher, tracker: Tracker, placeholder: Optional[str]) -> Optional[str]:
    """The newest order placed with the e-mail address behind `placeholder` (read from the
    vault: call only with consent), or an order number no order has when there is none: the
    customer learns neither, both go on to the postcode check. None when locked out (said)."""
    email = stores().vault.get(tracker.sender_id, placeholder) if placeholder else None
    number = stores().orders.look_up_by_email(tracker.sender_id, email or "")
    if number is None:
        say(dispatcher, tracker, policies().messages["order_check_locked"])
    return number


# Words that name what a customer withdraws: data types (pii.yml) and the improvement purpose.
MENTIONS = {
    "EMAIL_ADDRESS": re.compile(r"e-?mail|mail ?adres", re.IGNORECASE),
    "PHONE_NUMBER": re.compile(r"phone|number|call|telefoon|nummer|bellen", re.IGNORECASE),
    "STREET_ADDRESS": re.compile(r"(?<!e-)(?<!e)address|adres(?!.*mail)", re.IGNORECASE),
}
IMPROVE = re.compile(r"improv|train|learn|verbeter", re.IGNORECASE)


def purposes_meant(text: str, purposes: Dict[str, Purpose]) -> List[str]:
    """The purposes a withdrawal names ("don't use my e-mail anymore"); all when it names none."""
    named = [p.name for p in purposes.values()
             if any(MENTIONS[t].search(text) for t in p.data_types if t in MENTIONS)]
    if IMPROVE.search(text):
        named.append("improve_assistant")
    return sorted(set(named)) or sorted(purposes)


class ActionWithdrawConsent(Action):
    """Withdraws consent in one message, from any point, and destroys the data kept for it."""

    def name(self) -> Text:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        loaded = policies()
        text = latest_user_event(tracker).get("text") or ""
        meant = purposes_meant(text, loaded.purposes)
        withdrawn = stores().consent.withdraw(
            tracker.sender_id, meant, {p.name: p.version for p in loaded.purposes.values()},
            channel=tracker.get_latest_input_channel(),
            message_id=latest_user_event(tracker).get("message_id"),
        )
        if withdrawn:
            language = language_of(tracker)
            names = ", ".join(loaded.purpose(p).title.in_(language) for p in withdrawn)
            say(dispatcher, tracker, loaded.consent_texts["withdrawn"].format(purposes=names))
        else:
            say(dispatcher, tracker, loaded.consent_texts["nothing_to_withdraw"])
        return [SlotSet(PENDING, None)]


class ActionGoodbye(Action):
    """Says goodbye; asks once, on its own, whether the conversation may improve the assistant."""

    def name(self) -> Text:
        return "action_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_goodbye")
        # Goodbye inside a form ends the form: it does not ask its question again.
        events: List[Dict[Text, Any]] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        purpose = policies().purpose("improve_assistant")
        decided = stores().consent.current(tracker.sender_id).get(purpose.name)
        if decided and decided["notice_version"] == purpose.version:
            return events
        return events + [ask(dispatcher, tracker, purpose)]
