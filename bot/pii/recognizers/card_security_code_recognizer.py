"""Card security codes (CVV/CVC/CID): three or four digits right after their name."""
from __future__ import annotations

from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer

CUE = (
    r"cvv2?|cvc2?|cid|csc|cvn|security code|card code|card verification(?: code| value)?|"
    r"verification code|beveiligingscode|veiligheidscode|kaartcode|controlecode|"
    r"code on the back|code achterop"
)


class CardSecurityCodeRecognizer(CandorPatternRecognizer):
    """`cvv 123`, `CVC: 0420`, `beveiligingscode is 987`."""

    ENTITY = "CARD_SECURITY_CODE"
    PATTERNS = [
        Pattern("after a card-code cue", rf"(?<=\b(?:{CUE})\b[\s:=#-]*(?:(?:is|was|=)\s+)?)\d{{3,4}}\b", 0.9)
    ]
    CONTEXT = ["cvv", "cvc", "security", "card"]
