"""Dutch citizen service number (burgerservicenummer, BSN), checked with the eleven-test."""
from __future__ import annotations


from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer


class NlBsnRecognizer(CandorPatternRecognizer):
    """Nine digits (or eight, with the leading zero dropped) that pass the eleven-test."""

    ENTITY = "NL_BSN"
    PATTERNS = [
        Pattern("BSN (plain)", r"\b\d{8,9}\b", 0.3),
        Pattern("BSN (grouped)", r"\b\d{3}[ .-]\d{3}[ .-]\d{3}\b|\b\d{4}[ .-]\d{2}[ .-]\d{3}\b", 0.3),
    ]
    CONTEXT = ["bsn", "burgerservicenummer", "sofinummer", "citizen service number"]

    def validate_result(self, pattern_text: str) -> bool:
        digits = [int(c) for c in pattern_text if c.isdigit()]
        if len(digits) == 8:
            digits = [0] + digits
        if len(digits) != 9 or not any(digits):
            return False
        total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1))) - digits[8]
        return total % 11 == 0
