"""Word lists the recognizers share: stop words (spaCy), first names (gender-guesser), an English dictionary (english-words)."""
from __future__ import annotations

import functools
from typing import FrozenSet

# Words that may sit inside a name ("jan de vries", "fatima el amrani").
PARTICLES = frozenset(
    "van de der den ter ten te het la le el al bin ibn von da di du dos del mac mc op".split()
)
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


def is_ordinary_word(word: str) -> bool:
    """A stop word, or an English dictionary word that is not also a known first name."""
    word = word.lower().strip("'\u2019-.,!?")
    if word in stop_words() or word in NOT_NAMES:
        return True
    return word in _dictionary() and _first_names().get_gender(word) == "unknown"


def looks_like_first_name(word: str) -> bool:
    """A known first name from many countries, or at least not an ordinary English word."""
    word = word.lower().strip("'\u2019-")
    if len(word) < 2 or word in stop_words() or word in NOT_NAMES:
        return False
    if is_known_first_name(word):
        return True
    # "i'm refunded", "i'm waiting": verb forms are not names (Ahmed and Fred are known).
    return not word.endswith(("ing", "ed")) and word not in _dictionary()


def is_known_first_name(word: str) -> bool:
    """In gender-guesser's international list of first names."""
    return _first_names().get_gender(word.lower().strip("'\u2019-.,!?")) != "unknown"


def warm_up() -> None:
    """Load the word lists now (at engine build), not on a customer's first message."""
    stop_words()
    name_breakers()
    _first_names()
    _dictionary()
