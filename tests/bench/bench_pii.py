"""PII benchmark: vanilla Presidio vs Candor on the same generated chat messages.

Prints, per entity type, the recall of values (a value counts only when every character
of it is masked), the keep-rate of business tokens (order numbers, invoices, tracking
codes, prices, dates, product names must survive intact), and latency p50/p95 per message.
Run with `make bench-pii`; writes the figures to results/bench_pii.json as well.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider

from bot.guardrails.loader import pii_policy
from bot.pii.engine import engine, use_bundled_suffix_list
from tests.bench.pii_dataset import Generator, Sample

TARGETS = {"EMAIL_ADDRESS": 1.0, "PHONE_NUMBER": 1.0, "IBAN_CODE": 1.0, "CREDIT_CARD": 1.0,
           "NL_BSN": 1.0, "IP_ADDRESS": 1.0, "PERSON": 0.97, "STREET_ADDRESS": 0.95}
KEEP_TARGET = 0.98
LATENCY_RATIO_TARGET = 2.0

Spans = List[Tuple[int, int]]


def vanilla() -> Callable[[str], Spans]:
    """Presidio out of the box: default recognizers, the same spaCy model."""
    use_bundled_suffix_list()
    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": pii_policy().spacy_model}],
    }).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=nlp)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp)
    return lambda text: [(r.start, r.end) for r in analyzer.analyze(text=text, language="en")]


def candor() -> Callable[[str], Spans]:
    pii = engine()
    return lambda text: [(f.start, f.end) for f in pii.mask(text).findings]


def covered(spans: Spans, start: int, end: int, text: str) -> bool:
    return all(
        not text[i].isalnum() or any(a <= i < b for a, b in spans) for i in range(start, end)
    )


def score(detect: Callable[[str], Spans], samples: List[Sample]) -> Dict:
    for sample in samples[:20]:  # warm-up
        detect(sample.text)
    hits: Dict[str, List[bool]] = defaultdict(list)
    kept: Dict[str, List[bool]] = defaultdict(list)
    latencies = []
    misses = []
    for sample in samples:
        began = time.perf_counter()
        spans = detect(sample.text)
        latencies.append((time.perf_counter() - began) * 1000)
        for kind, start, end in sample.values:
            hit = covered(spans, start, end, sample.text)
            hits[kind].append(hit)
            if not hit:
                misses.append((kind, sample.text[start:end], sample.text))
        for kind, start, end in sample.business:
            kept[kind].append(all(b <= start or a >= end for a, b in spans))
    quantiles = statistics.quantiles(latencies, n=20)
    return {
        "recall": {k: sum(v) / len(v) for k, v in sorted(hits.items())},
        "support": {k: len(v) for k, v in sorted(hits.items())},
        "keep": {k: sum(v) / len(v) for k, v in sorted(kept.items())},
        "keep_all": sum(sum(v) for v in kept.values()) / sum(len(v) for v in kept.values()),
        "p50_ms": statistics.median(latencies),
        "p95_ms": quantiles[18],
        "misses": misses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positives", type=int, default=600)
    parser.add_argument("--negatives", type=int, default=200)
    parser.add_argument("--show-misses", type=int, default=0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default="results/bench_pii.json")
    args = parser.parse_args()
    samples = Generator(args.seed).dataset(args.positives, args.negatives)
    results = {"vanilla": score(vanilla(), samples), "candor": score(candor(), samples)}
    van, can = results["vanilla"], results["candor"]
    print(f"\nPII benchmark: {len(samples)} generated messages "
          f"({args.positives} with personal data, {args.negatives} business-only)\n")
    print(f"| {'measure':<26} | {'vanilla':>8} | {'Candor':>8} | {'target':>7} | ok |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 10}|{'-' * 9}|----|")
    failures = []
    for kind, target in TARGETS.items():
        v, c = van["recall"].get(kind, 0), can["recall"].get(kind, 0)
        ok = c >= target
        failures += [] if ok else [f"recall {kind}"]
        print(f"| recall {kind:<19} | {v:>8.3f} | {c:>8.3f} | {target:>7.2f} | {'y' if ok else 'N'}  |")
    for kind in sorted(can["keep"]):
        print(f"| keep {kind:<21} | {van['keep'][kind]:>8.3f} | {can['keep'][kind]:>8.3f} |         |    |")
    ok = can["keep_all"] >= KEEP_TARGET
    failures += [] if ok else ["business keep-rate"]
    print(f"| keep-rate, all business   | {van['keep_all']:>8.3f} | {can['keep_all']:>8.3f} | {KEEP_TARGET:>7.2f} | {'y' if ok else 'N'}  |")
    print(f"| latency p50 (ms)          | {van['p50_ms']:>8.1f} | {can['p50_ms']:>8.1f} |         |    |")
    print(f"| latency p95 (ms)          | {van['p95_ms']:>8.1f} | {can['p95_ms']:>8.1f} |         |    |")
    ratio = can["p95_ms"] / van["p95_ms"]
    ok = ratio <= LATENCY_RATIO_TARGET
    failures += [] if ok else ["latency ratio"]
    print(f"| p95 ratio Candor/vanilla  | {'':>8} | {ratio:>8.2f} | {LATENCY_RATIO_TARGET:>7.2f} | {'y' if ok else 'N'}  |")
    for kind, value, text in can["misses"][: args.show_misses]:
        print(f"  missed {kind}: {value!r} in {text!r}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(
        {name: {k: v for k, v in r.items() if k != "misses"} for name, r in results.items()}, indent=2))
    print(f"\n{'All targets met.' if not failures else 'Targets missed: ' + ', '.join(failures)}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
