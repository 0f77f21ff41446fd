"""Dutch citizen service number (burgerservicenummer, BSN), checked with python-stdnum's eleven-test."""
from __future__ import annotations

from presidio_analyzer import Pattern
from stdnum.nl import bsn

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
        digits = "".join(c for c in pattern_text if c.isdigit())
        return int(digits or 0) > 0 and bsn.is_valid(digits.zfill(9))
