"""Two fixes to Rasa 3.6's server, installed by `python -m bot rasa-run` before Rasa starts.
Both found by profiling the Rasa server under load (py-spy during `make bench`).

1. Rasa checks every action-server response against its JSON schema with `jsonschema.validate`,
which first validates the *schema itself* against the JSON-schema metaschema, on every call.
Profiled under load (py-spy, `make bench` at 20 conversations), that took 36% of the Rasa
server's time. Here the same schema is compiled once and each response is checked with it:
the same checks and the same error for a bad response, without re-checking the schema.

2. Rasa turns each stored event back into an object by walking every subclass of `Event`
   for its type name (`Event.resolve_by_type`), for every event of a conversation each time
   it is loaded: 13% of the server's time. The classes are looked up in a table made once
   (the first class of each name wins, as in Rasa's loop); a name not in it goes to Rasa's
   own lookup, so an event class defined later is still found.

3. Rasa opens a new HTTP client session, and with it a new TCP connection, for every call
   to the action server (`EndpointConfig.request`), and encodes the whole tracker with the
   standard `json` module. Here each endpoint keeps one client session per event loop
   (connections are reused; the action server keeps idle ones 75 s, the client 15 s) and
   encodes with `ujson` (a Rasa dependency). Headers, parameters, time-out, errors and the
   parsed reply are Rasa's.

4. A message the NLU worker already parsed at the door (bot/pii/analysis_process.py) is not
   parsed again by the server's NLU graph: `MessageProcessor._parse_message_with_graph`
   returns the worker's parse when it came from the model this server serves (same model
   id); otherwise Rasa's own runs.

5. With an NLU worker (`dialogue_part_only`), the server loads only the dialogue part of the
   model (policies, TED): the worker holds the NLU part, so no part is held twice (about
   0.3 GB each). A message the worker could not parse is parsed by the NLU part loaded here
   on first need, once.
"""
from __future__ import annotations

import asyncio
import copy
import functools
import logging
import ssl
import threading
from typing import Any, Dict, Optional, Text, Tuple

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema compiled once."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


_RASA_RESOLVE_BY_TYPE: Any = None


@functools.lru_cache(maxsize=1)
def _event_classes() -> Dict[Text, Any]:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    table: Dict[Text, Any] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def resolve_by_type(type_name: Text, default: Any = None) -> Any:
    """`Event.resolve_by_type` from a table made once; unknown names go to Rasa's own."""
    found = _event_classes().get(type_name)
    if found is not None:
        return found
    return _RASA_RESOLVE_BY_TYPE(type_name, default)


_SESSIONS: Dict[Tuple[int, Text], Any] = {}


def _session(endpoint: Any) -> Any:
    """The endpoint's client session on the running loop, made on first use (Rasa's own
    settings: headers, basic auth, time-out), with ujson encoding."""
    import aiohttp
    import ujson
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    key = (id(asyncio.get_running_loop()), repr((endpoint.url, endpoint.headers, endpoint.basic_auth)))
    session = _SESSIONS.get(key)
    if session is None or session.closed:
        auth = (aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
                if endpoint.basic_auth else None)
        session = aiohttp.ClientSession(headers=endpoint.headers, auth=auth, json_serialize=ujson.dumps,
                                        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
        _SESSIONS[key] = session
    return session


async def close_sessions() -> None:
    """Close the kept client sessions of the running loop (at server stop)."""
    loop = id(asyncio.get_running_loop())
    for key in [k for k in _SESSIONS if k[0] == loop]:
        await _SESSIONS.pop(key).close()


async def _request(self: Any, method: Text = "post", subpath: Optional[Text] = None,
                   content_type: Optional[Text] = "application/json", compress: bool = False,
                   **kwargs: Any) -> Optional[Any]:
    """`EndpointConfig.request` over the endpoint's kept session."""
    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", None) or {})
    headers.update(self.headers or {})
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(f"Failed to find certificate file, '{self.cafile}' does not exist.") from e
    async with _session(self).request(method, concat_url(self.url, subpath), headers=headers,
                                      params=self.combine_parameters(kwargs), compress=compress,
                                      ssl=sslcontext, **kwargs) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


_RASA_PARSE: Any = None
# Models loaded without their NLU part (model id -> archive), and that part once loaded here.
_DIALOGUE_ONLY: Dict[str, str] = {}
_NLU_PARTS: Dict[str, Any] = {}
_NLU_LOCK = threading.Lock()


def _parse_message_with_graph(self: Any, message: Any, tracker: Any, only_output_properties: bool = True) -> Any:
    """`MessageProcessor._parse_message_with_graph`, or the NLU worker's parse of the same model."""
    done = getattr(message, "candor_parse", None)
    if done is not None and only_output_properties and done[0] == self.model_metadata.model_id:
        return copy.deepcopy(done[1])
    archive = _DIALOGUE_ONLY.get(self.model_metadata.model_id)
    if archive is not None:
        return _nlu_part(self.model_metadata.model_id, archive).parse(message, tracker, only_output_properties)
    return _RASA_PARSE(self, message, tracker, only_output_properties)


def _nlu_part(model_id: str, archive: str) -> Any:
    """The NLU part of a model loaded dialogue-only, loaded in this process on first need."""
    from bot.pii.analysis_process import Parser, nlu_runner

    with _NLU_LOCK:
        if model_id not in _NLU_PARTS:
            logger.warning("Loading the model's NLU part in the server: the NLU worker could not parse.")
            metadata, runner = nlu_runner(archive)
            if metadata.model_id != model_id:
                raise RuntimeError(f"{archive} is no longer the model this server serves")
            _NLU_PARTS[model_id] = Parser(metadata, runner)
        return _NLU_PARTS[model_id]


def part_runner(metadata: Any, storage: Any, runner_class: Any, target: Optional[str] = None) -> Any:
    """A graph runner of the nodes `target` needs (Rasa's own runner, of fewer nodes), or of
    the whole model without a target."""
    from rasa.engine.graph import ExecutionContext

    schema = metadata.predict_schema.minimal_graph_schema([target]) if target else metadata.predict_schema
    return runner_class.create(graph_schema=schema, model_storage=storage,
                               execution_context=ExecutionContext(graph_schema=metadata.predict_schema,
                                                                  model_id=metadata.model_id))


def _load_dialogue_part(storage_path: Any, model_archive_path: Any, model_storage_class: Any,
                        graph_runner_class: Any) -> Tuple[Any, Any]:
    """`rasa.engine.loader.load_predict_graph_runner` of the model's dialogue part only."""
    model_storage, metadata = model_storage_class.from_model_archive(
        storage_path=storage_path, model_archive_path=model_archive_path)
    if not (metadata.core_target and metadata.nlu_target):  # one part only: load it whole
        return metadata, part_runner(metadata, model_storage, graph_runner_class)
    _DIALOGUE_ONLY[metadata.model_id] = str(model_archive_path)
    return metadata, part_runner(metadata, model_storage, graph_runner_class, metadata.core_target)


def dialogue_part_only() -> None:
    """Fix 5: the server loads models without their NLU part (idempotent)."""
    from rasa.engine import loader

    loader.load_predict_graph_runner = _load_dialogue_part


def install() -> None:
    """The four fixes (idempotent)."""
    global _RASA_RESOLVE_BY_TYPE
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    if RemoteAction._validate_action_result is not _validate_action_result:
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    if _RASA_RESOLVE_BY_TYPE is None:
        _RASA_RESOLVE_BY_TYPE = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.request = _request  # type: ignore[assignment]
    global _RASA_PARSE
    from rasa.core.processor import MessageProcessor

    if _RASA_PARSE is None:
        _RASA_PARSE = MessageProcessor._parse_message_with_graph
        MessageProcessor._parse_message_with_graph = _parse_message_with_graph  # type: ignore[assignment]
    logger.debug("Rasa speed-ups installed: compiled action-response schema, event class table, "
                 "kept action-server sessions.")
