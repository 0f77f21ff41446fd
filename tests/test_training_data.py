"""The generated training noise (scripts/augment_nlu.py) is what the hand-written data gives."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def test_the_generated_noise_is_up_to_date() -> None:
    done = subprocess.run([sys.executable, "scripts/augment_nlu.py", "--check"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_noise_keeps_placeholders_and_entity_annotations_intact() -> None:
    import yaml

    generated = yaml.safe_load((PROJECT_ROOT / "data" / "nlu" / "generated" / "noise.yml").read_text())
    lines = [line for block in generated["nlu"] for line in block["examples"].splitlines()]
    assert len(lines) > 500
    import re
    for line in lines:
        for placeholder in re.findall(r"<[^>]*>", line):
            assert re.fullmatch(r"<[A-Z_]+_\d+>", placeholder), line
        assert "[" not in line or re.search(r"\[[^\]]+\]\(\w+\)", line), line
