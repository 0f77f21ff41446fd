"""Passport and identity-card numbers after their name, in any country's format.

Presidio's own passport recognizers are per country and mostly need a context word anyway;
customers write "passport number NW92BD4K1" or "paspoortnummer: XR1234567".
"""
from __future__ import annotations

from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer

CUE = (
    r"passport|paspoort|passeport|reisepass|pasnummer|paspoortnummer|documentnummer|"
    r"document number|id card|id-card|identity card|identiteitskaart|id-kaart|id kaart|"
    r"identiteitsbewijs|rijbewijs(?:nummer)?|driving licen[cs]e|driver'?s licen[cs]e|id number|id nr"
)


class PassportRecognizer(CandorPatternRecognizer):
    """Six to nine letters and digits, at least one digit, after a passport or ID cue."""

    ENTITY = "PASSPORT"
    PATTERNS = [
        Pattern(
            "after a document cue",
            rf"(?<=\b(?:{CUE})\b[\s:#=-]*(?:(?:number|nummer|nr|no|num)\.?[\s:#=-]*)?(?:(?:is|was)\s+)?)"
            r"(?=[A-Z]*\d)[A-Z0-9]{6,10}\b",
            0.85,
        )
    ]
    CONTEXT = ["passport", "paspoort", "id"]
