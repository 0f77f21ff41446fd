"""Person names as customers type them in chat: lower case or all caps, after a cue.

spaCy's small English model finds capitalised names in running text; customers write
"this is kathryn hardy speaking", "MY NAME IS KATHRYN HARDY" or "ik ben jan de vries".
After a strong cue ("my name is", "name on the account is", "mijn naam is") the next words
are taken as the name; after a weak cue ("i'm", "this is", "ik ben", "... here") the first
word must also look like a name: a known first name (gender-guesser's international list)
or a word that is not in an English dictionary (english-words), so "i'm tired" stays.
"""
from __future__ import annotations

from typing import List, Optional

import regex
from presidio_analyzer import EntityRecognizer, Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorPatternRecognizer, PATTERN_TIMEOUT, finding
from bot.pii.words import (
    PARTICLES,
    is_calendar_word,
    is_common_word,
    is_frequent_word,
    is_known_first_name,
    looks_like_first_name,
    name_breakers,
    stop_words,
)

# A name word: "Ana", "o'neill", "Jansen-de", initials "A.J.", particles "'t" and "d'Hondt".
TOKEN = r"(?:(?:\p{L}\.){1,3}(?![\p{L}])|'t|[dD]['\u2019]\p{L}+|\p{L}[\p{L}'\u2019-]*\p{L})"
NAME_WORDS = rf"{TOKEN}(?:[ \t]+{TOKEN}){{0,4}}"
CAPITAL_TOKEN = r"(?-i:(?:\p{Lu}\.){1,3}(?!\p{L})|\p{Lu}[\p{Ll}'\u2019-]*\p{Ll}(?:-\p{Lu}?[\p{Ll}'\u2019]+)?)"
# Cues after which the next words are the name, whatever they look like; they also win
# over the brand and place lists ("my name is Paul Smith").
NAME_CUE = (
    r"my name is|my name's|my names|name's|name on the (?:account|order|card|parcel|package|invoice) is|"
    r"(?:the |a )?name (?:is|should be|must be|needs to be|moet zijn|moet worden)|"
    r"mijn naam is|ik heet|de naam is|call me|name:|naam:|full name|volledige naam|"
    r"t\.?\s?n\.?\s?v\.?|t\.?\s?a\.?\s?v\.?|ter attentie van|ten name van|op naam van|in the name of|"
    r"on behalf of|namens|attn\.?|attention|c/o|care of|addressed to|gericht aan|voor:|for:"
)
# Titles: "mr kathryn hardy", "mevrouw de vries" (names, but a title is no name cue for a
# brand: "Dr. Oetker").
STRONG = r"mr\.?|mrs\.?|ms\.?|miss|mx\.?|dr\.?|prof\.?|meneer|mevrouw|mevr\.?|dhr\.?|mw\.?|juffrouw|sir|madam"
# Sign-offs: "kind regards, kathryn hardy", "groetjes, jan", "Best, Ana", "thx - Joost".
SIGN_OFF = (
    r"regards|kind regards|best regards|warm regards|best wishes|sincerely|cheers|thanks|thank you|"
    r"thx|tx|ty|best|love|xo|xx|x|groeten|groet|groetjes|vriendelijke groet|hartelijke groet|mvg|m\.v\.g\.|"
    r"gr|grtz|grts|groetjes van|liefs|doei|dank|bedankt|dankjewel|vr gr"
)
WEAK = (
    r"hi|hello|hey|hiya|dear|beste|hoi|hallo|goedemorgen|goedemiddag|goedenavond|this is|it's|its|it is|i'm|im|i am|ik ben|hier is|dit is|u spreekt met|je spreekt met|"
    r"should be|moet zijn|signed|ondertekend|"
    # "met jan de vries" (a Dutch call or message opening).
    r"^\W*met|"
    # Relatives and others: "my wife Anna", "mijn zoon Daan", "my neighbour, Mr Jones".
    r"(?:my|our|mijn|onze|ons) (?:wife|husband|partner|son|daughter|mother|mom|mum|father|dad|brother|"
    r"sister|friend|girlfriend|boyfriend|neighbou?r|colleague|grandmother|grandfather|grandma|grandpa|"
    r"granny|aunt|uncle|cousin|niece|nephew|child|kid|baby|fianc[eé]e?|boss|manager|flatmate|roommate|"
    r"vrouw|man|zoon|dochter|moeder|mama|mam|vader|papa|pap|broer|broertje|zus|zusje|vriend|vriendin|"
    r"buurman|buurvrouw|buren|collega|oma|opa|tante|oom|neef|nicht|kind|kindje|baas|verloofde|huisgenoot|"
    r"schoonmoeder|schoonvader|zwager|schoonzus)(?: is| heet| called| named)?,?"
)
FULL_NAME_PATTERN = (
    r"(?-i:\b(?:(?:\p{Lu}\.){1,3}|\p{Lu}[\p{Ll}\p{Lu}'\u2019-]+)"
    # middle initials: "Christina N Lauritsen", "Villads N. Steffensen"
    r"(?:[ \t]+\p{Lu}\.?(?=[ \t]))*"
    r"(?:[ \t]+(?:(?:\p{Ll}{1,3}|'t|d')[ \t]+){0,3}(?:\p{Lu}\.)*(?:[dD]['\u2019])?\p{Lu}[\p{Ll}'\u2019-]+){1,3})"
)
FULL_NAME = regex.compile(FULL_NAME_PATTERN)
PERSON_VERBS = (
    r"is|was|had|has|have|said|says|shouted|spent|began|begins|and|will|would|can|could|told|asked|"
    r"wants|wanted|lives|lived|works|worked|called|calls|wrote|writes|from|of|met|gave|took|"
    r"heeft|zei|zegt|woont|werkt|belde|schreef|en|van|uit|is"
)


def _has_surname(name_words: List[str]) -> bool:
    """A capitalised word after the first that is no common word: "Job Schuylenborch" is a
    name although "job" is a word; "Very Happy" is not."""
    return any(
        w[:1].isupper() and len(w.strip(".,!?")) > 1 and not is_common_word(w.strip(".,!?"), ("en", "nl"), 300)
        for w in name_words[1:]
    )


class PersonCueRecognizer(CandorPatternRecognizer):
    """Names after (or before) a cue, in any letter case."""

    ENTITY = "PERSON"
    PATTERNS = [
        Pattern("name cue", rf"(?<=\b(?:{NAME_CUE})[ \t:,]+){NAME_WORDS}", 0.95),
        Pattern("strong cue", rf"(?<=\b(?:{STRONG})[ \t:,]+){NAME_WORDS}", 0.95),
        Pattern("weak cue", rf"(?<=\b(?:{WEAK})[ \t,]+){NAME_WORDS}", 0.9),
        Pattern("sign-off", rf"(?<=\b(?:{SIGN_OFF})[ \t]*[,.!:-]?\s+){NAME_WORDS}", 0.9),
        Pattern("trailing cue", rf"\b{NAME_WORDS}(?=[ \t,]+(?:here|speaking|hier)\b|[ \t]+x{{1,3}}[ \t!.]*$)", 0.9),
        # No cue, but written as a full name: "Can Erkan Tevetoğlu pick it up?"
        # A whole message that is just a name ("kathryn hardy"), e.g. answering a question.
        # Scored low so that a name found by a cue inside it is not dropped as a duplicate.
        Pattern("bare name", rf"(?<=^\W*){NAME_WORDS}(?=\W*$)", 0.55),
        # Case-sensitive on purpose ((?-i:...)): Presidio matches case-insensitively.
        Pattern("full name", FULL_NAME_PATTERN, 0.5),
        # Names in a list: "They had three: Ana, Ingrid and Joost".
        Pattern("name list", rf"(?-i:\b{CAPITAL_TOKEN}(?:,[ \t]*{CAPITAL_TOKEN})+,?[ \t]+(?:and|en|&|or|of|und|et)[ \t]+{CAPITAL_TOKEN})", 0.6),
        # One capitalised first name inside a sentence: "Why is Liisa so impulsive?"
        Pattern("first name", rf"(?<=[\p{{Ll}}\d,;][ \t]+){CAPITAL_TOKEN}", 0.5),
        # A name that starts a sentence or a line and does what people do: "Emil shouted
        # at", "Csanád had given", "Renátó, can I", "Arya: What a wife".
        Pattern(
            "name at the start",
            rf"(?<=(?:^|[.!?;]\s+|\n)[\W_]{{0,4}}){CAPITAL_TOKEN}(?=\s*[,:]|\s+(?:{PERSON_VERBS})\b)",
            0.5,
        ),
    ]
    CONTEXT: List[str] = []

    def analyze(
        self,
        text: str,
        entities: List[str],
        nlp_artifacts: Optional[NlpArtifacts] = None,
        regex_flags: Optional[int] = None,
    ) -> List[RecognizerResult]:
        found = []
        for result in self._matches(text):
            name = result.analysis_explanation.pattern_name if result.analysis_explanation else ""
            span = self._trim(
                text, result.start, result.end, from_right=name == "trailing cue",
                both=name in ("full name", "name list", "first name", "bare name", "weak cue", "sign-off"),
                keep_all=name == "name list",
            )
            if span is None:
                continue
            start, end = span
            name_words = text[start:end].split()
            if name == "bare name":
                bare_ok = len(name_words) >= 2 and is_known_first_name(name_words[0]) and not any(
                    w.lower() in stop_words() for w in name_words
                )
                full_ok = len(name_words) >= 2 and FULL_NAME.fullmatch(text[start:end]) is not None \
                    and looks_like_first_name(name_words[0])
                if not (bare_ok or full_ok):
                    continue
            elif name == "full name":
                # Names of every origin count, known to the first-name list or not; brands
                # after an article ("the Samsung Galaxy") are let go by the engine.
                if len(name_words) < 2 or not (looks_like_first_name(name_words[0]) or _has_surname(name_words)):
                    continue
            elif name == "name list":
                names = [w.strip(",") for w in name_words if w.strip(",") not in ("and", "en", "&", "or", "of", "und", "et")]
                if sum(is_known_first_name(w) for w in names) < 2:
                    continue
            elif name == "name at the start":
                word = name_words[0]
                if len(name_words) != 1 or is_calendar_word(word) or is_frequent_word(word):
                    continue
                if not is_known_first_name(word) and (is_common_word(word, ("en", "nl"), 300) or word.isascii() and not word.istitle()):
                    continue
                if not is_known_first_name(word) and word.isascii() and is_common_word(word, ("en",), 1):
                    continue
            elif name == "first name":
                word = name_words[0]
                if len(name_words) != 1 or not is_known_first_name(word) or is_calendar_word(word) \
                        or is_frequent_word(word):
                    continue
            elif name not in ("strong cue", "name cue") and not (
                looks_like_first_name(name_words[0]) or (name_words[0][:1].isupper() and _has_surname(name_words))
            ):
                continue
            result.start, result.end = start, end
            # The engine reads which cue found the name (Presidio drops pattern names later).
            result.recognition_metadata = {**(result.recognition_metadata or {}), "pattern": name}
            found.append(result)
        return EntityRecognizer.remove_duplicates(found)

    def _matches(self, text: str) -> List[RecognizerResult]:
        """Every match of every pattern. Presidio's own matching drops a match contained in
        a larger one of the same score before this recognizer can check either: "hello,
        I'm Ilse Salmen" would lose the name (after "I'm") to the match after "hello"."""
        if not hasattr(self, "_compiled"):
            flags = regex.IGNORECASE | regex.MULTILINE | regex.DOTALL
            self._compiled = [(p, regex.compile(p.regex, flags)) for p in self.patterns]
        results = []
        for pattern, compiled in self._compiled:
            for match in compiled.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
                if match.end() > match.start():
                    results.append(finding(self, match.start(), match.end(), pattern.score, pattern.name))
        return results

    @staticmethod
    def _trim(text: str, start: int, end: int, from_right: bool, both: bool = False, keep_all: bool = False) -> Optional[tuple]:
        """Keep the name words next to the cue; stop at the first ordinary word."""
        words = [(m.start() + start, m.end() + start) for m in regex.finditer(r"\S+", text[start:end])]
        if both:  # no cue: skip ordinary words in front ("Can", "Yesterday", "Please let")
            while words and text[words[0][0]:words[0][1]].lower() in stop_words() | {"yesterday", "today", "tomorrow", "let"}:
                words.pop(0)
        if from_right:
            words.reverse()
        kept = []
        for word_start, word_end in words:
            word = text[word_start:word_end].lower()
            if word in name_breakers() and not (keep_all and word in ("and", "or", "of", "en", "&")):
                break
            kept.append((word_start, word_end))
        while kept and text[kept[-1][0]:kept[-1][1]].lower() in PARTICLES:
            kept.pop()
        if not kept:
            return None
        if from_right:
            kept.reverse()
        return kept[0][0], kept[-1][1]
