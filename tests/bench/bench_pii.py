"""PII benchmark: vanilla Presidio vs Candor, side by side, on three sets.

- `evaluator`: samples from presidio-evaluator's own generator (its templates and Faker),
  written by tests/bench/evaluator_samples.py in the bench venv; nobody here wrote them.
- `presidio-tests`: cases in the formats of Presidio's own recognizer tests, our values
  (tests/bench/presidio_cases.py).
- `candor`: our generated chat set with business tokens (tests/bench/pii_dataset.py).

Per set and per entity type: recall of values (a value counts only when every letter and
digit of it is masked), precision (share of findings that touch a labelled value), the
keep-rate of business tokens, latency p50/p95 per message, and the number of spans that
vanilla Presidio masks but Candor leaves raw without a rule in policies/pii.yml allowing
it ("masks less than vanilla" violations). Exits non-zero when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider

from bot.guardrails.loader import pii_policy
from bot.pii.engine import PiiEngine, engine, use_bundled_suffix_list
from tests.bench.pii_dataset import Generator, Sample
from tests.bench.presidio_cases import PresidioStyleCases

# presidio-evaluator labels that are personal data. Not counted: ORGANIZATION (a company),
# TITLE (a job or "Mr"), DATE_TIME (a weekday or a year; dates of birth are found by their
# cue). They are still printed.
EVALUATOR_PERSONAL = {"PERSON", "STREET_ADDRESS", "GPE", "PHONE_NUMBER", "CREDIT_CARD", "NRP", "AGE",
                      "EMAIL_ADDRESS", "DOMAIN_NAME", "ZIP_CODE", "IBAN_CODE", "IP_ADDRESS", "US_SSN",
                      "US_DRIVER_LICENSE"}
TARGETS = {"evaluator": 0.95, "presidio-tests": 0.99}
KEEP_TARGET = 0.98
LATENCY_RATIO_TARGET = 1.5

Spans = List[Tuple[int, int]]
Typed = List[Tuple[int, int, str]]
# What presidio-evaluator calls the types Presidio and Candor report, for precision per type.
AS_EVALUATOR = {"LOCATION": "GPE", "URL": "DOMAIN_NAME", "DATE_OF_BIRTH": "DATE_TIME", "NL_BSN": "US_SSN"}


def vanilla() -> Callable[[str], Spans]:
    """Presidio out of the box: default recognizers, default thresholds, the same spaCy model."""
    use_bundled_suffix_list()
    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": pii_policy().spacy_model}],
    }).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=nlp)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp)
    return lambda text: [(r.start, r.end, r.entity_type) for r in analyzer.analyze(text=text, language="en")]


def candor(pii: PiiEngine) -> Callable[[str], Typed]:
    return lambda text: [(f.start, f.end, f.entity_type) for f in pii.mask(text).findings]


def covered(spans: Spans, start: int, end: int, text: str) -> bool:
    return all(not text[i].isalnum() or any(a <= i < b for a, b in spans) for i in range(start, end))


def violations(pii: PiiEngine, detect_vanilla: Callable[[str], Spans], texts: Iterable[str]) -> List[Tuple[str, str]]:
    """Spans vanilla Presidio masks that Candor leaves raw, where no pii.yml rule allows it."""
    found = []
    for text in texts:
        mine = [(f.start, f.end) for f in pii.analyze(text)]
        exempt = pii.exempt_spans(text)
        for start, end, _ in detect_vanilla(text):
            raw = [i for i in range(start, end) if text[i].isalnum()
                   and not any(a <= i < b for a, b in mine) and not any(a <= i < b for a, b in exempt)]
            if raw:
                found.append((text[start:end], text))
    return found


def load_evaluator(path: Path) -> List[Sample]:
    samples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        sample = Sample(text=row["text"])
        for kind, start, end in row["values"]:
            sample.values.append((kind, start, end))
        samples.append(sample)
    return samples


def score(detect: Callable[[str], Typed], samples: List[Sample], counted: Callable[[str], bool],
          names: Optional[Dict[str, str]] = None) -> Dict:
    for sample in samples[:20]:  # warm-up
        detect(sample.text)
    hits: Dict[str, List[bool]] = defaultdict(list)
    kept: Dict[str, List[bool]] = defaultdict(list)
    precise: List[bool] = []
    precise_by_type: Dict[str, List[bool]] = defaultdict(list)
    latencies, misses = [], []
    for sample in samples:
        began = time.perf_counter()
        typed = detect(sample.text)
        latencies.append((time.perf_counter() - began) * 1000)
        spans = [(a, b) for a, b, _ in typed]
        for a, b, kind in typed:
            hit = any(s < b and a < e for _, s, e in sample.values)
            precise.append(hit)
            precise_by_type[(names or {}).get(kind, kind)].append(hit)
        for kind, start, end in sample.values:
            hit = covered(spans, start, end, sample.text)
            hits[kind].append(hit)
            if not hit and counted(kind):
                misses.append((kind, sample.text[start:end], sample.text))
        for kind, start, end in sample.business:
            kept[kind].append(all(b <= start or a >= end for a, b in spans))
    counted_hits = [h for kind, v in hits.items() if counted(kind) for h in v]
    all_kept = [k for v in kept.values() for k in v]
    return {
        "recall": {k: sum(v) / len(v) for k, v in sorted(hits.items())},
        "support": {k: len(v) for k, v in sorted(hits.items())},
        "recall_all": sum(counted_hits) / len(counted_hits) if counted_hits else None,
        "precision": sum(precise) / len(precise) if precise else None,
        "precision_by_type": {k: sum(v) / len(v) for k, v in precise_by_type.items()},
        "keep": {k: sum(v) / len(v) for k, v in sorted(kept.items())},
        "keep_all": sum(all_kept) / len(all_kept) if all_kept else None,
        "p50_ms": statistics.median(latencies),
        "p95_ms": statistics.quantiles(latencies, n=20)[18],
        "misses": misses,
    }


def fmt(value) -> str:
    return "    -" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluator", type=Path, default=Path("results/bench/evaluator.jsonl"))
    parser.add_argument("--positives", type=int, default=400)
    parser.add_argument("--negatives", type=int, default=200)
    parser.add_argument("--presidio-cases", type=int, default=300)
    parser.add_argument("--show-misses", type=int, default=0)
    parser.add_argument("--out", default="results/bench_pii.json")
    args = parser.parse_args()
    sets = {
        "evaluator": (load_evaluator(args.evaluator), lambda kind: kind in EVALUATOR_PERSONAL),
        "presidio-tests": (PresidioStyleCases(7).cases(args.presidio_cases), lambda kind: True),
        "candor": (Generator(2026).dataset(args.positives, args.negatives), lambda kind: True),
    }
    pii = engine()
    detectors = {"vanilla": vanilla(), "candor": candor(pii)}
    failures, report = [], {}
    van_p95, can_p95 = [], []
    for name, (samples, counted) in sets.items():
        names = AS_EVALUATOR if name == "evaluator" else {"PASSPORT": "US_PASSPORT"}
        results = {who: score(detect, samples, counted, names) for who, detect in detectors.items()}
        van, can = results["vanilla"], results["candor"]
        broken = violations(pii, detectors["vanilla"], (s.text for s in samples))
        report[name] = {who: {k: v for k, v in r.items() if k != "misses"} for who, r in results.items()}
        report[name]["messages"] = len(samples)
        report[name]["violations"] = len(broken)
        van_p95.append(van["p95_ms"])
        can_p95.append(can["p95_ms"])
        print(f"\n### {name}: {len(samples)} messages\n")
        print(f"| {'entity type':<20} | values | vanilla recall | Candor recall | vanilla precision | Candor precision |")
        print(f"|{'-' * 22}|--------|----------------|---------------|-------------------|------------------|")
        for kind in sorted(can["support"]):
            mark = "" if counted(kind) else " (not counted)"
            print(f"| {kind + mark:<20} | {can['support'][kind]:>6} | {fmt(van['recall'][kind]):>14} | {fmt(can['recall'][kind]):>13} "
                  f"| {fmt(van['precision_by_type'].get(kind)):>17} | {fmt(can['precision_by_type'].get(kind)):>16} |")
            if counted(kind) and can["recall"][kind] < van["recall"][kind]:
                failures.append(f"{name}: {kind} recall below vanilla")
        print(f"| {'all counted values':<20} | {sum(n for k, n in can['support'].items() if counted(k)):>6} "
              f"| {fmt(van['recall_all']):>14} | {fmt(can['recall_all']):>13} |")
        print(f"| {'precision (findings)':<20} |        | {fmt(van['precision']):>14} | {fmt(can['precision']):>13} |")
        if can["keep_all"] is not None:
            for kind in sorted(can["keep"]):
                print(f"| keep {kind:<15} | {'':>6} | {fmt(van['keep'][kind]):>14} | {fmt(can['keep'][kind]):>13} |")
            print(f"| {'keep-rate, business':<20} |        | {fmt(van['keep_all']):>14} | {fmt(can['keep_all']):>13} |")
            if can["keep_all"] < KEEP_TARGET:
                failures.append(f"{name}: business keep-rate {can['keep_all']:.3f} < {KEEP_TARGET}")
        print(f"| {'latency p50 / p95 ms':<20} |        | {van['p50_ms']:>6.1f} / {van['p95_ms']:>5.1f} | {can['p50_ms']:>5.1f} / {can['p95_ms']:>5.1f} |")
        print(f"\nCandor masks less than vanilla: {len(broken)} span(s)")
        for value, text in broken[:5]:
            print(f"  vanilla masks {value!r} in {text!r}")
        target = TARGETS.get(name)
        if target is not None and (can["recall_all"] or 0) < target:
            failures.append(f"{name}: recall {can['recall_all']:.3f} < {target}")
        if broken:
            failures.append(f"{name}: {len(broken)} violation(s)")
        for kind, value, text in can["misses"][: args.show_misses]:
            print(f"  missed {kind}: {value!r} in {text!r}")
    ratio = max(c / v for c, v in zip(can_p95, van_p95))
    print(f"\nLatency p95 Candor/vanilla, worst set: {ratio:.2f} (target <= {LATENCY_RATIO_TARGET})")
    if ratio > LATENCY_RATIO_TARGET:
        failures.append(f"latency ratio {ratio:.2f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"\n{'All targets met.' if not failures else 'Targets missed: ' + '; '.join(failures)}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
