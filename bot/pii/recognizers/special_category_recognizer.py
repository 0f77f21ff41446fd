"""Special categories of personal data (GDPR art. 9): health, religion, origin, and so on.

One recognizer per category, built from the word lists in `policies/pii.yml`, so that
conversation designers can extend them without code.
"""
from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer


class SpecialCategoryRecognizer(PatternRecognizer):
    """Finds the words and phrases of one special category (`HEALTH`, `RELIGION`, ...)."""

    SCORE = 1.0  # curated word lists: they win over a guess that the words are a name

    def __init__(self, entity: str, pattern: re.Pattern, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=entity,
            name=f"SpecialCategoryRecognizer({entity})",
            patterns=[Pattern(entity.lower(), pattern.pattern, self.SCORE)],
            supported_language=supported_language,
            global_regex_flags=re.IGNORECASE | re.MULTILINE | re.DOTALL,
        )
