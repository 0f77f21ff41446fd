"""The one error a bad policy file raises: it names the file, the rule and the field."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional


class PolicyError(Exception):
    """A policy file is missing or invalid; the message names the file, rule id and field."""

    def __init__(self, file: Path, field: str, problem: str, rule: Optional[str] = None) -> None:
        self.file = Path(file)
        self.field = field
        self.problem = problem
        self.rule = rule
        where = f"rule '{rule}': " if rule else ""
        super().__init__(f"{self.file}: {where}field '{field}': {problem}")


class PolicyErrors(PolicyError):
    """Every problem found in the policy files, one per line; as a PolicyError, the first."""

    def __init__(self, errors: List[PolicyError]) -> None:
        flat: List[PolicyError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, PolicyErrors) else [error])
        self.errors = flat
        first = flat[0]
        super().__init__(first.file, first.field, first.problem, rule=first.rule)
        self.args = ("\n".join(str(e) for e in flat),)

    def __str__(self) -> str:
        return self.args[0]
