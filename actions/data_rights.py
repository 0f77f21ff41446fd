"""Data rights in chat: what do you have about me, and delete it. Identity = sender id."""
from __future__ import annotations

import asyncio

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import SayConsentText
from bot.guardrails.loader import policies
from bot.storage import stores
from bot.language import say



class ActionExportData(Action):
    """A plain summary of what is stored about this sender, with the full export as JSON."""

    def name(self) -> Text:
        return "action_export_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        export = stores().data_rights.export(tracker.sender_id)
        say(
            dispatcher, tracker, policies().consent_texts["export_summary"].format(
                messages=len(export["conversation"]), consents=len(export["consents"]),
                tickets=len(export["handoff_tickets"]), values=len(export["encrypted_values"]),
            ),
            json_message={"candor_data_export": export},
        )
        return []


class ActionConfirmErasure(SayConsentText):
    NAME, KEY, BUTTONS = "action_confirm_erasure", "erase_confirm", ("button_erase_everything", "button_no")


class ActionCancelErasure(SayConsentText):
    NAME, KEY = "action_cancel_erasure", "erase_cancelled"


class ActionEraseData(Action):
    """Erases everything about this sender. The tracker store sees `erasure_receipt` and
    deletes the conversation itself instead of saving it (bot/storage/masking_tracker_store.py)."""

    def name(self) -> Text:
        return "action_erase_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        rights = stores().data_rights
        if not rights.erasures_left(tracker.sender_id):
            say(dispatcher, tracker, policies().consent_texts["erase_limited"])
            return []
        # Database work off the event loop: the action server goes on with other customers.
        receipt = await asyncio.to_thread(rights.erase, tracker.sender_id)
        say(dispatcher, tracker, policies().consent_texts["erased"].format(receipt=receipt["id"]))
        return [SlotSet("erasure_receipt", receipt["id"])]
