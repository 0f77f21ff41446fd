"""National identity numbers of the countries Candor serves, checked with python-stdnum.

- Belgium: the national register number (rijksregisternummer, YY.MM.DD-NNN.CC) and the BIS
  number, whose check digits python-stdnum verifies (`stdnum.be.nn`, `stdnum.be.bis`).
- United Kingdom: the driving licence number (surname, date of birth, initials and check
  characters: MORGA753116SM9IJ); its date part is checked. The National Insurance number
  is Presidio's own UkNinoRecognizer (off in Presidio's default set; on here).
(The Dutch BSN is NlBsnRecognizer.)
"""
from __future__ import annotations

import datetime as dt

from presidio_analyzer import Pattern
from stdnum.be import bis, nn

from bot.pii.recognizers.base import CandorPatternRecognizer


class BeNationalNumberRecognizer(CandorPatternRecognizer):
    """Eleven digits, grouped as Belgians write them or not, that pass the check digits."""

    ENTITY = "BE_NATIONAL_NUMBER"
    PATTERNS = [
        Pattern("BE national number (grouped)", r"\b\d{2}([ .-]?)\d{2}\1\d{2}[ .-]?\d{3}[ .-]?\d{2}\b", 0.3),
    ]
    CONTEXT = ["rijksregisternummer", "rijksregister", "national number", "numéro national", "insz", "bis"]

    def validate_result(self, pattern_text: str) -> bool:
        digits = "".join(c for c in pattern_text if c.isdigit())
        return len(digits) == 11 and (nn.is_valid(digits) or bis.is_valid(digits))


class UkDrivingLicenceRecognizer(CandorPatternRecognizer):
    """Five letters of the surname (padded with 9), six digits of the birth date (month + 50
    for women), two initials (padded with 9), a digit and two check letters."""

    ENTITY = "UK_DRIVING_LICENCE"
    PATTERNS = [
        Pattern("UK driving licence", r"(?i)\b[A-Z][A-Z9]{4}\d{6}[A-Z9]{2}\d[A-Z]{2}(?:\s?\d{2})?\b", 0.3),
    ]
    CONTEXT = ["driving licence", "driving license", "licence", "license", "rijbewijs"]

    def validate_result(self, pattern_text: str) -> bool:
        digits = pattern_text[5:11]
        if not digits.isdigit():
            return False
        month = int(digits[1:3])
        month = month - 50 if month > 50 else month
        try:
            dt.date(2000 + int(digits[0] + digits[5]) % 100, month, int(digits[3:5]))
        except ValueError:
            return False
        return True
