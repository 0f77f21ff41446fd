"""Shared constructor for Candor's pattern recognizers: class constants as defaults, and the
time limit every pattern (Presidio's own included) runs under."""
from __future__ import annotations

from typing import Any, Iterable, List, Optional

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult


class CandorPatternRecognizer(PatternRecognizer):
    """A PatternRecognizer whose subclasses declare ENTITY, PATTERNS and CONTEXT."""

    ENTITY: str = ""
    PATTERNS: List[Pattern] = []
    CONTEXT: List[str] = []

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "en",
        supported_entity: Optional[str] = None,
    ) -> None:
        super().__init__(
            supported_entity=supported_entity or self.ENTITY,
            patterns=patterns or self.PATTERNS,
            context=context or self.CONTEXT,
            supported_language=supported_language,
        )


class CandorEntityRecognizer(EntityRecognizer):
    """A recognizer with its own matching code: subclasses declare ENTITY (and CONTEXT) and
    implement `analyze`; nothing to load."""

    ENTITY: str = ""
    CONTEXT: List[str] = []

    def __init__(self, context: Optional[List[str]] = None, supported_language: str = "en") -> None:
        super().__init__(supported_entities=[self.ENTITY], name=type(self).__name__,
                         supported_language=supported_language, context=context or self.CONTEXT)

    def load(self) -> None:
        pass


def finding(recognizer: EntityRecognizer, start: int, end: int, score: float, how: str) -> RecognizerResult:
    """A RecognizerResult as Presidio's own recognizers build it (with an explanation, which
    its context enhancer needs), naming how it was found in `recognition_metadata`."""
    return RecognizerResult(
        recognizer.supported_entities[0], start, end, score,
        analysis_explanation=AnalysisExplanation(
            recognizer=recognizer.name, original_score=score, pattern_name=how,
        ),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
            "pattern": how,
        },
    )


# No pattern may search one message for longer than this: past it, `regex` raises
# TimeoutError and the analysis fails closed (the message is withheld, a human takes over).
PATTERN_TIMEOUT = 1.0


class BoundedPattern:
    """A compiled pattern whose searches stop at PATTERN_TIMEOUT and let other threads run
    meanwhile (`concurrent`: the event loop is not held while a pattern grinds)."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def finditer(self, text: str, *args: Any, **kwargs: Any) -> Any:
        return self.compiled.finditer(text, *args, timeout=PATTERN_TIMEOUT, concurrent=True, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled, name)


def bound_patterns(recognizers: Iterable[EntityRecognizer]) -> None:
    """Give every pattern of these recognizers (Presidio's `Pattern.compiled_regex`, which its
    PatternRecognizer reuses when the flags match) a time limit. Presidio's own URL pattern
    takes 25 s on 4,000 characters of "a.a.a." without one."""
    for recognizer in recognizers:
        flags = getattr(recognizer, "global_regex_flags", None)
        for pattern in getattr(recognizer, "patterns", None) or []:
            pattern.compiled_with_flags = flags
            pattern.compiled_regex = BoundedPattern(regex.compile(pattern.regex, flags=flags))
