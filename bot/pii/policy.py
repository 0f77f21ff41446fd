"""`policies/pii.yml` as a typed model: what counts as personal data, what happens to each
kind, what is never personal data (the allow list) and which words name a special category."""
import functools
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Literal, Optional, Tuple

from pydantic import confloat, conint, constr, root_validator, validator

from bot.config import settings
from bot.guardrails.model import Code, EntityName, NonEmpty, Pattern, PolicyModel, Say, named_entries, read_policy_in


class Operator(Code):
    """What happens to a found value: a placeholder (mask), a placeholder plus the value
    encrypted in the vault for consented purposes (vault), removed without trace (drop), or
    left as it is (keep)."""

    mask = "mask"
    vault = "vault"
    drop = "drop"
    keep = "keep"



class EntityRule(PolicyModel):
    """What to do with one type of personal data."""

    entity: EntityName
    operator: Operator
    threshold: confloat(ge=0, le=1)
    warn: bool = False
    beats_allow_list: bool = False


class OrdinaryWords(PolicyModel):
    """Capitalised words this common in these languages are not names."""

    languages: List[Literal["en", "nl"]]
    min_frequency: conint(strict=True, ge=1) = 1000


class Places(PolicyModel):
    """Towns of these countries (GeoNames, bundled) with at least this many people are places."""

    countries: List[constr(regex=r"^[A-Z]{2}$")]
    min_population: conint(strict=True, ge=0) = 5000
    # Country names in these languages (babel's CLDR data) are places the shop ships to when
    # `country_cue` ends right before them ("do you ship to Germany?", "bezorgen jullie in
    # België?"); elsewhere a country can say where someone is from, and stays masked.
    country_names: List[constr(regex=r"^[a-z]{2}$")] = []
    country_cue: Optional[Pattern] = None


class SpecialTerms:
    """Terms (regular expressions) that name one special category, compiled as one pattern
    matching any of them as whole words."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Any]:
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> "re.Pattern[str]":
        if not isinstance(value, list) or not value:
            raise ValueError("give a list of terms")
        for index, term in enumerate(value):
            try:
                re.compile(str(term))
            except re.error as exc:
                raise ValueError(f"term {index}: bad regular expression: {exc}") from None
        return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{t})" for t in value) + r")(?!\w)", re.IGNORECASE)


class PiiPolicy(PolicyModel):
    """`policies/pii.yml`."""

    sensitive_data_warning: Say
    spacy_model: NonEmpty
    language: Literal["en"]
    default_threshold: confloat(ge=0, le=1)
    entities: Dict[EntityName, EntityRule]
    context: Dict[str, Tuple[NonEmpty, ...]] = {}
    allow_list: Dict[str, Pattern]
    ordinary_words: OrdinaryWords = OrdinaryWords(languages=[])
    places: Places = Places(countries=[])
    special_categories: Dict[EntityName, SpecialTerms] = {}

    @root_validator(pre=True)
    def _entity_defaults(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        # The entity is the key in the file; its threshold defaults to the file's.
        default = values.get("default_threshold")
        return named_entries(values, "entities", "entity", **({"threshold": default} if default is not None else {}))

    @validator("context", "special_categories")
    def _known_entities(cls, value: Dict[str, Any], values: Dict[str, Any]) -> Dict[str, Any]:
        unknown = sorted(set(value) - set(values.get("entities") or {}))
        if unknown and "entities" in values:
            raise ValueError(f"{unknown[0]!r} is not listed under entities")
        return value

    @property
    def warn_entities(self) -> List[str]:
        """NLU entity names (`pii_credit_card`) whose appearance earns a warning."""
        return [f"pii_{e.lower()}" for e, rule in self.entities.items() if rule.warn]

    @property
    def ordinary_languages(self) -> Tuple[str, ...]:
        return tuple(self.ordinary_words.languages)

    @property
    def ordinary_min_frequency(self) -> int:
        return self.ordinary_words.min_frequency

    @property
    def place_countries(self) -> Tuple[str, ...]:
        return tuple(self.places.countries)

    @property
    def place_min_population(self) -> int:
        return self.places.min_population

    @property
    def country_name_languages(self) -> Tuple[str, ...]:
        return tuple(self.places.country_names)

    @property
    def country_cue(self) -> Optional[Any]:
        return self.places.country_cue


def load_pii_policy(directory: Optional[Path] = None) -> PiiPolicy:
    """Read and validate `pii.yml` (every problem reported at once)."""
    return read_policy_in(Path(directory or settings().policies_dir), "pii.yml", PiiPolicy)


@functools.lru_cache(maxsize=4)
def _cached(directory: str) -> PiiPolicy:
    return load_pii_policy(Path(directory))


def pii_policy(directory: Optional[Path] = None) -> PiiPolicy:
    """The validated `pii.yml`, loaded once per process and directory."""
    return _cached(str(Path(directory or settings().policies_dir).resolve()))
