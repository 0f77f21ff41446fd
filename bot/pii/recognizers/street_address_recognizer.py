"""Street addresses: Dutch, Belgian, German, UK/US and international layouts.

With a postcode ("Kerkstraat 12, 1234 AB Amsterdam", "Meir 1 bus 2, 2000 Antwerpen",
"Hauptstraße 17, 10115 Berlin", "12 Baker Street, London NW1 6XE"), without one when the
street has a typical suffix or prefix ("Hauptstraße 17", "Via Leopardi 83", "742 Evergreen
Terrace"), a Dutch postcode with only a house number ("1234 AB 12"), and apartment or
suite lines ("Apt. 559", "Suite 303").
"""
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
NL_POSTCODE = r"(?<!\d)[1-9]\d{3}[ \t]?(?!SA|SD|SS)[A-Za-z]{2}"
UK_POSTCODE = r"[A-Za-z]{1,2}\d[A-Za-z\d]?[ \t]*\d[A-Za-z]{2}"
US_ZIP = r"(?:[A-Za-z]{2}[ \t]+)?\d{5}(?:-\d{4})?"
BE_DE_POSTCODE = r"(?:[BD]-)?[1-9]\d{3,4}"
# House number with an addition: "12a", "1-A", "7-III", "88-hs", "231 bis", "12 bus 2".
HOUSE_NUMBER = (
    r"(?<![\d.:/])\d{1,5}(?:(?:[ \t]?-[ \t]?|[ \t]?)(?:hs|bis|ter|huis|bg|hg|rood|zwart|boven|beneden|"
    r"I{1,3}|IV|[A-Za-z])(?![\p{L}]))?(?:[ -]\d{1,4}(?![\d-]))?(?:[ \t]+(?:bus|box|bte)[ \t]*\d{1,4}[A-Za-z]?)?"
)
UNIT_WORDS = r"apt|apartment|appartement|suite|ste|unit|flat|floor|fl|room|rm|bus|box|verdieping|#"
UNIT = rf"(?:,?[ \t\n]*(?:{UNIT_WORDS})\.?[ \t]*#?\w+)?"
CITY = rf"(?:,?\s+{CITY_WORD}(?:[ \t]+{CITY_WORD}){{0,2}})"
NL_STREET_SUFFIX = (
    r"straat|laan|weg|plein|gracht|kade|singel|dijk|pad|steeg|hof|park|dreef|markt|"
    r"plantsoen|baan|wal|ring|boulevard|allee|erf|hoek|veld|zijde|straatweg|dam|dwarsstraat|"
    r"steenweg|lei|dreef|kaai|vest|"
    r"straße|strasse|str\.|gasse|platz|damm|ufer|chaussee|stieg|pfad"
)
STREET_PREFIX = (
    r"via|viale|rua|calle|avenida|av\.|avda\.?|rue|avenue|av|boulevard|bd|chemin|place|plaza|"
    r"piazza|corso|largo|travessa|ulica|ul\.|carrer|paseo|rambla|camino"
)
EN_STREET_SUFFIX = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|crescent|way|court|ct|place|pl|"
    r"square|sq|terrace|boulevard|blvd|gardens|grove|mews|row|walk|hill|parkway|highway|"
    r"heights|circle|cir|trail|trl|park|point|pike|ridge|run|view|vista|crossing|loop|plaza|"
    r"path|alley|route|rte|estates|meadows|landing"
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
        # Belgian and German: street + number (+ bus) + 4 or 5 digit postcode + city (required).
        Pattern(
            "BE/DE address",
            rf"\b{WORD}(?:[ \t]+{WORD}){{0,3}}[ \t]+{HOUSE_NUMBER},?\s+{BE_DE_POSTCODE}[ \t]+{CITY_WORD}(?:[ \t]+{CITY_WORD}){{0,2}}\b",
            0.6,
        ),
        # International: "Via Leopardi 83", "Rua Arapiraca 1943", "Rue de la Paix 12".
        Pattern(
            "street prefix and number",
            rf"\b(?:{STREET_PREFIX})[ \t]+{WORD}(?:[ \t]+{WORD}){{0,3}}[ \t]+{HOUSE_NUMBER}\b",
            0.5,
        ),
        # A Dutch postcode with a house number, nothing else: "1234 AB 12", "1234AB, 7-III".
        Pattern(
            "NL postcode and number",
            rf"\b{NL_POSTCODE}[ \t]*,?[ \t]*(?:(?:nr|no|huisnummer|huisnr)\.?[ \t]*)?{HOUSE_NUMBER}\b",
            0.6,
        ),
        Pattern(
            "NL number and postcode",
            rf"\b{HOUSE_NUMBER}[ \t]*,?[ \t]*{NL_POSTCODE}\b",
            0.5,
        ),
        # An apartment or suite line on its own.
        Pattern("unit line", r"\b(?:apt|apartment|appartement|suite|ste|unit|flat)\.?[ \t]*#?\d{1,5}[A-Za-z]?\b", 0.5),
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
                plain = word.group().lower().strip(",:")
                if plain.strip(".") not in stop_words() or regex.fullmatch(STREET_PREFIX, plain):
                    result.start += word.start()
                    break
        return results
