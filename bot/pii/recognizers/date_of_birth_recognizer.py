"""Dates of birth: a date next to a birth cue, before it ("born on 12-03-1985") or after it
("12/03/1985 is my birthday"), a year of birth ("born in 1998"), a birthday without a year
("jarig op 12 maart").

Dates in general are business data here (delivery dates) and stay; a date of birth is
personal, so this type is marked `beats_allow_list` in policies/pii.yml.
"""
from __future__ import annotations

from presidio_analyzer import Pattern

from bot.pii.recognizers.base import CandorPatternRecognizer

CUE = (
    r"born(?: on)?|date of birth|birth ?date|dob|d\.o\.b\.?|birthday(?: is)?(?: on)?|"
    r"geboren(?: op)?|geboortedatum|geboorte ?datum|geb\.? ?datum|geb\.?|"
    r"verjaardag(?: is)?(?: op)?|jarig(?: op)?|date de naissance|geburtsdatum"
)
AFTER_CUE = (
    r"(?:is |was )?(?:my |mijn |his |her |zijn |haar )?(?:date of birth|birth ?date|birthday|dob|d\.o\.b\.?|"
    r"geboortedatum|verjaardag|geb\.? ?datum)|(?:is |was )?(?:when |the day )?(?:i was|he was|she was|ik ben|hij is|zij is) (?:born|geboren)"
)
MONTHS = (
    r"jan(?:uary|uari)?|feb(?:ruary|ruari)?|mar(?:ch)?|maart|apr(?:il)?|may|mei|june?|juni|"
    r"july?|juli|aug(?:ust|ustus)?|sep(?:t|tember)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE = (
    r"(?:\d{1,2}[-/. ]\d{1,2}[-/. ](?:19|20)?\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|e)?[ ]+(?:of[ ]+)?(?:{MONTHS})\.?[ ,]+(?:19|20)\d{{2}}"
    rf"|(?:{MONTHS})\.?[ ]+\d{{1,2}}(?:st|nd|rd|th)?,?[ ]+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2})"
)
DAY_MONTH = rf"(?:\d{{1,2}}(?:st|nd|rd|th|e)?[ ]+(?:of[ ]+)?(?:{MONTHS})|(?:{MONTHS})[ ]+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}[-/.]\d{{1,2}})"


class DateOfBirthRecognizer(CandorPatternRecognizer):
    """A date that follows or precedes a date-of-birth cue, or a year of birth."""

    ENTITY = "DATE_OF_BIRTH"
    PATTERNS = [
        Pattern("date after a birth cue", rf"(?<=\b(?:{CUE})\s*[:=]?\s*(?:is\s+)?){DATE}\b", 0.85),
        Pattern("date before a birth cue", rf"\b{DATE}(?=\s*[,:(\-]?\s*(?:{AFTER_CUE})\b)", 0.85),
        Pattern("year of birth", r"(?<=\b(?:born|geboren|geb\.?|year of birth|geboortejaar|bouwjaar ik)\s*(?:in|on|:)?\s*)(?:19|20)\d{2}\b", 0.85),
        Pattern("birthday without a year", rf"(?<=\b(?:birthday(?: is)?(?: on)?|jarig(?: op)?|verjaardag(?: is)?(?: op)?|born on|geboren op)\s*[:=]?\s*){DAY_MONTH}\b", 0.8),
    ]
    CONTEXT = ["born", "birth", "geboren", "dob"]
