"""One bilingual NLU model or one per language? Measured, not assumed (`make bench-languages`).

Splits the training examples by language (bot.language.detect; an example it cannot place
goes to both), trains an NLU-only model per language with the project's config, and scores
each on its language's held-out set beside the bilingual model (models/candor.tar.gz).
Prints per-set macro F1, accuracy and the recall of the guardrail intents.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bot.language import detect
from tests.conftest import PROJECT_ROOT
from tests.nlu_recall import TARGETS

HOLDOUT = {"en": PROJECT_ROOT / "tests/nlu/holdout.yml", "nl": PROJECT_ROOT / "tests/nlu/holdout_nl.yml"}
RASA = str(Path(sys.executable).parent / "rasa")


def split_training_data(target: Path) -> None:
    """data/nlu/*.yml rewritten into target/<lang>/nlu.yml, one language each."""
    per_language = {code: {} for code in HOLDOUT}
    regexes = []
    for path in sorted((PROJECT_ROOT / "data/nlu").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in item:
                regexes.append(item)
                continue
            for line in item["examples"].splitlines():
                if not line.strip().startswith("- "):
                    continue
                example = line.strip()[2:]
                language = detect(example.replace("[", "").replace("]", "").split("(")[0])
                for code in ([language] if language in per_language else list(per_language)):
                    per_language[code].setdefault(item["intent"], []).append(example)
    for code, intents in per_language.items():
        nlu = [{"intent": intent, "examples": "".join(f"- {e}\n" for e in examples)}
               for intent, examples in intents.items() if len(examples) >= 2]
        (target / code).mkdir(parents=True)
        (target / code / "nlu.yml").write_text(
            yaml.safe_dump({"version": "3.1", "nlu": nlu + regexes}, allow_unicode=True, sort_keys=False),
            encoding="utf-8")


def score(model: Path, holdout: Path, out: Path) -> dict:
    subprocess.run([RASA, "test", "nlu", "--model", str(model), "--nlu", str(holdout), "--out", str(out)],
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    report = json.loads((out / "intent_report.json").read_text())
    return {"accuracy": report["accuracy"], "macro_f1": report["macro avg"]["f1-score"],
            "guardrail_recall": {i: report[i]["recall"] for i in TARGETS if i in report}}


def main() -> int:
    bilingual = PROJECT_ROOT / "models/candor.tar.gz"
    if not bilingual.is_file():
        print("Train the bilingual model first: make train", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="candor-languages-"))
    try:
        split_training_data(work)
        results = {}
        for code, holdout in HOLDOUT.items():
            subprocess.run([RASA, "train", "nlu", "--nlu", str(work / code / "nlu.yml"), "--config", "config.yml",
                            "--out", str(work / "models"), "--fixed-model-name", code],
                           cwd=PROJECT_ROOT, check=True, capture_output=True)
            results[code] = {
                "one model per language": score(work / "models" / f"{code}.tar.gz", holdout, work / f"out-{code}"),
                "one bilingual model": score(bilingual, holdout, work / f"out-bilingual-{code}"),
            }
        for code, rows in results.items():
            print(f"\nheld-out set: {HOLDOUT[code].name}")
            for name, row in rows.items():
                worst = min(row["guardrail_recall"].items(), key=lambda kv: kv[1])
                print(f"  {name:<24} accuracy {row['accuracy']:.3f}  macro F1 {row['macro_f1']:.3f}  "
                      f"lowest guardrail recall {worst[1]:.3f} ({worst[0]})")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
