"""IBANs of every country in the current IBAN registry (python-stdnum), as customers type
them: compact or in groups of four, upper or lower case, with spaces or dashes."""
from __future__ import annotations

from typing import List, Optional

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from stdnum import iban

from bot.pii.recognizers.base import CandorEntityRecognizer, PATTERN_TIMEOUT, finding

CANDIDATE = regex.compile(
    r"(?<![\w])[a-z]{2}\d{2}(?:[ -]?[a-z0-9]{1,4}){3,9}(?![\w])", regex.IGNORECASE
)


class CandorIbanRecognizer(CandorEntityRecognizer):
    """Country code, check digits and account, validated against the registry (length, format, mod-97)."""

    ENTITY = "IBAN_CODE"
    CONTEXT = ["iban", "account", "rekening", "bank"]

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        results = []
        for match in CANDIDATE.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True):
            start, end = match.span()
            # Try the whole candidate, then without its trailing group(s): "... 00 please".
            while end - start >= 15:
                if iban.is_valid(text[start:end]):
                    results.append(finding(self, start, end, EntityRecognizer.MAX_SCORE, "IBAN registry"))
                    break
                end = max(text.rfind(" ", start, end), text.rfind("-", start, end))
                if end <= start:
                    break
        return results
