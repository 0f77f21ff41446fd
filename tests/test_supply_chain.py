"""What `make setup` installs is exactly what was reviewed: every package pinned, every file hashed."""
from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT


def _requirements(path) -> list:
    """The lock's entries, each with its continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_every_locked_package_is_pinned_and_hashed() -> None:
    entries = _requirements(PROJECT_ROOT / "requirements.lock")
    assert len(entries) > 100
    for entry in entries:
        assert re.match(r"^[A-Za-z0-9._-]+(\[[\w,]+\])?==[\w.+!-]+ ", entry), entry
        assert "--hash=sha256:" in entry, entry
    names = {e.split("==")[0].split("[")[0].lower() for e in entries}
    assert {"rasa", "pip", "presidio-analyzer", "typo"} <= names


def test_setup_installs_only_with_hashes_and_the_benchmark_venv_is_pinned() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert any("--require-hashes -r requirements.lock" in line for line in installs)
    assert not any("--upgrade" in line for line in installs)
    bench = _requirements(PROJECT_ROOT / "tests" / "bench" / "requirements-evaluator.lock")
    assert bench and all(re.match(r"^[A-Za-z0-9._-]+==\S+$", entry) for entry in bench), bench
