"""Candor never masks less than vanilla Presidio, on data nobody on the project wrote.

Runs both engines over three dev sets: presidio-evaluator's generated samples (written by
`make test-pii` in the bench venv), cases in the formats of Presidio's own recognizer tests
(our values), and our own generated chat set. Any span vanilla Presidio masks that Candor
leaves raw, without a rule in policies/pii.yml allowing it, fails the test; so does a
personal-data type whose recall falls below vanilla's.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import List

import pytest

from bot.pii.engine import engine
from tests.bench.bench_pii import EVALUATOR_PERSONAL, candor, load_evaluator, score, vanilla, violations
from tests.bench.pii_dataset import Generator, Sample
from tests.bench.presidio_cases import PresidioStyleCases

pytestmark = pytest.mark.outside_data
EVALUATOR = Path(os.environ.get("CANDOR_EVALUATOR_SAMPLES", "results/bench/evaluator.jsonl"))


def dev_set(name: str) -> List[Sample]:
    if name == "evaluator":
        assert EVALUATOR.is_file(), f"{EVALUATOR} is missing: run `make test-pii`, which generates it"
        return load_evaluator(EVALUATOR)
    if name == "presidio-tests":
        return PresidioStyleCases(11).cases(200)
    return Generator(4242).dataset(200, 100)


@functools.lru_cache(maxsize=1)
def _vanilla():
    return vanilla()


@pytest.mark.parametrize("name", ["evaluator", "presidio-tests", "candor"])
def test_candor_never_masks_less_than_vanilla_presidio(name: str) -> None:
    broken = violations(engine(), _vanilla(), (s.text for s in dev_set(name)))
    assert broken == [], f"{len(broken)} span(s) vanilla masks and Candor leaves raw, e.g. {broken[:3]}"


@pytest.mark.parametrize("name", ["evaluator", "presidio-tests", "candor"])
def test_recall_per_type_at_least_vanilla(name: str) -> None:
    samples = dev_set(name)
    counted = (lambda kind: kind in EVALUATOR_PERSONAL) if name == "evaluator" else (lambda kind: True)
    van, can = score(_vanilla(), samples, counted), score(candor(engine()), samples, counted)
    worse = {k: (round(van["recall"][k], 3), round(can["recall"][k], 3))
             for k in can["recall"] if counted(k) and can["recall"][k] < van["recall"][k]}
    assert worse == {}, f"types where Candor finds less than vanilla (vanilla, Candor): {worse}"
