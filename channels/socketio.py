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

Whose conversation (channels/ids.py):
- session ids are issued by the server (``session_confirm``); a
  ``session_request`` may resume a session the server issued (a reload of the
  page), anything else it names gets a fresh id, so no client can name
  someone else's conversation;
- a session belongs to one connection at a time: while a live socket holds it,
  another socket asking for it waits up to :data:`RELEASE_WAIT_S` for it to be
  released (a reload closes the old socket first) and otherwise gets a fresh
  session; ``user_uttered`` is accepted only for the session of the socket
  that sends it;
- the conversation is stored as ``web:<session id>``, so socket.io can never
  continue or read a REST or Slack conversation;
- ``customData`` over 4 KB (as JSON) is ignored with a warning;
- pages from origins outside the CORS allow-list (``rasa run --cors``,
  ``CORS_ORIGINS``) can open neither a long-polling session nor a websocket:
  engine.io checks the ``Origin`` header against the same list that sanic-cors
  answers with (the list is read from the app at start-up), and refuses with 400.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import engineio
import rasa.core.channels.channel
import socketio
from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_cors.core import get_cors_origins, try_match

from channels import ids
from channels.guard import ActionGuard
from channels.text import UNREADABLE_REPLY, BadRequest, clean_metadata, max_message_chars, screen

logger = logging.getLogger(__name__)

RELEASE_WAIT_S = 2.0  # how long a second socket waits for a session's holder to let go


class _EngineIOServer(engineio.AsyncServer):
    """engine.io with its Origin check on, but its CORS headers left to
    sanic-cors (`rasa run --cors`), which answers every route: two
    Access-Control-Allow-Origin headers would make browsers refuse both."""

    def _cors_headers(self, environ: Dict[str, Any]) -> list:
        return []


class AsyncServer(socketio.AsyncServer):
    def _engineio_server_class(self) -> type:
        return _EngineIOServer


class OriginCheck:
    """The CORS allow-list sanic-cors applies to the socket.io path, for
    engine.io's Origin check (polling and websocket alike). Until the app has
    started, or if it has no CORS settings, no browser origin is allowed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.options: Optional[Dict[str, Any]] = None

    def load(self, app: Sanic) -> None:
        resources = getattr(getattr(app.ctx, "sanic_cors", None), "resources", None) or []
        self.options = next((opts for pattern, opts in resources if try_match(self.path, pattern)), None)
        logger.info(f"socket.io accepts pages from: {(self.options or {}).get('origins') or 'no origin'}")

    def __call__(self, origin: Optional[str], *_environ: Any) -> bool:
        return bool(origin) and self.options is not None and get_cors_origins(self.options, origin) is not None


class Sessions:
    """Which socket holds which web chat session, in this process."""

    def __init__(self) -> None:
        self.of_socket: Dict[str, str] = {}
        self.holder: Dict[str, str] = {}

    def release(self, sid: str) -> Optional[str]:
        session = self.of_socket.pop(sid, None)
        if session is not None and self.holder.get(session) == sid:
            del self.holder[session]
        return session

    def bind(self, sid: str, session: str) -> Optional[str]:
        """Give ``session`` to ``sid``; the session ``sid`` held before, if another."""
        previous = self.release(sid)
        self.of_socket[sid], self.holder[session] = session, sid
        return previous if previous != session else None

    async def wait_for_release(self, session: str, sid: str, timeout: float = RELEASE_WAIT_S) -> bool:
        """True once no other socket holds ``session`` (polled until ``timeout``)."""
        deadline = time.monotonic() + timeout
        while self.holder.get(session, sid) != sid:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True


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
        self.session_ids = ids.SessionIds()
        self.sessions = Sessions()

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
            return clean_metadata(metadata, self.metadata_key)
        except BadRequest as exc:
            logger.warning(f"socket.io {sid}: {exc}: ignored")
            return {}

    async def _session_for(self, sid: Text, requested: Any) -> str:
        """The session a ``session_request`` gets: the one it names if this
        server issued it and no other live socket holds it, else a fresh one."""
        if requested in (None, ""):
            return self.session_ids.issue()
        if not self.session_ids.issued(requested):
            logger.warning(f"socket.io {sid}: session_request names a session_id this server did not issue: "
                           "a new one is given")
            return self.session_ids.issue()
        if not await self.sessions.wait_for_release(requested, sid):
            logger.warning(f"socket.io {sid}: the session it asks for is held by another connection: "
                           "a new one is given")
            return self.session_ids.issue()
        return requested

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = ActionGuard()
        handle = guard.wrap(on_new_message)
        # CORS headers come from Sanic (`rasa run --cors`); engine.io checks the Origin against the same list
        origins = OriginCheck(self.socketio_path.rstrip("/") + "/")
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        guard.attach(socketio_webhook)
        socketio_webhook.listener("before_server_start")(lambda app, _loop: origins.load(app))
        self.sio = sio

        async def enter_room(sid: Text, room: Text) -> None:
            entered = sio.enter_room(sid, room, namespace=self.namespace)
            if inspect.isawaitable(entered):  # python-socketio >= 5.10
                await entered

        async def leave_room(sid: Text, room: Text) -> None:
            left = sio.leave_room(sid, room, namespace=self.namespace)
            if inspect.isawaitable(left):
                await left

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
            if not self.session_persistence:  # the conversation is the socket's own
                await enter_room(sid, ids.conversation_id(ids.WEB, sid))
            logger.debug(f"User {sid} connected to socketIO endpoint.")
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text, *_reason: Any) -> None:
            self.sessions.release(sid)
            logger.debug(f"User {sid} disconnected from socketIO endpoint.")

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, *args: Any) -> None:
            data = args[0] if args and isinstance(args[0], dict) else {}
            session_id = await self._session_for(sid, data.get("session_id"))
            if self.session_persistence:
                previous = self.sessions.bind(sid, session_id)
                if previous is not None:
                    await leave_room(sid, ids.conversation_id(ids.WEB, previous))
                await enter_room(sid, ids.conversation_id(ids.WEB, session_id))
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
                session = self.sessions.of_socket.get(sid)
                if session is None:
                    return await unreadable(sid, "this connection has no session (send session_request first)")
                if data.get("session_id") != session:
                    return await unreadable(sid, "'session_id' is not this connection's session")
                sender_id = ids.conversation_id(ids.WEB, session)
            else:
                sender_id = ids.conversation_id(ids.WEB, sid)
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
