"""What still happens while a person has the conversation (it is paused, the AI is silent).

- An urgent trigger of `policies/handoff.yml` (self-harm, fraud): the customer gets the
  trigger's first response (crisis lines) and its message at once, and the ticket is raised
  to the trigger's priority, so the agent sees it first.
- "why?": the explanation of the handoff, read from the recorded decision.
The message itself still goes to the ticket as usual (the tracker store does that).
"""
from __future__ import annotations

from typing import Any, List

from rasa.core.channels.channel import UserMessage

from bot.explain import explain_last
from bot.guardrails.handoff_rules import Trigger
from bot.guardrails.loader import Backstop, policies
from bot.guardrails.texts import text_in
from bot.language import language_of
from bot.storage import stores

URGENT = ("urgent",)


def _response_text(agent: Any, name: Any, language: str) -> Any:
    """The text of a domain response (`utter_crisis_support`) in `language` (its variation
    with that `language` condition, else the unconditional one), or `name` if it is no response."""
    if not name:
        return None
    variations = (getattr(getattr(agent, "domain", None), "responses", None) or {}).get(name)
    if variations:
        def speaks(variation: Any) -> bool:
            return any(c.get("name") == "language" and c.get("value") == language
                       for c in variation.get("condition") or [])

        chosen = next((v for v in variations if speaks(v)), None) or next(
            (v for v in variations if not v.get("condition")), variations[0])
        return chosen.get("text")
    return None if str(name).startswith("utter_") else name


async def answer_while_paused(agent: Any, message: UserMessage) -> List[str]:
    """Send what a paused conversation still gets for `message`; the texts sent."""
    if agent is None or not message.sender_id or not isinstance(message.text, str):
        return []
    rule = policies().match_pattern(message.text)
    if rule is None:
        return []
    if stores().tickets.unfinished_ticket(message.sender_id) is None:
        return []  # a paused conversation always has a ticket: no need to load the tracker
    tracker = await agent.tracker_store.retrieve(message.sender_id)
    if tracker is None or not tracker.is_paused():
        return []
    sent: List[str] = []
    language = language_of(tracker)
    if isinstance(rule, Trigger) and rule.priority in URGENT:
        stores().tickets.raise_priority(message.sender_id, rule.reason, rule.priority.value,
                                        {"trigger": rule.id, "while_paused": True})
        sent = [text for text in (_response_text(agent, rule.respond_first, language), text_in(rule.message, language))
                if text]
    elif isinstance(rule, Backstop) and rule.intent == "ask_why":
        sent = [explain_last([e.as_dict() for e in tracker.events], policies().explanations, handoff=True,
                             language=language)]
    for text in sent:
        await message.output_channel.send_text_message(message.sender_id, text)
    return sent
