"""One fix to Rasa 3.6's server, installed by `python -m bot rasa-run` before Rasa starts.

Rasa checks every action-server response against its JSON schema with `jsonschema.validate`,
which first validates the *schema itself* against the JSON-schema metaschema, on every call.
Profiled under load (py-spy, `make bench` at 20 conversations), that took 36% of the Rasa
server's time. Here the same schema is compiled once and each response is checked with it:
the same checks and the same error for a bad response, without re-checking the schema.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Dict, Text

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


def install() -> None:
    """Use the compiled validator for every remote action (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    if RemoteAction._validate_action_result is not _validate_action_result:
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
        logger.debug("Action responses are validated with a schema compiled once.")
