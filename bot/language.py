"""The language of the conversation: which languages Candor speaks and which one a message is in
(the NLU component that records it is bot/nlu_language.py; this module needs no Rasa, so the
personal-data analysis process does not load it).

`policies/languages.yml` lists the supported languages (ISO 639-1 codes) and the default; a
third language is a data change: add its code there, its texts in `policies/` and
`domain.yml`, and its training data. Detection uses lingua (offline models, restricted to the
supported languages). A short or ambiguous message ("ok", "hi", an order number) keeps the
conversation's language; a client's hint (rasa-webchat's `customData.language`) is honoured
when the message itself does not say.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import regex
import yaml
from pydantic import BaseModel, Field, ValidationError, root_validator, validator

from bot.constants import SLOT_LANGUAGE
from bot.config import settings

SLOT = SLOT_LANGUAGE
ENTITY = "language"
EXTRACTOR = "LanguageDetector"
# What a message needs before its language is judged: a few words of letters.
MIN_WORDS = 2
MIN_LETTERS = 8
_WORD = regex.compile(r"\p{L}{2,}")
_PLACEHOLDER = regex.compile(r"<[A-Z][A-Z_]*_\d+>")


class LanguageError(Exception):
    """`policies/languages.yml` is missing or invalid."""


class Languages(BaseModel):
    """`policies/languages.yml`."""

    supported: List[str] = Field(..., min_items=1)
    default: str
    # How sure the detector must be (lingua's minimum relative distance, 0 to 1).
    min_relative_distance: float = Field(0.25, ge=0.0, le=0.99)
    # Short messages too short for the detector that still say their language ("hallo",
    # "goedemorgen", "mens graag"): a message made only of one language's words is in it.
    short_words: Dict[str, List[str]] = Field(default_factory=dict)

    class Config:
        extra = "forbid"

    @validator("supported", each_item=True)
    def _iso_code(cls, code: str) -> str:  # noqa: N805 - pydantic validators take cls
        if not regex.fullmatch(r"[a-z]{2}", code):
            raise ValueError(f"{code!r} is not an ISO 639-1 code like 'en' or 'nl'")
        return code

    @root_validator(skip_on_failure=True)
    def _default_is_supported(cls, values: Dict[str, Any]) -> Dict[str, Any]:  # noqa: N805
        if values["default"] not in values["supported"]:
            raise ValueError(f"default {values['default']!r} is not among supported {values['supported']}")
        return values


def load_languages(directory: Optional[Path] = None) -> Languages:
    path = (directory or settings().policies_dir) / "languages.yml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LanguageError(f"{path}: cannot read it: {exc}") from exc
    override = os.environ.get("CANDOR_DEFAULT_LANGUAGE", "").strip()
    if override and isinstance(raw, dict):
        raw = {**raw, "default": override}
    try:
        return Languages.parse_obj(raw)
    except ValidationError as exc:
        problems = "; ".join(f"field '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors())
        raise LanguageError(f"{path}: {problems}") from exc


@functools.lru_cache(maxsize=8)
def languages_in(directory: str) -> Languages:
    """`languages.yml` of a policies directory, read once per process."""
    return load_languages(Path(directory))


def languages() -> Languages:
    return languages_in(str(settings().policies_dir))


@functools.lru_cache(maxsize=4)
def _detector(codes: Tuple[str, ...], distance: float) -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    if len(chosen) == 1:
        return None
    return LanguageDetectorBuilder.from_languages(*chosen).with_minimum_relative_distance(distance).build()


def detect(text: Optional[str]) -> Optional[str]:
    """The supported language `text` is written in, or None when it is too short or the
    detector is not sure (the conversation then keeps its language)."""
    if not text:
        return None
    words = _WORD.findall(_PLACEHOLDER.sub(" ", text[:2000]))
    config = languages()
    if len(words) < MIN_WORDS or sum(len(w) for w in words) < MIN_LETTERS:
        return _by_short_words(words, config)
    if len(words) <= 3:
        short = _by_short_words(words, config)
        if short is not None:
            return short
    detector = _detector(tuple(config.supported), config.min_relative_distance)
    if detector is None:
        return config.supported[0]
    found = detector.detect_language_of(" ".join(words))
    return found.iso_code_639_1.name.lower() if found is not None else None


def _by_short_words(words: List[str], config: Languages) -> Optional[str]:
    """The one language whose short-word list holds every word, else None."""
    if not words:
        return None
    said = {w.lower() for w in words}
    matches = [code for code, listed in config.short_words.items()
               if code in config.supported and said <= {w.lower() for w in listed}]
    return matches[0] if len(matches) == 1 else None


def hinted(metadata: Any) -> Optional[str]:
    """A supported language the client names in its metadata (`language`, or rasa-webchat's
    `customData.language`), e.g. "nl" or "nl-BE"."""
    if not isinstance(metadata, dict):
        return None
    for holder in (metadata, metadata.get("customData")):
        if isinstance(holder, dict) and isinstance(holder.get("language"), str):
            code = holder["language"].strip().lower()[:2]
            if code in languages().supported:
                return code
    return None


def language_of(tracker: Any) -> str:
    """The conversation's language (slot `language`), else the default. Works with Rasa's
    and rasa_sdk's trackers alike."""
    value = tracker.get_slot(SLOT) if tracker is not None else None
    return value if value in languages().supported else languages().default


def say(dispatcher: Any, tracker: Any, text: Any, **kwargs: Any) -> None:
    """`dispatcher.utter_message` with a policy text in the conversation's language."""
    from bot.guardrails.texts import text_in

    dispatcher.utter_message(text=text_in(text, language_of(tracker)), **kwargs)
