"""Conversation ids: each channel keeps its own namespace, and web chat
sessions are issued by the server.

Rasa keys a conversation (its tracker, its lock, the report's rows) by the
sender id alone, across channels. If a channel passed what the client sends
straight through, the REST ``sender`` "U0ABC" would continue the Slack
conversation of the user U0ABC, whose id everyone in the workspace can see.
So every project channel prefixes the id it hands to Rasa with its own name
(:func:`conversation_id`):

    rest:<sender>            the REST channel (the caller's ``sender``)
    web:<session id>         socket.io (the web chat)
    slack:<team>:<user>      Slack (``conversation_granularity: sender``; more
                             parts for ``channel`` and ``thread``)

A REST caller who sends ``"sender": "slack:T1:U1"`` reaches the conversation
``rest:slack:T1:U1``, never the Slack one: no channel can name an id in
another's namespace.

Web chat session ids (:class:`SessionIds`) are issued by the server: a random
128-bit id and an HMAC of it under a key only the server knows. A client can
resume a session it was given (a page reload) but cannot pick one: anything
else it names is replaced by a fresh id. The key comes from
SOCKETIO_SESSION_KEY (every server behind one load balancer must share it),
else from ``var/socketio-session.key``, created once, readable by the owner only.

No Rasa import: the stack, the report and the tests use these too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Optional

REST = "rest"
WEB = "web"
SLACK = "slack"
SEPARATOR = ":"
MAX_CONVERSATION_ID_CHARS = 255  # the SQL tracker store's sender_id column is VARCHAR(255)
# the longest id a REST caller may send: room for the "rest:" prefix
MAX_REST_SENDER_CHARS = MAX_CONVERSATION_ID_CHARS - len(REST + SEPARATOR)

SESSION_KEY_ENV = "SOCKETIO_SESSION_KEY"
SESSION_KEY_FILE = Path(__file__).resolve().parent.parent / "var" / "socketio-session.key"
_SESSION_ID = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})")


def conversation_id(channel: str, *parts: str) -> str:
    """The id Rasa stores a conversation under: the channel's name first."""
    return SEPARATOR.join((channel, *parts))


def client_id(channel: str, conversation: str) -> str:
    """What the client called the conversation (the channel's prefix removed)."""
    prefix = channel + SEPARATOR
    return conversation[len(prefix):] if conversation.startswith(prefix) else conversation


def _session_key(env_value: Optional[str], path: Path) -> bytes:
    if env_value:
        return env_value.encode()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:  # created readable by the owner only; the first of several servers wins
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class SessionIds:
    """Web chat session ids the server issues and recognises (see the module docstring)."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self.key = key if key is not None else _session_key(os.environ.get(SESSION_KEY_ENV), SESSION_KEY_FILE)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        nonce = secrets.token_hex(16)
        return f"{nonce}.{self._sign(nonce)}"

    def issued(self, session_id: object) -> bool:
        """True if this server (or one sharing its key) issued ``session_id``."""
        match = _SESSION_ID.fullmatch(session_id) if isinstance(session_id, str) else None
        return bool(match) and hmac.compare_digest(match.group(2), self._sign(match.group(1)))
