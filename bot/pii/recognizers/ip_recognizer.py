"""IP addresses, including compressed IPv6 that Presidio's pattern stops short of ("2001:db8::1")."""
from __future__ import annotations

from typing import List, Optional

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import IpRecognizer

REST_OF_ADDRESS = regex.compile(r"[0-9A-Fa-f:.]*")


class CandorIpRecognizer(IpRecognizer):
    """Presidio's IP recognizer; each finding is extended to the end of its address."""

    def analyze(
        self,
        text: str,
        entities: List[str],
        nlp_artifacts: Optional[NlpArtifacts] = None,
        regex_flags: Optional[int] = None,
    ) -> List[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            result.end += REST_OF_ADDRESS.match(text, result.end).end() - result.end
        return results
