"""The action server: rasa_sdk's own app, answering only the Rasa server.

`rasa run actions` listens on every interface and runs any action for whoever calls it; the
actions export, erase and record consent. Here the same app (rasa_sdk's `create_app`, same
routes and executor) listens on `CANDOR_BIND` (loopback by default), and every request but
`/health` must carry the shared secret (`X-Candor-Action-Secret`, endpoints.yml sends it),
compared in constant time; otherwise 401 and nothing runs.
"""
from __future__ import annotations

import hmac
import logging
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import bind_address, settings

SECRET_HEADER = "X-Candor-Action-Secret"
logger = logging.getLogger(__name__)


def secret_matches(offered: Optional[str], secret: str) -> bool:
    """Constant-time comparison of the header's value with the secret."""
    return bool(offered) and hmac.compare_digest(offered.encode("utf-8"), secret.encode("utf-8"))


def guard(app: Sanic, secret: str) -> Sanic:
    """Refuse every call that does not carry the secret (the health check excepted)."""
    if len(secret) < 16:
        raise SystemExit("CANDOR_ACTION_SECRET must have at least 16 characters")

    @app.on_request
    async def only_the_rasa_server(request: Request) -> Optional[HTTPResponse]:
        if request.path == "/health":
            return None
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            logger.warning("An action call without the shared secret was refused (%s %s).",
                           request.method, request.path)
            return response.json({"error": "only the Rasa server may call the action server"}, status=401)
        return None

    return app


# The Rasa server sends the whole tracker with every call: a long conversation's is well
# past the customer-facing body cap (`CANDOR_MAX_BODY_BYTES`, 64 KB), which the servers'
# environment sets for Sanic; a longer cap here, where only the Rasa server on loopback calls.
ACTION_REQUEST_MAX_BYTES = 32 * 1024 * 1024


def create_app(secret: str) -> Sanic:
    from rasa_sdk.endpoint import create_app as sdk_app

    # No CORS: no web page has any business calling the action server.
    app = guard(sdk_app("actions", cors_origins=None), secret)
    app.config.REQUEST_MAX_SIZE = ACTION_REQUEST_MAX_BYTES
    return app


def main(argv: list) -> int:
    """`python -m bot run-actions --port N [--debug|--verbose|--quiet]`."""
    import argparse

    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME

    parser = argparse.ArgumentParser(prog="python -m bot run-actions")
    parser.add_argument("--port", type=int, default=settings().actions_port)
    utils.add_logging_level_option_arguments(parser)
    args = parser.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(args.loglevel or logging.INFO)
    utils.update_sanic_log_level()
    app = create_app(settings().action_secret()[0])
    host = bind_address()
    logger.info(f"Action endpoint is up and running on http://{host}:{args.port}")
    app.run(host, args.port, workers=1, access_log=False)
    return 0
