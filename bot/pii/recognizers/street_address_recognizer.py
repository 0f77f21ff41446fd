"""Street addresses with a postcode, Dutch and English (UK and US) formats."""
from __future__ import annotations

from typing import List, Optional

import regex
from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorPatternRecognizer
from bot.pii.words import stop_words

# Street words carry no full stop (it ends a sentence) and are never ordinary little words,
# so "165 and deliver to 31806 ..." cannot start an address; city words may ("St. Jacob").
NOT_A_NAME = r"(?!(?:and|or|to|the|for|at|in|of|my|is|it|on|en|naar|also|ook|re|about|please|pls|send|deliver|call|mail|thanks|because|but|maar)\b)"
WORD = rf"{NOT_A_NAME}\p{{L}}[\p{{L}}'\u2019-]*"
CITY_WORD = rf"{NOT_A_NAME}(?:'s-)?\p{{L}}[\p{{L}}'.\u2019-]*"
NL_POSTCODE = r"[1-9]\d{3}[ \t]?(?!SA|SD|SS)[A-Za-z]{2}"
UK_POSTCODE = r"[A-Za-z]{1,2}\d[A-Za-z\d]?[ \t]*\d[A-Za-z]{2}"
US_ZIP = r"(?:[A-Za-z]{2}[ \t]+)?\d{5}(?:-\d{4})?"
HOUSE_NUMBER = r"(?<![\d.:/])\d{1,5}(?:[ \t-]?[A-Za-z](?![\p{L}]))?(?:[ -]\d{1,4})?"
UNIT = r"(?:,?[ \t]*(?:apt|apartment|suite|ste|unit|flat|#)\.?[ \t]*#?\w+)?"
CITY = rf"(?:,?\s+{CITY_WORD}(?:[ \t]+{CITY_WORD}){{0,2}})"
NL_STREET_SUFFIX = (
    r"straat|laan|weg|plein|gracht|kade|singel|dijk|pad|steeg|hof|park|dreef|markt|"
    r"plantsoen|baan|wal|ring|boulevard|allee|erf|hoek|veld|zijde|straatweg|dam|dwarsstraat"
)
EN_STREET_SUFFIX = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|crescent|way|court|ct|place|pl|"
    r"square|sq|terrace|boulevard|blvd|gardens|grove|mews|row|walk|hill|parkway|highway"
)


class StreetAddressRecognizer(CandorPatternRecognizer):
    """`Kerkstraat 12, 1234 AB Amsterdam`, `12 Baker Street, London NW1 6XE`, `141 Main St, Springfield, IL 62704`."""

    ENTITY = "STREET_ADDRESS"
    PATTERNS = [
        # Dutch: street (1-4 words) + number (+ letter/addition) + postcode + city.
        Pattern(
            "NL address",
            rf"\b{WORD}(?:[ \t]+{WORD}){{0,3}}[ \t]+{HOUSE_NUMBER},?\s+{NL_POSTCODE}\b{CITY}?",
            0.6,
        ),
        # English: number + street (1-4 words) + optional unit + optional city + postcode.
        Pattern(
            "UK/US address",
            rf"\b{HOUSE_NUMBER}[ \t]+{WORD}(?:[ \t]+{WORD}){{0,3}}{UNIT}{CITY}?,?\s+(?:{UK_POSTCODE}|{US_ZIP})\b",
            0.6,
        ),
        # Without a postcode, a street name with a typical suffix and a house number.
        Pattern(
            "NL street and number",
            rf"\b{WORD}(?:[ \t]+{WORD}){{0,2}}?(?:{NL_STREET_SUFFIX})[ \t]+{HOUSE_NUMBER}\b",
            0.5,
        ),
        Pattern(
            "UK/US number and street",
            rf"\b{HOUSE_NUMBER}[ \t]+{WORD}(?:[ \t]+{WORD}){{0,2}}?[ \t]+(?:{EN_STREET_SUFFIX})\b\.?",
            0.5,
        ),
    ]
    CONTEXT = ["address", "adres", "street", "straat", "live", "woon", "deliver", "postcode", "zip"]

    def analyze(
        self,
        text: str,
        entities: List[str],
        nlp_artifacts: Optional[NlpArtifacts] = None,
        regex_flags: Optional[int] = None,
    ) -> List[RecognizerResult]:
        """Presidio's matching, then leading cue words ("i live at") are cut off."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            for word in regex.finditer(r"\S+", text[result.start:result.end]):
                if word.group().lower().strip(",:.") not in stop_words():
                    result.start += word.start()
                    break
        return results
