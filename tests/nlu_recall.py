"""Print per-intent recall from `rasa test nlu` and fail if a guardrail intent is below target."""
from __future__ import annotations

import json
import sys
from pathlib import Path

GUARDRAIL_INTENTS = ("ask_is_bot", "request_human", "opt_out")
TARGET = 0.98


def main(report_path: str) -> int:
    report = json.loads(Path(report_path).read_text())
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
        intent
        for intent in GUARDRAIL_INTENTS
        if intent not in report or report[intent]["recall"] < TARGET
    ]
    if failing:
        print(f"FAIL: guardrail intent recall below {TARGET}: {', '.join(failing)}")
        return 1
    print(f"OK: every guardrail intent has recall >= {TARGET} on the held-out set.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
