"""What every channel checks and cleans before a message reaches Rasa.

Plain functions, no Rasa import, shared by the REST, socket.io and Slack
channels (channels/rest.py, channels/socketio.py, channels/slack.py) and by
the tests. See docs/RELIABILITY.md for the table of bad inputs and replies.

- :func:`clean_text`: control characters (Unicode category Cc: NUL, ESC, DEL,
  the C1 range, and also tab/CR/LF) become spaces, invalid Unicode (lone
  surrogates, which JSON can carry as ``"\\ud800"``) is removed, the text is
  NFC-normalised and trimmed. Emoji, right-to-left text and HTML are ordinary
  text and are kept as they are (the web widget renders them as text).
- :func:`screen`: an empty message gets a short prompt to ask something; a
  message longer than the limit (``MAX_MESSAGE_CHARS``, default 2,000
  characters) gets a polite "too long" reply. Neither reaches NLU.
- :func:`parse_rest_body`: the REST body must be a JSON object with a string
  ``message``; ``sender`` and ``metadata`` are optional but typed. Anything
  else raises :class:`BadRequest`, answered with a 4xx and a JSON ``error``.
- :func:`clean_metadata`: metadata (REST ``metadata``, socket.io
  ``customData``) is stored with every user message, so it is capped at
  :data:`MAX_METADATA_BYTES` (4 KB as JSON): no request can grow a
  conversation by more than a message's worth.
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from channels.ids import MAX_CONVERSATION_ID_CHARS, MAX_REST_SENDER_CHARS

DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_MESSAGE_CHARS_ENV = "MAX_MESSAGE_CHARS"
MAX_BODY_BYTES = 1_000_000  # larger bodies are refused (413) before they are read (channels/limits.py)
MAX_METADATA_DEPTH = 20
MAX_METADATA_BYTES = 4096  # metadata is stored with every user message

# Replies the channels give themselves (the conversation glue for messages
# that never reach Rasa, and for a failed action). No facts here.
HELP_BUTTONS: List[Dict[str, str]] = [{"title": "What can I ask?", "payload": "/help"}]
EMPTY_REPLY = (
    "Your message was empty. Ask me anything about micro-credentials or "
    "certifications, for example \"do employers care about micro-credentials?\""
)
TOO_LONG_REPLY = (
    "Sorry, that message is too long for me (more than {limit:,} characters). "
    "Could you ask your question in a sentence or two?"
)
APOLOGY_REPLY = (
    "Sorry, something went wrong on my side and I couldn't answer that just now. "
    "Please try again in a moment; greetings and \"what can I ask?\" still work."
)
SILENT_TURN_REPLY = "What would you like to know about micro-credentials or certifications?"
UNREADABLE_REPLY = (
    "Sorry, I couldn't read that message. Please type your question again."
)


class BadRequest(ValueError):
    """A request the channel refuses: ``status`` (4xx) and a message saying why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------
# text


def _keep(ch: str) -> bool:
    return not 0xD800 <= ord(ch) <= 0xDFFF  # lone surrogates (json.loads pairs the valid ones)


def clean_text(text: str) -> str:
    """The text NLU sees: control characters as spaces, no invalid Unicode,
    NFC, trimmed. Everything else (emoji, RTL scripts, ``<b>``) is kept."""
    out = []
    for ch in text:
        if not _keep(ch):
            continue
        out.append(" " if unicodedata.category(ch) == "Cc" else ch)
    return unicodedata.normalize("NFC", "".join(out)).strip()


def clean_json(value: Any, depth: int = 0) -> Any:
    """Metadata as Rasa may store it: strings (keys too) without lone
    surrogates, which no UTF-8 database or JSON encoder accepts."""
    if depth > MAX_METADATA_DEPTH:
        raise BadRequest(f"'metadata' is nested deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, str):
        return "".join(ch for ch in value if _keep(ch))
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean_json(k, depth + 1): clean_json(v, depth + 1) for k, v in value.items()}
    return value


def clean_metadata(value: Dict[str, Any], name: str = "metadata") -> Dict[str, Any]:
    """:func:`clean_json`, then the size cap: BadRequest (413) if the metadata
    takes more than :data:`MAX_METADATA_BYTES` as JSON."""
    cleaned = clean_json(value)
    size = len(json.dumps(cleaned, ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise BadRequest(f"'{name}' is larger than {MAX_METADATA_BYTES:,} bytes as JSON", 413)
    return cleaned


def max_message_chars(
    credentials: Optional[Mapping[str, Any]] = None,
    env: Optional[Mapping[str, str]] = None,
) -> int:
    """The limit: MAX_MESSAGE_CHARS from the environment, else the channel's
    ``max_message_chars`` in credentials.yml, else 2,000. Not a positive
    integer: ValueError (Rasa refuses to start, naming the setting)."""
    env = os.environ if env is None else env
    raw: Any = (env.get(MAX_MESSAGE_CHARS_ENV) or "").strip()
    where = MAX_MESSAGE_CHARS_ENV
    if not raw:
        raw = (credentials or {}).get("max_message_chars")
        where = "max_message_chars in credentials.yml"
    if raw is None or raw == "":
        return DEFAULT_MAX_MESSAGE_CHARS
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or isinstance(raw, bool):
        raise ValueError(f"{where} must be a positive whole number of characters, got {raw!r}")
    return value


@dataclass(frozen=True)
class Screened:
    """A message after the channel's checks: ``text`` for Rasa, or a ``reply``
    the channel gives itself (empty / too long) without running NLU."""

    text: str = ""
    reply: Optional[str] = None
    reason: str = "ok"  # ok | empty | too_long
    buttons: List[Dict[str, str]] = field(default_factory=list)


def screen(text: str, limit: int = DEFAULT_MAX_MESSAGE_CHARS) -> Screened:
    if len(text) > 4 * limit + 64:  # clearly too long: don't even clean it
        return Screened(reply=TOO_LONG_REPLY.format(limit=limit), reason="too_long")
    cleaned = clean_text(text)
    if not cleaned:
        return Screened(reply=EMPTY_REPLY, reason="empty", buttons=list(HELP_BUTTONS))
    if len(cleaned) > limit:
        return Screened(reply=TOO_LONG_REPLY.format(limit=limit), reason="too_long")
    return Screened(text=cleaned)


# --------------------------------------------------------------------------
# identifiers


def valid_id(value: Any, max_chars: int = MAX_CONVERSATION_ID_CHARS) -> bool:
    """A conversation/session id Rasa can store: 1-255 characters (fewer when
    ``max_chars`` says so), no control characters, no invalid Unicode, not
    only spaces."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_chars
        and bool(value.strip())
        and all(_keep(ch) and unicodedata.category(ch) != "Cc" for ch in value)
    )


# --------------------------------------------------------------------------
# the REST body


@dataclass(frozen=True)
class RestRequest:
    message: str
    sender: Optional[str]  # None: the channel gives the request a conversation of its own
    # (the caller's id: the channel stores the conversation under "rest:<sender>", channels/ids.py)
    metadata: Optional[Dict[str, Any]]


def parse_rest_body(raw: bytes) -> RestRequest:
    """``{"sender": str?, "message": str, "metadata": object?}`` or BadRequest."""
    if len(raw) > MAX_BODY_BYTES:  # Sanic refuses these unread; this is for other callers
        raise BadRequest(f"the body is larger than {MAX_BODY_BYTES:,} bytes", 413)
    if not raw.strip():
        raise BadRequest("the body is empty: send a JSON object such as "
                         "{\"sender\": \"me\", \"message\": \"hi\"}")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the JSON body must be an object, not {_json_type(body)}")

    if "message" not in body or body["message"] is None:
        raise BadRequest("'message' is missing")
    message = body["message"]
    if not isinstance(message, str):
        raise BadRequest(f"'message' must be a string, not {_json_type(message)}")

    sender = body.get("sender")
    if sender is not None:
        if not isinstance(sender, str):
            raise BadRequest(f"'sender' must be a string, not {_json_type(sender)}")
        if sender == "":
            sender = None
        elif not valid_id(sender, MAX_REST_SENDER_CHARS):
            raise BadRequest(f"'sender' must be 1 to {MAX_REST_SENDER_CHARS} characters, "
                             "without control characters or invalid Unicode")

    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(f"'metadata' must be an object, not {_json_type(metadata)}")
    return RestRequest(message=message, sender=sender,
                       metadata=clean_metadata(metadata) if metadata is not None else None)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
