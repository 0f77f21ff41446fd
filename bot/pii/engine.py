"""Presidio analyzer + anonymizer configured from `policies/pii.yml`.

Built once per process (`engine()`), lazily: loading spaCy takes a few seconds. Nothing
here touches the network: the spaCy model is an installed package, and tldextract (used
by Presidio's e-mail recognizer) is pointed at its bundled public-suffix snapshot.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tldextract
from presidio_analyzer import AnalyzerEngine, Pattern, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from bot.guardrails.loader import PiiPolicy, pii_policy
from bot.pii import words
from bot.pii.recognizers import (
    CandorIbanRecognizer,
    CandorIpRecognizer,
    DateOfBirthRecognizer,
    NlBsnRecognizer,
    PersonCueRecognizer,
    SpecialCategoryRecognizer,
    StreetAddressRecognizer,
)

PHONE_REGIONS = ("NL", "BE", "DE", "GB", "US", "FR")
# Presidio's card patterns predate Mastercard's 2-series; any 13-19 digits that pass Luhn.
CARD_ANY_ISSUER = Pattern("card (any issuer)", r"\b\d(?:[ -]?\d){12,18}\b", 0.3)
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")
# A capitalised "name" right after an article or possessive is almost always a product or
# brand ("the Samsung Galaxy", "my Dyson V15"); people are not spoken of that way.
PRODUCT_CONTEXT = re.compile(
    r"\b(?:the|a|an|this|that|these|those|my|your|our|een|de|het|die|deze|mijn|jullie)\s+$",
    re.IGNORECASE,
)


def use_bundled_suffix_list() -> None:
    """Make tldextract use the public-suffix list shipped in the package, never a download."""
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
    )


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a text."""

    entity_type: str
    start: int
    end: int
    score: float
    text: str


class Placeholders:
    """Typed, numbered placeholders for one conversation; the same value keeps its number.

    Values are looked up by `hasher(entity_type, folded value)`; the conversation store
    passes a keyed hash, so the mapping can be persisted without the values.
    """

    def __init__(
        self,
        known: Optional[Dict[Tuple[str, str], str]] = None,
        hasher: Callable[[str, str], str] = lambda entity_type, folded: folded,
    ) -> None:
        self.known: Dict[Tuple[str, str], str] = dict(known or {})
        self.added: Dict[Tuple[str, str], str] = {}
        self.hasher = hasher

    @staticmethod
    def fold(entity_type: str, value: str) -> str:
        folded = value.casefold().strip()
        if entity_type in ("PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "NL_BSN"):
            return re.sub(r"[^0-9a-z+]", "", folded)
        return " ".join(folded.split())

    def placeholder(self, entity_type: str, value: str) -> str:
        key = (entity_type, self.hasher(entity_type, self.fold(entity_type, value)))
        if key not in self.known:
            used = sum(1 for (kind, _) in self.known if kind == entity_type)
            self.known[key] = self.added[key] = f"<{entity_type}_{used + 1}>"
        return self.known[key]


@dataclass(frozen=True)
class Masked:
    text: str
    findings: List[Finding]
    placeholders: List[str]


def _subtract(span: Tuple[int, int], holes: Sequence[Tuple[int, int]]) -> List[Tuple[int, int]]:
    pieces = [span]
    for hole_start, hole_end in holes:
        next_pieces = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                next_pieces.append((start, end))
                continue
            if start < hole_start:
                next_pieces.append((start, hole_start))
            if hole_end < end:
                next_pieces.append((hole_end, end))
        pieces = next_pieces
    return pieces


def _merge(text: str, findings: List[Finding], prefer: frozenset = frozenset()) -> List[Finding]:
    """Overlapping findings become one, typed as the longest: no fragment is left unmasked.
    A type in `prefer` (special-category data, GDPR art. 9) keeps its type when merged."""
    merged: List[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            longest = last if (last.end - last.start) >= (finding.end - finding.start) else finding
            if finding.entity_type in prefer and last.entity_type not in prefer:
                longest = finding
            elif last.entity_type in prefer and finding.entity_type not in prefer:
                longest = last
            start, end = last.start, max(last.end, finding.end)
            merged[-1] = Finding(longest.entity_type, start, end, max(last.score, finding.score), text[start:end])
        else:
            merged.append(finding)
    return merged


def _with_surname(text: str, end: int) -> int:
    """spaCy often tags only the first name in lower-case text ("kathryn" of "kathryn
    hardy"): take the next word too unless it clearly is not part of a name."""
    match = re.match(r"[ \t]+([^\W\d_][\w'\u2019-]*)", text[end:])
    if not match:
        return end
    word = match.group(1).lower()
    if word in words.name_breakers() or word.endswith(("ing", "ed", "s")) or word in words.NOT_NAMES:
        return end
    return end + match.end()


def _drop_ordinary(text: str, start: int, end: int, from_ner: bool) -> Optional[Tuple[int, int]]:
    """None when every word of a supposed name is an ordinary word ("MY NAME IS", "im
    waiting", "paypal"); otherwise the span unchanged: cutting a name short would leak part
    of it, masking a word too many costs nothing."""
    spans = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    tokens = [text[start + a:start + b] for a, b in spans]
    if not tokens or all(words.is_ordinary_word(t) for t in tokens):
        return None
    # On lower-case text spaCy's small model calls many words names ("praat", "ya");
    # there, a name needs a known first name (names after a cue come from the cue recognizer).
    if from_ner and text[start:end].islower() and not any(words.is_known_first_name(t) for t in tokens):
        return None
    return start, end


class PiiEngine:
    """Finds and masks personal data as `policies/pii.yml` says."""

    def __init__(self, policy: PiiPolicy) -> None:
        # Presidio's debug log quotes fragments of the analysed text ("Context list is:
        # ..."), which no masking can reliably catch: keep it to warnings and errors.
        logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
        use_bundled_suffix_list()
        words.warm_up()
        self.policy = policy
        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": policy.language, "model_name": policy.spacy_model}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": {"PERSON": "PERSON", "PER": "PERSON"},
                    "labels_to_ignore": ["ORG", "GPE", "LOC", "DATE", "TIME", "MONEY",
                                         "CARDINAL", "ORDINAL", "QUANTITY", "PRODUCT",
                                         "NORP", "FAC", "EVENT", "WORK_OF_ART", "LAW",
                                         "LANGUAGE", "PERCENT"],
                },
            }
        ).create_engine()
        context = policy.context
        registry = RecognizerRegistry(supported_languages=[policy.language])
        for recognizer in (
            SpacyRecognizer(supported_entities=["PERSON"]),
            PersonCueRecognizer(),
            EmailRecognizer(),
            PhoneRecognizer(context=list(context.get("PHONE_NUMBER", ())) or None,
                            supported_regions=PHONE_REGIONS),
            CandorIbanRecognizer(context=list(context.get("IBAN_CODE", ())) or None),
            CreditCardRecognizer(
                patterns=CreditCardRecognizer.PATTERNS + [CARD_ANY_ISSUER]
            ),
            CandorIpRecognizer(),
            NlBsnRecognizer(context=list(context.get("NL_BSN", ())) or None),
            StreetAddressRecognizer(context=list(context.get("STREET_ADDRESS", ())) or None),
            DateOfBirthRecognizer(),
            *(SpecialCategoryRecognizer(entity, pattern, policy.language)
              for entity, pattern in policy.special_categories.items()),
        ):
            registry.add_recognizer(recognizer)
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=[policy.language]
        )
        self.anonymizer = AnonymizerEngine()
        self.entities = [e for e, rule in policy.entities.items() if rule.operator != "keep"]

    def analyze(self, text: str) -> List[Finding]:
        """Personal data in `text`: above each type's threshold, outside business identifiers, no overlaps."""
        if not text or not text.strip():
            return []
        results = self.analyzer.analyze(text=text, language=self.policy.language, entities=self.entities)
        allowed = [m.span() for p in self.policy.allow_list.values() for m in p.finditer(text)]
        allowed += [m.span() for m in PLACEHOLDER.finditer(text)]
        candidates = []
        for result in results:
            if result.entity_type not in self.policy.entities:
                continue  # a recognizer for a type pii.yml does not list
            if result.score < self.policy.entities[result.entity_type].threshold:
                continue
            # A business identifier at the edge of (or covering) a finding is cut out of it;
            # one strictly inside a finding ("eur39" in an e-mail address) is not.
            rule = self.policy.entities[result.entity_type]
            holes = [] if rule.beats_allow_list else [
                (a, b) for a, b in allowed if a <= result.start or b >= result.end
            ]
            for start, end in _subtract((result.start, result.end), holes):
                piece = text[start:end]
                stripped = piece.strip(" \t,.;:!?[]'\"")
                if "(" not in stripped:
                    stripped = stripped.strip(")")
                if ")" not in stripped:
                    stripped = stripped.strip("(")
                if not re.search(r"\w", stripped):
                    continue
                start += piece.index(stripped)
                end = start + len(stripped)
                if result.entity_type == "PERSON":
                    from_ner = (result.recognition_metadata or {}).get("recognizer_name") == "SpacyRecognizer"
                    pattern = (result.recognition_metadata or {}).get("pattern")
                    if (from_ner or pattern == "full name") and PRODUCT_CONTEXT.search(text[:start]):
                        continue  # "the Samsung Galaxy", "a Tommy Hilfiger jacket": a product
                    # After "my name is" / "mr" even a dictionary word is a name ("mr smith").
                    trimmed = (start, end) if pattern == "strong cue" else _drop_ordinary(text, start, end, from_ner)
                    if trimmed is None:
                        continue
                    start, end = trimmed
                    if from_ner and text[start:end].islower():
                        end = _with_surname(text, end)
                candidates.append(Finding(result.entity_type, start, end, result.score, text[start:end]))
        return _merge(text, candidates, frozenset(self.policy.special_categories))

    def mask(self, text: str, placeholders: Optional[Placeholders] = None) -> Masked:
        """`text` with every finding replaced by its conversation placeholder (Presidio operators)."""
        placeholders = placeholders if placeholders is not None else Placeholders()
        findings = self.analyze(text)
        if not findings:
            return Masked(text, [], [])
        # Numbered in order of appearance, before Presidio calls the operators (it also
        # calls them once with a dummy value to validate them).
        chosen: Dict[str, Dict[str, str]] = {}
        for f in findings:
            chosen.setdefault(f.entity_type, {})[f.text] = placeholders.placeholder(f.entity_type, f.text)
        operators = {
            entity: OperatorConfig(
                "custom", {"lambda": lambda value, table=table: table.get(value, "<PII>")}
            )
            for entity, table in chosen.items()
        }
        result = self.anonymizer.anonymize(
            text=text,
            analyzer_results=[
                RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in findings
            ],
            operators=operators,
        )
        return Masked(result.text, findings, [item.text for item in sorted(result.items, key=lambda i: i.start)])


@functools.lru_cache(maxsize=2)
def _engine(policies_dir: Optional[str]) -> PiiEngine:
    return PiiEngine(pii_policy(Path(policies_dir) if policies_dir else None))


def engine(policies_dir: Optional[Path] = None) -> PiiEngine:
    """The process's PII engine, built on first use from `policies/pii.yml`."""
    return _engine(str(policies_dir) if policies_dir else None)
