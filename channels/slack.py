"""Rasa's Slack channel, configured from the environment and hardened.

credentials.yml names ``channels.slack.SlackInput`` with no secrets. On top of
``rasa.core.channels.slack`` this adds:

- settings from SLACK_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL and
  SLACK_API_BASE_URL (the environment wins over credentials.yml); without a
  token and signing secret the channel still loads and its webhook answers 503;
- SLACK_API_BASE_URL: every Slack Web API call goes to that base URL, which
  must be https (the calls carry the bot token) unless it is on loopback;
- a retry of an event already accepted (same ``event_id``, any
  X-Slack-Retry-Reason) is acknowledged with 200 and not processed again; so is
  the second event Slack sends for one message (``app_mention`` + ``message``),
  and a button click seen before (same ``trigger_id`` or action timestamp: a
  replayed signed request within Slack's 5-minute window);
- malformed input gets a 4xx with a JSON ``error``, never a 500;
  ``application/json; charset=utf-8`` is accepted like ``application/json``;
- replies are posted without the legacy ``as_user`` argument, which Slack
  refuses (``invalid_arguments``) for apps with granular bot tokens;
- the text is cleaned and screened like every channel's (channels/text.py):
  an empty message (e.g. only a mention of the bot) or one over
  MAX_MESSAGE_CHARS gets the channel's own reply without running NLU;
- a failed or slow custom action gets an apology posted (channels/guard.py);
- conversations are stored as ``slack:<team>:<Rasa's id>`` (channels/ids.py),
  so a Slack user's conversation cannot be continued or read through REST or
  socket.io, whose ids live in namespaces of their own.

Rasa's own checks are kept: the HMAC-SHA256 signature over
``v0:{timestamp}:{body}`` and the 5-minute timestamp window
(``is_request_from_slack_authentic``), and the url_verification challenge.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qs, urlsplit
from urllib.request import proxy_bypass_environment

import aiohttp
from rasa.core.channels import slack as rasa_slack
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels import ids
from channels.guard import ActionGuard
from channels.slack_settings import (
    SLACK_NOT_CONFIGURED,
    SLACK_WEBHOOK_PATH,
    slack_configured,
    slack_settings,
    slack_status,
)
from channels.text import max_message_chars, screen

__all__ = ["SeenEvents", "SlackBot", "SlackInput", "slack_status", "SLACK_WEBHOOK_PATH"]

logger = logging.getLogger(__name__)

MAX_REQUEST_AGE_S = 5 * 60  # Slack's replay window; Rasa checks the same
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: Optional[str]) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_api_base_url(url: str) -> None:
    """SLACK_API_BASE_URL: https, or http on loopback only (the calls carry the bot token)."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname)):
        return
    raise InvalidConfigException(
        f"SLACK_API_BASE_URL must be an https URL such as https://slack.com/api/ (http only on loopback, "
        f"since every call carries the bot token), got {url!r}"
    )


class BadSlackRequest(Exception):
    """A request that is signed but malformed: answered with 400."""


# --------------------------------------------------------------------------
# de-duplication


class SeenEvents:
    """Bounded, time-limited memory of keys (Slack event ids) already accepted.

    Oldest first: at most ``max_size`` keys, each kept ``ttl`` seconds (Slack
    retries within about 5 minutes). Not shared between processes.
    """

    def __init__(
        self,
        max_size: int = 4096,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.max_size = max_size
        self.ttl = ttl
        self._clock = clock
        self._seen: "OrderedDict[str, float]" = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._seen:
            key, first_seen = next(iter(self._seen.items()))
            if now - first_seen < self.ttl:
                break
            del self._seen[key]

    def check_and_add(self, key: str) -> bool:
        """True if ``key`` was seen before (a duplicate); otherwise remember it."""
        now = self._clock()
        self._expire(now)
        if key in self._seen:
            return True
        self._seen[key] = now
        while len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
        return False

    def __contains__(self, key: object) -> bool:
        self._expire(self._clock())
        return key in self._seen

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._seen)


# --------------------------------------------------------------------------
# output


def web_client(token: Text, proxy: Optional[Text] = None, base_url: Optional[Text] = None) -> AsyncWebClient:
    """slack_sdk's client, pointed at ``base_url`` when given.

    slack_sdk takes HTTPS_PROXY from the environment and ignores NO_PROXY; for
    a loopback or NO_PROXY host (e.g. a local fake Slack API) no proxy is used.
    """
    client = AsyncWebClient(token, base_url=base_url or AsyncWebClient.BASE_URL, proxy=proxy)
    host = urlsplit(client.base_url).hostname or ""
    if not proxy and client.proxy and (is_loopback(host) or proxy_bypass_environment(host)):
        client.proxy = None
    return client


class SlackBot(rasa_slack.SlackBot):
    """Rasa's SlackBot (buttons as Block Kit ``actions`` blocks) with a
    configurable API base URL and without the legacy ``as_user`` argument."""

    def __init__(
        self,
        token: Text,
        slack_channel: Optional[Text] = None,
        thread_id: Optional[Text] = None,
        proxy: Optional[Text] = None,
        api_base_url: Optional[Text] = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = web_client(token, proxy, api_base_url)

    async def _post_message(self, channel: Text, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)  # refused by apps with granular bot tokens
        try:
            await super()._post_message(channel, **kwargs)
        except SlackApiError as exc:
            logger.error(f"Slack refused chat.postMessage to {channel}: {exc.response.get('error')}")
        except (aiohttp.ClientError, OSError) as exc:
            logger.error(f"Could not reach the Slack Web API at {self.client.base_url}: {exc!r}")


# --------------------------------------------------------------------------
# input


def _json_error(message: str, status: int) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def _user_ids(body: Dict[str, Any]) -> List[str]:
    """The bot's own user ids (removed from mentions), as Rasa reads them."""
    authed = body.get("authed_users")
    if isinstance(authed, list):
        return [u for u in authed if isinstance(u, str)]
    auths = body.get("authorizations")
    if isinstance(auths, list) and auths and isinstance(auths[0], dict):
        user = auths[0].get("user_id")
        return [user] if isinstance(user, str) else []
    return []


def event_metadata(body: Dict[str, Any]) -> Dict[str, Any]:
    """Rasa's metadata for a JSON event: reply channel, thread, bot user ids."""
    event = body.get("event") or {}
    return {
        "out_channel": event.get("channel"),
        "thread_id": event.get("thread_ts", event.get("ts")),
        "users": _user_ids(body),
    }


def interactive_metadata(payload: Dict[str, Any]) -> Dict[str, Any]:
    """Rasa's metadata for an interactive (button) payload."""
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    return {
        "out_channel": channel.get("id"),
        "thread_id": message.get("thread_ts", message.get("ts")),
        "users": [user["id"]] if isinstance(user.get("id"), str) else [],
    }


def parse_json_body(raw: bytes) -> Dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadSlackRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadSlackRequest("the JSON body must be an object")
    event = body.get("event")
    if event is not None:
        if not isinstance(event, dict):
            raise BadSlackRequest("'event' must be an object")
        for key in ("text", "user", "channel", "ts", "thread_ts"):
            if event.get(key) is not None and not isinstance(event[key], str):
                raise BadSlackRequest(f"'event.{key}' must be a string")
    return body


def parse_form_payload(raw: bytes) -> Dict[str, Any]:
    try:
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise BadSlackRequest("the form body is not UTF-8") from None
    if not form.get("payload"):
        raise BadSlackRequest("the form has no 'payload' field")
    try:
        payload = json.loads(form["payload"][0])
    except ValueError:
        raise BadSlackRequest("'payload' is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadSlackRequest("'payload' must be a JSON object")
    actions = payload.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
    ):
        raise BadSlackRequest("'payload.actions' must be a non-empty list of objects")
    return payload


def _max_chars(credentials: Optional[Dict[Text, Any]]) -> int:
    try:
        return max_message_chars(credentials)
    except ValueError as exc:
        raise InvalidConfigException(f"Slack channel: {exc}") from None


class SlackInput(rasa_slack.SlackInput):
    """Rasa's Slack input channel, configured from the environment."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        s = slack_settings(credentials)
        return cls(
            s.get("slack_token") or "",
            s.get("slack_channel"),
            s.get("proxy"),
            s.get("slack_retry_reason_header", "x-slack-retry-reason"),
            s.get("slack_retry_number_header", "x-slack-retry-num"),
            s.get("errors_ignore_retry"),
            s.get("use_threads", False),
            s.get("slack_signing_secret") or "",
            s.get("conversation_granularity", "sender"),
            api_base_url=s.get("slack_api_base_url"),
            max_chars=_max_chars(credentials),
        )

    def __init__(
        self,
        slack_token: Text,
        slack_channel: Optional[Text] = None,
        proxy: Optional[Text] = None,
        slack_retry_reason_header: Optional[Text] = "x-slack-retry-reason",
        slack_retry_number_header: Optional[Text] = "x-slack-retry-num",
        errors_ignore_retry: Optional[List[Text]] = None,
        use_threads: Optional[bool] = False,
        slack_signing_secret: Text = "",
        conversation_granularity: Optional[Text] = "sender",
        api_base_url: Optional[Text] = None,
        seen_events: Optional[SeenEvents] = None,
        max_chars: Optional[int] = None,
    ) -> None:
        if api_base_url:
            check_api_base_url(api_base_url)
        self.api_base_url = api_base_url or None
        self.max_chars = max_chars or _max_chars(None)
        self.seen_events = seen_events if seen_events is not None else SeenEvents()
        super().__init__(
            slack_token,
            slack_channel,
            proxy,
            slack_retry_reason_header,
            slack_retry_number_header,
            errors_ignore_retry,
            use_threads,
            slack_signing_secret,
            conversation_granularity,
        )

    @property
    def configured(self) -> bool:
        return slack_configured(
            {"slack_token": self.slack_token, "slack_signing_secret": self.slack_signing_secret}
        )

    def _validate_credentials(self) -> None:
        """Unlike Rasa, don't refuse to start: without secrets the webhook answers 503."""
        if self.configured:
            logger.info(f"Slack: enabled at {SLACK_WEBHOOK_PATH}"
                        + (f" (Web API at {self.api_base_url})" if self.api_base_url else ""))
        elif self.slack_token or self.slack_signing_secret:
            logger.warning(f"{SLACK_NOT_CONFIGURED} (only one of them is set); Slack stays off")
        else:
            logger.info("Slack: off (set SLACK_TOKEN and SLACK_SIGNING_SECRET to enable)")

    def get_output_channel(
        self, channel: Optional[Text] = None, thread_id: Optional[Text] = None
    ) -> OutputChannel:
        channel = channel or self.slack_channel
        return SlackBot(self.slack_token, channel, thread_id, self.proxy, self.api_base_url)

    def get_metadata(self, request: Request) -> Dict[Text, Any]:
        """Like Rasa's, but tolerant of content-type parameters and bad bodies."""
        try:
            media_type = _media_type(request)
            if media_type == "application/json":
                return event_metadata(parse_json_body(request.body))
            if media_type == "application/x-www-form-urlencoded":
                return interactive_metadata(parse_form_payload(request.body))
        except BadSlackRequest:
            pass
        return {}

    # ---------------------------------------------------------------- routes

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)
        guard = ActionGuard()  # a failed or slow action: an apology posted to Slack
        guard.attach(slack_webhook)
        on_new_message = guard.wrap(on_new_message)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.configured:
                return _json_error(SLACK_NOT_CONFIGURED, HTTPStatus.SERVICE_UNAVAILABLE)
            problem = self._authentication_problem(request)
            if problem:
                logger.warning(f"Slack webhook: rejected a request: {problem}")
                return _json_error(problem, HTTPStatus.UNAUTHORIZED)
            try:
                media_type = _media_type(request)
                if media_type == "application/json":
                    return await self._handle_event(request, parse_json_body(request.body), on_new_message)
                if media_type == "application/x-www-form-urlencoded":
                    return await self._handle_interactive(
                        request, parse_form_payload(request.body), on_new_message
                    )
            except BadSlackRequest as exc:
                return _json_error(str(exc), HTTPStatus.BAD_REQUEST)
            return _json_error(
                f"unsupported content type {request.headers.get('content-type')!r}: Slack sends "
                "application/json (events) or application/x-www-form-urlencoded (interactivity)",
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            )

        return slack_webhook

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: Text,
        sender_id: Optional[Text],
        metadata: Optional[Dict],
    ) -> Any:
        """Rasa's, after the checks every channel makes (channels/text.py): the
        text is cleaned; an empty message (e.g. only a mention of the bot) or one
        over MAX_MESSAGE_CHARS is answered by the channel without running NLU."""
        screened = screen(text, self.max_chars)
        if screened.reply is None:
            return await super().process_message(request, on_new_message, screened.text, sender_id, metadata)
        logger.info(f"Slack: {screened.reason} message from {sender_id!r} answered by the channel")
        metadata = metadata or {}
        out = self.get_output_channel(metadata.get("out_channel"),
                                      metadata.get("thread_id") if self.use_threads else None)
        send = (out.send_text_with_buttons(sender_id, screened.reply, screened.buttons) if screened.buttons
                else out.send_text_message(sender_id, screened.reply))
        task: asyncio.Task = asyncio.create_task(send)  # answer Slack at once, like Rasa
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
        return response.text("")

    def _authentication_problem(self, request: Request) -> Optional[str]:
        """Why the request is not authentic, or None. The decision is Rasa's
        ``is_request_from_slack_authentic``; this only names the reason."""
        if self.is_request_from_slack_authentic(request):
            return None
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        try:
            too_old = abs(time.time() - int(stamp)) > MAX_REQUEST_AGE_S
        except ValueError:
            return "X-Slack-Request-Timestamp is missing or not a number"
        if too_old:
            return "X-Slack-Request-Timestamp is more than 5 minutes from now (possible replay)"
        return "the request is not signed with a valid X-Slack-Signature"

    @staticmethod
    def _in_namespace(team: Any, conversation: Optional[Text]) -> str:
        """Rasa's conversation id (by ``conversation_granularity``) in Slack's
        own namespace, per workspace: ``slack:<team>:<id>``."""
        return ids.conversation_id(ids.SLACK, team if isinstance(team, str) and team else "-", conversation or "")

    def _seen_before(self, keys: List[str]) -> bool:
        """Remember every key; True if any was seen before."""
        return any([self.seen_events.check_and_add(k) for k in keys])

    def _is_duplicate(self, request: Request, body: Dict[str, Any]) -> bool:
        """Remember this event (and the message it carries); True if seen before."""
        keys: List[str] = []
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id:
            keys.append(f"event:{event_id}")
        event = body.get("event") or {}
        if self._is_user_message(body) and event.get("channel") and event.get("ts"):
            # one user message can arrive as two events (message.* and app_mention)
            keys.append(f"message:{event['channel']}:{event['ts']}")
        if not self._seen_before(keys):
            return False
        retry = request.headers.get(self.retry_num_header)
        how = (f"retry #{retry} ({request.headers.get(self.retry_reason_header)}) of an event"
               if retry else "a second event for a message")
        logger.info(f"Slack event {event_id}: {how} already accepted; acknowledged, not processed")
        return True

    def _is_duplicate_click(self, payload: Dict[str, Any], user_id: str, action: Dict[str, Any]) -> bool:
        """Remember this click (its trigger_id, and the clicked action's
        timestamp); True if seen before: a replay of a signed request."""
        keys = [f"click:{payload['trigger_id']}"] if isinstance(payload.get("trigger_id"), str) else []
        if isinstance(action.get("action_ts"), str):
            keys.append(f"click:{user_id}:{action.get('action_id')}:{action['action_ts']}")
        if not self._seen_before(keys):
            return False
        logger.info(f"Slack click by {user_id}: already accepted; acknowledged, not processed")
        return True

    async def _handle_event(
        self,
        request: Request,
        body: Dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        if body.get("type") == "url_verification" or "challenge" in body:
            challenge = body.get("challenge")
            if not isinstance(challenge, str):
                raise BadSlackRequest("url_verification without a 'challenge' string")
            return response.json({"challenge": challenge})

        if self._is_duplicate(request, body):
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})

        if not self._is_user_message(body):
            logger.debug("Slack event that is not a user message: skipped")
            return response.text("Bot message delivered.")

        metadata = event_metadata(body)
        if not self._is_supported_channel(body, metadata):
            logger.warning(f"Slack message on unsupported channel {metadata['out_channel']}: skipped")
            return response.text("channel not supported.")

        event = body["event"]
        conversation_id = self._in_namespace(body.get("team_id") or event.get("team"), self._get_conversation_id(
            event.get("user", ""), metadata["out_channel"], metadata["thread_id"]
        ))
        return await self.process_message(
            request,
            on_new_message,
            text=self._sanitize_user_message(event["text"], metadata["users"]),
            sender_id=conversation_id,
            metadata=metadata,
        )

    async def _handle_interactive(
        self,
        request: Request,
        payload: Dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        if not self._is_interactive_message(payload):
            # e.g. view_submission, shortcuts: acknowledged, nothing to answer
            return response.text("")
        action = payload["actions"][0]
        user = payload.get("user")
        if not (isinstance(user, dict) and isinstance(user.get("id"), str)):
            raise BadSlackRequest("'payload.user.id' is missing")
        try:
            text = self._get_interactive_response(action)
        except (AttributeError, IndexError, KeyError, TypeError):
            raise BadSlackRequest(f"malformed '{action.get('type')}' action") from None
        if not isinstance(text, str) or not text:
            if action.get("type") == "button":
                return response.text("User clicked link button")  # link buttons carry no value
            raise BadSlackRequest(f"the '{action.get('type')}' action carries no value")
        if self._is_duplicate_click(payload, user["id"], action):
            return response.text("", status=HTTPStatus.OK)
        metadata = interactive_metadata(payload)
        team = payload.get("team") if isinstance(payload.get("team"), dict) else {}
        conversation_id = self._in_namespace(team.get("id") or user.get("team_id"), self._get_conversation_id(
            user["id"], metadata["out_channel"], metadata["thread_id"]
        ))
        return await self.process_message(request, on_new_message, text, conversation_id, metadata)
