"""The one error a bad policy file raises: it names the file, the rule and the field."""
from __future__ import annotations

from pathlib import Path
from typing import Optional


class PolicyError(Exception):
    """A policy file is missing or invalid; the message names the file, rule id and field."""

    def __init__(self, file: Path, field: str, problem: str, rule: Optional[str] = None) -> None:
        self.file = Path(file)
        self.field = field
        self.problem = problem
        self.rule = rule
        where = f"rule '{rule}': " if rule else ""
        super().__init__(f"{self.file}: {where}field '{field}': {problem}")
