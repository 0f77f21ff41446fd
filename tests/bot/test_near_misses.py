"""The guardrails' own decisions are not set off by a near miss (issue 22): a question whether
one talks to a computer is answered, not taken as opting out; the newsletter is not the AI."""
from __future__ import annotations

import pytest

from bot.guardrails.loader import load_policies


def decision(text: str):
    matched = load_policies().match_pattern(text)
    return None if matched is None else getattr(matched, "id", None) or getattr(matched, "intent", None)


@pytest.mark.parametrize("text, expected", [
    ("am I talking to a computer?", "ask_is_bot"),
    ("Mag ik vragen of ik met een geautomatiseerd systeem praat?", "ask_is_bot"),
    ("Is dit een echte medewerker of een computer?", "ask_is_bot"),
    ("met wie spreek ik eigenlijk?", "ask_is_bot"),
    ("spreek ik met een echt persoon?", "ask_is_bot"),
    ("can I opt out of the newsletter", None),
    ("opt out of marketing emails please", None),
    ("how do I opt out from your mails", None),
    # The real requests still hold.
    ("I want to opt out", "opt_out"),
    ("opt out of the AI please", "opt_out"),
    ("ik wil niet met een computer praten", "opt_out"),
])
def test_questions_and_other_opt_outs_are_not_an_opt_out_of_the_ai(text, expected) -> None:
    assert decision(text) == expected
