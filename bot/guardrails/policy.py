"""GuardrailPolicy: the Rasa policy that enforces `policies/*.yml` ahead of every other policy.

It is deterministic and needs no training data, so no story or rule can skip it:
- the AI disclosure is given before anything else in every conversation session;
- the handoff triggers of `policies/handoff.yml` (a request for a human, opt-out, a
  sensitive matter, special-category data, repeated misunderstanding...) hand the
  conversation to a human; when several fire, the most urgent wins;
- "are you a bot?" is answered when the classifier recognises it *or* a backstop pattern
  in `policies/backstops.yml` matches;
- after an interruption (is-bot answer, sensitive-data warning) the active form resumes.

Every decision is recorded in the tracker as the `guardrail_decision` slot (rule id,
reason, what it was based on), so it can be explained and audited.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.constants import (
    ACTION_ANSWER_IS_BOT,
    ACTION_CANCEL_ERASURE,
    ACTION_CONFIRM_ERASURE,
    ACTION_DISCLOSE,
    ACTION_ERASE_DATA,
    ACTION_EXPLAIN,
    ACTION_EXPORT_DATA,
    ACTION_HANDOFF,
    ACTION_OPT_IN,
    ACTION_OPT_OUT,
    ACTION_RECORD_CONSENT,
    ACTION_WARN_SENSITIVE,
    ACTION_WITHDRAW_CONSENT,
    SLOT_CONSENT_PENDING,
    SLOT_DISCLOSURE_VERSION,
    SLOT_OPT_OUT,
    UTTER_UNAVAILABLE,
    CandorMeta,
)
from bot.explain import DECISION_SLOT
from bot.guardrails.handoff_rules import Trigger
from bot.guardrails.loader import Backstop, Policies, pii_policy, policies
from bot.guardrails.nlu_backstop import BACKSTOP_KEY

SLOT_DECISION = DECISION_SLOT
FALLBACK_INTENT = "nlu_fallback"

# After these actions the conversation goes back to where it was (the active form, if any).
# (A sensitive-data warning normally takes itself back; if it is still here, it failed.)
RESUME_AFTER = {
    ACTION_ANSWER_IS_BOT, ACTION_WARN_SENSITIVE, ACTION_RECORD_CONSENT, ACTION_WITHDRAW_CONSENT,
    ACTION_EXPORT_DATA, ACTION_CANCEL_ERASURE, ACTION_EXPLAIN,
}
# After these actions the bot waits for the customer.
LISTEN_AFTER = {
    ACTION_OPT_OUT, ACTION_HANDOFF, ACTION_OPT_IN, UTTER_UNAVAILABLE, ACTION_CONFIRM_ERASURE,
    ACTION_ERASE_DATA,
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


def failed_remote_action(tracker: DialogueStateTracker, domain: Optional[Domain]) -> Optional[Text]:
    """The custom action or form that just ran if its call to the action server failed, else None.

    Rasa logs `ActionExecuted` and then the action's events; when the call fails it logs the
    error and goes on with no events at all. Every Candor action and form returns or says
    something, so an action followed by nothing has failed. Only live conversations count:
    stories replayed by `rasa test` hold no bot messages, and their messages came in on no
    channel."""
    if domain is None or not tracker.events or not tracker.get_latest_input_channel():
        return None
    last = tracker.events[-1]
    if not isinstance(last, ActionExecuted) or not last.action_name:
        return None
    remote = set(domain.user_actions) | set(domain.form_names)
    return last.action_name if last.action_name in remote else None


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


def _session_user_messages(tracker: DialogueStateTracker) -> List[UserUttered]:
    """The customer's messages in the current session, oldest first."""
    return [e for e in session_events(tracker.events) if isinstance(e, UserUttered)]


WORDS = re.compile(r"[^\W\d_]{2,}")
NOT_UNDERSTOOD_ACTIONS = {"action_default_fallback", "utter_default", "action_clarify"}


def misunderstood_in_a_row(tracker: DialogueStateTracker) -> int:
    """How many of the customer's latest messages in a row the bot did not understand: the
    classifier fell back, or the dialogue did (`action_default_fallback`, `utter_default`).
    Counted on all events, since a fallback takes the message back out of the state."""
    verdicts: List[bool] = []
    for event in session_events(tracker.events):
        if isinstance(event, UserUttered):
            verdicts.append((event.intent or {}).get("name") == FALLBACK_INTENT)
        elif isinstance(event, ActionExecuted) and verdicts and event.action_name in NOT_UNDERSTOOD_ACTIONS:
            verdicts[-1] = True
    count = 0
    for verdict in reversed(verdicts):
        if not verdict:
            break
        count += 1
    return count


def _last_action_since_user(tracker: DialogueStateTracker) -> Optional[Text]:
    """The last action run after the latest customer message (even if taken back)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def _bot_action_before_user(tracker: DialogueStateTracker) -> Optional[Text]:
    """The last bot action before the latest customer message (ignoring action_listen)."""
    seen_user = False
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def _asked_for_consent(tracker: DialogueStateTracker) -> bool:
    """True if the bot's last message before the customer's latest one asked for consent."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return False
            seen_user = True
        elif seen_user and isinstance(event, BotUttered):
            return CandorMeta.read(event.metadata).kind == "consent_request"
    return False


def _top_confidence(parse_data: Dict[Text, Any]) -> Optional[float]:
    """How sure the classifier was of its best real intent (the fallback is not one)."""
    ranking = [
        r for r in parse_data.get("intent_ranking") or []
        if r.get("name") != FALLBACK_INTENT and r.get("confidence") is not None
    ]
    if ranking:
        return max(float(r["confidence"]) for r in ranking)
    intent = parse_data.get("intent") or {}
    if intent.get("name") not in (None, FALLBACK_INTENT) and intent.get("confidence") is not None:
        return float(intent["confidence"])
    return None


def decision(rule: Text, kind: Text, **details: Any) -> SlotSet:
    """The event that records a guardrail decision in the tracker."""
    return SlotSet(SLOT_DECISION, {"rule": rule, "kind": kind, **details})


@dataclass
class Turn:
    """What every guardrail finder looks at, read from the tracker once."""

    tracker: DialogueStateTracker
    domain: Optional[Domain]
    message_pending: bool
    intent: Optional[Text]
    parse_data: Dict[Text, Any]
    latest_action: Optional[Text]
    cache: Dict[Text, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, tracker: DialogueStateTracker, domain: Optional[Domain]) -> "Turn":
        message = tracker.latest_message
        return cls(
            tracker=tracker, domain=domain, message_pending=_user_turn_pending(tracker),
            intent=(message.intent or {}).get("name") if message else None,
            parse_data=(message.parse_data or {}) if message else {},
            latest_action=tracker.latest_action_name,
        )


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
        decision = self.decide(tracker, domain)
        if decision is None:
            return self._prediction(self._default_predictions(domain))
        action, optional_events = decision
        return self._prediction(
            confidence_scores_for(action, 1.0, domain),
            optional_events=optional_events,
            # Guardrails overrule the loop happy-path predictions of the RulePolicy too.
            is_no_user_prediction=True,
        )

    # The guardrails in the order they are checked, first match wins (like RulePolicy's
    # `_predict`): right after a customer message, and after any action.
    ON_MESSAGE = ("disclosure", "masking_failure", "sensitive_data", "opt_in", "yes_or_no_answer",
                  "handoff_trigger", "backstop")
    AFTER_ACTION = ("failed_action", "disclosure_failed", "handoff_after_first_response",
                    "misunderstood_again", "resume_or_listen")

    def decide(self, tracker: DialogueStateTracker, domain: Optional[Domain] = None) -> Optional[tuple]:
        """The guardrail action to run next and the events to log with it, or None."""
        turn = Turn.of(tracker, domain)
        for name in (self.ON_MESSAGE if turn.message_pending else self.AFTER_ACTION):
            found = getattr(self, f"_find_{name}")(turn)
            if found is not None:
                return found
        return None

    # --- Right after a customer message.

    def _find_disclosure(self, turn: "Turn") -> Optional[tuple]:
        return None if disclosed_in_session(turn.tracker) else (ACTION_DISCLOSE, [])

    def _find_masking_failure(self, turn: "Turn") -> Optional[tuple]:
        if turn.parse_data.get("pii_masking_failed"):
            # Fail closed: the message could not be checked for personal data.
            return self._hand_off(self.policies.trigger("technical_problem"), ["pii_masking_failed"], turn.intent)
        return None

    def _find_sensitive_data(self, turn: "Turn") -> Optional[tuple]:
        if not _ran_since_user_message(turn.tracker, ACTION_WARN_SENSITIVE) and any(
            e.get("entity") in self.warn_entities for e in turn.parse_data.get("entities") or []
        ):
            return ACTION_WARN_SENSITIVE, [decision("sensitive_data_warning", "warning", intent=turn.intent)]
        return None

    def _find_opt_in(self, turn: "Turn") -> Optional[tuple]:
        if turn.tracker.get_slot(SLOT_OPT_OUT) and turn.intent == "opt_in":
            return ACTION_OPT_IN, [decision("opt_in", "opt_in", intent=turn.intent)]
        return None

    def _find_yes_or_no_answer(self, turn: "Turn") -> Optional[tuple]:
        """Yes or no to the question the bot just asked: consent, or erasure."""
        if turn.intent not in ("affirm", "deny"):
            return None
        if turn.tracker.get_slot(SLOT_CONSENT_PENDING) and _asked_for_consent(turn.tracker):
            return ACTION_RECORD_CONSENT, [decision("consent_answer", "consent", intent=turn.intent)]
        if _bot_action_before_user(turn.tracker) == ACTION_CONFIRM_ERASURE:
            action = ACTION_ERASE_DATA if turn.intent == "affirm" else ACTION_CANCEL_ERASURE
            return action, [decision("erasure_answer", "data_rights", intent=turn.intent)]
        return None

    def _find_handoff_trigger(self, turn: "Turn") -> Optional[tuple]:
        fired = self.fired_triggers(turn.tracker, turn.intent, turn.parse_data, self._pattern_rule_of(turn))
        if fired:
            trigger, because = min(fired, key=lambda f: f[0].rank)  # stable: first listed wins ties
            return self._hand_off(trigger, because, turn.intent)
        return None

    def _find_backstop(self, turn: "Turn") -> Optional[tuple]:
        pattern_rule = self._pattern_rule_of(turn)
        backstop = pattern_rule if isinstance(pattern_rule, Backstop) else None
        if backstop is None:
            backstop = self.policies.backstop_for_intent(turn.intent)
        if backstop is None:
            return None
        return backstop.action, [
            decision(backstop.intent, "backstop", intent=turn.intent,
                     because=["pattern"] if pattern_rule is backstop else ["intent"])
        ]

    def _pattern_rule_of(self, turn: "Turn") -> Optional[Any]:
        if "pattern_rule" not in turn.cache:
            message = turn.tracker.latest_message
            turn.cache["pattern_rule"] = self._pattern_rule(message.text if message else None, turn.parse_data)
        return turn.cache["pattern_rule"]

    # --- After an action.

    def _find_failed_action(self, turn: "Turn") -> Optional[tuple]:
        failed = failed_remote_action(turn.tracker, turn.domain)
        if not failed or failed == ACTION_DISCLOSE:
            return None
        # An action-server call failed (Rasa logs it and goes on without the action's
        # events): never a silently wrong turn. Say so and hand over; if the handoff
        # itself failed, say how to reach a person without the action server.
        if failed == ACTION_HANDOFF or _ran_since_user_message(turn.tracker, ACTION_HANDOFF):
            return UTTER_UNAVAILABLE, []
        return self._hand_off(self.policies.trigger("technical_problem"), ["action_failed"], turn.intent)

    def _find_disclosure_failed(self, turn: "Turn") -> Optional[tuple]:
        if turn.latest_action != ACTION_DISCLOSE:
            return None
        if not disclosed_in_session(turn.tracker):
            # The disclosure action failed (e.g. the action server is down): say so.
            return UTTER_UNAVAILABLE, []
        # A disclosure that was not taken back out of the dialogue state (a replayed
        # story in `rasa test`): nothing is known about the answer, so wait.
        return ACTION_LISTEN_NAME, []

    def _find_handoff_after_first_response(self, turn: "Turn") -> Optional[tuple]:
        recorded = turn.tracker.get_slot(SLOT_DECISION) or {}
        if isinstance(recorded, dict) and recorded.get("kind") == "handoff":
            trigger = self._trigger_or_none(recorded.get("rule"))
            if trigger is not None and trigger.respond_first and turn.latest_action == trigger.respond_first:
                # The crisis information went out first; now the handoff itself.
                return trigger.action, []
        return None

    def _find_misunderstood_again(self, turn: "Turn") -> Optional[tuple]:
        if _last_action_since_user(turn.tracker) in NOT_UNDERSTOOD_ACTIONS:
            # The dialogue did not understand the message either: count it.
            for trigger in self.policies.handoff.triggers:
                n = trigger.consecutive_fallbacks
                if n and misunderstood_in_a_row(turn.tracker) >= n:
                    return self._hand_off(trigger, ["consecutive_fallbacks"], None)
        return None

    def _find_resume_or_listen(self, turn: "Turn") -> Optional[tuple]:
        if turn.latest_action in RESUME_AFTER:
            return (turn.tracker.active_loop_name or ACTION_LISTEN_NAME), []
        if turn.latest_action in LISTEN_AFTER:
            return ACTION_LISTEN_NAME, []
        return None

    def _trigger_or_none(self, rule: Any) -> Optional[Trigger]:
        try:
            return self.policies.handoff.trigger(str(rule))
        except KeyError:
            return None

    def _pattern_rule(self, text: Optional[Text], parse_data: Dict[Text, Any]) -> Optional[Any]:
        """The rule whose pattern matched, as the NLU backstop saw it on the unmasked text;
        else matched here on the (masked) text."""
        seen = parse_data.get(BACKSTOP_KEY) or {}
        if seen.get("rule"):
            trigger = self._trigger_or_none(seen["rule"])
            if trigger is not None:
                return trigger
            backstop = self.policies.backstop_for_intent(seen.get("intent"))
            if backstop is not None:
                return backstop
        return self.policies.match_pattern(text)

    def fired_triggers(
        self,
        tracker: DialogueStateTracker,
        intent: Optional[Text],
        parse_data: Dict[Text, Any],
        pattern_rule: Optional[Any],
    ) -> List[tuple]:
        """Every trigger whose condition holds for the latest message, with what made it fire."""
        entities = {e.get("entity") for e in parse_data.get("entities") or []}
        history = _session_user_messages(tracker)
        intents = [(m.intent or {}).get("name") for m in history]
        confidence = _top_confidence(parse_data)
        # A message without words (emoji, symbols) is no sign that the classifier failed on
        # what the customer said: it counts as not understood, like any fallback.
        has_words = bool(WORDS.search(parse_data.get("text") or ""))
        opted_out = bool(tracker.get_slot(SLOT_OPT_OUT))
        # A matching pattern decides the intent, as in the NLU pipeline: a question that a
        # backstop recognised ("am I talking to a real person?") is not a request for one.
        if isinstance(pattern_rule, Backstop):
            intent = pattern_rule.intent
        fired = []
        for trigger in self.policies.handoff.triggers:
            because = []
            if pattern_rule is trigger:
                because.append("pattern")
            if intent and intent in trigger.intents:
                because.append("intent")
            if any(f"pii_{c.lower()}" in entities for c in trigger.special_category):
                because.append("special_category")
            n = trigger.consecutive_fallbacks
            if n and intent == FALLBACK_INTENT and misunderstood_in_a_row(tracker) >= n:
                because.append("consecutive_fallbacks")
            if trigger.confidence_below is not None and confidence is not None \
                    and confidence < trigger.confidence_below and has_words:
                because.append("confidence_below")
            n = trigger.repeated_intent
            if n and len(intents) >= n and intents[-1] \
                    and intents[-1] not in self.policies.handoff.repeat_ignores_intents \
                    and len(set(intents[-n:])) == 1:
                because.append("repeated_intent")
            if trigger.opted_out and opted_out:
                because.append("opted_out")
            if because:
                fired.append((trigger, because))
        return fired

    def _hand_off(self, trigger: Trigger, because: List[Text], intent: Optional[Text]) -> tuple:
        recorded = decision(
            trigger.id, "handoff", reason=trigger.reason, priority=trigger.priority.value,
            because=because, intent=intent,
        )
        return (trigger.respond_first or trigger.action), [recorded]
