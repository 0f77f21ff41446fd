"""Dutch citizen service number (burgerservicenummer, BSN), checked with the eleven-test."""
from __future__ import annotations

from typing import List, Optional

from presidio_analyzer import Pattern, PatternRecognizer


class NlBsnRecognizer(PatternRecognizer):
    """Nine digits (or eight, with the leading zero dropped) that pass the eleven-test."""

    PATTERNS = [
        Pattern("BSN (plain)", r"\b\d{8,9}\b", 0.3),
        Pattern("BSN (grouped)", r"\b\d{3}[ .-]\d{3}[ .-]\d{3}\b|\b\d{4}[ .-]\d{2}[ .-]\d{3}\b", 0.3),
    ]
    CONTEXT = ["bsn", "burgerservicenummer", "sofinummer", "citizen service number"]

    def __init__(
        self,
        patterns: Optional[List[Pattern]] = None,
        context: Optional[List[str]] = None,
        supported_language: str = "en",
        supported_entity: str = "NL_BSN",
    ) -> None:
        super().__init__(
            supported_entity=supported_entity,
            patterns=patterns or self.PATTERNS,
            context=context or self.CONTEXT,
            supported_language=supported_language,
        )

    def validate_result(self, pattern_text: str) -> bool:
        digits = [int(c) for c in pattern_text if c.isdigit()]
        if len(digits) == 8:
            digits = [0] + digits
        if len(digits) != 9 or not any(digits):
            return False
        total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1))) - digits[8]
        return total % 11 == 0
