"""`make bench-nlu`: does Candor understand requests nobody on the project wrote?

Reads the outside sets in `../shared/data/` (measured on, never trained on): CLINC150's test
split (its out-of-scope requests and the 150 intents of ten domains, most of which no shop
supports) and RasaHQ's retail demo NLU data. Every request is parsed by the trained model as
the Rasa server parses it (masking, language, DIET, fallback, guardrail backstops) and judged:

- **served**: a request Candor supports got its intent;
- **safe**: it got "not understood" (`nlu_fallback`), "out of scope" or a human;
- **wrong**: any other intent: a confident answer to a question the customer did not ask.
  Of those, **sensitive** counts the crisis, fraud and bereavement decisions for an ordinary request.

Each request is also sent in other writing styles, the noise made by the `typo` library (no
hand-written generator): `typos` (two typing errors), `no punctuation` (lower case, no
punctuation), `swearing` (a swear word added). The Dutch row reads the project's own Dutch
held-out set (never trained on), for lack of an outside Dutch one. Prints tables per set,
per writing style and per intent, and the issue's goals with their status; exits 0 (a
benchmark, not a test) unless `--strict`.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
SAFE = {"nlu_fallback", "out_of_scope", "request_human"}
SENSITIVE = {"self_harm", "bereavement", "report_fraud", "legal_threat"}
UNSUPPORTED = None  # the expected "intent" of a request no flow of Candor's serves

# Outside labels Candor supports, as Candor's intents. Every other label of these sets is a
# request Candor has no flow for (expected: safe). Labels whose meaning depends on the
# conversation ("inform", "yes" on its own, a shoe size) are left out.
RETAIL = {
    "order_status": "ask_order_status", "return": "ask_returns", "faq/payment_methods": "ask_payment_methods",
    "chitchat/bot_challenge": "ask_is_bot", "chitchat/capabilities": "ask_capabilities", "greet": "greet",
    "chitchat/goodbye": "goodbye", "chitchat/thanks": "thank",
    # Supported since issue 22: cancelling (after the owner check) and how to place an order.
    "order_cancel": "cancel_order", "order_shoes": "place_order",
}
RETAIL_SKIPPED = {"inform", "affirm", "deny", "chitchat/confirm_presence", "chitchat/mood_great",
                  "chitchat/mood_unhappy", "faq/alternate_info", "whats_your_name"}
CLINC = {
    "order_status": "ask_order_status", "are_you_a_bot": "ask_is_bot", "greeting": "greet", "goodbye": "goodbye",
    "thank_you": "thank", "what_can_i_ask_you": "ask_capabilities",
}
# Sensitive on purpose in CLINC (card fraud is a handoff for Candor too), or a bare yes/no.
CLINC_SKIPPED = {"report_fraud", "yes", "no", "maybe", "cancel", "repeat"}
SWEARS = ("damn", "bloody", "wtf", "for fuck's sake", "shit")


@dataclass(frozen=True)
class Case:
    source: str
    label: str
    text: str
    expected: Optional[str]  # Candor's intent, or None: unsupported


def retail_cases() -> List[Case]:
    data = yaml.safe_load((SHARED / "retail-demo" / "nlu.yml").read_text())
    cases = []
    for block in data["nlu"]:
        label = block.get("intent")
        if not label or label in RETAIL_SKIPPED:
            continue
        for line in block["examples"].splitlines():
            text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:].strip())
            if text:
                cases.append(Case("retail-demo", label, text, RETAIL.get(label, UNSUPPORTED)))
    return cases


def clinc_cases(per_intent: int, out_of_scope: int, rng: random.Random) -> List[Case]:
    data = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    by_label: Dict[str, List[str]] = defaultdict(list)
    for text, label in data["test"]:
        if label not in CLINC_SKIPPED:
            by_label[label].append(text)
    cases = []
    for label, texts in sorted(by_label.items()):
        for text in rng.sample(texts, min(per_intent, len(texts))):
            cases.append(Case("clinc150", label, text, CLINC.get(label, UNSUPPORTED)))
    for text, _ in rng.sample(data["oos_test"], min(out_of_scope, len(data["oos_test"]))):
        cases.append(Case("clinc150", "oos", text, UNSUPPORTED))
    return cases


def dutch_cases() -> List[Case]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / "holdout_nl.yml").read_text())
    return [Case("own Dutch held-out", block["intent"], line.strip()[2:].strip(), block["intent"])
            for block in data["nlu"] for line in block["examples"].splitlines() if line.strip()]


def styled(text: str, style: str, rng: random.Random) -> str:
    """The request as another customer might write it."""
    import typo

    if style == "typos":
        errer = typo.StrErrer(text, seed=rng.randrange(10 ** 6))
        for name in rng.sample(["char_swap", "missing_char", "nearby_char", "extra_char", "skipped_space"], 2):
            errer = getattr(errer, name)()
        return errer.result
    if style == "no punctuation":
        return re.sub(r"[^\w\s]", "", text).lower()
    if style == "swearing":
        swear = rng.choice(SWEARS)
        return f"{swear}, {text}" if rng.random() < 0.5 else f"{text} {swear}"
    return text


def outcome(case: Case, intent: str) -> str:
    if case.expected is not None and intent == case.expected:
        return "served"
    if intent in SAFE:
        return "safe"
    return "wrong"


async def parse_all(model: Path, texts: Iterable[str]) -> List[str]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # not a debug line per parse
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # nor a warning per spaCy label

    agent = Agent.load(str(model))
    intents = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intents.append((parsed.get("intent") or {}).get("name") or "nlu_fallback")
    return intents


def rates(rows: List[Tuple[Case, str, str]]) -> Dict[str, float]:
    counts = Counter(result for _, _, result in rows)
    total = max(1, len(rows))
    return {k: counts[k] / total for k in ("served", "safe", "wrong")} | {"n": len(rows)}


def table(title: str, groups: Dict[str, List[Tuple[Case, str, str]]], supported: bool) -> None:
    print(f"\n{title}")
    header = "served  safe  wrong" if supported else "  safe  wrong"
    print(f"  {'':<42} {'n':>5}  {header}  sensitive")
    for name, rows in groups.items():
        if not rows:
            continue
        r = rates(rows)
        sensitive = sum(1 for case, intent, _ in rows if intent in SENSITIVE and case.expected not in SENSITIVE)
        figures = (f"{r['served']:6.2f} {r['safe']:5.2f} {r['wrong']:6.2f}" if supported
                   else f"{r['safe']:6.2f} {r['wrong']:6.2f}")
        print(f"  {name:<42} {r['n']:>5}  {figures}  {sensitive:>9}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "candor.tar.gz"))
    parser.add_argument("--per-intent", type=int, default=6, help="CLINC150 test requests per intent")
    parser.add_argument("--out-of-scope", type=int, default=300, help="CLINC150 out-of-scope test requests")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--worst", type=int, default=12, help="intents listed with the most wrong answers")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    styles = ("clean", "typos", "no punctuation", "swearing")
    outside = retail_cases() + clinc_cases(args.per_intent, args.out_of_scope, rng)
    work = [(case, style, styled(case.text, style, rng)) for case in outside for style in styles]
    work += [(case, "clean", case.text) for case in dutch_cases()]
    started = time.monotonic()
    intents = asyncio.run(parse_all(Path(args.model), [text for _, _, text in work]))
    rows = [(case, style, intent, outcome(case, intent)) for (case, style, _), intent in zip(work, intents)]
    english = ("retail-demo", "clinc150")
    print(f"{len(rows)} requests parsed in {time.monotonic() - started:.0f} s "
          f"(outside: {len(outside)} requests x {len(styles)} styles; Dutch: own held-out set)")

    def pick(supported: bool, source: Optional[str] = None, style: Optional[str] = None):
        """Rows of the outside sets (the Dutch row is the project's own set, apart)."""
        return [(c, i, r) for c, s, i, r in rows
                if c.source in english and (c.expected is not None) == supported
                and (source is None or c.source == source) and (style is None or s == style)]

    for supported in (True, False):
        kind = "supported requests" if supported else "requests Candor has no flow for"
        table(f"Outside sets, {kind}, by set (all styles):",
              {source: pick(supported, source) for source in english}, supported)
        table(f"Outside sets, {kind}, by writing style:", {style: pick(supported, style=style) for style in styles},
              supported)
    dutch = [(c, i, r) for c, s, i, r in rows if c.source == "own Dutch held-out"]
    table("Dutch (own held-out set, clean):", {"all": dutch}, True)
    by_intent: Dict[str, List[Tuple[Case, str, str]]] = defaultdict(list)
    for case, style, intent, result in rows:
        if case.source != "own Dutch held-out":
            by_intent[f"{case.source}:{case.label} -> {case.expected or 'unsupported'}"].append((case, intent, result))
    worst = sorted(by_intent.items(), key=lambda kv: -sum(1 for *_, r in kv[1] if r == "wrong"))[:args.worst]
    print(f"\nThe {args.worst} outside labels with the most wrong answers (what they were taken for):")
    for name, group in worst:
        taken = Counter(i for _, i, r in group if r == "wrong").most_common(3)
        print(f"  {name:<58} wrong {sum(1 for *_, r in group if r == 'wrong'):>3}/{len(group):<3} "
              + ", ".join(f"{i} {n}" for i, n in taken))
    supported_all, unsupported_all = rates(pick(True)), rates(pick(False))
    clean, typos = rates(pick(True, style="clean")), rates(pick(True, style="typos"))
    sensitive = sum(1 for c, _, i, _ in rows if i in SENSITIVE and c.expected not in SENSITIVE)
    goals = [
        ("served >= 0.90 of supported requests", supported_all["served"] >= 0.90, supported_all["served"]),
        ("wrong <= 0.03 of supported requests", supported_all["wrong"] <= 0.03, supported_all["wrong"]),
        ("wrong <= 0.05 of unsupported requests", unsupported_all["wrong"] <= 0.05, unsupported_all["wrong"]),
        ("no sensitive decision for an ordinary request", sensitive == 0, sensitive),
        ("served with typos within 0.05 of clean", clean["served"] - typos["served"] <= 0.05,
         clean["served"] - typos["served"]),
        ("Dutch and English served within 0.05", abs(rates(dutch)["served"] - clean["served"]) <= 0.05,
         rates(dutch)["served"] - clean["served"]),
    ]
    print("\nGoals (issue 22):")
    for name, met, value in goals:
        print(f"  {'met    ' if met else 'NOT MET'}  {name}: {value:.3f}" if isinstance(value, float)
              else f"  {'met    ' if met else 'NOT MET'}  {name}: {value}")
    return 1 if args.strict and not all(met for _, met, _ in goals) else 0


if __name__ == "__main__":
    sys.exit(main())
