"""`policies/backstops.yml` as a typed model: guardrail intents the classifier must not miss,
each with the action that honours it and the patterns that catch it whatever the model says."""
from typing import Any, Dict, Tuple

from pydantic import conlist, root_validator, validator

from bot.guardrails.model import ActionName, NonEmpty, Pattern, PolicyModel, named_entries

# Guardrail intents the code relies on (the GuardrailPolicy answers them at any point).
REQUIRED_BACKSTOPS = ("opt_out", "ask_is_bot")


class Backstop(PolicyModel):
    """A guardrail intent, the action that honours it, and its patterns per language."""

    intent: NonEmpty
    action: ActionName
    patterns: Dict[str, conlist(Pattern, min_items=1)]

    @property
    def compiled(self) -> Tuple[Any, ...]:
        """The compiled patterns of every language."""
        return tuple(p for patterns in self.patterns.values() for p in patterns)


class Backstops(PolicyModel):
    """`policies/backstops.yml`: guardrail intents by name, in the order they are checked."""

    rules = {"intents": None}

    intents: Dict[str, Backstop]

    @root_validator(pre=True)
    def _named(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        return named_entries(values, "intents", "intent")  # the intent is the key in the file

    @validator("intents")
    def _required(cls, value: Dict[str, Backstop]) -> Dict[str, Backstop]:
        missing = [name for name in REQUIRED_BACKSTOPS if name not in value]
        if missing:
            raise ValueError(f"the code relies on the guardrail intent '{missing[0]}': keep it")
        return value

    @property
    def all(self) -> Tuple[Backstop, ...]:
        return tuple(self.intents.values())
