"""Dates of birth: a date right after a cue ("born on", "date of birth", "geboren op").

Dates in general are business data here (delivery dates) and stay; a date of birth is
personal, so this type is marked `beats_allow_list` in policies/pii.yml.
"""
from __future__ import annotations

from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer

CUE = (
    r"born(?: on)?|date of birth|birth ?date|dob|d\.o\.b\.?|birthday(?: is)?|"
    r"geboren(?: op)?|geboortedatum|geb\.?"
)
MONTHS = (
    r"jan(?:uary|uari)?|feb(?:ruary|ruari)?|mar(?:ch)?|maart|apr(?:il)?|may|mei|june?|juni|"
    r"july?|juli|aug(?:ust|ustus)?|sep(?:t|tember)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE = (
    r"(?:\d{1,2}[-/. ]\d{1,2}[-/. ](?:19|20)?\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ ]+(?:{MONTHS})[ ,]+(?:19|20)\d{{2}}"
    rf"|(?:{MONTHS})[ ]+\d{{1,2}}(?:st|nd|rd|th)?,?[ ]+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2}-\d{2}-\d{2})"
)


class DateOfBirthRecognizer(CandorPatternRecognizer):
    """A date that follows a date-of-birth cue."""

    ENTITY = "DATE_OF_BIRTH"
    PATTERNS = [Pattern("date after a birth cue", rf"(?<=\b(?:{CUE})\s*[:=]?\s*(?:is\s+)?){DATE}\b", 0.85)]
    CONTEXT = ["born", "birth", "geboren", "dob"]
