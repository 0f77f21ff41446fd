"""Truthful answers about the assistant: is it a bot, what it can and can't do, data use."""
from __future__ import annotations

import abc
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.guardrails.loader import policies
from bot.language import say


class _PolicyTextAction(Action, abc.ABC):
    """Utters one text from `policies/disclosure.yml`; subclasses name the action and the key."""

    policy_key: Text = ""

    @abc.abstractmethod
    def name(self) -> Text:
        """The action name in the domain."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, tracker, policies().disclosure[self.policy_key])
        return []


class ActionAnswerIsBot(_PolicyTextAction):
    """Says truthfully that this is an AI; the form, if any, resumes afterwards."""

    policy_key = "is_bot_answer"

    def name(self) -> Text:
        return "action_answer_is_bot"


class ActionExplainDataUse(_PolicyTextAction):
    """Explains how the customer's data is used."""

    policy_key = "data_use"

    def name(self) -> Text:
        return "action_explain_data_use"


class ActionExplainCapabilities(_PolicyTextAction):
    """Explains what the AI assistant can do."""

    policy_key = "capabilities"

    def name(self) -> Text:
        return "action_explain_capabilities"


class ActionExplainLimitations(_PolicyTextAction):
    """Explains what the AI assistant cannot do and how to reach a human instead."""

    policy_key = "limitations"

    def name(self) -> Text:
        return "action_explain_limitations"
