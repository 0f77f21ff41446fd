"""The agent console in a real headless browser: Debian's chromium driven by Playwright.

`make test-browser` installs nothing: CI installs the `chromium` package when it is
missing (`.ci/run`); Playwright is pointed at it (`playwright install` cannot download).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import Instance, sender, texts

pytestmark = pytest.mark.e2e
CHROMIUM = os.environ.get("CANDOR_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI does this in .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def agent_token(candor: Instance, agent_id: str, name: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "agent", "add", "--id", agent_id, "--name", name],
        cwd=PROJECT_ROOT, env={**os.environ, "CANDOR_DATA_DIR": str(candor.data_dir)},
        capture_output=True, text=True, timeout=60, check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_an_agent_claims_reads_answers_and_hands_back_in_the_console(candor, browser) -> None:
    token = agent_token(candor, "ria", "Ria")
    customer = sender()
    candor.say(customer, "hi")
    # Untrusted text must show as text, never run as HTML.
    candor.say(customer, "<img src=x onerror=\"document.title='pwned'\"> I want to talk to a human")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{candor.url}/webhooks/agent_desk/")
    # Before sign-in there is no desk to see (not even an empty queue).
    assert not page.is_visible("#desk") and not page.is_visible("#queue-empty")

    page.fill("#token", "wrong-token")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#status:has-text('not accepted')")
    assert page.is_visible("#login")

    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#whoami:has-text('Ria')")
    ticket_id = candor.query("select id from handoff_tickets where sender_id = ?", customer)[0][0]
    row = page.locator(f"#queue tbody tr[data-ticket-id='{ticket_id}']")
    row.wait_for()
    assert "customer request" in row.inner_text() and "normal" in row.inner_text()
    # The desk names the customer by a pseudonym, never by their sender id.
    assert customer not in page.content() and row.inner_text().count("C-") == 1
    # At 1200 px every queue column is on screen, the Agent column included.
    pane = page.locator("#queue-pane").bounding_box()
    agent_header = page.locator("#queue th", has_text="Agent").bounding_box()
    assert agent_header["x"] + agent_header["width"] <= pane["x"] + pane["width"] + 1
    assert agent_header["x"] + agent_header["width"] <= 1200
    row.click()
    page.wait_for_selector("#transcript li.from-customer")
    transcript = page.inner_text("#transcript")
    assert "I want to talk to a human" in transcript
    assert "<img" in transcript and page.title() != "pwned"
    assert page.is_disabled("#send")

    page.click("#claim")
    page.wait_for_selector("#send:enabled")
    page.fill("#reply", "Hi, this is Ria. How can I help?")
    page.click("#send")
    page.wait_for_selector("#transcript li.from-human")
    human = page.inner_text("#transcript li.from-human")
    assert "human agent ria" in human and "How can I help?" in human

    replies = candor.say(customer, "my parcel never arrived")
    assert texts(replies) == ["Ria (human agent): Hi, this is Ria. How can I help?"]
    page.wait_for_selector("#transcript li.from-customer:has-text('my parcel never arrived')", timeout=15000)

    page.click("#handback")
    page.wait_for_selector("#summary dd:has-text('handed_back')")
    assert candor.tracker(customer)["paused"] is False
    assert any("working days" in t for t in texts(candor.say(customer, "how long does delivery take?")))
    assert errors == []
    page.close()
