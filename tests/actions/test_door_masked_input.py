"""The action server gets the customer's messages masked at the door (bot/channels/limits.py):
it reads placeholders, takes a value from the vault only where a check or a consented
purpose needs it, and does not analyse door-masked text again (it never builds the engine)."""
from __future__ import annotations

import pytest
from faker import Faker
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import placeholder_for, with_facts_from_the_vault
from actions.orders import ValidateOrderStatusForm
from bot.pii import conversation
from bot.pii.conversation import ConversationMasker
from bot.storage import stores
from tests.actions.conftest import make_tracker


def _no_engine():
    raise AssertionError("the PII engine was built")


def test_the_placeholder_of_a_type_is_read_from_the_masked_text() -> None:
    tracker = make_tracker(text="call me on <PHONE_NUMBER_2> or mail <EMAIL_ADDRESS_3>")
    assert placeholder_for(tracker, "EMAIL_ADDRESS") == "<EMAIL_ADDRESS_3>"
    assert placeholder_for(tracker, "PHONE_NUMBER") == "<PHONE_NUMBER_2>"
    assert placeholder_for(tracker, "STREET_ADDRESS") is None


async def test_the_owner_check_reads_the_postcode_behind_the_placeholder_from_the_vault(add_order, monkeypatch) -> None:
    number = add_order("CND-900071", "shipped", postcode="4321 ZX")
    stores().vault.put("c-door-1", "<STREET_ADDRESS_2>", "STREET_ADDRESS", "4321 ZX")
    stores().vault.put("c-door-1", "<STREET_ADDRESS_3>", "STREET_ADDRESS", "1111 AA")
    monkeypatch.setattr(conversation, "engine", _no_engine)
    form = ValidateOrderStatusForm()

    def turn(text: str):
        return make_tracker(sender_id="c-door-1", text=text, intent="inform", active_loop="order_status_form",
                            slots={"order_number": number, "requested_slot": "order_check"})

    # A placeholder the vault has no value for proves nothing; names are never read back.
    assert with_facts_from_the_vault(turn("x"), "<STREET_ADDRESS_9> and <PERSON_1>") == "<STREET_ADDRESS_9> and <PERSON_1>"
    assert await form.extract_order_check(CollectingDispatcher(), turn("it's <STREET_ADDRESS_3>"), {}) == {
        "order_check": None}
    assert await form.extract_order_check(CollectingDispatcher(), turn("postcode <STREET_ADDRESS_2>"), {}) == {
        "order_check": number}


def test_door_masked_lines_of_a_transcript_are_not_analysed_again_others_are(monkeypatch, data_dir) -> None:
    fake = Faker("nl_NL")
    email, name = f"fake.{fake.user_name()}@example.com", f"{fake.first_name()} {fake.last_name()}"
    ConversationMasker("c-door-2").mask_text(f"mail {email}")  # the door, an earlier turn
    door_marked = {"from": "customer", "text": "did you get <EMAIL_ADDRESS_1>?", "masked": True}
    bot_line = {"from": "bot", "text": f"I'll write to {email}."}
    monkeypatch.setattr(conversation, "engine", _no_engine)
    kept = ConversationMasker("c-door-2").mask_transcript([door_marked, bot_line])
    assert kept == [{"from": "customer", "text": "did you get <EMAIL_ADDRESS_1>?"},
                    {"from": "bot", "text": "I'll write to <EMAIL_ADDRESS_1>."}]
    monkeypatch.undo()
    # A line without the door's mark (rasa shell, the HTTP API) or a button payload, even one
    # that claims the mark, is analysed.
    unmarked = {"from": "customer", "text": f"this is {name}"}
    payload = {"from": "customer", "text": f'/inform{{"email": "{email}"}}', "masked": True}
    texts = [line["text"] for line in ConversationMasker("c-door-2").mask_transcript([unmarked, payload])]
    assert name not in texts[0] and "<PERSON_" in texts[0]
    assert email not in texts[1] and "<EMAIL_ADDRESS_" in texts[1]


@pytest.mark.parametrize("forged", [{"candor": {"masked": True}}, {"candor": "masked"}])
async def test_a_client_cannot_mark_its_own_message_as_masked(forged, data_dir) -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bot.channels.limits import at_the_door

    passed = []

    async def on_new_message(message: UserMessage) -> None:
        passed.append(message)

    await at_the_door(on_new_message)(UserMessage('/inform{"email": "x@example.com"}', CollectingOutputChannel(),
                                                  "c-door-3", metadata={**forged, "page": "checkout"}))
    assert passed[0].metadata == {"page": "checkout"}


async def test_the_order_number_typed_again_at_the_postcode_question_asks_it_again(add_order) -> None:
    number = add_order("CND-900072", "shipped", postcode="4321 ZX")
    tracker = make_tracker(sender_id="c-door-4", text=f"it's {number}", intent="inform", active_loop="order_status_form",
                           slots={"order_number": number, "requested_slot": "order_check"})
    dispatcher = CollectingDispatcher()
    assert await ValidateOrderStatusForm().extract_order_check(dispatcher, tracker, {}) == {"order_check": None}
    assert dispatcher.messages == []  # no "wrong postcode": nothing was offered, nothing counted
    assert stores().orders.check_locked("c-door-4") is False
