"""Opting out of (and back into) automated handling, from any point in the conversation."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_off
from bot.guardrails.loader import policies
from bot.storage.preferences import is_opted_out, set_opt_out


class ActionExplainOptOut(Action):
    """Explains in one message what opting out means and asks the customer to confirm."""

    def name(self) -> Text:
        return "action_explain_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text=policies().opt_out["explanation"],
            buttons=[
                {"title": "Yes, opt out", "payload": "/affirm"},
                {"title": "No, continue", "payload": "/deny"},
            ],
        )
        return []


class ActionOptOut(Action):
    """Records the opt-out for this customer and hands the conversation to a human."""

    def name(self) -> Text:
        return "action_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        set_opt_out(tracker.sender_id, True)
        events = hand_off(dispatcher, tracker, "opt_out", intro=policies().opt_out["confirmed"])
        return [SlotSet("ai_opt_out", True)] + events


class ActionCancelOptOut(Action):
    """The customer chose to stay with the assistant; the conversation carries on."""

    def name(self) -> Text:
        return "action_cancel_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=policies().opt_out["cancelled"])
        return []


class ActionOptIn(Action):
    """Lets an opted-out customer use the assistant again."""

    def name(self) -> Text:
        return "action_opt_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        texts = policies().opt_out
        if not (tracker.get_slot("ai_opt_out") or is_opted_out(tracker.sender_id)):
            dispatcher.utter_message(text=texts["not_opted_out"])
            return []
        set_opt_out(tracker.sender_id, False)
        dispatcher.utter_message(text=texts["opted_in"])
        return [SlotSet("ai_opt_out", False)]
