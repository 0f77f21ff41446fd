"""Shared constructor for Candor's pattern recognizers: class constants as defaults."""
from __future__ import annotations

from typing import List, Optional

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
