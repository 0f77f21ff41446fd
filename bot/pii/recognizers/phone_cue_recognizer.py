"""Phone numbers that Presidio's phone recognizer lets through, and the Dutch, Belgian and
French numbers it does not look for.

Presidio keeps only numbers that Google's phonenumbers library calls *valid*; customers
also type numbers with impossible prefixes or from fictional ranges, a letter o for a
zero, or read the digits out ("nul zes een twee ..."). Found here:
- after a cue ("phone", "bel me op", "mobiel"), anything phone-shaped (phonenumbers'
  POSSIBLE leniency, or 7-15 digits in a phone layout);
- without a cue, a number in a clear phone layout (+country code, or a leading 0 with
  groups: "020-555 0199", "06 1234 5678");
- seven or more digits spoken in English or Dutch words.
"""
from __future__ import annotations

from typing import List, Optional

import phonenumbers
import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorEntityRecognizer, PATTERN_TIMEOUT, finding

CUE = regex.compile(
    r"\b(?:phone|mobile|mob|cell|cellphone|tel|tele?phone|telefoon|telefoonnummer|telnr|"
    r"nummer|number|nr|no|bel|bellen|call|ring|text|sms|whatsapp|app|fax|reach|bereikbaar|"
    r"contact|mobiel|gsm|06|messages?|texts?|registered|geregistreerd|sms'?jes|berichten)\b[^\n\d]{0,25}$",
    regex.IGNORECASE,
)
# Digits with the separators people use, and a letter o standing for a zero between digits.
SHAPE = regex.compile(
    r"(?<![\w+/.-])(?:\+|00)?\(?[0-9oO]{1,4}\)?(?:[ .\-/]{0,2}\(?[0-9oO]{1,5}\)?){1,6}(?![\w/])"
)
LAYOUT = regex.compile(
    r"^(?:(?:\+|00)\d{1,3}[ .-]?(?:\(0\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,5}){1,4}"
    r"|\(?0\d{1,4}\)?[ .-]?\d{2,5}(?:[ .-]?\d{2,5}){0,3}|0[1-9]\d{8})$"
)
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "nul": "0", "een": "1", "één": "1", "eén": "1", "twee": "2", "drie": "3", "vier": "4",
    "vijf": "5", "zes": "6", "zeven": "7", "acht": "8", "negen": "9",
}
WORD = "|".join(sorted((w for w in DIGIT_WORDS if len(w) > 1), key=len, reverse=True))
SPOKEN = regex.compile(
    rf"(?<!\w)(?:(?:{WORD}|double \w+|dubbel \w+|\d)[ ,.\-]*){{6,}}(?:{WORD}|\d)(?!\w)", regex.IGNORECASE
)
REGIONS = ("NL", "BE", "DE", "GB", "US", "FR")
# "723 813 266 office", "468 788 096-Office", "929-4808534 fax"
AFTER = regex.compile(r"^[ \t]*[-/,(]?[ \t]*(?:office|fax|mobile|cell|home|work|tel|phone|landline|kantoor|thuis|mobiel|werk)\b", regex.IGNORECASE)


def digits_of(candidate: str) -> str:
    """The digits of a phone-shaped candidate, a letter o read as zero."""
    return regex.sub(r"\D", "", regex.sub(r"(?<=[\d\s.\-()])[oO]|[oO](?=[\d\s.\-()]*\d)", "0", candidate))


class PhoneCueRecognizer(CandorEntityRecognizer):
    """Phone numbers after a cue, in a phone layout, or spoken as words."""

    ENTITY = "PHONE_NUMBER"

    def _result(self, start: int, end: int, score: float, how: str) -> RecognizerResult:
        return finding(self, start, end, score, how)

    @staticmethod
    def _possible(candidate: str) -> bool:
        for region in REGIONS:
            try:
                if phonenumbers.is_possible_number(phonenumbers.parse(candidate, region)):
                    return True
            except phonenumbers.NumberParseException:
                continue
        return False

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        results = []
        for match in SHAPE.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            candidate = match.group().strip(" .-/")
            start = match.start() + match.group().index(candidate)
            digits = digits_of(candidate)
            if not 6 <= len(digits) <= 15 or not any(c.isdigit() for c in candidate):
                continue
            plain = regex.sub(r"[oO]", "0", candidate)
            cue = CUE.search(text[max(0, start - 40):start]) is not None or AFTER.match(text[start + len(candidate):]) is not None
            if len(digits) < 7 and not (cue and regex.search(r"\d[ .-]\d", candidate)):
                continue  # six digits only in a phone layout after a cue: "registered 87 47 98"
            if cue and len(digits) <= 8:
                results.append(self._result(start, start + len(candidate), 0.7, "after a cue"))
                continue
            if cue and (self._possible(plain) or LAYOUT.match(plain)):
                results.append(self._result(start, start + len(candidate), 0.7, "after a cue"))
            elif LAYOUT.match(plain) and (regex.search(r"[ .\-()/]", candidate) or candidate.startswith(("+", "00"))
                                          or regex.fullmatch(r"0[1-9]\d{8}", plain)):
                results.append(self._result(start, start + len(candidate), 0.6, "phone layout"))
        for match in SPOKEN.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            tokens = regex.findall(r"\w+", match.group())
            spoken = [DIGIT_WORDS.get(t.lower(), t) for t in tokens]
            said = sum(1 for t in tokens if not t.isdigit())
            if said >= 4 and sum(len(w) for w in spoken if w.isdigit()) >= 7:
                results.append(self._result(match.start(), match.end(), 0.7, "spoken digits"))
        return results
