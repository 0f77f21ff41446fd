"""The compiled action-response validator accepts and rejects exactly what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.action import RemoteAction as Reloaded  # the class the server uses

from bot import speedups

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_number", "value": "CND-123456", "timestamp": None}],
     "responses": [{"text": "What's your order number?", "metadata": {"candor": {"kind": "x"}}}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "pause"},
                {"event": "bot", "text": "hi", "data": {}, "metadata": {}}], "responses": []},
]
INVALID = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "value": 1}], "responses": []},  # a slot event needs its name
    {"events": [{"no_event_key": True}], "responses": []},
]


@pytest.mark.parametrize("response", VALID)
def test_what_rasa_accepts_is_accepted(response) -> None:
    validate(response, RemoteAction.action_response_format_spec())  # Rasa's own check agrees
    assert speedups._validate_action_result(None, response) is True


@pytest.mark.parametrize("response", INVALID)
def test_what_rasa_rejects_is_rejected_with_its_message(response) -> None:
    with pytest.raises(ValidationError):
        validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        speedups._validate_action_result(None, response)


def test_install_replaces_rasas_check_once(monkeypatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    speedups.install()
    speedups.install()
    assert Reloaded._validate_action_result is speedups._validate_action_result


def test_events_resolve_to_the_classes_rasa_finds() -> None:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    speedups.install()
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    for name in names:
        rasa_finds = next(c for c in rasa.shared.utils.common.all_subclasses(Event) if c.type_name == name)
        assert Event.resolve_by_type(name) is rasa_finds
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    slot = Event.from_parameters({"event": "slot", "name": "language", "value": "nl"})
    assert (slot.key, slot.value) == ("language", "nl")


async def test_action_calls_reuse_one_connection_and_keep_rasas_behaviour() -> None:
    """Rasa's EndpointConfig.request over the kept session: same URL, token parameter, JSON
    body and reply, errors as ClientResponseError; two calls share one TCP connection."""
    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    from tests.e2e.conftest import free_port

    seen = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append((request.transport.get_extra_info("peername")[1], request.query.get("token"),
                     request.headers.get("Content-Type"), await request.json()))
        if request.query.get("fail"):
            return web.Response(status=500, text="broken")
        return web.json_response({"events": [], "responses": [{"text": "ok"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    speedups.install()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="s3cret")
    try:
        body = {"next_action": "action_x", "tracker": {"events": [{"text": "héllo / wörld"}]}}
        assert await endpoint.request(json=body) == {"events": [], "responses": [{"text": "ok"}]}
        assert await endpoint.request(json=body) == {"events": [], "responses": [{"text": "ok"}]}
        with pytest.raises(ClientResponseError) as failed:
            await endpoint.request(json=body, params={"fail": "1"})
        assert failed.value.status == 500
    finally:
        await speedups.close_sessions()
        await runner.cleanup()
    assert [s[1:] for s in seen] == [("s3cret", "application/json", body)] * 3
    assert seen[0][0] == seen[1][0]  # the second call came over the first call's connection
