"""Rasa's socket.io channel with input checks and an apology on failure.

credentials.yml names ``channels.socketio.SocketIOInput`` with Rasa's keys
(``user_message_evt``, ``bot_message_evt``, ``session_persistence``,
``metadata_key``, ...); the web widget talks to it unchanged. On top of
``rasa.core.channels.socketio.SocketIOInput``:

- a ``user_uttered`` event whose payload is not an object, has no string
  ``message``, or (with session persistence) no valid ``session_id`` is not
  passed to Rasa: the sending socket gets a ``bot_uttered``
  :data:`channels.text.UNREADABLE_REPLY` and the server logs a warning; the
  handler never raises (stock Rasa raises on e.g. a string payload, and
  silently drops a message without ``session_id``);
- metadata (``customData``) that is not an object, or a string that is not a
  JSON object, is ignored with a warning; the message is still answered;
- ``session_request`` with a payload that is not an object or a
  ``session_id`` that is not a usable id gets a fresh session id;
- the text is cleaned and screened like REST (channels/text.py): empty and
  too-long messages get the channel's own reply without running NLU;
- a failed or slow custom action gets an apology (channels/guard.py).
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import rasa.core.channels.channel
from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.guard import ActionGuard
from channels.text import UNREADABLE_REPLY, clean_json, max_message_chars, screen, valid_id

logger = logging.getLogger(__name__)


class SocketIOInput(rasa_socketio.SocketIOInput):
    """``socketio``: Rasa's socket.io channel, hardened (see the module docstring)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        try:
            channel.max_chars = max_message_chars(credentials)
        except ValueError as exc:
            raise InvalidConfigException(f"socket.io channel: {exc}") from None
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_chars = max_message_chars()

    def _metadata(self, sid: Text, data: Dict[Text, Any]) -> Dict[Text, Any]:
        metadata = data.get(self.metadata_key)
        if metadata is None:
            return {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except (ValueError, RecursionError):
                metadata = None
        if not isinstance(metadata, dict):
            logger.warning(f"socket.io {sid}: '{self.metadata_key}' is not a JSON object: ignored")
            return {}
        try:
            return clean_json(metadata)
        except ValueError:
            logger.warning(f"socket.io {sid}: '{self.metadata_key}' is nested too deeply: ignored")
            return {}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = ActionGuard()
        handle = guard.wrap(on_new_message)
        # Like Rasa: CORS is left to Sanic (`rasa run --cors`), not to engine.io.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        guard.attach(socketio_webhook)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                payload = None
                if isinstance(token, str) and token:
                    payload = rasa.core.channels.channel.decode_bearer_token(
                        token, self.jwt_key, self.jwt_algorithm
                    )
                if not payload:
                    return False
            logger.debug(f"User {sid} connected to socketIO endpoint.")
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            logger.debug(f"User {sid} disconnected from socketIO endpoint.")

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, *args: Any) -> None:
            data = args[0] if args and isinstance(args[0], dict) else {}
            session_id = data.get("session_id")
            if session_id is not None and not valid_id(session_id):
                logger.warning(f"socket.io {sid}: unusable session_id in session_request: a new one is given")
                session_id = None
            session_id = session_id or uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(entered):  # python-socketio >= 5.10
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        async def unreadable(sid: Text, why: str) -> None:
            logger.warning(f"socket.io {sid}: '{self.user_message_evt}' ignored: {why}")
            await sio.emit(self.bot_message_evt, {"text": UNREADABLE_REPLY}, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, *args: Any) -> None:
            data = args[0] if args else None
            if not isinstance(data, dict):
                return await unreadable(sid, "the payload is not an object")
            message = data.get("message")
            if not isinstance(message, str):
                return await unreadable(sid, "'message' is missing or not a string")
            if self.session_persistence:
                if not valid_id(data.get("session_id")):
                    return await unreadable(sid, "no valid 'session_id' (send session_request first)")
                sender_id = data["session_id"]
            else:
                sender_id = sid
            output_channel = SocketIOOutput(sio, self.bot_message_evt)
            screened = screen(message, self.max_chars)
            if screened.reply is not None:
                logger.info(f"socket.io: {screened.reason} message from {sender_id!r} answered by the channel")
                if screened.buttons:
                    await output_channel.send_text_with_buttons(sender_id, screened.reply, screened.buttons)
                else:
                    await output_channel.send_text_message(sender_id, screened.reply)
                return None
            await handle(UserMessage(screened.text, output_channel, sender_id,
                                     input_channel=self.name(), metadata=self._metadata(sid, data)))
            return None

        return socketio_webhook
