"""What the action server offers: every custom action the domain names, under that name, and
no half-made base class under an empty one; its buttons in the customer's language."""
from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.consent import ask
from actions.data_rights import ActionConfirmErasure
from bot.guardrails.loader import policies
from tests.actions.conftest import make_tracker

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"


def test_the_action_server_registers_the_domain_actions_and_nothing_unnamed() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert "" not in executor.actions and None not in executor.actions
    domain = yaml.safe_load(DOMAIN.read_text())
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))}
    assert custom and custom <= set(executor.actions), custom - set(executor.actions)


async def test_yes_no_buttons_are_titled_in_the_customers_language() -> None:
    titles = {}
    for language in ("en", "nl"):
        tracker = make_tracker(slots={"language": language})
        asked, erasing = CollectingDispatcher(), CollectingDispatcher()
        ask(asked, tracker, policies().purpose("order_lookup_by_email"))
        await ActionConfirmErasure().run(erasing, tracker, {})
        titles[language] = [[b["title"] for b in d.messages[-1]["buttons"]] for d in (asked, erasing)]
        assert [b["payload"] for b in erasing.messages[-1]["buttons"]] == ["/affirm", "/deny"]
    assert titles == {"en": [["Yes", "No"], ["Yes, delete everything", "No"]],
                      "nl": [["Ja", "Nee"], ["Ja, verwijder alles", "Nee"]]}
