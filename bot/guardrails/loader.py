"""One loader for `policies/*.yml`, used by the Rasa policy, the actions and the validator.

Fail closed: a missing, unreadable or invalid file raises `PolicyError` naming the file
and the field, and start-up stops.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import jsonschema
import yaml

from bot.config import settings

_TEXT = {"type": "string", "minLength": 1}
_PRIORITIES = ["urgent", "high", "normal"]

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
            "disclosure": _TEXT,
            "human_contact": _TEXT,
            "data_use": _TEXT,
            "is_bot_answer": _TEXT,
            "capabilities": _TEXT,
            "limitations": _TEXT,
        },
    },
    "opt_out.yml": {
        "type": "object",
        "required": [
            "explanation",
            "confirmed",
            "cancelled",
            "returning",
            "opted_in",
            "not_opted_out",
        ],
        "additionalProperties": False,
        "properties": {
            key: _TEXT
            for key in (
                "explanation",
                "confirmed",
                "cancelled",
                "returning",
                "opted_in",
                "not_opted_out",
            )
        },
    },
    "handoff.yml": {
        "type": "object",
        "required": ["reasons"],
        "additionalProperties": False,
        "properties": {
            "reasons": {
                "type": "object",
                "required": ["customer_request", "opt_out", "technical_problem"],
                "minProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "required": ["priority", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "priority": {"enum": _PRIORITIES},
                        "message": _TEXT,
                    },
                },
            }
        },
    },
    "backstops.yml": {
        "type": "object",
        "required": ["intents"],
        "additionalProperties": False,
        "properties": {
            "intents": {
                "type": "object",
                "required": ["opt_out", "request_human", "ask_is_bot"],
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


_OPERATORS = ["mask", "vault", "drop", "keep"]
SCHEMAS["pii.yml"] = {
    "type": "object",
    "required": [
        "sensitive_data_warning", "spacy_model", "language", "default_threshold", "entities",
        "allow_list",
    ],
    "additionalProperties": False,
    "properties": {
        "sensitive_data_warning": _TEXT,
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
    },
}


class PolicyError(Exception):
    """A policy file is missing or invalid; the message names the file and the field."""

    def __init__(self, file: Path, field: str, problem: str) -> None:
        self.file = Path(file)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.file}: field '{field}': {problem}")


@dataclass(frozen=True)
class Backstop:
    """A guardrail intent, the action that honours it, and its compiled patterns."""

    intent: str
    action: str
    patterns: Tuple[re.Pattern, ...]


@dataclass(frozen=True)
class HandoffReason:
    code: str
    priority: str
    message: str


@dataclass(frozen=True)
class Policies:
    """Everything in `policies/`, validated."""

    directory: Path
    disclosure: Dict[str, str]
    opt_out: Dict[str, str]
    handoff_reasons: Dict[str, HandoffReason]
    backstops: Tuple[Backstop, ...]

    @property
    def disclosure_version(self) -> str:
        return self.disclosure["version"]

    def disclosure_message(self) -> str:
        """The full first message of a session: who we are, how to reach a human, data use."""
        d = self.disclosure
        return f"{d['disclosure']} {d['human_contact']}\n\n{d['data_use']}"

    def handoff_reason(self, code: str) -> HandoffReason:
        try:
            return self.handoff_reasons[code]
        except KeyError:
            raise PolicyError(
                self.directory / "handoff.yml", f"reasons.{code}", "reason is not defined"
            ) from None

    def match_backstop(self, text: Optional[str]) -> Optional[Backstop]:
        """The first guardrail whose pattern matches `text`, or None."""
        if not text:
            return None
        normalised = normalise(text)
        for backstop in self.backstops:
            if any(p.search(normalised) for p in backstop.patterns):
                return backstop
        return None

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
    schema = SCHEMAS[path.name]
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(content),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        error = errors[0]
        field = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        if error.validator == "required":
            missing = error.message.split("'")[1]
            field = f"{field}.{missing}" if error.absolute_path else missing
        raise PolicyError(path, field, error.message)
    return content


def _compile_backstops(path: Path, raw: Dict[str, Any]) -> Tuple[Backstop, ...]:
    backstops = []
    for intent, spec in raw["intents"].items():
        compiled = []
        for language, patterns in spec["patterns"].items():
            for index, pattern in enumerate(patterns):
                try:
                    compiled.append(re.compile(pattern, re.IGNORECASE))
                except re.error as exc:
                    raise PolicyError(
                        path,
                        f"intents.{intent}.patterns.{language}.{index}",
                        f"bad regular expression: {exc}",
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
            allow[name] = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise PolicyError(path, f"allow_list.{name}", f"bad regular expression: {exc}") from exc
    unknown = sorted(set(raw.get("context", {})) - set(raw["entities"]))
    if unknown:
        raise PolicyError(path, f"context.{unknown[0]}", "entity is not listed under entities")
    return PiiPolicy(
        sensitive_data_warning=" ".join(raw["sensitive_data_warning"].split()),
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
    )


def load_policies(directory: Optional[Path] = None) -> Policies:
    """Read and validate every policy file in `directory` (default: `policies/`)."""
    directory = Path(directory or settings().policies_dir)
    disclosure = _read(directory / "disclosure.yml")
    opt_out = _read(directory / "opt_out.yml")
    handoff = _read(directory / "handoff.yml")
    backstops = _read(directory / "backstops.yml")
    load_pii_policy(directory)  # validated with the rest, so start-up fails on any bad file
    return Policies(
        directory=directory,
        disclosure={k: str(v).strip() for k, v in disclosure.items()},
        opt_out={k: str(v).strip() for k, v in opt_out.items()},
        handoff_reasons={
            code: HandoffReason(code, spec["priority"], spec["message"].strip())
            for code, spec in handoff["reasons"].items()
        },
        backstops=_compile_backstops(directory / "backstops.yml", backstops),
    )


def check_against_domain(loaded: Policies, domain_path: Path) -> None:
    """Every intent and action a policy names must exist in the domain (designers rename things)."""
    try:
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(domain_path, "(file)", f"cannot be read: {exc}") from exc
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
    actions = set(domain.get("actions", [])) | set(domain.get("responses", {}))
    path = loaded.directory / "backstops.yml"
    for backstop in loaded.backstops:
        if backstop.intent not in intents:
            raise PolicyError(path, f"intents.{backstop.intent}", "intent is not in the domain")
        if backstop.action not in actions:
            raise PolicyError(path, f"intents.{backstop.intent}.action", f"{backstop.action!r} is not in the domain")


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
