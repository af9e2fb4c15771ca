"""A failed or slow action server: an apology, at once, on every channel.

Rasa 3.6 handles a failing custom action in ``MessageProcessor._run_action``
(rasa/core/processor.py): whatever ``RemoteAction.run`` raises (connection
refused, a 5xx, an invalid response, a timeout) is caught, logged with
``logger.exception("Encountered an exception while running action ...")`` on
the ``rasa.core.processor`` logger, and the conversation goes on without the
action's events: the user gets silence. Two small hooks fix that, with no
change to Rasa and nothing between Rasa and the action server:

- :class:`ActionGuard` wraps the channel's ``on_new_message``: it marks the
  message being handled (a ``ContextVar``, so concurrent conversations don't
  mix), a logging handler on ``rasa.core.processor`` records the failure where
  Rasa reports it, and once Rasa is done the channel sends the user
  :data:`channels.text.APOLOGY_REPLY` through the message's own output channel
  (REST reply, socket.io ``bot_uttered``, Slack post). An exception that
  escapes Rasa altogether gets the same apology instead of a 500 or silence.
  Nothing is cached: the next message calls the action server again, so when
  it is back everything works without a restart.
- The action call's timeout: ``RemoteAction.run`` passes the constant
  ``DEFAULT_REQUEST_TIMEOUT`` (300 s) to every call, so a ``timeout:`` key
  under ``action_endpoint`` in endpoints.yml is stored by Rasa's
  ``EndpointConfig`` (in ``kwargs``) but never used. :func:`cap_action_timeout`
  makes it effective: the agent's action endpoint becomes a
  :class:`TimedEndpointConfig` whose calls use that timeout (default
  :data:`DEFAULT_ACTION_TIMEOUT_S`). Exceeding it raises ``asyncio.TimeoutError``
  inside ``RemoteAction.run``, which Rasa reports as above: the user gets the
  apology after at most the timeout.

The same wrapper makes sure no message goes unanswered: if Rasa sent nothing
back (its default actions for ``/restart``, ``/session_start`` and ``/back``,
which a user can type, say nothing), the channel sends
:data:`channels.text.SILENT_TURN_REPLY`.

Every project channel imports this module, so it is also where the Rasa server
process installs the project's Rasa add-ons: one call, ``addons.install()``,
below the imports; and :meth:`ActionGuard.attach`, which every channel calls,
also sets the server's request size limit before it serves (channels/limits.py).
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp
from rasa.core.channels.channel import UserMessage
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, Sanic

import addons
from channels import limits
from channels.text import APOLOGY_REPLY, HELP_BUTTONS, SILENT_TURN_REPLY

# The Rasa server imports the project's channels (credentials.yml) before it
# serves, and each of them imports this module: the one place where the add-ons
# that patch Rasa (addons/__init__.py) are installed in its process.
addons.install()

logger = logging.getLogger(__name__)

DEFAULT_ACTION_TIMEOUT_S = 10.0
PROCESSOR_LOGGER = "rasa.core.processor"
FAILURE_PREFIX = "Encountered an exception while running action"


@dataclass
class Turn:
    """What went wrong while Rasa handled one user message, and how many
    messages it sent back."""

    failures: List[str] = field(default_factory=list)
    sent: int = 0


_turn: contextvars.ContextVar[Optional[Turn]] = contextvars.ContextVar("channels_guard_turn", default=None)


class _ActionFailureHandler(logging.Handler):
    """Notes Rasa's report of a failed action on the message being handled."""

    def emit(self, record: logging.LogRecord) -> None:
        turn = _turn.get()
        if turn is None or record.levelno < logging.ERROR:
            return
        try:
            text = record.getMessage()
        except Exception:  # a logging handler must never raise
            return
        if text.startswith(FAILURE_PREFIX):
            turn.failures.append(text.split(".", 1)[0])


_HANDLER = _ActionFailureHandler(level=logging.ERROR)


def install_failure_hook() -> None:
    """Attach the handler to Rasa's processor logger (once)."""
    processor_logger = logging.getLogger(PROCESSOR_LOGGER)
    if _HANDLER not in processor_logger.handlers:
        processor_logger.addHandler(_HANDLER)


# --------------------------------------------------------------------------
# the action call's timeout


def action_timeout(endpoint: EndpointConfig) -> float:
    """endpoints.yml ``action_endpoint.timeout`` in seconds, else the default."""
    raw = endpoint.kwargs.get("timeout")
    if raw is None:
        return DEFAULT_ACTION_TIMEOUT_S
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = 0.0
    if not value > 0 or isinstance(raw, bool):
        logger.error(f"endpoints.yml: action_endpoint.timeout must be a positive number of seconds, "
                     f"got {raw!r}; using {DEFAULT_ACTION_TIMEOUT_S:g}")
        return DEFAULT_ACTION_TIMEOUT_S
    return value


class TimedEndpointConfig(EndpointConfig):
    """Rasa's EndpointConfig whose requests honour ``timeout`` from endpoints.yml."""

    @classmethod
    def from_endpoint(cls, endpoint: EndpointConfig) -> "TimedEndpointConfig":
        timed = cls.__new__(cls)
        timed.__dict__.update(endpoint.__dict__)
        timed.timeout_s = action_timeout(endpoint)
        return timed

    async def request(self, *args: Any, **kwargs: Any) -> Optional[Any]:
        kwargs["timeout"] = aiohttp.ClientTimeout(total=self.timeout_s)
        return await super().request(*args, **kwargs)


def cap_action_timeout(agent: Any) -> None:
    """Give the agent (and its processor) the timed action endpoint; idempotent."""
    if agent is None:
        return
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or isinstance(endpoint, TimedEndpointConfig):
        timed = endpoint
    else:
        timed = TimedEndpointConfig.from_endpoint(endpoint)
        agent.action_endpoint = timed
        logger.info(f"Action server calls time out after {timed.timeout_s:g} s")
    processor = getattr(agent, "processor", None)
    if processor is not None and timed is not None and not isinstance(processor.action_endpoint, TimedEndpointConfig):
        processor.action_endpoint = timed


# --------------------------------------------------------------------------
# the wrapper every project channel puts around Rasa's on_new_message


class ActionGuard:
    """One per channel blueprint: see the module docstring."""

    def __init__(self) -> None:
        self.app: Optional[Sanic] = None
        install_failure_hook()

    def attach(self, blueprint: Blueprint) -> None:
        """Cap the action timeout as soon as the agent is loaded (Rasa loads it
        before the server starts), so the HTTP API's routes get it too; set
        the request size limit before the server accepts a connection."""

        @blueprint.listener("before_server_start")
        async def _limits(app: Sanic, _loop: Any) -> None:
            limits.configure_app(app)

        @blueprint.listener("after_server_start")
        async def _agent_loaded(app: Sanic, _loop: Any) -> None:
            self.app = app
            cap_action_timeout(getattr(app.ctx, "agent", None))

    def wrap(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[None]]:
        async def guarded(message: UserMessage) -> None:
            if self.app is not None:  # a model loaded through the API brings a new agent
                cap_action_timeout(getattr(self.app.ctx, "agent", None))
            turn = Turn()
            _count_replies(message, turn)
            token = _turn.set(turn)
            try:
                await on_new_message(message)
            except Exception as exc:  # the user gets an apology, the log the cause
                logger.exception(f"Rasa failed to handle a message of conversation {message.sender_id!r}")
                turn.failures.append(f"message handling: {exc.__class__.__name__}")
            finally:
                _turn.reset(token)
            if turn.failures:
                logger.warning(f"Conversation {message.sender_id!r}: {'; '.join(turn.failures)}: "
                               "the user was sent an apology")
                await _send(message, APOLOGY_REPLY)
            elif turn.sent == 0:
                # e.g. "/restart", "/session_start" or "/back" typed by the user:
                # Rasa's default actions for them say nothing
                logger.info(f"Conversation {message.sender_id!r}: Rasa sent no reply; the user was prompted")
                await _send(message, SILENT_TURN_REPLY)

        return guarded


def _count_replies(message: UserMessage, turn: Turn) -> None:
    """Count what Rasa sends on this message's own output channel (every bot
    message goes through ``OutputChannel.send_response``)."""
    out = message.output_channel
    send_response = out.send_response

    async def counted(recipient_id: str, reply: Dict[str, Any]) -> None:
        turn.sent += 1
        await send_response(recipient_id, reply)

    out.send_response = counted  # type: ignore[method-assign]  (this message's channel only)


async def _send(message: UserMessage, text: str) -> None:
    try:
        await message.output_channel.send_text_with_buttons(message.sender_id, text, list(HELP_BUTTONS))
    except Exception:  # e.g. Slack unreachable: nothing more to do
        logger.exception(f"Could not send a reply to {message.sender_id!r}")
