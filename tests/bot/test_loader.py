"""The policy loader: valid files load; every kind of broken file names the file and field."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
    assert loaded.guardrail_intents == ["opt_out", "ask_is_bot", "request_human"]
    assert loaded.handoff_reason("opt_out").priority in {"urgent", "high", "normal"}


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


def test_unknown_priority_is_named(policy_dir: Path) -> None:
    _edit(
        policy_dir / "handoff.yml",
        lambda c: c["reasons"]["opt_out"].update(priority="whenever"),
    )
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)
    assert error.value.file.name == "handoff.yml"
    assert error.value.field == "reasons.opt_out.priority"


def test_bad_regex_is_named(policy_dir: Path) -> None:
    _edit(
        policy_dir / "backstops.yml",
        lambda c: c["intents"]["request_human"]["patterns"]["en"].insert(0, "(unclosed"),
    )
    with pytest.raises(PolicyError) as error:
        load_policies(policy_dir)
    assert error.value.field == "intents.request_human.patterns.en.0"
    assert "regular expression" in str(error.value)


def test_invalid_yaml_and_unreadable_bytes(policy_dir: Path) -> None:
    (policy_dir / "handoff.yml").write_text("reasons: [unclosed\n")
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
    match = load_policies(PROJECT_ROOT / "policies").match_backstop(text)
    assert match is not None and match.intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "where is my order CND-100001",
        "I want to return the robot vacuum",
        "is the human hair brush in stock",
        "how do I pay with paypal",
        "no aid needed, thanks",
        "",
    ],
)
def test_backstop_patterns_leave_ordinary_messages_alone(text: str) -> None:
    assert load_policies(PROJECT_ROOT / "policies").match_backstop(text) is None


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
    domain["intents"].remove("request_human")
    broken = tmp_path / "domain.yml"
    broken.write_text(yaml.safe_dump(domain))
    with pytest.raises(PolicyError) as error:
        check_against_domain(load_policies(policy_dir), broken)
    assert (error.value.file.name, error.value.field) == ("backstops.yml", "intents.request_human")
    _edit(policy_dir / "backstops.yml", lambda c: c["intents"]["opt_out"].update(action="action_no_such_thing"))
    with pytest.raises(PolicyError) as error:
        check_against_domain(load_policies(policy_dir), PROJECT_ROOT / "domain.yml")
    assert error.value.field == "intents.opt_out.action"
