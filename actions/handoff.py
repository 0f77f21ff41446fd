"""Handing a conversation to a human: a ticket in the queue, a paused conversation."""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.constants import CandorMeta
from bot.explain import DECISION_SLOT
from bot.guardrails.loader import policies
from bot.storage import stores
from bot.storage.tickets import transcript_from_events
from bot.guardrails.texts import Localized
from bot.language import language_of, say



def _summary(tracker: Tracker, trigger_id: Text, now: dt.datetime, open_now: bool) -> Dict[Text, Any]:
    """What the bot already knows, for the agent: no raw personal data (slots hold none)."""
    decision = tracker.get_slot(DECISION_SLOT) or {}
    intents = [
        (e.get("parse_data") or {}).get("intent", {}).get("name")
        for e in tracker.events
        if e.get("event") == "user"
    ]
    return {
        "trigger": trigger_id,
        "because": decision.get("because") if decision.get("rule") == trigger_id else None,
        "intent": (tracker.latest_message.get("intent") or {}).get("name"),
        "intents_in_conversation": sorted({i for i in intents if i}),
        "order_number": tracker.get_slot("order_number"),
        "ai_opt_out": bool(tracker.get_slot("ai_opt_out")),
        "consents": stores().consent.granted_purposes(tracker.sender_id),
        "disclosure_version": tracker.get_slot("disclosure_version"),
        "language": language_of(tracker),  # the agent answers in it
        "filed_in_office_hours": open_now,
        "filed_at": now.isoformat(),
    }


def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    trigger_id: Text,
    intro: Optional[Text] = None,
    now: Optional[dt.datetime] = None,
    extra: Optional[Dict[Text, Any]] = None,
) -> List[Dict[Text, Any]]:
    """File (or reuse) the customer's ticket, tell them what happens next, pause the bot."""
    loaded = policies()
    trigger = loaded.trigger(trigger_id)
    hours = loaded.handoff.office_hours
    now = now or dt.datetime.now(dt.timezone.utc)
    open_now = hours.is_open(now)
    from bot.pii.conversation import ConversationMasker  # here: the action server needs it only now

    ticket = stores().tickets.open_ticket(
        sender_id=tracker.sender_id,
        reason=trigger.reason,
        priority=trigger.priority.value,
        summary={**_summary(tracker, trigger_id, now, open_now), **(extra or {})},
        # Masked at the door, but checked before storing (a payload or a message from the
        # HTTP API or `rasa shell` was not): bot/pii/conversation.py.
        transcript=ConversationMasker(tracker.sender_id).mask_transcript(
            transcript_from_events(tracker.events, door_marks=True)
        ),
        channel=tracker.get_latest_input_channel(),
    )
    parts = [intro, trigger.message, hours.wait_message(trigger.priority, now)]
    say(
        dispatcher, tracker, Localized.join(" ", [p for p in parts if p]),
        metadata=CandorMeta(kind="handoff", ticket_id=ticket.id, rule=trigger.id, reason=trigger.reason,
                            priority=ticket.priority, office_hours=open_now).build(),
    )
    return [ActiveLoop(None), SlotSet("requested_slot", None), ConversationPaused()]


def decided_trigger(tracker: Tracker, default: Text) -> Text:
    """The trigger the guardrail policy recorded for this turn, else `default`."""
    decision = tracker.get_slot(DECISION_SLOT) or {}
    if decision.get("kind") == "handoff" and decision.get("rule"):
        return decision["rule"]
    return default


class ActionHandoff(Action):
    """Passes the conversation to a human for the trigger the guardrail policy recorded."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return hand_off(dispatcher, tracker, decided_trigger(tracker, "customer_asks_for_human"))
