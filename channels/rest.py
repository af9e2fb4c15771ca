"""Rasa's REST channel with strict input checks and an apology on failure.

credentials.yml names ``channels.rest.RestInput``; the URL and the reply are
Rasa's: ``POST /webhooks/rest/webhook`` ``{"sender", "message", "metadata"?}``
returns ``[{"recipient_id", "text", "buttons"?...}]`` (``?stream=true``
streams them as in Rasa). On top of ``rasa.core.channels.rest.RestInput``:

- a body that is not a JSON object, a missing or non-string ``message``, a
  non-string ``sender`` or non-object ``metadata``: 400 with a JSON ``error``
  saying what is wrong (stock Rasa answers ``[1, 2, 3]`` with a 500); a body
  over 1 MB: 413;
- the text is cleaned (channels/text.py) before NLU; an empty message gets a
  prompt to ask something and one over MAX_MESSAGE_CHARS (default 2,000) a
  polite "too long" reply, both without running NLU or touching the tracker;
- no ``sender``: the request gets a conversation of its own (``recipient_id``
  in the reply), never Rasa's shared ``"default"`` conversation; the input
  channel name is always ``rest`` (not taken from the body);
- the conversation is stored as ``rest:<sender>`` (channels/ids.py): a REST
  caller can never continue or read a Slack or web chat conversation, whatever
  ``sender`` it names; replies still carry the caller's own ``sender`` as
  ``recipient_id``;
- ``metadata`` over 4 KB (as JSON): 413;
- a failed or slow custom action, or any error inside Rasa, gets an apology
  (channels/guard.py) instead of silence or a 500.
"""

from __future__ import annotations

import logging
import uuid
from asyncio import Queue
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

import rasa.utils.endpoints
from rasa.core.channels import rest as rasa_rest
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from channels import ids
from channels.guard import ActionGuard
from channels.text import BadRequest, Screened, max_message_chars, parse_rest_body, screen

logger = logging.getLogger(__name__)


def canned_reply(recipient_id: str, screened: Screened) -> List[Dict[str, Any]]:
    """The reply the channel gives itself, in Rasa's REST format."""
    message: Dict[str, Any] = {"recipient_id": recipient_id, "text": screened.reply}
    if screened.buttons:
        message["buttons"] = screened.buttons
    return [message]


class _ToTheCaller:
    """An output channel whose messages carry the caller's own id as
    ``recipient_id`` (Rasa knows the conversation as ``rest:<id>``)."""

    async def _persist_message(self, message: Dict[str, Any]) -> None:
        message = {**message, "recipient_id": ids.client_id(ids.REST, message["recipient_id"])}
        await super()._persist_message(message)  # type: ignore[misc]


class CallerCollectingOutputChannel(_ToTheCaller, CollectingOutputChannel):
    pass


class CallerQueueOutputChannel(_ToTheCaller, rasa_rest.QueueOutputChannel):
    pass


class RestInput(rasa_rest.RestInput):
    """``rest``: Rasa's REST channel, hardened (see the module docstring)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        try:
            return cls(max_message_chars(credentials))
        except ValueError as exc:
            raise InvalidConfigException(f"REST channel: {exc}") from None

    def __init__(self, max_chars: Optional[int] = None) -> None:
        self.max_chars = max_chars or max_message_chars()

    @staticmethod
    async def on_message_wrapper(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: Text,
        queue: Queue,
        sender_id: Text,
        input_channel: Text,
        metadata: Optional[Dict[Text, Any]],
    ) -> None:
        """Rasa's, for ``?stream=true``, with the caller's id in the replies."""
        await on_new_message(UserMessage(text, CallerQueueOutputChannel(queue), sender_id,
                                         input_channel=input_channel, metadata=metadata))
        await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        guard = ActionGuard()
        handle = guard.wrap(on_new_message)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        guard.attach(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                body = parse_rest_body(request.body or b"")
            except BadRequest as exc:
                logger.info(f"REST: refused a request ({exc.status}): {exc}")
                return response.json({"error": str(exc)}, status=exc.status)
            sender = body.sender or f"rest-{uuid.uuid4().hex}"
            screened = screen(body.message, self.max_chars)
            if screened.reply is not None:
                logger.info(f"REST: {screened.reason} message from {sender!r} answered by the channel")
                return response.json(canned_reply(sender, screened))

            conversation = ids.conversation_id(ids.REST, sender)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(handle, screened.text, conversation, self.name(), body.metadata),
                    content_type="text/event-stream",
                )
            collector = CallerCollectingOutputChannel()
            await handle(UserMessage(screened.text, collector, conversation,
                                     input_channel=self.name(), metadata=body.metadata))
            return response.json(collector.messages)

        return webhook
