"""AI disclosure: given first in every session, from `policies/disclosure.yml`."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActionReverted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from bot.constants import CandorMeta
from bot.guardrails.loader import policies
from bot.storage import stores
from bot.guardrails.texts import text_in
from bot.language import SLOT, hinted, language_of, say



def disclosure_metadata(version: Text) -> Dict[Text, Any]:
    return CandorMeta(kind="disclosure", disclosure_version=version).build()


class ActionSessionStart(Action):
    """Starts every session with the disclosure, so it is always the first bot message."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        policy = policies()
        version = policy.disclosure_version
        # The language of the message that started the session (the channel put it in the
        # metadata), else the one the conversation had.
        hint = hinted(tracker.get_slot("session_started_metadata"))
        language = hint or language_of(tracker)
        disclosure = [BotUttered(text=text_in(policy.disclosure_message(), language),
                                 metadata=disclosure_metadata(version)),
                      SlotSet("disclosure_version", version)]
        events = [
            SessionStarted(),
            SlotSet(SLOT, language),
            SlotSet("ai_opt_out", stores().preferences.is_opted_out(tracker.sender_id)),
        ]
        # A new session (after an hour idle, or /restart) does not take the conversation
        # from the human who has it: it stays paused and messages keep going to the ticket.
        # An opted-out customer's ticket is the GuardrailPolicy's: "opt in" must still work.
        ticket = stores().tickets.unfinished_ticket(tracker.sender_id)
        if ticket is not None and ticket["reason"] != "opt_out":
            events += disclosure + [
                BotUttered(text=text_in(policy.messages["still_with_a_colleague"], language),
                           metadata=CandorMeta(kind="handoff_continues").build()),
                ConversationPaused(),
            ]
        elif hint:
            events[1:1] = disclosure
        # Else the channel did not say the message's language (`rasa shell`, a message too short
        # to tell): the GuardrailPolicy has action_disclose give the disclosure right after the
        # message is understood, in the language the NLU found, before anything else is said.
        return events + [ActionExecuted("action_listen")]


class ActionDisclose(Action):
    """Forced by the GuardrailPolicy when a session has no disclosure yet.

    `ActionReverted` takes this turn back out of the dialogue state (the message and the
    recorded version stay in the tracker), so the customer's question is answered next,
    in the same turn, exactly as if the disclosure had come at session start.
    """

    def name(self) -> Text:
        return "action_disclose"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        policy = policies()
        version = policy.disclosure_version
        say(
            dispatcher, tracker, policy.disclosure_message(), metadata=disclosure_metadata(version)
        )
        return [
            ActionReverted(),
            SlotSet("disclosure_version", version),
            SlotSet("ai_opt_out", stores().preferences.is_opted_out(tracker.sender_id)),
        ]
