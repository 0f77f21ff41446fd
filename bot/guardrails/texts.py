"""Customer-facing texts in every supported language.

In `policies/*.yml` a text is a mapping from language code to text:

    is_bot_answer:
      en: Yes, I'm an AI assistant ...
      nl: Ja, ik ben een AI-assistent ...

The policy models (`Say` fields, bot/guardrails/model.py) turn each into a `Localized`: a
`str` (the default language's text, so logs, tests and code that only knows English keep
working) that also holds every translation; `.in_(language)` gives the one to send.
`format`, `squeezed` and `join` keep the translations. A text that lacks a supported
language stops the loader, naming file, field and language.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence



class Localized(str):
    """A text in every supported language; as a `str`, the default language's."""

    texts: Dict[str, str]
    default: str

    def __new__(cls, texts: Dict[str, str], default: str) -> "Localized":
        made = super().__new__(cls, texts[default])
        made.texts = dict(texts)
        made.default = default
        return made

    def __reduce__(self) -> Any:  # pickled by Rasa's graph cache and by deepcopy
        return (Localized, (self.texts, self.default))

    def in_(self, language: Optional[str]) -> str:
        """The text in `language` (the default language's when it has none)."""
        return self.texts.get(language or self.default, self.texts[self.default])

    def format(self, *args: Any, **kwargs: Any) -> "Localized":  # type: ignore[override]
        return Localized({code: text.format(*args, **kwargs) for code, text in self.texts.items()}, self.default)

    def squeezed(self) -> "Localized":
        """Runs of whitespace (YAML folding) made single spaces, in every language."""
        return Localized({code: " ".join(text.split()) for code, text in self.texts.items()}, self.default)

    @staticmethod
    def join(separator: str, parts: Sequence[Any]) -> "Localized":
        """`separator.join(parts)` per language (plain strings are the same in each)."""
        localized = [p for p in parts if isinstance(p, Localized)]
        if not localized:
            return separator.join(str(p) for p in parts)  # type: ignore[return-value]
        default = localized[0].default
        codes = sorted({code for p in localized for code in p.texts})
        return Localized({code: separator.join(p.in_(code) if isinstance(p, Localized) else str(p) for p in parts)
                          for code in codes}, default)


def text_in(value: Any, language: Optional[str]) -> str:
    """`value` in `language` when it is a Localized text, else as it is."""
    return value.in_(language) if isinstance(value, Localized) else str(value)
