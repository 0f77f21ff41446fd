"""Write samples from presidio-evaluator's data generator as JSON lines.

Runs in the separate bench venv (`make bench-pii` builds it: presidio-evaluator needs
Python 3.11+ and pydantic 2, which Rasa 3.6 cannot live beside). Its own templates and
Faker make the sentences; nothing here chooses the values. One line per sample:
{"text": ..., "values": [[entity_type, start, end], ...], "seed": ...}.
Nothing is committed: the file goes to results/.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 2026])
    parser.add_argument("--per-seed", type=int, default=300)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from presidio_evaluator.data_generator import PresidioSentenceFaker

    args.out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with args.out.open("w", encoding="utf-8") as out:
        for seed in args.seeds:
            faker = PresidioSentenceFaker(locale="en_US", lower_case_ratio=0.05, random_seed=seed)
            for sample in faker.generate_new_fake_sentences(num_samples=args.per_seed):
                values = [[s.entity_type, s.start_position, s.end_position] for s in sample.spans]
                out.write(json.dumps({"text": sample.full_text, "values": values, "seed": seed}) + "\n")
                count += 1
    print(f"{count} presidio-evaluator samples written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
