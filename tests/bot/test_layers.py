"""The storage layer stands on its own: repositories take an engine, and nothing in
bot.storage loads the PII engine (Presidio, spaCy). Masking uses storage, not the reverse."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def test_storage_imports_no_pii_engine() -> None:
    code = (
        "import sys, bot.storage, bot.storage.data_rights, bot.storage.orders, bot.storage.tickets, "
        "bot.storage.consent, bot.storage.vault, bot.storage.keys\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('bot.pii', 'presidio', 'spacy')))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_repositories_work_on_the_engine_they_are_given(tmp_path) -> None:
    from bot.storage import stores

    one, two = stores(f"sqlite:///{tmp_path}/one.db"), stores(f"sqlite:///{tmp_path}/two.db")
    one.preferences.set_opt_out("c-1", True)
    assert one.preferences.is_opted_out("c-1") and not two.preferences.is_opted_out("c-1")
    ticket = one.tickets.open_ticket("c-1", "opt_out", "normal", {}, [])
    assert one.tickets.unfinished_ticket("c-1")["id"] == ticket.id
    assert two.tickets.unfinished_ticket("c-1") is None
