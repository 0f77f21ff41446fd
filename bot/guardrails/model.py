"""What every policy file's model is made of: a strict pydantic base, the field types the
files share (customer texts, regular expressions, names) and one reader that reports
*every* error of a file with its file, rule id and field.

Each policy file has one model, in the module next to the code that uses it:
`handoff.yml` in `bot/guardrails/handoff_rules.py`, `backstops.yml` in
`bot/guardrails/backstops.py`, `pii.yml` in `bot/pii/policy.py`, `consent.yml` and
`retention.yml` in `bot/storage/policy.py`, `explanations.yml` in `bot/explain.py`, and the
plain text files (`disclosure.yml`, `opt_out.yml`, `messages.yml`) in
`bot/guardrails/customer_texts.py`. `bot/guardrails/loader.py` reads them all and checks
what one file says about another.
"""
import contextvars
from enum import Enum
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple, Type, TypeVar

import regex
import yaml
from pydantic import BaseModel, Extra, ValidationError, constr

from bot.guardrails.errors import PolicyError, PolicyErrors
from bot.guardrails.texts import Localized

# A rule's or purpose's id, a reason: lower case words joined by underscores.
Identifier = constr(regex=r"^[a-z][a-z0-9_]*$")
# A Presidio entity name: PERSON, EMAIL_ADDRESS.
EntityName = constr(regex=r"^[A-Z][A-Z_]*$")
ActionName = constr(regex=r"^action_[a-z0-9_]+$")
ResponseName = constr(regex=r"^utter_[a-z0-9_]+$")
NonEmpty = constr(min_length=1)

# The languages of the file being read (set by `read_policy`): a customer text must have each.
_SPOKEN: contextvars.ContextVar[Tuple[Tuple[str, ...], str]] = contextvars.ContextVar(
    "candor_spoken", default=(("en",), "en"))


class Code(str, Enum):
    """A fixed set of codes a policy file or table uses; as text, the code itself."""

    def __str__(self) -> str:
        return self.value


class Priority(Code):
    """How soon a human must pick a ticket up; the order is the queue's."""

    urgent = "urgent"
    high = "high"
    normal = "normal"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)


class Day(Code):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def weekday(self) -> int:
        """0 for Monday, as `datetime.weekday()`."""
        return list(Day).index(self)


class _Untranslated:
    """A {language: text} mapping that lacks a supported language (found before validation)."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)


class Say(Localized):
    """A text a customer reads: `{en: ..., nl: ...}`, every supported language, whitespace
    runs made single spaces (YAML folding)."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Callable[[Any], Any]]:
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> Localized:
        supported, _ = _SPOKEN.get()
        if isinstance(value, Localized):
            return value.squeezed()
        if isinstance(value, _Untranslated):
            raise ValueError(f"no text in language '{value.missing[0]}' (every text needs {', '.join(supported)})")
        if isinstance(value, str):
            raise ValueError(f"give this text in every supported language ({', '.join(supported)}), "
                             f"as `{supported[0]}: ...`")
        raise TypeError(f"a text is expected, as `{supported[0]}: ...`, not {type(value).__name__}")


class Pattern:
    """A regular expression (the `regex` module: variable-width look-behind), compiled
    case-insensitively; a bad one is named by its field."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Callable[[Any], Any]]:
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            raise TypeError("a regular expression (text) is expected")
        try:
            return regex.compile(value, regex.IGNORECASE)
        except regex.error as exc:
            raise ValueError(f"bad regular expression: {exc}") from None


class PolicyModel(BaseModel):
    """A policy file or a part of one: unknown fields are errors, loaded values are frozen."""

    class Config:
        extra = Extra.forbid
        allow_mutation = False
        arbitrary_types_allowed = True
        use_enum_values = False
        copy_on_model_validation = "none"

    # Sections holding named rules, and how a rule is named: a list whose items carry an
    # id field ("triggers": "id"), or a mapping keyed by the rule's name ("intents": None).
    rules: ClassVar[Dict[str, Optional[str]]] = {}

    def problems(self) -> Iterator[Tuple[Optional[str], str, str]]:
        """Errors no single field shows (a duplicate id): (rule, field, problem)."""
        return iter(())


class Texts(PolicyModel):
    """A file or section of named customer texts; `texts[name]` for code that picks one by name."""

    def __getitem__(self, name: str) -> Localized:
        return getattr(self, name)

    def keys(self) -> List[str]:
        return list(self.__fields__)

    def items(self) -> Iterator[Tuple[str, Localized]]:
        return iter((name, getattr(self, name)) for name in self.__fields__)


M = TypeVar("M", bound=PolicyModel)


def mark_texts(content: Any, supported: Sequence[str], default: str) -> Any:
    """Every {language: text} mapping in `content` made a Localized text, or marked as
    lacking a language; `Say` fields then accept the first and name what the second lacks."""
    if isinstance(content, dict):
        keys = set(content)
        if keys and keys <= set(supported) and all(isinstance(v, str) for v in content.values()):
            missing = [code for code in supported if not str(content.get(code) or "").strip()]
            if missing:
                return _Untranslated(missing)
            return Localized({code: content[code] for code in supported}, default)
        return {k: mark_texts(v, supported, default) for k, v in content.items()}
    if isinstance(content, list):
        return [mark_texts(v, supported, default) for v in content]
    return content


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise PolicyError(path, "(file)", "file is missing")
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(path, "(file)", f"cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(path, "(file)", f"is not valid YAML: {exc}") from exc


def read_policy(path: Path, model: Type[M], supported: Sequence[str], default: str) -> M:
    """`path` validated as `model`; every problem in it raised at once, each with file, rule and field."""
    raw = read_yaml(path)
    token = _SPOKEN.set((tuple(supported), default))
    try:
        if not isinstance(raw, dict):
            raise PolicyError(path, "(top level)", "a mapping of fields is expected")
        try:
            loaded = model.parse_obj(mark_texts(raw, supported, default))
        except ValidationError as exc:
            raise PolicyErrors([_named(path, model, raw, error) for error in exc.errors()]) from None
    finally:
        _SPOKEN.reset(token)
    found = [PolicyError(path, field, problem, rule=rule) for rule, field, problem in loaded.problems()]
    if found:
        raise PolicyErrors(found)
    return loaded


def _named(path: Path, model: Type[PolicyModel], raw: Dict[str, Any], error: Dict[str, Any]) -> PolicyError:
    where: List[Any] = [p for p in error["loc"] if p != "__root__"]
    rule: Optional[str] = None
    if len(where) >= 2 and where[0] in model.rules:
        key = model.rules[where[0]]
        if key and isinstance(where[1], int):
            item = (raw.get(where[0]) or [None] * (where[1] + 1))[where[1]]
            named = item.get(key) if isinstance(item, dict) else None
            rule = str(named) if named else f"#{where[1] + 1}"
        else:
            rule = str(where[1])
        where = where[2:]
    problem = error["msg"]
    if where and where[-1] == "__key__":  # a name that is not allowed here (a day, an entity)
        where = where[:-1]
        problem = f"a name under here: {problem}"
    field = ".".join(str(p) for p in where) or "(top level)"
    if error["type"] == "value_error.missing":
        problem = "field required"
    return PolicyError(path, field, problem, rule=rule)


def spoken_in(directory: Path) -> Any:
    """The languages of `directory/languages.yml`; a bad file is a PolicyError."""
    from bot.language import LanguageError, languages_in

    try:
        return languages_in(str(directory))
    except LanguageError as exc:
        raise PolicyError(directory / "languages.yml", "(file)", str(exc)) from exc


def read_policy_in(directory: Path, name: str, model: Type[M]) -> M:
    """`directory/name` read as `model`, in the languages of `directory/languages.yml`."""
    spoken = spoken_in(directory)
    return read_policy(directory / name, model, spoken.supported, spoken.default)


def named_entries(values: Dict[str, Any], section: str, key: str, **defaults: Any) -> Dict[str, Any]:
    """For a pre-validator: each entry of the mapping `section` gets its own name (the key in
    the file) as field `key`, and `defaults` where it gives none."""
    entries = values.get(section)
    if not isinstance(entries, dict):
        return values
    return {**values, section: {name: {key: name, **defaults, **spec} if isinstance(spec, dict) else spec
                                for name, spec in entries.items()}}
