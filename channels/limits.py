"""The Rasa server's request size limit, set before it accepts a connection.

Rasa leaves Sanic's ``REQUEST_MAX_SIZE`` at 100 MB, and a handler's own size
check runs only after the whole body is in memory (an unauthenticated 100 MB
body to the Slack webhook would be read, then hashed on the event loop to
check its signature). Every project channel calls :func:`configure_app` when
the server starts (channels/guard.py), so the limit holds for every route,
socket.io's long polling included: Sanic refuses a larger ``Content-Length``
(or a chunked body that grows past the limit) before it reads the body, and
the client gets ``413 {"error": "the body is larger than 1,000,000 bytes"}``
with the connection closed.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge

from channels.text import MAX_BODY_BYTES

logger = logging.getLogger(__name__)

TOO_LARGE = f"the body is larger than {MAX_BODY_BYTES:,} bytes"


def _too_large(request: Any, exception: Exception) -> Any:
    logger.info(f"Refused a body over {MAX_BODY_BYTES:,} bytes ({exception})")
    return response.json({"error": TOO_LARGE}, status=413)


def configure_app(app: Sanic) -> None:
    """Sanic's request size limit and its 413 answer (idempotent)."""
    if app.config.REQUEST_MAX_SIZE != MAX_BODY_BYTES:
        app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
        app.error_handler.add(PayloadTooLarge, _too_large)
