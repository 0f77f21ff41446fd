"""Shared fixtures: every test gets its own data directory, so none depends on another."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
# endpoints.yml names the action server's shared secret; `make run` makes one per data dir.
os.environ.setdefault("CANDOR_ACTION_SECRET", "unit-tests-action-secret-0123456789")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh CANDOR_DATA_DIR for each test."""
    directory = tmp_path / "data"
    monkeypatch.setenv("CANDOR_DATA_DIR", str(directory))
    monkeypatch.delenv("CANDOR_API_TOKEN", raising=False)
    return directory
