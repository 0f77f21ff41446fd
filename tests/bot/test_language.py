"""The conversation's language: detection on short chat messages, the NLU component, texts
in every supported language, and validation that names what a text lacks."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.guardrails.errors import PolicyError
from bot.guardrails.loader import check_against_domain, load_policies
from bot.guardrails.texts import Localized
from bot.language import detect, hinted, load_languages
from bot.nlu_language import LanguageDetector
from tests.conftest import PROJECT_ROOT


@pytest.mark.parametrize("text, expected", [
    ("Waar is mijn bestelling?", "nl"),
    ("Kan ik betalen met iDEAL?", "nl"),
    ("Praat ik met een robot?", "nl"),
    ("wanneer komt mijn pakket", "nl"),
    ("where is my order?", "en"),
    ("can I pay afterwards", "en"),
    # Too short or ambiguous: the conversation keeps its language.
    ("ok", None), ("hi", None), ("CND-123456", None), ("<PERSON_1>", None), ("thanks", None), ("hey", None),
    # ... unless every word is one language's own (policies/languages.yml, short_words).
    ("hallo", "nl"), ("goedemorgen", "nl"), ("mens graag", "nl"), ("dank je wel", "nl"), ("Goedemiddag!", "nl"),
])
def test_detection_on_short_chat_messages(text: str, expected) -> None:
    assert detect(text) == expected


def test_a_clients_hint_is_honoured_only_for_supported_languages() -> None:
    assert hinted({"customData": {"language": "nl-BE"}}) == "nl"
    assert hinted({"language": "en"}) == "en"
    assert hinted({"customData": {"language": "fr"}}) is None
    assert hinted("nl") is None


def test_the_nlu_component_adds_the_language_entity_or_leaves_the_slot_alone() -> None:
    dutch = Message({"text": "Ik wil met een medewerker spreken"})
    short = Message({"text": "ok", "metadata": {}})
    hinted_short = Message({"text": "ok", "metadata": {"customData": {"language": "nl"}}})
    LanguageDetector().process([dutch, short, hinted_short])
    assert [e["value"] for e in dutch.get("entities") if e["entity"] == "language"] == ["nl"]
    assert not [e for e in short.get("entities") or [] if e["entity"] == "language"]
    assert [e["value"] for e in hinted_short.get("entities") if e["entity"] == "language"] == ["nl"]


def test_every_policy_text_has_every_language_and_formats_in_each() -> None:
    loaded = load_policies()
    notice = loaded.purpose("order_lookup_by_email").notice
    assert isinstance(notice, Localized) and notice.in_("nl") != notice.in_("en")
    assert str(notice) == notice.in_("en")  # as a plain string: the default language
    withdrawn = loaded.consent_texts["withdrawn"].format(purposes="x")
    assert "ingetrokken" in withdrawn.in_("nl") and "withdrawn" in withdrawn.in_("en")
    assert loaded.disclosure_message().in_("nl").startswith("Hallo, ik ben Candor")
    assert loaded.messages["human_label"].in_("nl").format(name="Sam") == "Sam (medewerker)"


def test_the_wait_message_speaks_the_customers_language(monkeypatch) -> None:
    hours = load_policies().handoff.office_hours
    friday_evening = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.timezone.utc)  # closed until Saturday
    message = hours.wait_message("normal", friday_evening)
    assert "tomorrow at 10:00" in message.in_("en")
    assert "morgen om 10:00" in message.in_("nl")


def _policies_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(PROJECT_ROOT / "policies", target)
    return target


def test_a_text_without_a_supported_language_stops_validation_naming_it(tmp_path) -> None:
    directory = _policies_copy(tmp_path)
    path = directory / "opt_out.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  nl:", text.index("opted_in:"))
    end = text.index("not_opted_out:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policies(directory)
    assert error.value.file.name == "opt_out.yml" and error.value.field == "opted_in"
    assert "'nl'" in str(error.value)
    # A plain string where a customer reads the text is refused too.
    path.write_text(text.replace(text[text.index("opted_in:"):end], "opted_in: Welcome back.\n"), encoding="utf-8")
    with pytest.raises(PolicyError, match="every supported language"):
        load_policies(directory)


def test_a_third_language_is_a_data_change_that_validation_checks(tmp_path) -> None:
    directory = _policies_copy(tmp_path)
    (directory / "languages.yml").write_text("supported: [en, nl, de]\ndefault: en\n", encoding="utf-8")
    assert load_languages(directory).supported == ["en", "nl", "de"]
    with pytest.raises(PolicyError, match="no text in language 'de'"):
        load_policies(directory)


def test_every_domain_response_has_a_variation_per_language(tmp_path) -> None:
    domain = (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
    check_against_domain(load_policies(), PROJECT_ROOT / "domain.yml")
    start = domain.index("  utter_goodbye:\n")
    block_end = domain.index("    - text:", start)
    broken = domain[:start] + "  utter_goodbye:\n" + domain[block_end:]
    (tmp_path / "domain.yml").write_text(broken, encoding="utf-8")
    with pytest.raises(PolicyError, match="responses.utter_goodbye.*language 'nl'"):
        check_against_domain(load_policies(), tmp_path / "domain.yml")


def test_languages_file_is_validated_with_every_error(tmp_path) -> None:
    from bot.language import LanguageError

    directory = tmp_path / "p"
    directory.mkdir()
    (directory / "languages.yml").write_text("supported: [en, dutch]\ndefault: fr\nextra: 1\n")
    with pytest.raises(LanguageError) as error:
        load_languages(directory)
    assert "supported.1" in str(error.value) and "extra" in str(error.value)


def test_the_language_code_is_stored_as_a_code_not_masked(data_dir) -> None:
    """spaCy takes "nl" for an organisation; masked, the stored slot would read
    "<ORGANIZATION_1>" and the next turn would fall back to the default language."""
    from bot.pii.conversation import ConversationMasker

    masker = ConversationMasker("lang-1")
    assert masker.mask_event({"event": "slot", "name": "language", "value": "nl"})["value"] == "nl"
    user = masker.mask_event({"event": "user", "text": "Waar is mijn pakket, Jan de Vries?", "metadata": {"language": "nl"},
                              "parse_data": {"entities": [{"entity": "language", "value": "nl"}]}})
    assert user["metadata"]["language"] == "nl" and user["parse_data"]["entities"][0]["value"] == "nl"
    assert "Jan de Vries" not in str(user)
    # Only a supported code is kept as it is: anything else in that slot is masked like data.
    assert masker.mask_event({"event": "slot", "name": "language", "value": "Jan de Vries"})["value"] != "Jan de Vries"


@pytest.mark.parametrize("text, rule", [
    # Harm caused by a product: at once, urgent, in both languages.
    ("mijn kind heeft zich gebrand aan de waterkoker", "product_danger"),
    ("de lamp heeft vlam gevat", "product_danger"),
    ("the kettle burned my daughter's hand", "product_danger"),
    ("the heater caught fire last night", "product_danger"),
    # A burn from a product is product harm, never self-harm (issue 22).
    ("I got a burn from the kettle I bought here", "product_danger"),
    ("my son has burns on his hand from the lamp", "product_danger"),
    ("de oplader is doorgebrand en mijn dochter heeft brandwonden", "product_danger"),
    ("ik kreeg een schok van de lamp", "product_danger"),
    ("I got an electric shock from the desk lamp", "product_danger"),
    ("I'm so burned out at work", None),
    ("I'm shocked by your prices", None),
    # Frustration: the same complaint again, nobody helping, anger.
    ("dit is de derde keer dat ik hierover klaag", "complaint_escalation"),
    ("niemand helpt mij, ik ben het zat", "complaint_escalation"),
    ("this is the third time I have complained about this", "complaint_escalation"),
    ("nobody is helping me", "complaint_escalation"),
    # Ordinary complaints and idioms are answered, not handed off.
    ("mijn pakket is beschadigd", None),
    ("ik heb een klacht over de stoel", None),
    ("the sale is on fire", None),
    ("can I return a melted candle", None),
])
def test_escalation_on_frustration_and_on_harm(text: str, rule) -> None:
    matched = load_policies().match_pattern(text)
    assert (getattr(matched, "id", None) if matched else None) == rule
    if rule == "product_danger":
        assert load_policies().trigger(rule).priority == "urgent"
        assert load_policies().trigger(rule).respond_first == "utter_safety_advice"
