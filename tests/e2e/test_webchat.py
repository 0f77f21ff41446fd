"""A third-party web client, as a shop embeds it: botfront's rasa-webchat 1.0.1 (from the npm
registry, fetched by `make test-e2e`) on a page of another origin, in Debian's chromium.

The shop's page passes the customer's identity token in `customData.token`; the widget
sends it with every message, and the socket.io channel answers the token's sender.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from bot.guardrails.loader import load_policies
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import Instance, sender
from tests.e2e.test_agent_console import browser  # noqa: F401 - the shared chromium fixture

pytestmark = pytest.mark.e2e
POLICIES = load_policies(PROJECT_ROOT / "policies")
WEBCHAT_JS = Path(os.environ.get("CANDOR_WEBCHAT_JS", PROJECT_ROOT / ".cache/rasa-webchat-1.0.1/lib/index.js"))

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>A shop</h1><div id="webchat"></div>
<script src="webchat.js"></script>
<script>
  window.WebChat.default({
    selector: "#webchat", socketUrl: "%(socket_url)s", socketPath: "/socket.io/",
    customData: %(custom_data)s, initPayload: "/greet", embedded: true,
    title: "Shop help", inputTextFieldHint: "Type a message"
  }, null);
</script></body></html>
"""


@pytest.fixture(scope="module")
def shop_site(candor: Instance, tmp_path_factory):
    """A static web server for the shop's pages on the origin Candor allows (CORS)."""
    if not WEBCHAT_JS.is_file():
        pytest.fail(f"{WEBCHAT_JS} is missing: `make test-e2e` fetches rasa-webchat from the npm registry")
    root = tmp_path_factory.mktemp("shop")
    (root / "webchat.js").write_bytes(WEBCHAT_JS.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", candor.page_port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield root
    finally:
        server.shutdown()


def page_for(root: Path, name: str, candor: Instance, custom_data: str) -> str:
    (root / name).write_text(PAGE % {"socket_url": candor.url, "custom_data": custom_data})
    return f"http://127.0.0.1:{candor.page_port}/{name}"


def test_rasa_webchat_talks_to_candor_with_the_customers_token(candor, browser, shop_site) -> None:  # noqa: F811
    customer = sender()
    url = page_for(shop_site, "signed-in.html", candor, '{"token": "%s", "language": "en"}' % candor.jwt(customer))
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    # The init payload is answered: the AI disclosure comes first.
    page.wait_for_selector(".rw-response", timeout=60000)
    page.wait_for_function("document.body.innerText.includes('AI')", timeout=60000)
    page.fill(".rw-new-message", "how long does delivery take?")
    page.press(".rw-new-message", "Enter")
    page.wait_for_function("document.body.innerText.includes('working days')", timeout=60000)
    assert errors == []
    # The conversation is the token's sender's, with the channel's name, and the token is not stored.
    tracker = candor.tracker(customer)
    said = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert "how long does delivery take?" in said
    assert {e.get("input_channel") for e in tracker["events"] if e.get("event") == "user"} == {"socketio"}
    stored = b"".join(p.read_bytes() for p in candor.data_dir.rglob("*") if p.is_file())
    assert candor.jwt_secret.encode() not in stored


def test_rasa_webchat_without_a_token_is_asked_to_sign_in_and_nothing_is_stored(candor, browser, shop_site) -> None:  # noqa: F811
    url = page_for(shop_site, "anonymous.html", candor, "{}")
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector(".rw-new-message", timeout=60000)
    before = candor.query("select count(*) from events")
    page.fill(".rw-new-message", "where is my order? anonymous-canary")
    page.press(".rw-new-message", "Enter")
    page.wait_for_function("document.body.innerText.toLowerCase().includes('sign in')", timeout=60000)
    assert candor.query("select count(*) from events") == before
    assert candor.query("select count(*) from events where data like '%anonymous-canary%'") == [(0,)]
