"""The policy loader: valid files load; every kind of broken file names the file and field."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
import yaml

from bot.guardrails.loader import PolicyError, load_policies
from tests.conftest import PROJECT_ROOT


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(PROJECT_ROOT / "policies", target)
    return target


def _edit(path: Path, change) -> None:
    content = yaml.safe_load(path.read_text())
    change(content)
    path.write_text(yaml.safe_dump(content))


def test_the_shipped_policies_load() -> None:
    loaded = load_policies(PROJECT_ROOT / "policies")
    assert loaded.disclosure_version
    assert "AI" in loaded.disclosure_message()
    assert loaded.guardrail_intents == [
        "opt_out", "ask_is_bot", "withdraw_consent", "request_erasure", "ask_my_data", "request_callback", "ask_why"]
    assert loaded.trigger("opted_out").priority in {"urgent", "high", "normal"}
    ids = [t.id for t in loaded.handoff.triggers]
    assert len(ids) == len(set(ids))
    assert {"self_harm", "fraud", "legal_threat", "bereavement", "complaint_escalation",
            "customer_asks_for_human", "special_category_data", "repeated_misunderstanding",
            "repeated_question", "opted_out"} <= set(ids)


def _trigger_index(path: Path, rule: str) -> int:
    triggers = yaml.safe_load(path.read_text())["triggers"]
    return next(i for i, t in enumerate(triggers) if t["id"] == rule)


def _edit_trigger(policy_dir: Path, rule: str, change) -> None:
    path = policy_dir / "handoff.yml"
    index = _trigger_index(path, rule)
    _edit(path, lambda c: change(c["triggers"][index]))


def _error(policy_dir: Path, domain: Optional[Path] = None) -> PolicyError:
    from bot.guardrails.loader import check_against_domain

    with pytest.raises(PolicyError) as error:
        check_against_domain(load_policies(policy_dir), domain or PROJECT_ROOT / "domain.yml")
    return error.value


@pytest.mark.parametrize(
    "rule, change, field, words",
    [
        ("fraud", lambda t: t.update(priority="whenever"), "priority", "not a valid enumeration member"),
        ("fraud", lambda t: t.pop("reason"), "reason", "required"),
        ("legal_threat", lambda t: t["when"].update(intents=["sue_us"]), "when.intents.0", "not in the domain"),
        ("legal_threat", lambda t: t["when"]["patterns"]["nl"].insert(1, "(unclosed"),
         "when.patterns.nl.1", "bad regular expression"),
        ("self_harm", lambda t: t.update(respond_first="utter_no_such_response"), "respond_first",
         "not in the domain"),
        ("opted_out", lambda t: t.update(action="action_no_such_thing"), "action", "not in the domain"),
        ("special_category_data", lambda t: t["when"].update(special_category=["SHOE_SIZE"]),
         "when.special_category.0", "not an entity in pii.yml"),
        ("repeated_misunderstanding", lambda t: t["when"].update(consecutive_fallbacks="three"),
         "when.consecutive_fallbacks", "not a valid integer"),
        ("bereavement", lambda t: t["when"].update(when_it_rains=True), "when.when_it_rains", "extra fields not permitted"),
        ("bereavement", lambda t: t.update(id="fraud"), None, "used twice"),
    ],
)
def test_every_kind_of_trigger_error_names_file_rule_and_field(policy_dir: Path, rule, change, field, words) -> None:
    _edit_trigger(policy_dir, rule, change)
    error = _error(policy_dir)
    assert error.file.name == "handoff.yml"
    assert error.rule == (rule if words != "used twice" else "fraud")
    if field:
        assert error.field == field
    assert words in str(error)
    assert f"rule '{error.rule}'" in str(error) and "handoff.yml" in str(error)


def test_a_trigger_the_code_raises_cannot_be_removed(policy_dir: Path) -> None:
    path = policy_dir / "handoff.yml"
    index = _trigger_index(path, "technical_problem")
    _edit(path, lambda c: c["triggers"].pop(index))
    error = _error(policy_dir)
    assert (error.rule, error.field) == ("technical_problem", "triggers")


def test_office_hours_errors_are_named(policy_dir: Path) -> None:
    _edit(policy_dir / "handoff.yml", lambda c: c["office_hours"]["days"].update(mon=["17:00", "09:00"]))
    assert _error(policy_dir).field == "office_hours.days.mon"
    _edit(policy_dir / "handoff.yml", lambda c: c["office_hours"]["days"].update(mon=["9am", "17:00"]))
    error = _error(policy_dir)
    assert error.field == "office_hours.days.mon" and "'9am' is not a time" in str(error)
    _edit(policy_dir / "handoff.yml", lambda c: c["office_hours"]["days"].update(mon=["09:00", "17:00"], someday=["09:00", "17:00"]))
    error = _error(policy_dir)
    assert error.field == "office_hours.days" and "permitted: 'mon'" in str(error)
    _edit(policy_dir / "handoff.yml", lambda c: c["office_hours"]["days"].pop("someday"))
    _edit(policy_dir / "handoff.yml", lambda c: c["office_hours"]["days"].update(mon=["09:00", "17:00"]))
    _edit(policy_dir / "handoff.yml", lambda c: c["office_hours"].update(timezone="Mars/Olympus"))
    assert _error(policy_dir).field == "office_hours.timezone"


def test_missing_file_is_named(policy_dir: Path) -> None:
    (policy_dir / "opt_out.yml").unlink()
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)
    assert error.value.file.name == "opt_out.yml"
    assert "missing" in str(error.value)


def test_missing_field_is_named(policy_dir: Path) -> None:
    _edit(policy_dir / "disclosure.yml", lambda c: c.pop("version"))
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)
    assert error.value.file.name == "disclosure.yml"
    assert error.value.field == "version"


def test_wrong_type_is_named(policy_dir: Path) -> None:
    _edit(policy_dir / "disclosure.yml", lambda c: c.update(is_bot_answer=["a", "list"]))
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)
    assert error.value.field == "is_bot_answer"


def test_bad_backstop_regex_is_named(policy_dir: Path) -> None:
    _edit(
        policy_dir / "backstops.yml",
        lambda c: c["intents"]["ask_is_bot"]["patterns"]["en"].insert(0, "(unclosed"),
    )
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)
    assert (error.value.rule, error.value.field) == ("ask_is_bot", "patterns.en.0")
    assert "regular expression" in str(error.value)


def test_invalid_yaml_and_unreadable_bytes(policy_dir: Path) -> None:
    (policy_dir / "handoff.yml").write_text("triggers: [unclosed\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policies(policy_dir)
    (policy_dir / "handoff.yml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(PolicyError, match="handoff.yml"):
        load_policies(policy_dir)


def test_start_up_stops_on_a_broken_policy(policy_dir: Path) -> None:
    _edit(policy_dir / "opt_out.yml", lambda c: c.pop("confirmed"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=PROJECT_ROOT,
        env={**__import__("os").environ, "CANDOR_POLICIES_DIR": str(policy_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "opt_out.yml" in result.stderr and "'confirmed'" in result.stderr


@pytest.mark.parametrize(
    "text, intent",
    [
        ("are you a bot?", "ask_is_bot"),
        ("r u human", "ask_is_bot"),
        ("Am I talking to a REAL person?", "ask_is_bot"),
        ("is this an automated chat", "ask_is_bot"),
        ("ben je een mens?", "ask_is_bot"),
        ("I want to talk to a human", "request_human"),
        ("human please", "request_human"),
        ("can I speak to an agent", "request_human"),
        ("ik wil een medewerker spreken", "request_human"),
        ("I don't want a bot", "opt_out"),
        ("stop using AI on my case", "opt_out"),
        ("I object to automated processing", "opt_out"),
        ("I don\u2019t want to talk to a bot", "opt_out"),
        ("ik wil niet met een bot praten", "opt_out"),
    ],
)
def test_backstop_patterns_catch_safety_critical_phrases(text: str, intent: str) -> None:
    match = load_policies(PROJECT_ROOT / "policies").match_pattern(text)
    assert match is not None
    assert (match.intent if hasattr(match, "intent") else match.intents[0]) == intent


@pytest.mark.parametrize(
    "text, rule",
    [
        ("I want to kill myself", "self_harm"),
        ("ik wil er een eind aan maken", "self_harm"),
        ("are you a bot? I don't want to live anymore", "self_harm"),
        ("there is an unauthorised payment on my card", "fraud"),
        ("er staat een onbekende afschrijving op mijn rekening", "fraud"),
        ("my lawyer will contact you", "legal_threat"),
        ("ik schakel een advocaat in", "legal_threat"),
        ("my father passed away last week", "bereavement"),
        ("mijn moeder is overleden", "bereavement"),
        ("I want to file a formal complaint", "complaint_escalation"),
        ("ik wil een klacht indienen", "complaint_escalation"),
        ("let me talk to a real person", "customer_asks_for_human"),
    ],
)
def test_trigger_patterns_catch_sensitive_matters_in_english_and_dutch(text: str, rule: str) -> None:
    match = load_policies(PROJECT_ROOT / "policies").match_pattern(text)
    assert match is not None and match.id == rule


@pytest.mark.parametrize(
    "text",
    [
        "where is my order CND-100001",
        "I want to return the robot vacuum",
        "is the human hair brush in stock",
        "how do I pay with paypal",
        "no aid needed, thanks",
        "my phone died so I couldn't answer the courier",
        "the lamp I ordered is a killer deal",
        "",
    ],
)
def test_backstop_patterns_leave_ordinary_messages_alone(text: str) -> None:
    assert load_policies(PROJECT_ROOT / "policies").match_pattern(text) is None


def test_pii_policy_errors_are_named(policy_dir: Path) -> None:
    from bot.guardrails.loader import load_pii_policy

    _edit(policy_dir / "pii.yml", lambda c: c["allow_list"].update(order_number="(unclosed"))
    with pytest.raises(PolicyError) as error:
        load_pii_policy(policy_dir)
    assert (error.value.file.name, error.value.field) == ("pii.yml", "allow_list.order_number")
    _edit(policy_dir / "pii.yml", lambda c: c["allow_list"].update(order_number="CND"))
    _edit(policy_dir / "pii.yml", lambda c: c["entities"]["PERSON"].update(operator="shred"))
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)  # pii.yml is validated with every other policy file
    assert error.value.field == "entities.PERSON.operator"


def test_policies_must_name_intents_and_actions_of_the_domain(policy_dir: Path, tmp_path: Path) -> None:
    from bot.guardrails.loader import check_against_domain

    check_against_domain(load_policies(policy_dir), PROJECT_ROOT / "domain.yml")
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    domain["intents"].remove("ask_is_bot")
    broken = tmp_path / "domain.yml"
    broken.write_text(yaml.safe_dump(domain))
    error = _error(policy_dir, broken)
    assert (error.file.name, error.rule) == ("backstops.yml", "ask_is_bot")
    _edit(policy_dir / "backstops.yml", lambda c: c["intents"]["opt_out"].update(action="action_no_such_thing"))
    error = _error(policy_dir)
    assert (error.rule, error.field) == ("opt_out", "action")


def test_make_validate_reports_file_rule_and_field(policy_dir: Path) -> None:
    _edit_trigger(policy_dir, "bereavement", lambda t: t["when"].update(intents=["grief"]))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=PROJECT_ROOT,
        env={**__import__("os").environ, "CANDOR_POLICIES_DIR": str(policy_dir)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "handoff.yml" in result.stderr and "rule 'bereavement'" in result.stderr
    assert "when.intents.0" in result.stderr and "'grief'" in result.stderr


def test_every_error_of_every_file_is_reported_at_once(policy_dir: Path) -> None:
    _edit_trigger(policy_dir, "fraud", lambda t: t.update(priority="whenever"))
    _edit_trigger(policy_dir, "bereavement", lambda t: t.pop("reason"))
    _edit(policy_dir / "consent.yml", lambda c: c["purposes"]["phone_callback"].update(retention_days=0))
    _edit(policy_dir / "disclosure.yml", lambda c: c["is_bot_answer"].pop("nl"))
    with pytest.raises(PolicyError) as raised:
        load_policies(policy_dir)
    found = {(e.file.name, e.rule, e.field) for e in raised.value.errors}
    assert found == {
        ("handoff.yml", "fraud", "priority"),
        ("handoff.yml", "bereavement", "reason"),
        ("consent.yml", "phone_callback", "retention_days"),
        ("disclosure.yml", None, "is_bot_answer"),
    }
    assert len(str(raised.value).splitlines()) == 4
    assert "no text in language 'nl'" in str(raised.value)


def test_priorities_days_and_legal_bases_are_enums(policy_dir: Path) -> None:
    from bot.guardrails.model import Day, Priority
    from bot.storage.policy import LegalBasis

    loaded = load_policies(policy_dir)
    assert all(isinstance(t.priority, Priority) for t in loaded.handoff.triggers)
    assert all(isinstance(day, Day) for day in loaded.handoff.office_hours.days)
    assert all(isinstance(p.legal_basis, LegalBasis) for p in loaded.purposes.values())
    assert str(loaded.trigger("self_harm").priority) == "urgent"
    _edit(policy_dir / "consent.yml", lambda c: c["purposes"]["phone_callback"].update(legal_basis="because"))
    with pytest.raises(PolicyError) as raised:
        load_policies(policy_dir)
    assert (raised.value.rule, raised.value.field) == ("phone_callback", "legal_basis")


def test_pattern_matches_are_remembered_within_a_bound(monkeypatch) -> None:
    import bot.guardrails.loader as loader

    loaded = load_policies(PROJECT_ROOT / "policies")
    first = loaded.match_pattern("I want to talk to a human")
    assert first is not None and loaded.match_pattern("I want to talk to a human") is first
    assert loaded.match_pattern("what are your opening hours?") is None
    monkeypatch.setattr(loader, "MATCHES_KEPT", 3)
    for n in range(10):
        loaded.match_pattern(f"order {n}")
    assert len(loaded._matched) == 3
    assert loaded.match_pattern("I want to talk to a human") is first  # found again after eviction
