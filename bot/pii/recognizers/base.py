"""Shared constructor for Candor's pattern recognizers: class constants as defaults."""
from __future__ import annotations

from typing import List, Optional

from presidio_analyzer import Pattern, PatternRecognizer


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
