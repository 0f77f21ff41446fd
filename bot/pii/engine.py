"""Presidio analyzer + anonymizer configured from `policies/pii.yml`.

Built once per process (`engine()`), lazily: loading spaCy takes a few seconds. Nothing
here touches the network: the spaCy model is an installed package, and tldextract (used
by Presidio's e-mail recognizer) is pointed at its bundled public-suffix snapshot.
"""
from __future__ import annotations

import functools
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import regex
import tldextract
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, Pattern, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, UkNinoRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from bot.config import masking_off_for_benchmark
from bot.pii.policy import Operator, PiiPolicy, pii_policy
from bot.pii import words
from bot.pii.recognizers.base import PATTERN_TIMEOUT, bound_patterns
from bot.pii.recognizers import (
    AddressBlockRecognizer,
    BeNationalNumberRecognizer,
    CandorIbanRecognizer,
    CandorIpRecognizer,
    CardSecurityCodeRecognizer,
    CredentialRecognizer,
    DateOfBirthRecognizer,
    LocationRecognizer,
    NlBsnRecognizer,
    ObfuscatedEmailRecognizer,
    PassportRecognizer,
    PersonCueRecognizer,
    PhoneCueRecognizer,
    SocialHandleRecognizer,
    SpecialCategoryRecognizer,
    StreetAddressRecognizer,
    TitledNameRecognizer,
    UkDrivingLicenceRecognizer,
)

# Presidio's card patterns predate Mastercard's 2-series; any 13-19 digits that pass Luhn.
CARD_ANY_ISSUER = Pattern("card (any issuer)", r"\b\d(?:[ -]?\d){12,18}\b", 0.3)
# Analyses kept for reuse (each message is analysed at the door, then read by NLU and store).
RECENT_ANALYSES = 256
from bot.constants import PLACEHOLDER  # noqa: E402 - re-exported for the masker and the tests
# Types that Presidio's NER (spaCy) reports. A finding of these whose every word is an
# ordinary word ("ik ben blij") or a Dutch place name is not personal data.
NER_TYPES = frozenset({"PERSON", "ORGANIZATION", "DATE_TIME", "LOCATION"})
WORDY_TYPES = frozenset({"PERSON", "ORGANIZATION", "DATE_TIME", "LOCATION"})
# Names given after a cue like "my name is" beat the brand and place lists: a customer
# called Paul Smith is not a shirt.
NAME_CUES = frozenset({"name cue"})
PERSON_CUES = frozenset({"weak cue", "sign-off", "trailing cue"})
# Allow-list entries whose words are also first names: after a person cue they are the name
# ("this is Zara Jansen", "this is June Turner"), not a brand or a date.
NAME_LIKE_TOKENS = frozenset({"brand", "date_words", "day_and_month"})
WORD_SPAN = re.compile(r"[\w'’-]+")
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
AFTER_INITIAL = regex.compile(r"(?:^|[\s.])(?-i:\p{Lu}|Th|Chr|Ph|Ch|Wm|Jac|Joh)\.\s*$")
ABBREVIATION_BEFORE = regex.compile(r"(?i:\b(?:p\.s|u\.s|u\.k|n\.b|e\.u|a\.u\.b|i\.e|e\.g|o\.a|m\.v\.g))\.\s*$")
SENTENCE_START = re.compile(r"(?:^|[.!?\n:;]\s*|^\W+)$")
PARTICLE_BEFORE = re.compile(r"(?:\b(?:van|de|der|den|ter|ten|te|het|la|le|el|al|bin|ibn|von|da|di|du|dos|del|mac|mc)|'t|d')\s*$", re.IGNORECASE)


# What stands before a name and belongs to it: titles and honorifics ("Prof. Dr.", "mevrouw",
# "Sir"), initials ("A.", "J.W.", "A.Th.Chr.") and particles ("van der", "de", "'t").
TITLE_BEFORE = regex.compile(
    r"(?:\b(?:prof|dr|drs|ir|ing|mr|mrs|ms|mx|mevr|mw|dhr|hr|st|sr|jr|ds)\.?"
    r"|\b(?:sir|dame|lord|lady|miss|madam|madame|meneer|mevrouw|heer|juffrouw|professor|doctor|dokter|monsieur)"
    r"|(?<![\p{L}.])(?-i:(?:\p{Lu}\p{Ll}{0,2}\.){1,5})"
    r"|\b(?:van|de|der|den|ter|ten|te|het|la|le|von|da|di|du|dos|del|op)|'t|d')[ \t]*$",
    regex.IGNORECASE | regex.V1,
)
INITIALS = regex.compile(r"(?:\p{Lu}\p{Ll}{0,2}\.)*\p{Lu}\p{Ll}{0,2}\.?")


def _whole_names(text: str, found: List[Finding]) -> List[Finding]:
    """A person's name with what belongs to it: the titles, initials and particles before it
    join the name's placeholder ("Prof. Dr. <PERSON_1>" would still say who), and a finding
    of another type inside them (initials taken for a web address: "A.Th.Ch") goes with it."""
    out = list(found)
    for i, f in enumerate(found):
        if f.entity_type != "PERSON":
            continue
        start = f.start
        # Look back over titles, initials and particles, and over findings that are initials.
        while True:
            before = text[max(0, start - 40):start]
            match = TITLE_BEFORE.search(before, timeout=PATTERN_TIMEOUT)
            if match and match.start() < len(before):
                start -= len(before) - match.start()
                continue
            prior = next((g for g in out if g is not f and g.end <= start and not text[g.end:start].strip(" \t.")
                          and INITIALS.fullmatch(g.text.strip("."))), None)
            if prior is None:
                break
            start = prior.start
        if start != f.start:
            out[out.index(f)] = Finding("PERSON", start, f.end, f.score, text[start:f.end])
            out = [g for g in out if g.entity_type == "PERSON" and g.start == start or not (start <= g.start and g.end <= f.end)]
    return _merge(text, out)


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


@functools.lru_cache(maxsize=8)
def _word_spans(text: str) -> List[Tuple[int, int]]:
    return [m.span() for m in WORD_SPAN.finditer(text)]


def _rank(entity_type: str, prefer: frozenset) -> int:
    """Which type names a merged finding: special categories, then specific recognizers,
    then what spaCy's NER guessed."""
    return 2 if entity_type in prefer else 0 if entity_type in NER_TYPES else 1


def _merge(text: str, findings: List[Finding], prefer: frozenset = frozenset()) -> List[Finding]:
    """Overlapping findings become one, so that no fragment is left unmasked. The type is
    the best-ranked one (`_rank`), among those the longest, then the first found."""
    merged: List[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            best = max((last, finding), key=lambda f: (_rank(f.entity_type, prefer), f.end - f.start, f is last))
            start, end = last.start, max(last.end, finding.end)
            merged[-1] = Finding(best.entity_type, start, end, max(last.score, finding.score), text[start:end])
        else:
            merged.append(finding)
    return merged


def _with_surname(text: str, end: int, allowed: Sequence[Tuple[int, int]]) -> int:
    """spaCy often tags only the first name in lower-case text ("kathryn" of "kathryn
    hardy"): take the next word too unless it clearly is not part of a name or is a
    business token ("the emma mattress")."""
    match = re.match(r"[ \t]+([^\W\d_][\w'\u2019-]*)", text[end:])
    if not match:
        return end
    word = match.group(1).lower()
    if word in words.name_breakers() or word.endswith(("ing", "ed", "s")) or word in words.NOT_NAMES:
        return end
    new_end = end + match.end()
    if any(a < new_end and end < b for a, b in allowed):
        return end
    return new_end


class PiiEngine:
    """Finds and masks personal data as `policies/pii.yml` says.

    Two analyzers share one spaCy pass: Presidio's own default recognizers (the baseline:
    whatever they find is masked unless `pii.yml` allows it) and Candor's recognizers for
    chat-style data Presidio misses (cues, Dutch formats, obfuscated contact details).
    """

    def __init__(self, policy: PiiPolicy) -> None:
        # Presidio's debug log quotes fragments of the analysed text ("Context list is:
        # ..."), which no masking can reliably catch: keep it to warnings and errors.
        logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
        use_bundled_suffix_list()
        words.warm_up()
        self.policy = policy
        self.benchmark_without_masking = masking_off_for_benchmark()
        language = policy.language
        # Presidio's default NER configuration, as out of the box: the baseline must be vanilla.
        self.nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": language, "model_name": policy.spacy_model}],
            }
        ).create_engine()
        baseline = RecognizerRegistry(supported_languages=[language])
        baseline.load_predefined_recognizers(nlp_engine=self.nlp_engine, languages=[language])
        self.baseline = AnalyzerEngine(
            registry=baseline, nlp_engine=self.nlp_engine, supported_languages=[language]
        )
        context = policy.context
        places = words.place_names(policy.place_countries, policy.place_min_population)
        self.countries = words.country_names(policy.country_name_languages)
        registry = RecognizerRegistry(supported_languages=[language])
        for recognizer in (
            PersonCueRecognizer(),
            TitledNameRecognizer(),
            ObfuscatedEmailRecognizer(),
            PhoneCueRecognizer(),
            CandorIbanRecognizer(context=list(context.get("IBAN_CODE", ())) or None),
            CreditCardRecognizer(
                patterns=CreditCardRecognizer.PATTERNS + [CARD_ANY_ISSUER]
            ),
            CardSecurityCodeRecognizer(),
            CredentialRecognizer(),
            BeNationalNumberRecognizer(),
            UkNinoRecognizer(),
            UkDrivingLicenceRecognizer(),
            PassportRecognizer(),
            SocialHandleRecognizer(),
            CandorIpRecognizer(),
            NlBsnRecognizer(context=list(context.get("NL_BSN", ())) or None),
            StreetAddressRecognizer(context=list(context.get("STREET_ADDRESS", ())) or None),
            AddressBlockRecognizer(),
            LocationRecognizer(language, excluded=places),
            DateOfBirthRecognizer(),
            *(SpecialCategoryRecognizer(entity, pattern, language)
              for entity, pattern in policy.special_categories.items()),
        ):
            registry.add_recognizer(recognizer)
        self.own_recognizers = [r for r in registry.recognizers
                                if any(e in self.policy.entities for e in r.supported_entities)]
        bound_patterns([*baseline.recognizers, *self.own_recognizers])
        # Presidio's context enhancement for Candor's recognizers, as its AnalyzerEngine
        # applies it: a context word near a candidate raises its score before the threshold.
        self.context_enhancer = LemmaContextAwareEnhancer()
        self.anonymizer = AnonymizerEngine()
        self._recent: "OrderedDict[str, List[Finding]]" = OrderedDict()
        self._recent_lock = threading.Lock()
        self.entities = [e for e, rule in policy.entities.items() if rule.operator != "keep"]
        self.places = places
        self.large_places = words.large_places(policy.place_countries)

    # ---- what is not personal data ------------------------------------------------------
    def _ordinary(self, text: str, start: int, end: int, leftover: bool = False) -> bool:
        """Every word an ordinary word, as typed: lower case, all caps, or capitalised only
        where a sentence starts ("Wil even vragen"); not right after a name particle.
        A `leftover` (what remains of a finding once a brand or product is cut out: "riem
        kapot" of "Calvin Klein riem kapot") counts common words even if they are names."""
        shouting = text.isupper()
        if text[start:start + 1].isupper() and PARTICLE_BEFORE.search(text[:start]):
            return False  # "de Groot", "van Dijk": a surname, however ordinary the word
        for match in re.finditer(r"[^\W\d_][\w'\u2019-]*|\d+", text[start:end]):
            token = match.group()
            if token.isdigit():
                return False
            at = start + match.start()
            languages, frequency = self.policy.ordinary_languages, self.policy.ordinary_min_frequency
            if leftover and words.is_common_word(token, languages, frequency):
                continue  # next to a brand, a capital is the product's ("Samsung Galaxy")
            if token[0].isupper() and not shouting and (
                    not SENTENCE_START.search(text[:at])
                    or (len(token) > 2 and AFTER_INITIAL.search(text[:at])
                        and not ABBREVIATION_BEFORE.search(text[:at]))):
                return False  # capitalised inside a sentence, or after an initial ("J.Th. Chapman")
            if not words.is_ordinary_word(token, languages, frequency):
                return False
        return True

    def _in_place(self, text: str, start: int, end: int) -> bool:
        """A place name of the shop's delivery area covers the finding ("Capelle" of "Capelle
        aan den IJssel"), or all of it but ordinary words ("Den Haag - for"); not when the
        finding is a first name too ("Axel")."""
        value = " ".join(text[start:end].casefold().split())
        if words.is_known_first_name(value) and value not in self.large_places:
            return False
        tokens = _word_spans(text)
        for i, (a, _) in enumerate(tokens):
            if a >= end:
                break
            for j in range(i, min(i + 6, len(tokens))):
                b = tokens[j][1]
                if b <= start or " ".join(text[a:b].casefold().split()) not in self.places:
                    continue
                rest = [(start, a), (b, end)]
                if all(not re.search(r"\w", text[x:y]) or (x >= y) or self._ordinary(text, x, y, leftover=True)
                       for x, y in rest if y > x) and not any(
                           self._first_name_in(text, x, y) for x, y in rest if y > x):
                    return True
        return False

    def _shipping_country(self, text: str, start: int, end: int) -> bool:
        """A country name right after `pii.yml`'s country cue ("ship to", "bezorgen in")."""
        cue = self.policy.country_cue
        value = re.sub(r"^(?:the|de|het)\s+", "", " ".join(text[start:end].casefold().split()))
        if cue is None or (value not in self.countries and f"the {value}" not in self.countries):
            return False
        window = text[max(0, start - 80):start]
        return any(m.end() == len(window) for m in cue.finditer(window, timeout=PATTERN_TIMEOUT))

    @staticmethod
    def _first_name_in(text: str, start: int, end: int) -> bool:
        """A capitalised first name beside a place name makes a person of it: "Isabel
        Schagen", "Peter Laren" (Schagen and Laren are towns and surnames)."""
        return any(token.istitle() and words.is_known_first_name(token.casefold())
                   for token in re.findall(r"[^\W\d_][\w'\u2019-]*", text[start:end]))

    def _allowed(self, text: str, extra: Sequence[Any] = ()) -> List[Tuple[int, int]]:
        return [(a, b) for a, b, _ in self._allowed_by_kind(text, extra)]

    def _allowed_by_kind(self, text: str, extra: Sequence[Any] = ()) -> List[Tuple[int, int, str]]:
        """Business tokens in `text`, each with the allow-list entry that keeps it."""
        named = list(self.policy.allow_list.items()) + [("extra", p) for p in extra]
        spans = [(*m.span(), kind) for kind, p in named for m in p.finditer(text, timeout=PATTERN_TIMEOUT, concurrent=True)]
        return spans + [(*m.span(), "placeholder") for m in PLACEHOLDER.finditer(text)]

    def _own_findings(self, text: str, artifacts: Any) -> List[RecognizerResult]:
        """Candor's recognizers, then Presidio's context enhancement over their findings (the
        context words of each recognizer, `pii.yml`'s `context:` included)."""
        results: List[RecognizerResult] = []
        for recognizer in self.own_recognizers:
            results.extend(recognizer.analyze(text, recognizer.supported_entities, artifacts) or [])
        if results:
            results = self.context_enhancer.enhance_using_context(text, results, artifacts, self.own_recognizers)
        return EntityRecognizer.remove_duplicates(results)

    def _rule(self, entity_type: str):
        return self.policy.entities.get(entity_type)

    # ---- analysis -----------------------------------------------------------------------
    def exempt_spans(self, text: str) -> List[Tuple[int, int]]:
        """What `policies/pii.yml` keeps raw in `text`: business tokens of the allow-list, and
        findings it judges ordinary words or place names (for the "never less than
        Presidio" check: everything else Presidio finds must be masked)."""
        dropped: List[Tuple[int, int]] = []
        self.analyze(text, dropped=dropped)
        return self._allowed(text) + dropped

    def analyze(self, text: str, dropped: Optional[List[Tuple[int, int]]] = None,
                allow: Sequence[Any] = ()) -> List[Finding]:
        """Personal data in `text`: Presidio's findings and Candor's, outside business tokens, no overlaps.

        The findings of recent texts are kept (in memory, for this process only): the channel
        analyses a message off the event loop, and the NLU step and the tracker store then
        reuse that analysis instead of running Presidio again on the loop."""
        if not text or not text.strip() or self.benchmark_without_masking:
            return []
        if dropped is None and not allow:
            with self._recent_lock:
                if text in self._recent:
                    self._recent.move_to_end(text)
                    return list(self._recent[text])
            found = self._analyze(text, [], ())
            self.remember(text, found)
            return list(found)
        return self._analyze(text, dropped if dropped is not None else [], allow)

    def remember(self, text: str, found: List[Finding]) -> None:
        """Keep the findings of `text`, made by this engine's policy in another process (the
        channel's analysis process), as if this engine had made them."""
        with self._recent_lock:
            self._recent[text] = list(found)
            self._recent.move_to_end(text)
            while len(self._recent) > RECENT_ANALYSES:
                self._recent.popitem(last=False)

    def recalled(self, text: str) -> Optional[List[Finding]]:
        """The kept findings of `text`, or None if it was not analysed lately."""
        with self._recent_lock:
            found = self._recent.get(text)
        return list(found) if found is not None else None

    def _analyze(self, text: str, dropped: List[Tuple[int, int]], allow: Sequence[Any]) -> List[Finding]:
        language = self.policy.language
        # Some clients send line breaks as a backslash and an "n" ("Name:\\nAddress:"):
        # analyse them as the line breaks they are. Same length, so every offset holds.
        original, text = text, text.replace("\\n", " \n")
        # One spaCy pass, on the text as typed (Presidio's own recognizers must see what
        # vanilla sees); the offsets hold for the normalised text too.
        artifacts = self.nlp_engine.process_text(original, language)
        allowed = self._allowed_by_kind(text, allow)
        # Candor's findings first: on a tie (same span) the more specific type names it
        # ("NL_BSN" rather than Presidio's "US_SSN" for a BSN).
        candidates: List[Finding] = []
        for result in self._own_findings(text, artifacts):
            rule = self._rule(result.entity_type)
            if rule is None or result.score < rule.threshold:
                continue
            candidates += self._keep(text, result, allowed, False, dropped)
        # Presidio's own recognizers see the text exactly as vanilla Presidio would.
        if original != text:
            allowed = self._allowed_by_kind(original, allow)
        for result in self.baseline.analyze(text=original, language=language, nlp_artifacts=artifacts):
            candidates += self._keep(original, result, allowed, True, dropped)
        # Dotted initials inside a name are the name's, not a web address ("J.Th." of "J.Th. Chapman").
        candidates = [c for c in candidates if not (
            c.entity_type == "URL" and INITIALS.fullmatch(c.text)
            and any(p.entity_type == "PERSON" and p.start <= c.start and c.end <= p.end for p in candidates))]
        found = _whole_names(text, _merge(text, candidates, frozenset(self.policy.special_categories)))
        return [Finding(f.entity_type, f.start, f.end, f.score, original[f.start:f.end]) for f in found]

    def _keep(self, text: str, result: RecognizerResult, allowed, baseline: bool,
              dropped: List[Tuple[int, int]]) -> List[Finding]:
        """The pieces of one finding that are personal data."""
        entity = result.entity_type
        rule = self._rule(entity)
        # `keep` in pii.yml: not personal data (an organisation, a shop, a bank), unless spaCy
        # took a person for one (a capitalised first name makes it a name) or an identifier
        # ("NL91ABNA0417164301", an IBAN with a typo: four digits or more), which stay masked.
        if (rule is not None and rule.operator is Operator.keep
                and sum(c.isdigit() for c in text[result.start:result.end]) < 4):
            if not (entity == "ORGANIZATION" and self._first_name_in(text, result.start, result.end)):
                dropped.append((result.start, result.end))
                return []
            entity, rule = "PERSON", self._rule("PERSON")
        metadata = result.recognition_metadata or {}
        pattern = metadata.get("pattern")
        if pattern in NAME_CUES or (rule is not None and rule.beats_allow_list):
            holes: List[Tuple[int, int]] = []
        else:
            # A business token at the edge of (or covering) a finding is cut out of it; one
            # strictly inside a finding ("eur39" in an e-mail address) is not.
            # What spaCy guessed (a name, a place) loses any business token inside it too.
            # A name after "I'm", a greeting or before a sign-off is a person, not a brand
            # ("hello, I'm Zara Jansen").
            # A caller's own allow-rules (the log masker's: hex ids, session ids) never let a
            # value that is never kept through (card, IBAN, BSN: `drop`): an unspaced card
            # number looks like a hex id.
            never_kept = rule is not None and rule.operator is Operator.drop
            holes = [(a, b) for a, b, kind in allowed
                     if (entity in NER_TYPES or a <= result.start or b >= result.end)
                     and not (kind in NAME_LIKE_TOKENS and pattern in PERSON_CUES)
                     and not (kind == "extra" and never_kept)]
        kept = []
        pieces = _subtract((result.start, result.end), holes)
        cut = pieces != [(result.start, result.end)]
        for start, end in pieces:
            piece = text[start:end]
            # A credential keeps its last "!" or "?" (part of many passwords).
            ends = " \t\n,.;:[]'\"" + ("" if entity == "CREDENTIAL" else "!?") + ("-–" if entity in NER_TYPES else "")
            stripped = piece.strip(ends)
            if "(" not in stripped:
                stripped = stripped.strip(")")
            if ")" not in stripped:
                stripped = stripped.strip("(")
            if not re.search(r"\w", stripped):
                continue
            start += piece.index(stripped)
            end = start + len(stripped)
            if entity in NER_TYPES and IDENTIFIER.fullmatch(text[start:end]):
                dropped.append((start, end))
                continue  # "utter_greet", "labels_to_ignore": a name in code, not a person or place
            if cut and entity in WORDY_TYPES and self._ordinary(text, start, end, leftover=True):
                dropped.append((start, end))
                continue  # "Calvin Klein riem kapot", "Dr. Oetker pizza": the product
            if pattern not in NAME_CUES and pattern != "strong cue":
                if entity in NER_TYPES and self._shipping_country(text, start, end):
                    dropped.append((start, end))
                    continue  # "do you ship to Germany?": where the parcel goes
                if entity in NER_TYPES and self._in_place(text, start, end):
                    dropped.append((start, end))
                    continue  # "Capelle aan den IJssel": a delivery area
                if entity in WORDY_TYPES and self._ordinary(text, start, end):
                    dropped.append((start, end))
                    continue  # "ik ben blij", "al betaald", "im waiting"
            if entity == "PERSON" and baseline and text[start:end].islower():
                end = _with_surname(text, end, [(a, b) for a, b, _ in allowed])
            kept.append(Finding(entity, start, end, result.score, text[start:end]))
        return kept

    def mask(self, text: str, placeholders: Optional[Placeholders] = None, allow: Sequence[Any] = ()) -> Masked:
        """`text` with every finding replaced by its conversation placeholder (Presidio operators)."""
        text = str.__str__(text)  # a str subclass (an enum value, a Localized text) as plain text for spaCy
        placeholders = placeholders if placeholders is not None else Placeholders()
        findings = self.analyze(text, allow=allow)
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
