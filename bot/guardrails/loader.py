"""One loader for `policies/*.yml`, used by the Rasa policy, the actions and the validator.

Fail closed: a missing, unreadable or invalid file raises `PolicyError` naming the file
and the field, and start-up stops.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import jsonschema
import regex
import yaml

from bot.config import settings
from bot.guardrails.errors import PolicyError
from bot.guardrails.handoff_rules import CALENDAR_WORDS, HandoffPolicy, Trigger, parse_handoff
from bot.guardrails.texts import Localized, localize, squeeze, unlocalized

logger = logging.getLogger(__name__)

__all__ = ["PolicyError", "Policies", "Trigger", "Backstop", "load_policies", "policies"]

_TEXT = {"type": "string", "minLength": 1}
# A text a customer reads: given in every supported language (bot/guardrails/texts.py).
_SAY = {"type": "string", "minLength": 1, "say": True}
_PRIORITIES = ["urgent", "high", "normal"]
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"
# Triggers that code raises by id (the masking fail-safe, the address-change action, opt-out).
REQUIRED_TRIGGERS = ("technical_problem", "address_change", "opted_out", "callback")

SCHEMAS: Dict[str, Dict[str, Any]] = {
    "disclosure.yml": {
        "type": "object",
        "required": [
            "version",
            "disclosure",
            "human_contact",
            "data_use",
            "is_bot_answer",
            "capabilities",
            "limitations",
        ],
        "additionalProperties": False,
        "properties": {
            "version": _TEXT,
            "disclosure": _SAY,
            "human_contact": _SAY,
            "data_use": _SAY,
            "is_bot_answer": _SAY,
            "capabilities": _SAY,
            "limitations": _SAY,
        },
    },
    "opt_out.yml": {
        "type": "object",
        "required": ["confirmed", "returning", "opted_in", "not_opted_out"],
        "additionalProperties": False,
        "properties": {
            key: _SAY for key in ("confirmed", "returning", "opted_in", "not_opted_out")
        },
    },
    "handoff.yml": {
        "type": "object",
        "required": ["office_hours", "queue", "triggers"],
        "additionalProperties": False,
        "properties": {
            "office_hours": {
                "type": "object",
                "required": [
                    "timezone", "days", "open_message", "closed_message", "expected_wait_minutes", "calendar"
                ],
                "additionalProperties": False,
                "properties": {
                    "timezone": _TEXT,
                    "days": {
                        "type": "object",
                        "propertyNames": {"enum": list(_DAYS)},
                        "additionalProperties": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "items": {"type": "string", "pattern": _CLOCK},
                        },
                    },
                    "open_message": _SAY,
                    "closed_message": _SAY,
                    # Words for {when}: "tomorrow at 09:00", "maandag om 09:00".
                    "calendar": {
                        "type": "object",
                        "required": list(CALENDAR_WORDS),
                        "additionalProperties": False,
                        "properties": {key: _SAY for key in CALENDAR_WORDS},
                    },
                    "expected_wait_minutes": {
                        "type": "object",
                        "required": _PRIORITIES,
                        "additionalProperties": False,
                        "properties": {p: {"type": "integer", "minimum": 0} for p in _PRIORITIES},
                    },
                },
            },
            "queue": {
                "type": "object",
                "required": ["escalate_after_minutes"],
                "additionalProperties": False,
                "properties": {"escalate_after_minutes": {"type": "integer", "minimum": 1}},
            },
            "repeat_ignores_intents": {"type": "array", "items": _TEXT},
            "triggers": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "reason", "priority", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                        "reason": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                        "priority": {"enum": _PRIORITIES},
                        "message": _SAY,
                        "respond_first": {"type": "string", "pattern": "^utter_[a-z0-9_]+$"},
                        "action": {"type": "string", "pattern": "^action_[a-z0-9_]+$"},
                        "when": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {
                                "intents": {"type": "array", "minItems": 1, "items": _TEXT},
                                "patterns": {
                                    "type": "object",
                                    "minProperties": 1,
                                    "additionalProperties": {
                                        "type": "array", "minItems": 1, "items": _TEXT
                                    },
                                },
                                "special_category": {
                                    "type": "array", "minItems": 1, "items": _TEXT
                                },
                                "consecutive_fallbacks": {"type": "integer", "minimum": 1},
                                "confidence_below": {
                                    "type": "number", "exclusiveMinimum": 0, "maximum": 1
                                },
                                "repeated_intent": {"type": "integer", "minimum": 2},
                                "opted_out": {"const": True},
                            },
                        },
                    },
                },
            },
        },
    },
    "backstops.yml": {
        "type": "object",
        "required": ["intents"],
        "additionalProperties": False,
        "properties": {
            "intents": {
                "type": "object",
                "required": ["opt_out", "ask_is_bot"],
                "additionalProperties": {
                    "type": "object",
                    "required": ["action", "patterns"],
                    "additionalProperties": False,
                    "properties": {
                        "action": {"type": "string", "pattern": "^action_[a-z_]+$"},
                        "patterns": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {
                                "type": "array",
                                "minItems": 1,
                                "items": _TEXT,
                            },
                        },
                    },
                },
            }
        },
    },
}


CONSENT_TEXTS = (
    "granted", "withdrawn", "nothing_to_withdraw", "export_summary", "erase_confirm", "erased",
    "erase_cancelled", "lookup_found", "lookup_not_found", "ask_new_address", "not_an_address",
    "new_address_saved", "ask_callback_phone", "not_a_phone",
)
SCHEMAS["consent.yml"] = {
    "type": "object",
    "required": ["purposes", "texts"],
    "additionalProperties": False,
    "properties": {
        "purposes": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {
                "type": "object",
                "required": ["version", "legal_basis", "data_types", "retention_days", "notice", "refused"],
                "additionalProperties": False,
                "properties": {
                    "version": _TEXT,
                    "legal_basis": {"enum": ["consent", "contract", "legitimate_interest"]},
                    "data_types": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z][A-Z_]*$"}},
                    "retention_days": {"type": "integer", "minimum": 1},
                    "notice": _SAY,
                    "refused": _SAY,
                    "refusal_trigger": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                },
            },
        },
        "texts": {
            "type": "object",
            "required": list(CONSENT_TEXTS),
            "additionalProperties": False,
            "properties": {k: _SAY for k in CONSENT_TEXTS},
        },
    },
}
SCHEMAS["retention.yml"] = {
    "type": "object",
    "required": ["conversations", "handoff_tickets"],
    "additionalProperties": False,
    "properties": {
        "conversations": {
            "type": "object",
            "required": ["default_days", "improve_assistant_consented_days"],
            "additionalProperties": False,
            "properties": {
                "default_days": {"type": "integer", "minimum": 1},
                "improve_assistant_consented_days": {"type": "integer", "minimum": 1},
            },
        },
        "handoff_tickets": {
            "type": "object",
            "required": ["finished_days"],
            "additionalProperties": False,
            "properties": {"finished_days": {"type": "integer", "minimum": 1}},
        },
    },
}
EXPLANATION_TEXTS = ("understood", "decided_by_rule", "fallback", "answered", "data_none", "data_used", "nothing_yet",
                     "data_order_number", "data_new_address", "data_callback_phone", "data_consent")
SCHEMAS["explanations.yml"] = {
    "type": "object",
    "required": ["intents", "texts", "rules"],
    "additionalProperties": False,
    "properties": {
        "intents": {"type": "object", "required": ["nlu_fallback"], "additionalProperties": _SAY},
        "texts": {
            "type": "object",
            "required": list(EXPLANATION_TEXTS),
            "additionalProperties": False,
            "properties": {k: _SAY for k in EXPLANATION_TEXTS},
        },
        "rules": {"type": "object", "additionalProperties": _SAY},
    },
}
# Texts the channels and the order actions send (policies/messages.yml).
MESSAGE_TEXTS = (
    "ask_order_number", "order_number_format", "order_not_found", "address_not_changeable",
    "address_changeable", "ask_order_check", "ask_order_postcode", "order_check_failed",
    "order_check_locked", "order_not_checked", "order_summary", "expected_delivery", "delivered_on",
    "track_with", "status_processing", "status_packed", "status_shipped", "status_delivered",
    "status_cancelled", "too_long", "sign_in", "still_with_a_colleague", "human_label",
    "handed_back", "closed",
)
SCHEMAS["messages.yml"] = {
    "type": "object",
    "required": list(MESSAGE_TEXTS),
    "additionalProperties": False,
    "properties": {k: _SAY for k in MESSAGE_TEXTS},
}
# Purposes the code asks consent for by name.
REQUIRED_PURPOSES = ("order_lookup_by_email", "delivery_address_change", "phone_callback", "improve_assistant")


@dataclass(frozen=True)
class Purpose:
    """One purpose personal data may be used for, with its notice and version."""

    name: str
    version: str
    legal_basis: str
    data_types: Tuple[str, ...]
    retention_days: int
    notice: str
    refused: str
    refusal_trigger: Optional[str] = None


_OPERATORS = ["mask", "vault", "drop", "keep"]
SCHEMAS["pii.yml"] = {
    "type": "object",
    "required": [
        "sensitive_data_warning", "spacy_model", "language", "default_threshold", "entities",
        "allow_list",
    ],
    "additionalProperties": False,
    "properties": {
        "sensitive_data_warning": _SAY,
        "spacy_model": _TEXT,
        "language": {"enum": ["en"]},
        "default_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "entities": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[A-Z][A-Z_]*$"},
            "additionalProperties": {
                "type": "object",
                "required": ["operator"],
                "additionalProperties": False,
                "properties": {
                    "operator": {"enum": _OPERATORS},
                    "threshold": {"type": "number", "minimum": 0, "maximum": 1},
                    "warn": {"type": "boolean"},
                    "beats_allow_list": {"type": "boolean"},
                },
            },
        },
        "context": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _TEXT},
        },
        "allow_list": {"type": "object", "additionalProperties": _TEXT},
        "ordinary_words": {
            "type": "object",
            "required": ["languages"],
            "additionalProperties": False,
            "properties": {
                "languages": {"type": "array", "items": {"enum": ["en", "nl"]}},
                "min_frequency": {"type": "integer", "minimum": 1},
            },
        },
        "places": {
            "type": "object",
            "required": ["countries"],
            "additionalProperties": False,
            "properties": {
                "countries": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}},
                "min_population": {"type": "integer", "minimum": 0},
            },
        },
        "special_categories": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Z][A-Z_]*$"},
            "additionalProperties": {"type": "array", "minItems": 1, "items": _TEXT},
        },
    },
}


PATTERN_TIMEOUT_SECONDS = 0.5


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
class Backstop:
    """A guardrail intent, the action that honours it, and its compiled patterns."""

    intent: str
    action: str
    patterns: Tuple[re.Pattern, ...]


@dataclass(frozen=True)
class Policies:
    """Everything in `policies/`, validated."""

    directory: Path
    disclosure: Dict[str, str]
    opt_out: Dict[str, str]
    handoff: HandoffPolicy
    backstops: Tuple[Backstop, ...]
    purposes: Dict[str, Purpose] = dataclasses.field(default_factory=dict)
    consent_texts: Dict[str, str] = dataclasses.field(default_factory=dict)
    retention: Dict[str, Dict[str, int]] = dataclasses.field(default_factory=dict)
    explanations: Dict[str, Dict[str, str]] = dataclasses.field(default_factory=dict)
    messages: Dict[str, Localized] = dataclasses.field(default_factory=dict)

    def purpose(self, name: str) -> Purpose:
        try:
            return self.purposes[name]
        except KeyError:
            raise PolicyError(self.directory / "consent.yml", f"purposes.{name}", "purpose is not defined") from None

    @property
    def disclosure_version(self) -> str:
        return self.disclosure["version"]

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

    @property
    def pattern_rules(self) -> Tuple[Union[Trigger, Backstop], ...]:
        """Every rule with patterns, in the order they are checked (see backstops.yml)."""
        with_patterns = [t for t in self.handoff.triggers if t.patterns]
        return (
            tuple(t for t in with_patterns if t.priority != "normal")
            + self.backstops
            + tuple(t for t in with_patterns if t.priority == "normal")
        )

    def match_pattern(self, text: Optional[str]) -> Optional[Union[Trigger, Backstop]]:
        """The first trigger or backstop whose pattern matches `text`, or None."""
        if not text:
            return None
        normalised = normalise(text)
        for rule in self.pattern_rules:
            if any(_search(p, normalised) for p in rule.patterns):
                return rule
        return None

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


def _read(path: Path) -> Any:
    if not path.is_file():
        raise PolicyError(path, "(file)", "file is missing")
    try:
        with path.open(encoding="utf-8") as handle:
            content = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(path, "(file)", f"cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(path, "(file)", f"is not valid YAML: {exc}") from exc
    spoken = _languages(path.parent)
    content = localize(content, path, spoken.supported, spoken.default)
    schema = SCHEMAS[path.name]
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(content),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        error = errors[0]
        where = list(error.absolute_path)
        rule, where = _rule_of(content, where)
        field = ".".join(str(p) for p in where) or "(top level)"
        if error.validator == "required":
            missing = error.message.split("'")[1]
            field = f"{field}.{missing}" if where else missing
        raise PolicyError(path, field, error.message, rule=rule)
    for field in unlocalized(content, schema):
        rule, rest = _rule_of(content, field.split("."))
        raise PolicyError(path, ".".join(rest), f"give this text in every supported language "
                          f"({', '.join(spoken.supported)}), as `{spoken.supported[0]}: ...`", rule=rule)
    return content


def _languages(directory: Path) -> Any:
    from bot.language import LanguageError, languages_in

    try:
        return languages_in(str(directory))
    except LanguageError as exc:
        raise PolicyError(directory / "languages.yml", "(file)", str(exc)) from exc


def _rule_of(content: Any, where: List[Any]) -> Tuple[Optional[str], List[Any]]:
    """Split a path into the rule it belongs to (a trigger id or backstop intent) and the field."""
    if len(where) >= 2 and where[0] == "triggers" and isinstance(where[1], int):
        spec = content["triggers"][where[1]]
        rule = spec.get("id") if isinstance(spec, dict) else None
        return (str(rule), where[2:]) if rule else (f"#{where[1] + 1}", where[2:])
    if len(where) >= 2 and where[0] == "intents":
        return str(where[1]), where[2:]
    return None, where


def _compile_backstops(path: Path, raw: Dict[str, Any]) -> Tuple[Backstop, ...]:
    backstops = []
    for intent, spec in raw["intents"].items():
        compiled = []
        for language, patterns in spec["patterns"].items():
            for index, pattern in enumerate(patterns):
                try:
                    compiled.append(regex.compile(pattern, regex.IGNORECASE))
                except regex.error as exc:
                    raise PolicyError(
                        path,
                        f"patterns.{language}.{index}",
                        f"bad regular expression: {exc}",
                        rule=intent,
                    ) from exc
        backstops.append(Backstop(intent, spec["action"], tuple(compiled)))
    return tuple(backstops)


@dataclass(frozen=True)
class EntityRule:
    """What to do with one type of personal data."""

    entity: str
    operator: str
    threshold: float
    warn: bool
    beats_allow_list: bool = False


@dataclass(frozen=True)
class PiiPolicy:
    """`policies/pii.yml`, validated, with its regular expressions compiled."""

    sensitive_data_warning: str
    spacy_model: str
    language: str
    entities: Dict[str, EntityRule]
    context: Dict[str, Tuple[str, ...]]
    allow_list: Dict[str, re.Pattern]
    special_categories: Dict[str, re.Pattern] = dataclasses.field(default_factory=dict)
    ordinary_languages: Tuple[str, ...] = ()
    ordinary_min_frequency: int = 1000
    place_countries: Tuple[str, ...] = ()
    place_min_population: int = 5000

    @property
    def warn_entities(self) -> List[str]:
        """NLU entity names (`pii_credit_card`) whose appearance earns a warning."""
        return [f"pii_{e.lower()}" for e, rule in self.entities.items() if rule.warn]


def load_pii_policy(directory: Optional[Path] = None) -> PiiPolicy:
    """Read and validate `pii.yml`; a bad allow-list regex is named by its field."""
    path = Path(directory or settings().policies_dir) / "pii.yml"
    raw = _read(path)
    allow = {}
    for name, pattern in raw["allow_list"].items():
        try:
            # The regex module: variable-width look-behind ("after a tracking cue").
            allow[name] = regex.compile(pattern, regex.IGNORECASE)
        except regex.error as exc:
            raise PolicyError(path, f"allow_list.{name}", f"bad regular expression: {exc}") from exc
    for section in ("context", "special_categories"):
        unknown = sorted(set(raw.get(section, {})) - set(raw["entities"]))
        if unknown:
            raise PolicyError(path, f"{section}.{unknown[0]}", "entity is not listed under entities")
    special = {}
    for name, terms in raw.get("special_categories", {}).items():
        for index, term in enumerate(terms):
            try:
                re.compile(term)
            except re.error as exc:
                raise PolicyError(
                    path, f"special_categories.{name}.{index}", f"bad regular expression: {exc}"
                ) from exc
        special[name] = re.compile(
            r"(?<!\w)(?:" + "|".join(f"(?:{t})" for t in terms) + r")(?!\w)", re.IGNORECASE
        )
    return PiiPolicy(
        sensitive_data_warning=squeeze(raw["sensitive_data_warning"]),
        spacy_model=raw["spacy_model"],
        language=raw["language"],
        entities={
            name: EntityRule(
                name,
                spec["operator"],
                float(spec.get("threshold", raw["default_threshold"])),
                bool(spec.get("warn", False)),
                bool(spec.get("beats_allow_list", False)),
            )
            for name, spec in raw["entities"].items()
        },
        context={k: tuple(v) for k, v in raw.get("context", {}).items()},
        allow_list=allow,
        special_categories=special,
        ordinary_languages=tuple(raw.get("ordinary_words", {}).get("languages", ())),
        ordinary_min_frequency=int(raw.get("ordinary_words", {}).get("min_frequency", 1000)),
        place_countries=tuple(raw.get("places", {}).get("countries", ())),
        place_min_population=int(raw.get("places", {}).get("min_population", 5000)),
    )


def load_policies(directory: Optional[Path] = None) -> Policies:
    """Read and validate every policy file in `directory` (default: `policies/`)."""
    directory = Path(directory or settings().policies_dir)
    disclosure = _read(directory / "disclosure.yml")
    opt_out = _read(directory / "opt_out.yml")
    handoff_path = directory / "handoff.yml"
    handoff = parse_handoff(handoff_path, _read(handoff_path))
    backstops = _read(directory / "backstops.yml")
    pii = load_pii_policy(directory)  # validated with the rest: start-up fails on any bad file
    known = {t.id for t in handoff.triggers}
    for required in REQUIRED_TRIGGERS:
        if required not in known:
            raise PolicyError(handoff_path, "triggers", "the code raises this trigger: keep it", rule=required)
    for index, trigger in enumerate(handoff.triggers):
        for number, category in enumerate(trigger.special_category):
            if category not in pii.entities:
                raise PolicyError(
                    handoff_path, f"when.special_category.{number}",
                    f"{category!r} is not an entity in pii.yml", rule=trigger.id,
                )
    consent_path = directory / "consent.yml"
    consent = _read(consent_path)
    for required in REQUIRED_PURPOSES:
        if required not in consent["purposes"]:
            raise PolicyError(consent_path, f"purposes.{required}", "the code asks consent for this purpose: keep it")
    purposes = {}
    for name, spec in consent["purposes"].items():
        for index, data_type in enumerate(spec["data_types"]):
            if data_type not in pii.entities:
                raise PolicyError(consent_path, f"purposes.{name}.data_types.{index}",
                                  f"{data_type!r} is not an entity in pii.yml")
        purposes[name] = Purpose(
            name, spec["version"], spec["legal_basis"], tuple(spec["data_types"]),
            spec["retention_days"], squeeze(spec["notice"]), squeeze(spec["refused"]),
            spec.get("refusal_trigger"),
        )
        if spec.get("refusal_trigger") and spec["refusal_trigger"] not in known:
            raise PolicyError(consent_path, f"purposes.{name}.refusal_trigger",
                              f"{spec['refusal_trigger']!r} is not a trigger in handoff.yml")
    retention = _read(directory / "retention.yml")
    explanations_path = directory / "explanations.yml"
    explanations = _read(explanations_path)
    unknown_rules = sorted(set(explanations["rules"]) - known - set(backstops["intents"])
                           - {"sensitive_data_warning"})
    if unknown_rules:
        raise PolicyError(explanations_path, f"rules.{unknown_rules[0]}", "no trigger or backstop has this id")
    messages = _read(directory / "messages.yml")
    return Policies(
        messages={k: squeeze(v) for k, v in messages.items()},
        explanations={k: {n: squeeze(t) for n, t in v.items()} for k, v in explanations.items()},
        directory=directory,
        purposes=purposes,
        consent_texts={k: squeeze(v) for k, v in consent["texts"].items()},
        retention=retention,
        disclosure={k: squeeze(v) if k != "version" else str(v).strip() for k, v in disclosure.items()},
        opt_out={k: squeeze(v) for k, v in opt_out.items()},
        handoff=handoff,
        backstops=_compile_backstops(directory / "backstops.yml", backstops),
    )


def check_against_domain(loaded: Policies, domain_path: Path) -> None:
    """Every intent, action and response a policy names must exist in the domain."""
    try:
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(domain_path, "(file)", f"cannot be read: {exc}") from exc
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
    intents |= {"nlu_fallback"}  # Rasa's own
    responses = set(domain.get("responses", {}))
    actions = set(domain.get("actions", [])) | responses
    path = loaded.directory / "backstops.yml"
    for backstop in loaded.backstops:
        if backstop.intent not in intents:
            raise PolicyError(path, "(id)", "intent is not in the domain", rule=backstop.intent)
        if backstop.action not in actions:
            raise PolicyError(path, "action", f"{backstop.action!r} is not in the domain", rule=backstop.intent)
    path = loaded.directory / "handoff.yml"
    for trigger in loaded.handoff.triggers:
        for number, intent in enumerate(trigger.intents):
            if intent not in intents:
                raise PolicyError(path, f"when.intents.{number}", f"intent {intent!r} is not in the domain", rule=trigger.id)
        if trigger.action not in actions:
            raise PolicyError(path, "action", f"action {trigger.action!r} is not in the domain", rule=trigger.id)
        if trigger.respond_first and trigger.respond_first not in responses:
            raise PolicyError(
                path, "respond_first", f"response {trigger.respond_first!r} is not in the domain",
                rule=trigger.id,
            )
    missing = sorted(intents - set(loaded.explanations.get("intents", {})))
    if missing:
        raise PolicyError(loaded.directory / "explanations.yml", f"intents.{missing[0]}",
                          "every intent in the domain needs a plain-language description")
    for number, intent in enumerate(loaded.handoff.repeat_ignores_intents):
        if intent not in intents:
            raise PolicyError(path, f"repeat_ignores_intents.{number}", f"intent {intent!r} is not in the domain")
    spoken = _languages(loaded.directory)
    for name, variations in (domain.get("responses") or {}).items():
        covered = set()
        for variation in variations or []:
            conditions = [c for c in variation.get("condition") or [] if c.get("name") == "language"]
            covered |= {c.get("value") for c in conditions} if conditions else {spoken.default}
        for code in spoken.supported:
            if code not in covered:
                raise PolicyError(domain_path, f"responses.{name}",
                                  f"no variation for language '{code}' (a `condition` on the slot `language`)")


@functools.lru_cache(maxsize=4)
def _cached(directory: str) -> Policies:
    return load_policies(Path(directory))


def policies(directory: Optional[Path] = None) -> Policies:
    """The validated policies, loaded once per process and directory."""
    return _cached(str(Path(directory or settings().policies_dir).resolve()))


@functools.lru_cache(maxsize=4)
def _cached_pii(directory: str) -> PiiPolicy:
    return load_pii_policy(Path(directory))


def pii_policy(directory: Optional[Path] = None) -> PiiPolicy:
    """The validated `pii.yml`, loaded once per process and directory."""
    return _cached_pii(str(Path(directory or settings().policies_dir).resolve()))
