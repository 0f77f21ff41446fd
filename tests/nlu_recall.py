"""Print per-intent recall from `rasa test nlu` and fail if a guardrail intent is below target."""
from __future__ import annotations

import json
import sys
from pathlib import Path

# Intents whose miss means a customer is not handed over or not told the truth, with the
# recall each must reach on the held-out set (tests/nlu/holdout.yml).
TARGETS = {
    "ask_is_bot": 0.98,
    "request_human": 0.98,
    "opt_out": 0.98,
    # Small held-out sets (about ten phrasings each): one miss is 0.1. Patterns in
    # policies/handoff.yml back these up; the figures are printed on every run.
    "self_harm": 0.9,
    "report_fraud": 0.8,
    "legal_threat": 0.8,
    "bereavement": 0.8,
    "escalate_complaint": 0.8,
}
GUARDRAIL_INTENTS = tuple(TARGETS)


def main(*report_paths: str) -> int:
    """Each report (English held-out set, Dutch held-out set) must reach the targets."""
    return max(check(path) for path in report_paths)


def check(report_path: str) -> int:
    report = json.loads(Path(report_path).read_text())
    print(f"\n{report_path}")
    print(f"{'intent':<22} {'recall':>7} {'precision':>9} {'support':>8}")
    for intent, scores in sorted(report.items()):
        if not isinstance(scores, dict) or "recall" not in scores or intent.endswith("avg"):
            continue
        marker = "  <- guardrail" if intent in GUARDRAIL_INTENTS else ""
        print(
            f"{intent:<22} {scores['recall']:>7.3f} {scores['precision']:>9.3f} "
            f"{scores['support']:>8}{marker}"
        )
    failing = [
        f"{intent} (target {target})"
        for intent, target in TARGETS.items()
        if intent not in report or report[intent]["recall"] < target
    ]
    if failing:
        print(f"FAIL: guardrail intent recall below target: {', '.join(failing)}")
        return 1
    print("OK: every guardrail intent reaches its recall target on the held-out set.")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
