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
from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorPatternRecognizer
from bot.pii.words import (
    PARTICLES,
    is_known_first_name,
    looks_like_first_name,
    name_breakers,
    stop_words,
)

NAME_WORDS = r"\p{L}[\p{L}'\u2019-]+(?:[ \t]+\p{L}[\p{L}'\u2019-]+){0,3}"
STRONG = (
    r"my name is|my name's|my names|name's|name on the (?:account|order|card|parcel|package) is|"
    r"(?:the )?name is|mijn naam is|ik heet|de naam is|call me|name:|naam:|"
    # Titles: "mr kathryn hardy", "mevrouw de vries".
    r"mr\.?|mrs\.?|ms\.?|miss|mx\.?|dr\.?|meneer|mevrouw|mevr\.?|dhr\.?"
)
# Sign-offs: "kind regards, kathryn hardy", "met vriendelijke groet, jan jansen".
SIGN_OFF = r"regards|kind regards|best regards|best wishes|sincerely|cheers|thanks|thank you|groeten|groet|vriendelijke groet|mvg|gr"
WEAK = r"this is|it's|its|it is|i'm|im|i am|ik ben|hier is|dit is"
class PersonCueRecognizer(CandorPatternRecognizer):
    """Names after (or before) a cue, in any letter case."""

    ENTITY = "PERSON"
    PATTERNS = [
        Pattern("strong cue", rf"(?<=\b(?:{STRONG})[ \t:,]+){NAME_WORDS}", 0.95),
        Pattern("weak cue", rf"(?<=\b(?:{WEAK})[ \t,]+){NAME_WORDS}", 0.9),
        Pattern("sign-off", rf"(?<=\b(?:{SIGN_OFF})[ \t]*[,.!:-]?\s+){NAME_WORDS}", 0.9),
        Pattern("trailing cue", rf"\b{NAME_WORDS}(?=[ \t,]+(?:here|speaking|hier)\b)", 0.9),
        # No cue, but written as a full name: "Can Erkan Tevetoğlu pick it up?"
        # A whole message that is just a name ("kathryn hardy"), e.g. answering a question.
        # Scored low so that a name found by a cue inside it is not dropped as a duplicate.
        Pattern("bare name", rf"^\W*{NAME_WORDS}\W*$", 0.55),
        # Case-sensitive on purpose ((?-i:...)): Presidio matches case-insensitively.
        Pattern("full name", r"(?-i:\b\p{Lu}[\p{Ll}\p{Lu}'\u2019-]+(?:[ \t]+(?:\p{Ll}{1,3}[ \t]+){0,2}\p{Lu}[\p{Ll}'\u2019-]+){1,3})", 0.5),
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
        for result in super().analyze(text, entities, nlp_artifacts, regex_flags):
            name = result.analysis_explanation.pattern_name if result.analysis_explanation else ""
            span = self._trim(
                text, result.start, result.end, from_right=name == "trailing cue", both=name == "full name"
            )
            if span is None:
                continue
            start, end = span
            name_words = text[start:end].split()
            if name == "bare name":
                if len(name_words) < 2 or not is_known_first_name(name_words[0]) or any(
                    w.lower() in stop_words() for w in name_words
                ):
                    continue
            elif name == "full name":
                # Names of every origin count, known to the first-name list or not; brands
                # after an article ("the Samsung Galaxy") are let go by the engine.
                if len(name_words) < 2 or not looks_like_first_name(name_words[0]):
                    continue
            elif name != "strong cue" and not looks_like_first_name(name_words[0]):
                continue
            result.start, result.end = start, end
            # The engine reads which cue found the name (Presidio drops pattern names later).
            result.recognition_metadata = {**(result.recognition_metadata or {}), "pattern": name}
            found.append(result)
        return found

    @staticmethod
    def _trim(text: str, start: int, end: int, from_right: bool, both: bool = False) -> Optional[tuple]:
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
            if word in name_breakers():
                break
            kept.append((word_start, word_end))
        while kept and text[kept[-1][0]:kept[-1][1]].lower() in PARTICLES:
            kept.pop()
        if not kept:
            return None
        if from_right:
            kept.reverse()
        return kept[0][0], kept[-1][1]
