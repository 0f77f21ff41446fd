"""GuardrailPolicy: the Rasa policy that enforces `policies/*.yml` ahead of every other policy.

It is deterministic and needs no training data, so no story or rule can skip it:
- the AI disclosure is given before anything else in every conversation session;
- an opted-out customer is handed to a human without any AI handling;
- opt-out, a request for a human and "are you a bot?" are honoured when the classifier
  recognises them *or* when a backstop pattern in `policies/backstops.yml` matches;
- after an interruption (is-bot answer, cancelled opt-out) the active form resumes.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.guardrails.loader import Policies, pii_policy, policies

ACTION_DISCLOSE = "action_disclose"
ACTION_HANDOFF = "action_handoff"
ACTION_EXPLAIN_OPT_OUT = "action_explain_opt_out"
ACTION_OPT_OUT = "action_opt_out"
ACTION_CANCEL_OPT_OUT = "action_cancel_opt_out"
ACTION_OPT_IN = "action_opt_in"
ACTION_ANSWER_IS_BOT = "action_answer_is_bot"
ACTION_WARN_SENSITIVE = "action_warn_sensitive_data"
UTTER_UNAVAILABLE = "utter_assistant_unavailable"

SLOT_DISCLOSURE_VERSION = "disclosure_version"
SLOT_OPT_OUT = "ai_opt_out"
SLOT_HANDOFF_REASON = "handoff_reason"

# After these actions the conversation goes back to where it was (the active form, if any).
# (A sensitive-data warning normally takes itself back; if it is still here, it failed.)
RESUME_AFTER = {ACTION_ANSWER_IS_BOT, ACTION_CANCEL_OPT_OUT, ACTION_WARN_SENSITIVE}
# After these actions the bot waits for the customer.
LISTEN_AFTER = {
    ACTION_EXPLAIN_OPT_OUT,
    ACTION_OPT_OUT,
    ACTION_HANDOFF,
    ACTION_OPT_IN,
    UTTER_UNAVAILABLE,
}


def session_events(events: Iterable[Event]) -> List[Event]:
    """The events of the current session: everything after the last `SessionStarted`."""
    current: List[Event] = []
    for event in events:
        if isinstance(event, SessionStarted):
            current = []
        else:
            current.append(event)
    return current


def disclosed_in_session(tracker: DialogueStateTracker) -> bool:
    """True when the disclosure (and its version) was recorded in the current session."""
    return any(
        isinstance(e, SlotSet) and e.key == SLOT_DISCLOSURE_VERSION and e.value
        for e in session_events(tracker.events)
    )


def _user_turn_pending(tracker: DialogueStateTracker) -> bool:
    """True right after a customer message, before the bot has acted on it."""
    for event in reversed(tracker.applied_events()):
        if isinstance(event, (UserUttered, ActionExecuted)):
            return isinstance(event, UserUttered)
    return False


def _ran_since_user_message(tracker: DialogueStateTracker, action: Text) -> bool:
    """True if `action` ran after the latest customer message (even if it was reverted)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == action:
            return True
    return False


def _bot_action_before_user(tracker: DialogueStateTracker) -> Optional[Text]:
    """The last bot action before the latest customer message (ignoring action_listen)."""
    seen_user = False
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted):
            if event.action_name != ACTION_LISTEN_NAME:
                return event.action_name
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class GuardrailPolicy(Policy):
    """Enforces disclosure, opt-out and handoff guardrails with priority over other policies."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7, "policies_dir": None}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        # Fail closed: an invalid policy file stops the server here, naming file and field.
        self.policies: Policies = policies(config.get("policies_dir"))
        self.warn_entities = set(pii_policy(config.get("policies_dir")).warn_entities)

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        decision = self.decide(tracker)
        if decision is None:
            return self._prediction(self._default_predictions(domain))
        action, optional_events = decision
        return self._prediction(
            confidence_scores_for(action, 1.0, domain),
            optional_events=optional_events,
            # Guardrails overrule the loop happy-path predictions of the RulePolicy too.
            is_no_user_prediction=True,
        )

    def decide(self, tracker: DialogueStateTracker) -> Optional[tuple]:
        """The guardrail action to run next and the events to log with it, or None."""
        if _user_turn_pending(tracker):
            return self._on_user_message(tracker)
        latest = tracker.latest_action_name
        if latest == ACTION_DISCLOSE:
            if not disclosed_in_session(tracker):
                # The disclosure action failed (e.g. the action server is down): say so.
                return UTTER_UNAVAILABLE, []
            # A disclosure that was not taken back out of the dialogue state (a replayed
            # story in `rasa test`): nothing is known about the answer, so wait.
            return ACTION_LISTEN_NAME, []
        if latest in RESUME_AFTER:
            return (tracker.active_loop_name or ACTION_LISTEN_NAME), []
        if latest in LISTEN_AFTER:
            return ACTION_LISTEN_NAME, []
        return None

    def _on_user_message(self, tracker: DialogueStateTracker) -> Optional[tuple]:
        if not disclosed_in_session(tracker):
            return ACTION_DISCLOSE, []
        message = tracker.latest_message
        intent = (message.intent or {}).get("name") if message else None
        parse_data = (message.parse_data or {}) if message else {}
        if parse_data.get("pii_masking_failed"):
            # Fail closed: the message could not be checked for personal data.
            return ACTION_HANDOFF, [SlotSet(SLOT_HANDOFF_REASON, "technical_problem")]
        if not _ran_since_user_message(tracker, ACTION_WARN_SENSITIVE) and any(
            e.get("entity") in self.warn_entities for e in parse_data.get("entities") or []
        ):
            return ACTION_WARN_SENSITIVE, []
        if tracker.get_slot(SLOT_OPT_OUT):
            if intent == "opt_in":
                return ACTION_OPT_IN, []
            return ACTION_HANDOFF, [SlotSet(SLOT_HANDOFF_REASON, "opt_out")]
        if _bot_action_before_user(tracker) == ACTION_EXPLAIN_OPT_OUT:
            if intent == "affirm":
                return ACTION_OPT_OUT, []
            if intent == "deny":
                return ACTION_CANCEL_OPT_OUT, []
        backstop = self.policies.match_backstop(message.text if message else None)
        if backstop is None:
            backstop = self.policies.backstop_for_intent(intent)
        if backstop is None:
            return None
        if backstop.action == ACTION_HANDOFF:
            return ACTION_HANDOFF, [SlotSet(SLOT_HANDOFF_REASON, "customer_request")]
        return backstop.action, []
