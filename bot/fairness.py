"""Counterfactual fairness audit: change only a person attribute, nothing else may change.

For every message in the cases file (tests/fairness/cases.yml) and every group of each
person attribute it mentions (names from many origins, gendered words, an origin or
religion that has nothing to do with the request), the trained model classifies the
variant and the GuardrailPolicy decides on it, exactly as in a conversation. Each variant
is compared with the same message for the attribute's first (reference) group:

- intent flip:    a different intent;
- handoff flip:   handed to a human (or by a different rule) where the reference was not;
- priority flip:  a different ticket priority.

The writing-style axis sends the same request clean (the reference), with typing errors (made
by the `typo` library, seeded by the text), without punctuation or capitals, and in simple
language (written in the cases file): there any change of intent is a decision flip too,
since it changes the answer the customer gets.

The audit fails when the intent flip rate is above the limit (1%) or when any handoff,
priority or writing-style decision flips. It writes a Markdown report and a PNG chart to the data dir's
`reports/` folder. `python -m bot audit` and `make audit` run it.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import yaml

from bot.config import PROJECT_ROOT, settings

CASES_FILE = PROJECT_ROOT / "tests" / "fairness" / "cases.yml"
MAX_INTENT_FLIP_RATE = 0.01
GENDER_FIELDS = ("pronoun", "possessive", "relative", "title", "pronoun_nl", "relative_nl")
PROFICIENCY = "language_proficiency"
WRITING = "writing_style"
WRITING_GROUPS = ("clean", "typos", "no_punctuation", "simple")

Classify = Callable[[str], Dict[str, Any]]  # text -> Rasa parse data
Decide = Callable[[Dict[str, Any]], Tuple[Optional[str], Optional[str]]]  # -> (handoff rule, priority)


@dataclass(frozen=True)
class Variant:
    template: str
    attribute: str
    group: str
    index: int  # which value of the group (the n-th name, ...): compared like with like
    text: str


@dataclass
class Outcome:
    variant: Variant
    intent: str
    confidence: float
    handoff_rule: Optional[str]
    priority: Optional[str]


@dataclass
class Report:
    outcomes: List[Outcome]
    flips: List[Dict[str, Any]] = field(default_factory=list)
    table: List[Dict[str, Any]] = field(default_factory=list)
    intent_flip_rate: float = 0.0
    decision_flips: int = 0
    comparisons: int = 0
    # Language proficiency (standard Dutch, simple Dutch, English): intent families compared.
    proficiency_flip_rate: float = 0.0
    proficiency_comparisons: int = 0
    # Writing style (clean vs typos, no punctuation, simple language): exact intents compared,
    # and every flip is a decision flip.
    writing_comparisons: int = 0
    writing_flips: int = 0

    @property
    def passed(self) -> bool:
        return self.intent_flip_rate <= MAX_INTENT_FLIP_RATE and self.decision_flips == 0


def load_cases(path: Path = CASES_FILE) -> Dict[str, Any]:
    with Path(path).open(encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)
    if not isinstance(cases, dict) or not cases.get("messages") or not cases.get("attributes"):
        raise ValueError(f"{path}: needs 'messages' and 'attributes'")
    return cases


def _fields(template: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def expand(cases: Dict[str, Any]) -> Iterator[Variant]:
    """Every variant of every message, one attribute at a time."""
    attributes = cases["attributes"]
    for template in cases["messages"]:
        used = _fields(template)
        if "name" in used:
            for group, names in attributes["name"].items():
                for index, name in enumerate(names):
                    yield Variant(template, "name", group, index, template.format(name=name))
        if used & set(GENDER_FIELDS):
            for group, words in attributes["gender"].items():
                yield Variant(template, "gender", group, 0, template.format(**words))
        for placeholder, attribute in (("who", "origin_or_religion"), ("who_nl", "origin_or_religion_nl")):
            if placeholder in used:
                for group, phrases in attributes[attribute].items():
                    for index, phrase in enumerate(phrases):
                        yield Variant(template, attribute, group, index, template.format(**{placeholder: phrase}))
    # The same request as customers who write differently send it.
    for number, request in enumerate(cases.get("writing_style") or []):
        for group, text in writing_styles(request).items():
            yield Variant(f"writing style #{number + 1}", WRITING, group, 0, text)
    # The same request in standard Dutch, simple (non-native) Dutch and English.
    for number, request in enumerate(cases.get("proficiency") or []):
        for group, text in request.items():
            yield Variant(f"proficiency #{number + 1}", PROFICIENCY, group, 0, text)


def writing_styles(request: Dict[str, str]) -> Dict[str, str]:
    """clean, typos (two typing errors from the `typo` library), no punctuation, simple."""
    import random
    import re
    import zlib

    import typo

    clean = request["clean"]
    rng = random.Random(zlib.crc32(clean.encode("utf-8")))
    errer = typo.StrErrer(clean, seed=rng.randrange(10 ** 9))
    for kind in rng.sample(["char_swap", "missing_char", "nearby_char", "extra_char"], 2):
        errer = getattr(errer, kind)()
    return {"clean": clean, "typos": errer.result,
            "no_punctuation": " ".join(re.sub(r"[^\w\s]", " ", clean).lower().split()),
            "simple": request["simple"]}


def audit(cases: Dict[str, Any], classify: Classify, decide: Decide) -> Report:
    outcomes = []
    for variant in expand(cases):
        parse = classify(variant.text)
        intent = (parse.get("intent") or {})
        rule, priority = decide(parse)
        outcomes.append(Outcome(variant, intent.get("name") or "", float(intent.get("confidence") or 0.0),
                                rule, priority))
    return compare(outcomes, cases)


def compare(outcomes: List[Outcome], cases: Dict[str, Any]) -> Report:
    report = Report(outcomes)
    reference_group = {attr: next(iter(groups)) for attr, groups in cases["attributes"].items()}
    if cases.get("proficiency"):
        reference_group[PROFICIENCY] = next(iter(cases["proficiency"][0]))
    if cases.get("writing_style"):
        reference_group[WRITING] = WRITING_GROUPS[0]
    families = {intent: family for family, intents in (cases.get("intent_families") or {}).items()
                for intent in intents}

    def same_intent(attribute: str, one: str, other: str) -> bool:
        if attribute == PROFICIENCY:  # a family ("a complaint"), not the exact intent
            return families.get(one, one) == families.get(other, other)
        return one == other

    proficiency_flips = 0
    reference = {(o.variant.template, o.variant.attribute, o.variant.index): o for o in outcomes
                 if o.variant.group == reference_group[o.variant.attribute]}
    stats: Dict[Tuple[str, str], Dict[str, Any]] = {}
    intent_flips = 0
    for outcome in outcomes:
        v = outcome.variant
        if v.group == reference_group[v.attribute]:
            continue
        ref = reference[(v.template, v.attribute, v.index)]
        row = stats.setdefault((v.attribute, v.group), {
            "attribute": v.attribute, "group": v.group, "reference": reference_group[v.attribute],
            "variants": 0, "intent_flips": 0, "handoff_flips": 0, "priority_flips": 0, "max_confidence_gap": 0.0,
        })
        row["variants"] += 1
        if v.attribute == PROFICIENCY:
            report.proficiency_comparisons += 1
        elif v.attribute == WRITING:
            report.writing_comparisons += 1
        else:
            report.comparisons += 1
        gap = abs(outcome.confidence - ref.confidence)
        row["max_confidence_gap"] = max(row["max_confidence_gap"], gap)
        kinds = []
        if not same_intent(v.attribute, outcome.intent, ref.intent):
            kinds.append("intent")
            row["intent_flips"] += 1
            if v.attribute == PROFICIENCY:
                proficiency_flips += 1
            elif v.attribute == WRITING:
                report.writing_flips += 1
            else:
                intent_flips += 1
        if outcome.handoff_rule != ref.handoff_rule:
            kinds.append("handoff")
            row["handoff_flips"] += 1
        if outcome.priority != ref.priority:
            kinds.append("priority")
            row["priority_flips"] += 1
        if kinds:
            report.flips.append({
                "attribute": v.attribute, "group": v.group, "kinds": kinds,
                "reference": ref.variant.text, "variant": v.text,
                "reference_intent": ref.intent, "intent": outcome.intent,
                "reference_handoff": ref.handoff_rule, "handoff": outcome.handoff_rule,
                "reference_priority": ref.priority, "priority": outcome.priority,
            })
        report.decision_flips += ("handoff" in kinds) + ("priority" in kinds)
        if v.attribute == WRITING and "intent" in kinds:
            report.decision_flips += 1  # another answer for the same request
    for row in stats.values():
        row["intent_flip_rate"] = row["intent_flips"] / row["variants"]
    report.table = sorted(stats.values(), key=lambda r: (r["attribute"], r["group"]))
    report.intent_flip_rate = intent_flips / report.comparisons if report.comparisons else 0.0
    if report.proficiency_comparisons:
        report.proficiency_flip_rate = proficiency_flips / report.proficiency_comparisons
    return report


def largest_gaps(report: Report, count: int = 5) -> List[Tuple[float, Outcome, Outcome]]:
    by_key = {}
    for o in report.outcomes:
        by_key.setdefault((o.variant.template, o.variant.attribute, o.variant.index), []).append(o)
    gaps = []
    for group in by_key.values():
        low, high = min(group, key=lambda o: o.confidence), max(group, key=lambda o: o.confidence)
        gaps.append((high.confidence - low.confidence, low, high))
    return sorted(gaps, key=lambda g: -g[0])[:count]


def table_markdown(report: Report) -> str:
    lines = ["| attribute | group (vs reference) | variants | intent flips | flip rate | handoff flips "
             "| priority flips | max confidence gap |", "|---|---|---|---|---|---|---|---|"]
    for r in report.table:
        lines.append(f"| {r['attribute']} | {r['group']} (vs {r['reference']}) | {r['variants']} "
                     f"| {r['intent_flips']} | {r['intent_flip_rate']:.1%} | {r['handoff_flips']} "
                     f"| {r['priority_flips']} | {r['max_confidence_gap']:.3f} |")
    return "\n".join(lines)


def write_report(report: Report, directory: Path, now: Optional[dt.datetime] = None) -> Tuple[Path, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    now = now or dt.datetime.now(dt.timezone.utc)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    markdown, chart = directory / f"fairness-{stamp}.md", directory / f"fairness-{stamp}.png"
    verdict = "PASSED" if report.passed else "FAILED"
    parts = [
        f"# Fairness audit, {now:%Y-%m-%d %H:%M} UTC: {verdict}", "",
        f"{len(report.outcomes)} variants, {report.comparisons} compared with their reference. "
        f"Intent flip rate {report.intent_flip_rate:.2%} (limit {MAX_INTENT_FLIP_RATE:.0%}); "
        f"handoff or priority flips: {report.decision_flips} (limit 0). Language proficiency "
        f"(standard Dutch vs simple Dutch and English, intent families): flip rate "
        f"{report.proficiency_flip_rate:.1%} over {report.proficiency_comparisons} comparisons. Writing style "
        f"(clean vs typos, no punctuation, simple language): {report.writing_flips} intent flips over "
        f"{report.writing_comparisons} comparisons (limit 0).", "",
        table_markdown(report), "", "## Largest confidence gaps", "",
    ]
    for gap, low, high in largest_gaps(report):
        parts.append(f"- {gap:.3f}: \"{low.variant.text}\" ({low.intent} {low.confidence:.2f}) vs "
                     f"\"{high.variant.text}\" ({high.intent} {high.confidence:.2f})")
    parts += ["", "## Every flip", ""]
    if not report.flips:
        parts.append("None.")
    for flip in report.flips:
        parts.append(
            f"- {flip['attribute']}/{flip['group']} ({', '.join(flip['kinds'])}): \"{flip['variant']}\" -> "
            f"{flip['intent']}, handoff {flip['handoff']}, priority {flip['priority']}; reference "
            f"\"{flip['reference']}\" -> {flip['reference_intent']}, handoff {flip['reference_handoff']}, "
            f"priority {flip['reference_priority']}")
    markdown.write_text("\n".join(parts) + "\n", encoding="utf-8")

    labels = [f"{r['attribute']}:{r['group']}" for r in report.table]
    figure, axis = plt.subplots(figsize=(10, max(3, 0.35 * len(labels))))
    axis.barh(labels, [100 * r["intent_flip_rate"] for r in report.table], color="#4a7ebb", label="intent flips")
    axis.barh(labels, [100 * (r["handoff_flips"] + r["priority_flips"]) / r["variants"] for r in report.table],
              color="#c0392b", alpha=0.7, label="handoff/priority flips")
    axis.axvline(100 * MAX_INTENT_FLIP_RATE, color="black", linestyle="--", linewidth=1, label="intent limit")
    axis.set_xlabel("% of variants that flip, vs the reference group")
    axis.set_title(f"Counterfactual fairness audit ({verdict})")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(chart, dpi=100)
    plt.close(figure)
    for path in (markdown, chart):
        latest = directory / f"fairness-latest{path.suffix}"
        latest.write_bytes(path.read_bytes())
    return markdown, chart


def model_classifier(model: Path) -> Classify:
    """The trained model's NLU pipeline (PII masker, classifier, backstop patterns)."""
    import bot.guardrails.nlu_backstop  # noqa: F401 - registers the components
    import bot.guardrails.policy  # noqa: F401
    import bot.pii.nlu_masker  # noqa: F401
    from rasa.core.agent import Agent

    import logging

    for noisy in ("rasa", "presidio-analyzer", "tensorflow"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


def policy_decider() -> Decide:
    """The GuardrailPolicy's decision on a message at the start of a disclosed session."""
    import tempfile

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.guardrails.policy import SLOT_DECISION, GuardrailPolicy

    domain = Domain.load(PROJECT_ROOT / "domain.yml")
    policy = GuardrailPolicy.create(GuardrailPolicy.get_default_config(),
                                    LocalModelStorage(Path(tempfile.mkdtemp())), Resource("audit"),
                                    ExecutionContext(GraphSchema({}), "audit"))

    def decide(parse: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
        events = [ActionExecuted("action_session_start"), SessionStarted(),
                  SlotSet("disclosure_version", "audit"), ActionExecuted("action_listen"),
                  UserUttered(parse.get("text"), parse.get("intent"), parse.get("entities"), parse_data=parse)]
        tracker = DialogueStateTracker.from_events("audit", events, domain.slots)
        decided = policy.decide(tracker)
        if not decided:
            return None, None
        for event in decided[1]:
            if isinstance(event, SlotSet) and event.key == SLOT_DECISION and event.value.get("kind") == "handoff":
                return event.value["rule"], event.value["priority"]
        return None, None

    return decide


def main(model: Path, cases_path: Path = CASES_FILE) -> int:
    cases = load_cases(cases_path)
    report = audit(cases, model_classifier(model), policy_decider())
    markdown, chart = write_report(report, settings().data_dir / "reports")
    print(table_markdown(report))
    print()
    print(f"Intent flip rate {report.intent_flip_rate:.2%} (limit {MAX_INTENT_FLIP_RATE:.0%}), "
          f"handoff/priority flips {report.decision_flips} (limit 0), {len(report.flips)} flips listed.")
    print(f"Language proficiency: intent-family flip rate {report.proficiency_flip_rate:.1%} "
          f"({report.proficiency_comparisons} comparisons; handoff and priority flips count above).")
    print(f"Writing style: {report.writing_flips} intent flips over {report.writing_comparisons} comparisons "
          f"(clean vs typos, no punctuation, simple language; limit 0, counted as decision flips).")
    print(f"Report: {markdown}\nChart:  {chart}")
    for flip in report.flips:
        print(f"  FLIP {flip['attribute']}/{flip['group']} {flip['kinds']}: {flip['variant']!r} -> {flip['intent']}"
              f" (reference {flip['reference_intent']})")
    print("Fairness audit PASSED." if report.passed else "Fairness audit FAILED.")
    return 0 if report.passed else 1
