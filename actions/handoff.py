"""Handing a conversation to a human: a ticket in the queue, a paused conversation."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.guardrails.loader import policies
from bot.pii.conversation import ConversationMasker
from bot.storage.tickets import open_ticket, transcript_from_events


def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: Text,
    intro: Optional[Text] = None,
) -> List[Dict[Text, Any]]:
    """File (or reuse) the customer's ticket, tell them what happens next, pause the bot."""
    handoff_reason = policies().handoff_reason(reason)
    summary = {
        "intent": (tracker.latest_message.get("intent") or {}).get("name"),
        "order_number": tracker.get_slot("order_number"),
        "ai_opt_out": bool(tracker.get_slot("ai_opt_out")),
        "disclosure_version": tracker.get_slot("disclosure_version"),
    }
    ticket = open_ticket(
        sender_id=tracker.sender_id,
        reason=handoff_reason.code,
        priority=handoff_reason.priority,
        summary=summary,
        # The current turn reaches the action server unmasked: mask before storing.
        transcript=ConversationMasker(tracker.sender_id).mask_transcript(
            transcript_from_events(tracker.events)
        ),
        channel=tracker.get_latest_input_channel(),
    )
    text = handoff_reason.message if intro is None else f"{intro} {handoff_reason.message}"
    dispatcher.utter_message(
        text=text,
        metadata={"candor": {"kind": "handoff", "ticket_id": ticket.id, "reason": reason}},
    )
    return [
        SlotSet("handoff_reason", None),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ConversationPaused(),
    ]


class ActionHandoff(Action):
    """Passes the conversation to a human for the reason the guardrail recorded."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        reason = tracker.get_slot("handoff_reason") or "customer_request"
        intro = policies().opt_out["returning"] if reason == "opt_out" else None
        return hand_off(dispatcher, tracker, reason, intro)
