"""Log-in details typed into the chat: user names, passwords and PINs after their name.

"my password is Zomer2024!", "login: k.devries pw: geheim123", "mijn wachtwoord is
appeltaart99", "pin 4821". After an explicit "is", ":" or "=" the next word is the value
unless it says something about the credential ("my password is wrong", "mijn wachtwoord is
vergeten"); a word that looks like a credential (a digit, a symbol or a capital inside it)
always counts, any other word only when it is not an ordinary English or Dutch word
("password reset", "betalen met pin", "login page" stay).
"""
from __future__ import annotations

from typing import List, Optional

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import PATTERN_TIMEOUT, CandorEntityRecognizer, finding
from bot.pii.words import is_ordinary_word

CUE = (
    r"pass ?words?|passwd|passcode|pwd|pw|pincode|pin ?code|pin|log-?in(?: ?name| ?id)?|"
    r"user ?names?|user ?id|userid|gebruikersnaam|gebruikers naam|inlognaam|inlogcode|inlog|"
    r"wachtwoord(?:en)?|ww|toegangscode|access code"
)
VALUE = regex.compile(
    rf"(?i)\b(?:{CUE})\b(?P<sep>\s*(?:[:=]|\b(?:is|was|zijn|wordt|luidt|to|naar|in)\b|\s-\s)\s*|[ \t]+)(?P<value>[^\s,;]+)"
)
# What customers say about a credential, not the credential itself.
ABOUT = frozenset("""
    wrong incorrect invalid expired blocked locked reset changed forgotten forgot lost gone not
    working correct right ok okay same too still also and or but for with the a an my your it
    that this of to in on at by be no none new old weak strong short long empty missing required
    needed sent fout onjuist ongeldig verlopen geblokkeerd vergeten kwijt gewijzigd veranderd
    niet nog ook en of maar voor met de het een mijn je uw dat dit van te op bij geen nieuw oud
    zwak sterk kort lang leeg verplicht nodig gestuurd
""".split())
TRAILING = ".,!?)\"'"
# Characters that make a word look like a user name or password ("k.devries", "Zomer!x");
# not an apostrophe or hyphen ("doesn't", "e-mail").
SYMBOLS = frozenset("._@!#$%&*+=/\\~^")


class CredentialRecognizer(CandorEntityRecognizer):
    """A user name, password or PIN right after its name (see the module docstring)."""

    ENTITY = "CREDENTIAL"
    CONTEXT = ["password", "wachtwoord", "login", "username", "pin"]

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        results = []
        for match in VALUE.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            value = match.group("value")
            start = match.start("value")
            core = value.rstrip(TRAILING) or value
            word = core.lower()
            if len(core) < 3 or word in ABOUT or VALUE.fullmatch(core):
                continue
            symbolic = any(c.isdigit() or c in SYMBOLS for c in core) or any(c.isupper() for c in core[1:])
            if not symbolic and is_ordinary_word(core, ("en", "nl"), 300):
                continue
            # A final "!" may be part of the password; a full stop or comma ends the sentence.
            end = start + len(value.rstrip(".,?)\"'"))
            results.append(finding(self, start, end, 0.9, "after a credential cue"))
        return results
