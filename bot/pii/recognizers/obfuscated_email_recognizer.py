"""E-mail addresses written out or broken so that no e-mail pattern sees them.

"piet dot jansen at gmail dot com", "name[at]ziggo.nl", "jan apenstaartje ziggo punt nl",
"kim @ example.org", "user@xn--mnchen-3ya.de": the separators are normalised and the
rebuilt address must end in a real public suffix (tldextract's bundled list).
"""
from __future__ import annotations

from typing import List, Optional

import regex
import tldextract
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from bot.pii.recognizers.base import CandorEntityRecognizer, PATTERN_TIMEOUT, finding

DOT = r"(?:\s*\.\s*|\s*[\[({]\s*(?:dot|punt|\.)\s*[\])}]\s*|\s+(?:dot|punt)\s+)"
AT = r"(?:\s*@\s*|\s*[\[({]\s*(?:at|@|apenstaartje)\s*[\])}]\s*|\s+(?:at|apenstaartje|apestaart|at-sign|at sign|at-teken)\s+)"
PART = r"[\w+-]+"
ADDRESS = regex.compile(
    rf"(?<![\w.@-]){PART}(?:{DOT}{PART}){{0,3}}{AT}{PART}(?:{DOT}{PART}){{1,3}}(?![\w@-])",
    regex.IGNORECASE,
)
SEPARATOR_DOT = regex.compile(DOT, regex.IGNORECASE)
SEPARATOR_AT = regex.compile(AT, regex.IGNORECASE)


class ObfuscatedEmailRecognizer(CandorEntityRecognizer):
    """E-mail addresses with spelled-out or bracketed separators, or spaces around "@"."""

    ENTITY = "EMAIL_ADDRESS"
    SCORE = 0.8

    @staticmethod
    def rebuild(candidate: str) -> Optional[str]:
        """The plain address for `candidate`, or None when its ending is no public suffix."""
        parts = SEPARATOR_AT.split(candidate, maxsplit=1)
        if len(parts) != 2:
            return None
        local, domain = (SEPARATOR_DOT.sub(".", p.strip()) for p in parts)
        suffix = tldextract.extract(domain)
        if not suffix.suffix or not suffix.domain:
            return None
        return f"{local}@{domain}".lower()

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        results = []
        for match in ADDRESS.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            if self.rebuild(match.group()) is None:
                continue
            results.append(finding(self, match.start(), match.end(), self.SCORE, "written out"))
        return results
