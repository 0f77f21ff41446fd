"""Start-up refuses a tracker store that would keep raw personal data."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import settings
from bot.runner import verify_tracker_store
from tests.conftest import PROJECT_ROOT


def test_the_shipped_endpoints_use_the_masking_store(data_dir) -> None:
    verify_tracker_store(settings(), PROJECT_ROOT / "endpoints.yml")
    assert (data_dir / "candor.db").exists()


@pytest.mark.parametrize(
    "store, complaint",
    [
        ("type: SQL\n  dialect: sqlite\n  db: x.db", "does not mask personal data"),
        ("type: bot.storage.no_such_module.Store", "cannot load"),
        ("type: rasa.core.tracker_store.InMemoryTrackerStore", "does not mask personal data"),
    ],
)
def test_start_up_refuses_other_tracker_stores(tmp_path: Path, store: str, complaint: str) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  {store}\n")
    with pytest.raises(SystemExit, match=complaint) as stopped:
        verify_tracker_store(settings(), endpoints)
    assert "tracker_store.type" in str(stopped.value)


def test_a_token_that_starts_with_a_dash_stays_one_argument(tmp_path) -> None:
    import argparse

    from bot.config import settings
    from bot.runner import rasa_server_command

    command = rasa_server_command(settings(), tmp_path / "model.tar.gz", "-starts-with-dash")
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    known, _ = parser.parse_known_args(command[2:])
    assert known.auth_token == "-starts-with-dash"
