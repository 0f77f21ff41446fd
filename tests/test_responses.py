"""No text the assistant can send claims it is a person; the transparency texts say it is an AI."""
from __future__ import annotations

import re
from typing import Iterator, Tuple

import pytest
import yaml

from bot.guardrails.loader import load_policies
from bot.guardrails.texts import Localized
from tests.conftest import PROJECT_ROOT

CLAIMS_TO_BE_HUMAN = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(i am|i'm|im|this is) (a |an )?(real |actual |live )?(human|person|man|woman|employee|agent|member of staff)\b",
        r"\b(i am|i'm|im) not (a |an )?(bot|robot|ai|machine|computer|program)\b",
        r"\bnot (a |an )?(bot|robot|chatbot|machine)\b(?!.*\bi'?m\b)",
        r"\b(human|real person) here\b",
        # Dutch
        r"\b(ik ben|ik bén|u spreekt met) (een )?(echte |levende )?(mens|persoon|medewerker|werknemer)\b",
        r"\bik ben geen (bot|robot|ai|computer|programma|machine)\b",
        r"\b(mens|medewerker) hier\b",
    )
]


def _claims_to_be_human(text: str) -> bool:
    return any(p.search(text) for p in CLAIMS_TO_BE_HUMAN)


def every_text() -> Iterator[Tuple[str, str]]:
    """(where, text) for every response in the domain, every policy text and action text."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    for name, variants in domain["responses"].items():
        for variant in variants:
            yield f"domain.yml:{name}", variant["text"]
    loaded = load_policies(PROJECT_ROOT / "policies")
    texts = {f"policies:{key}": text for key, text in {**loaded.disclosure, **loaded.opt_out}.items()}
    texts.update({f"policies/handoff.yml:{t.id}": t.message for t in loaded.handoff.triggers})
    hours = loaded.handoff.office_hours
    texts["policies/handoff.yml:open_message"] = hours.open_message
    texts["policies/handoff.yml:closed_message"] = hours.closed_message
    texts.update({f"policies/messages.yml:{key}": text for key, text in loaded.messages.items()})
    texts.update({f"policies/consent.yml:{key}": text for key, text in loaded.consent_texts.items()})
    for where, text in texts.items():
        for code, translation in (text.texts.items() if isinstance(text, Localized) else [("", text)]):
            yield f"{where}:{code}", translation


TEXTS = list(every_text())


@pytest.mark.parametrize("where, text", TEXTS, ids=[w for w, _ in TEXTS])
def test_no_text_claims_to_be_a_person(where: str, text: str) -> None:
    assert not _claims_to_be_human(text), f"{where} claims to be human: {text!r}"


@pytest.mark.parametrize(
    "planted",
    ["Hi, I'm a real person from the team.", "Don't worry, I'm not a bot.", "Human here, how can I help?",
     "Ik ben een echte medewerker.", "Geen zorgen, ik ben geen robot."],
)
def test_the_check_catches_a_planted_claim(planted: str) -> None:
    assert _claims_to_be_human(planted)


def test_transparency_texts_say_it_is_an_ai() -> None:
    loaded = load_policies(PROJECT_ROOT / "policies")
    for key in ("disclosure", "is_bot_answer", "capabilities", "limitations"):
        assert re.search(r"\bAI\b", loaded.disclosure[key]), key
    assert "human" in loaded.disclosure["human_contact"].lower()
    assert "data" in loaded.disclosure["data_use"].lower()
    # The same in Dutch: an AI, a way to a human, what happens with the data.
    for key in ("disclosure", "is_bot_answer", "capabilities", "limitations"):
        assert re.search(r"\bAI-assistent\b", loaded.disclosure[key].in_("nl")), key
    assert "medewerker" in loaded.disclosure["human_contact"].in_("nl").lower()
    assert "gegevens" in loaded.disclosure["data_use"].in_("nl").lower()
