"""A Dutch customer over REST: disclosure, answers, consent, handoff and "waarom?" in Dutch;
an English customer still gets English; switching language mid-conversation works."""
from __future__ import annotations

import pytest

from bot.guardrails.loader import load_policies
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import sender, texts

pytestmark = pytest.mark.e2e
POLICIES = load_policies(PROJECT_ROOT / "policies")


def disclosure(language: str) -> list:
    """The disclosure as REST delivers it (Rasa's collecting channel splits paragraphs)."""
    return POLICIES.disclosure_message().in_(language).split("\n\n")


def test_a_dutch_customer_is_answered_in_dutch_throughout(candor) -> None:
    customer = sender()
    first = texts(candor.say(customer, "Waar is mijn bestelling?"))
    assert first[:2] == disclosure("nl")  # the disclosure, in Dutch, first
    assert "Wat is uw bestelnummer?" in first[-1]
    assert texts(candor.say(customer, "Praat ik met een robot?"))[0] == POLICIES.disclosure["is_bot_answer"].in_("nl")
    order = candor.orders("shipped")[0]
    asked = " ".join(texts(candor.say(customer, order["order_number"])))
    assert "postcode van het bezorgadres" in asked  # a short message keeps the language
    answer = " ".join(texts(candor.say(customer, order["postcode"])))
    assert f"Bestelling {order['order_number']}" in answer and "is verzonden" in answer
    paid = " ".join(texts(candor.say(customer, "Kan ik betalen met iDEAL?")))
    assert "U kunt betalen met iDEAL" in paid
    handed = " ".join(texts(candor.say(customer, "Ik wil met een medewerker spreken")))
    assert POLICIES.trigger("customer_asks_for_human").message.in_("nl") in handed
    import json

    [(summary,)] = candor.query("select summary from handoff_tickets where sender_id = ?", customer)
    assert json.loads(summary)["language"] == "nl"  # the desk shows the agent which language to answer in
    why = " ".join(texts(candor.say(customer, "waarom?")))
    assert "Er gold een regel uit mijn beleid" in why and "u vroeg om een mens" in why
    assert candor.tracker(customer)["slots"]["language"] == "nl"


def test_an_english_customer_still_gets_english_and_switching_works(candor) -> None:
    customer = sender()
    first = texts(candor.say(customer, "how long does delivery take?"))
    assert first[:2] == disclosure("en")
    assert any("working days" in t for t in first)
    switched = texts(candor.say(customer, "Kan ik ook achteraf betalen met Klarna?"))
    assert any("achteraf met Klarna" in t for t in switched)
    back = texts(candor.say(customer, "and what are your opening hours?"))
    assert any("Monday to Friday" in t for t in back)


def test_consent_questions_and_the_widget_hint_follow_the_language(candor) -> None:
    import requests

    customer = sender()
    response = requests.post(f"{candor.url}/webhooks/rest/webhook", headers=candor.identity(customer), timeout=60,
                             json={"sender": customer, "message": "hi", "metadata": {"customData": {"language": "nl"}}})
    assert texts(response.json())[:2] == disclosure("nl")  # "hi" says nothing; the hint does
    candor.say(customer, "Waar is mijn pakket?")
    asked = texts(candor.say(customer, f"ik weet het nummer niet, mijn e-mail is {candor.orders()[0]['email']}"))
    assert asked == [POLICIES.purpose("order_lookup_by_email").notice.in_("nl")]


def test_a_burned_child_gets_safety_advice_in_dutch_and_an_urgent_human(candor) -> None:
    import json

    customer = sender()
    candor.say(customer, "goedemiddag")
    replies = texts(candor.say(customer, "mijn kind heeft zich gebrand aan de waterkoker"))
    assert replies[0].startswith("Is iemand gewond of is er brand? Bel dan nu 112.")
    assert any(POLICIES.trigger("product_danger").message.in_("nl") in t for t in replies)
    [(priority, summary)] = candor.query("select priority, summary from handoff_tickets where sender_id = ?", customer)
    assert priority == "urgent" and json.loads(summary)["trigger"] == "product_danger"
    assert candor.tracker(customer)["paused"] is True
