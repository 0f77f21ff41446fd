"""Customer-facing texts in every supported language.

In `policies/*.yml` a text is a mapping from language code to text:

    is_bot_answer:
      en: Yes, I'm an AI assistant ...
      nl: Ja, ik ben een AI-assistent ...

The loader turns each into a `Localized`: a `str` (the default language's text, so logs,
tests and code that only knows English keep working) that also holds every translation;
`.in_(language)` gives the one to send. `format`, `squeezed` and `join` keep the
translations. A text that lacks a supported language stops the loader, naming file, field
and language.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from bot.guardrails.errors import PolicyError


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


def squeeze(value: Any) -> Any:
    """Whitespace runs made single spaces, keeping translations."""
    return value.squeezed() if isinstance(value, Localized) else " ".join(str(value).split())


def localize(content: Any, path: Path, supported: Sequence[str], default: str, where: Optional[List[str]] = None) -> Any:
    """Every {language: text} mapping in `content` (a mapping whose keys are all supported
    language codes) made a Localized text; one that lacks a supported language is an error."""
    where = where or []
    if isinstance(content, dict):
        keys = set(content)
        if keys and keys <= set(supported) and all(isinstance(v, str) for v in content.values()):
            missing = [code for code in supported if not str(content.get(code) or "").strip()]
            if missing:
                raise PolicyError(path, ".".join(where) or "(top level)",
                                  f"no text in language '{missing[0]}' (every text needs {', '.join(supported)})")
            return Localized({code: content[code] for code in supported}, default)
        return {k: localize(v, path, supported, default, where + [str(k)]) for k, v in content.items()}
    if isinstance(content, list):
        return [localize(v, path, supported, default, where + [str(i)]) for i, v in enumerate(content)]
    return content


def unlocalized(content: Any, schema: Dict[str, Any], where: Optional[List[str]] = None) -> Iterable[str]:
    """Paths of customer-facing fields (schema `"say": true`) that are not Localized."""
    where = where or []
    if schema.get("say") and isinstance(content, str) and not isinstance(content, Localized):
        yield ".".join(where)
        return
    if isinstance(content, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in content.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else {})
            yield from unlocalized(value, sub, where + [str(key)])
    elif isinstance(content, list) and isinstance(schema.get("items"), dict):
        for index, value in enumerate(content):
            yield from unlocalized(value, schema["items"], where + [str(index)])
