"""One loader for `policies/*.yml`, used by the Rasa policy, the actions and the validator.

Each file is read into its typed model (pydantic; see `bot/guardrails/model.py` for where
each model lives), then what one file says about another is checked. Fail closed: a missing,
unreadable or invalid file raises `PolicyError` listing *every* problem found, each with file,
rule id and field, and start-up stops.
"""
from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar, Union

import yaml

from bot.config import settings
from bot.explain import Explanations
from bot.guardrails.backstops import Backstop, Backstops
from bot.guardrails.customer_texts import Disclosure, Messages, OptOut
from bot.guardrails.errors import PolicyError, PolicyErrors
from bot.guardrails.handoff_rules import HandoffPolicy, Trigger
from bot.guardrails.model import PolicyModel, read_policy_in, spoken_in
from bot.guardrails.texts import Localized
from bot.pii.policy import EntityRule, PiiPolicy, load_pii_policy, pii_policy
from bot.storage.policy import ConsentPolicy, Purpose, RetentionPolicy

logger = logging.getLogger(__name__)

__all__ = ["PolicyError", "Policies", "Trigger", "Backstop", "Purpose", "PiiPolicy", "EntityRule",
           "load_policies", "load_pii_policy", "policies", "pii_policy", "check_against_domain"]

# Triggers that code raises by id (the masking fail-safe, the address-change action, opt-out).
REQUIRED_TRIGGERS = ("technical_problem", "address_change", "opted_out", "callback")
PATTERN_TIMEOUT_SECONDS = 0.5
MATCHES_KEPT = 1024
M = TypeVar("M", bound=PolicyModel)


def _search(pattern: Any, text: str) -> bool:
    """A pattern's match, bounded in time: a designer's pattern that backtracks on some
    input must not hold up every conversation (such a message counts as no match here;
    the classifier and the masker still see it)."""
    try:
        return pattern.search(text, timeout=PATTERN_TIMEOUT_SECONDS, concurrent=True) is not None
    except TimeoutError:
        logger.warning("A guardrail pattern took over %.1fs and was skipped: %s", PATTERN_TIMEOUT_SECONDS,
                       pattern.pattern[:80])
        return False


@dataclass(frozen=True)
class Policies:
    """Everything in `policies/`, validated."""

    directory: Path
    disclosure: Disclosure
    opt_out: OptOut
    handoff: HandoffPolicy
    backstop_file: Backstops
    consent: ConsentPolicy
    retention: RetentionPolicy
    explanations: Explanations
    messages: Messages
    pii: PiiPolicy
    # Recent texts and the rule each matched: a message is checked by the channel, the NLU
    # backstop and the policy, several times a turn, and the patterns are the costly part.
    _matched: Dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def backstops(self) -> Tuple[Backstop, ...]:
        return self.backstop_file.all

    @property
    def purposes(self) -> Dict[str, Purpose]:
        return self.consent.purposes

    @property
    def consent_texts(self) -> Any:
        return self.consent.texts

    def purpose(self, name: str) -> Purpose:
        try:
            return self.purposes[name]
        except KeyError:
            raise PolicyError(self.directory / "consent.yml", f"purposes.{name}", "purpose is not defined") from None

    @property
    def disclosure_version(self) -> str:
        return self.disclosure.version

    def disclosure_message(self) -> str:
        """The full first message of a session: who we are, how to reach a human, data use."""
        d = self.disclosure
        return Localized.join("", [d["disclosure"], " ", d["human_contact"], "\n\n", d["data_use"]])

    def trigger(self, trigger_id: str) -> Trigger:
        try:
            return self.handoff.trigger(trigger_id)
        except KeyError:
            raise PolicyError(
                self.directory / "handoff.yml", "triggers", "no trigger has this id", rule=trigger_id
            ) from None

    @functools.cached_property
    def pattern_rules(self) -> Tuple[Union[Trigger, Backstop], ...]:
        """Every rule with patterns, in the order they are checked (see backstops.yml)."""
        with_patterns = [t for t in self.handoff.triggers if t.compiled]
        return (
            tuple(t for t in with_patterns if t.priority != "normal")
            + self.backstops
            + tuple(t for t in with_patterns if t.priority == "normal")
        )

    def match_pattern(self, text: Optional[str]) -> Optional[Union[Trigger, Backstop]]:
        """The first trigger or backstop whose pattern matches `text`, or None."""
        if not text:
            return None
        if text not in self._matched:
            if len(self._matched) >= MATCHES_KEPT:
                self._matched.pop(next(iter(self._matched)))  # the oldest
            normalised = normalise(text)
            self._matched[text] = next(
                (rule for rule in self.pattern_rules if any(_search(p, normalised) for p in rule.compiled)), None)
        return self._matched[text]

    def match_backstop(self, text: Optional[str]) -> Optional[Backstop]:
        """The backstop whose pattern matches first, unless a trigger's pattern matches before it."""
        rule = self.match_pattern(text)
        return rule if isinstance(rule, Backstop) else None

    def backstop_for_intent(self, intent: Optional[str]) -> Optional[Backstop]:
        return next((b for b in self.backstops if b.intent == intent), None)

    @property
    def guardrail_intents(self) -> List[str]:
        return [b.intent for b in self.backstops]


def normalise(text: str) -> str:
    """Fold unicode look-alikes, curly quotes, case and runs of whitespace before matching."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.lower().split())


def _reader(directory: Path, found: List[PolicyError]) -> Callable[[str, Type[M]], Optional[M]]:
    """Reads one file of `directory` as its model; its errors are added to `found`."""
    def read(name: str, model: Type[M]) -> Optional[M]:
        try:
            return read_policy_in(directory, name, model)
        except PolicyError as error:
            found.append(error)
            return None

    return read


def load_policies(directory: Optional[Path] = None) -> Policies:
    """Read and validate every policy file in `directory` (default: `policies/`); every
    problem in any of them is reported at once."""
    directory = Path(directory or settings().policies_dir)
    found: List[PolicyError] = []
    read = _reader(directory, found)
    files = dict(
        disclosure=read("disclosure.yml", Disclosure),
        opt_out=read("opt_out.yml", OptOut),
        handoff=read("handoff.yml", HandoffPolicy),
        backstop_file=read("backstops.yml", Backstops),
        pii=read("pii.yml", PiiPolicy),
        consent=read("consent.yml", ConsentPolicy),
        retention=read("retention.yml", RetentionPolicy),
        explanations=read("explanations.yml", Explanations),
        messages=read("messages.yml", Messages),
    )
    found.extend(_between_files(directory, **files))
    if found:
        raise PolicyErrors(found)
    return Policies(directory=directory, **files)  # type: ignore[arg-type]


def _between_files(directory: Path, handoff: Optional[HandoffPolicy], pii: Optional[PiiPolicy],
                   consent: Optional[ConsentPolicy], backstop_file: Optional[Backstops],
                   explanations: Optional[Explanations], **_: Any) -> List[PolicyError]:
    """What one policy file says about another: trigger ids, entities, purposes."""
    found = []
    handoff_path, consent_path = directory / "handoff.yml", directory / "consent.yml"
    known = {t.id for t in handoff.triggers} if handoff else None
    if handoff:
        for required in REQUIRED_TRIGGERS:
            if required not in known:
                found.append(PolicyError(handoff_path, "triggers", "the code raises this trigger: keep it",
                                         rule=required))
    if handoff and pii:
        for trigger in handoff.triggers:
            for number, category in enumerate(trigger.special_category):
                if category not in pii.entities:
                    found.append(PolicyError(handoff_path, f"when.special_category.{number}",
                                             f"{category!r} is not an entity in pii.yml", rule=trigger.id))
    if consent and pii:
        for name, purpose in consent.purposes.items():
            for index, data_type in enumerate(purpose.data_types):
                if data_type not in pii.entities:
                    found.append(PolicyError(consent_path, f"data_types.{index}",
                                             f"{data_type!r} is not an entity in pii.yml", rule=name))
    if consent and known is not None:
        for name, purpose in consent.purposes.items():
            if purpose.refusal_trigger and purpose.refusal_trigger not in known:
                found.append(PolicyError(consent_path, "refusal_trigger",
                                         f"{purpose.refusal_trigger!r} is not a trigger in handoff.yml", rule=name))
    if explanations and known is not None and backstop_file:
        for rule in sorted(set(explanations.rules) - known - set(backstop_file.intents) - {"sensitive_data_warning"}):
            found.append(PolicyError(directory / "explanations.yml", f"rules.{rule}",
                                     "no trigger or backstop has this id"))
    return found


def check_against_domain(loaded: Policies, domain_path: Path) -> None:
    """Every intent, action and response a policy names must exist in the domain, and every
    response must have a variation per language; every problem is reported at once."""
    try:
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(domain_path, "(file)", f"cannot be read: {exc}") from exc
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
    intents |= {"nlu_fallback"}  # Rasa's own
    responses = set(domain.get("responses") or {})
    actions = set(domain.get("actions", [])) | responses
    found: List[PolicyError] = []
    path = loaded.directory / "backstops.yml"
    for backstop in loaded.backstops:
        if backstop.intent not in intents:
            found.append(PolicyError(path, "(id)", "intent is not in the domain", rule=backstop.intent))
        if backstop.action not in actions:
            found.append(PolicyError(path, "action", f"{backstop.action!r} is not in the domain", rule=backstop.intent))
    path = loaded.directory / "handoff.yml"
    for trigger in loaded.handoff.triggers:
        for number, intent in enumerate(trigger.intents):
            if intent not in intents:
                found.append(PolicyError(path, f"when.intents.{number}", f"intent {intent!r} is not in the domain",
                                         rule=trigger.id))
        if trigger.action not in actions:
            found.append(PolicyError(path, "action", f"action {trigger.action!r} is not in the domain",
                                     rule=trigger.id))
        if trigger.respond_first and trigger.respond_first not in responses:
            found.append(PolicyError(path, "respond_first", f"response {trigger.respond_first!r} is not in the domain",
                                     rule=trigger.id))
    for number, intent in enumerate(loaded.handoff.repeat_ignores_intents):
        if intent not in intents:
            found.append(PolicyError(path, f"repeat_ignores_intents.{number}", f"intent {intent!r} is not in the domain"))
    for intent in sorted(intents - set(loaded.explanations.intents)):
        found.append(PolicyError(loaded.directory / "explanations.yml", f"intents.{intent}",
                                 "every intent in the domain needs a plain-language description"))
    spoken = spoken_in(loaded.directory)
    for name, variations in (domain.get("responses") or {}).items():
        covered = set()
        for variation in variations or []:
            conditions = [c for c in variation.get("condition") or [] if c.get("name") == "language"]
            covered |= {c.get("value") for c in conditions} if conditions else {spoken.default}
        for code in spoken.supported:
            if code not in covered:
                found.append(PolicyError(domain_path, f"responses.{name}",
                                         f"no variation for language '{code}' (a `condition` on the slot `language`)"))
    if found:
        raise PolicyErrors(found)


@functools.lru_cache(maxsize=4)
def _cached(directory: str) -> Policies:
    return load_policies(Path(directory))


def policies(directory: Optional[Path] = None) -> Policies:
    """The validated policies, loaded once per process and directory."""
    return _cached(str(Path(directory or settings().policies_dir).resolve()))
