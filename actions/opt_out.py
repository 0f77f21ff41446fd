"""Opting out of (and back into) automated handling, in one message, from any point."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import decided_trigger, hand_off
from bot.guardrails.loader import policies
from bot.storage import stores
from bot.language import say


class ActionOptOut(Action):
    """Records the opt-out for this customer and hands the conversation to a human."""

    def name(self) -> Text:
        return "action_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        texts = policies().opt_out
        returning = bool(tracker.get_slot("ai_opt_out"))
        stores().preferences.set_opt_out(tracker.sender_id, True)
        events = hand_off(
            dispatcher, tracker, decided_trigger(tracker, "opted_out"),
            intro=texts["returning"] if returning else texts["confirmed"],
        )
        return [SlotSet("ai_opt_out", True)] + events


class ActionOptIn(Action):
    """Lets an opted-out customer use the assistant again."""

    def name(self) -> Text:
        return "action_opt_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        texts = policies().opt_out
        if not (tracker.get_slot("ai_opt_out") or stores().preferences.is_opted_out(tracker.sender_id)):
            say(dispatcher, tracker, texts["not_opted_out"])
            return []
        stores().preferences.set_opt_out(tracker.sender_id, False)
        stores().tickets.close_open_tickets(tracker.sender_id)  # the opt-out ticket is done with
        say(dispatcher, tracker, texts["opted_in"])
        return [SlotSet("ai_opt_out", False)]
