"""IBANs as customers type them: compact or in groups of four, upper or lower case (mod-97 checked)."""
from __future__ import annotations

from typing import List, Optional

import regex
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import IbanRecognizer

# Presidio's patterns are case-sensitive on purpose (made case-insensitive they match
# "is 59..." and swallow the real IBAN after it). Lower-case IBANs get this strict shape.
CANDIDATE = regex.compile(
    r"(?<![\w])[a-z]{2}\d{2}(?:[ -]?[a-z0-9]{4}){2,7}(?:[ -]?[a-z0-9]{1,3})?(?![\w])",
    regex.IGNORECASE,
)


class CandorIbanRecognizer(IbanRecognizer):
    """Presidio's IBAN recognizer plus lower-case IBANs, all checked with Presidio's mod-97 validation."""

    def analyze(
        self,
        text: str,
        entities: List[str],
        nlp_artifacts: Optional[NlpArtifacts] = None,
        regex_flags: Optional[int] = None,
    ) -> List[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts)
        for match in CANDIDATE.finditer(text):
            start, end = match.span()
            if any(r.start <= start < r.end for r in results):
                continue
            # Try the whole candidate, then without its trailing group(s).
            while end - start >= 15:
                if self.validate_result(text[start:end].upper()):
                    results.append(
                        RecognizerResult(
                            self.supported_entities[0],
                            start,
                            end,
                            EntityRecognizer.MAX_SCORE,
                            analysis_explanation=PatternRecognizer.build_regex_explanation(
                                self.name, "lower-case IBAN", CANDIDATE.pattern,
                                EntityRecognizer.MAX_SCORE, True, CANDIDATE.flags,
                            ),
                            recognition_metadata={
                                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            },
                        )
                    )
                    break
                end = max(text.rfind(" ", start, end), text.rfind("-", start, end))
                if end <= start:
                    break
        return results
