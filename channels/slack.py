"""Rasa's Slack channel, configured from the environment and hardened.

credentials.yml names ``channels.slack.SlackInput`` with no secrets. On top of
``rasa.core.channels.slack`` this adds:

- settings from SLACK_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL and
  SLACK_API_BASE_URL (the environment wins over credentials.yml); without a
  token and signing secret the channel still loads and its webhook answers 503;
- SLACK_API_BASE_URL: every Slack Web API call goes to that base URL, which
  must be https (the calls carry the bot token) unless it is on loopback;
- threads: in a channel the bot answers a mention (``app_mention``) in a
  thread under that message, and every reply in a thread it takes part in,
  without a new mention; one conversation per thread
  (``slack:<team>:<channel>:<thread_ts>``, see :func:`conversation_id`). In a
  direct message it answers in the conversation, one per user
  (``slack:<team>:<user>``). Threads are known in memory and, after a restart,
  from the tracker store;
- Slack is acknowledged at once and answered in the background, so a slow
  answer still meets Slack's 3-second window;
- a retry of an event already accepted (same ``event_id``, any
  X-Slack-Retry-Reason) is acknowledged with 200 and not processed again; so is
  the second event Slack sends for one message (``app_mention`` + ``message``);
- buttons answer where they are (in their thread); a message's buttons answer
  one click only (a second click is acknowledged, not processed), and the
  message is updated to show the choice instead of its buttons (chat.update);
  a click seen before (same ``trigger_id`` or action timestamp: a replayed
  signed request within Slack's 5-minute window) is acknowledged only, too;
- malformed input gets a 4xx with a JSON ``error``, never a 500;
  ``application/json; charset=utf-8`` is accepted like ``application/json``;
- replies are posted without the legacy ``as_user`` argument, which Slack
  refuses (``invalid_arguments``) for apps with granular bot tokens;
- the text is cleaned and screened like every channel's (channels/text.py):
  an empty message (e.g. only a mention of the bot) or one over
  MAX_MESSAGE_CHARS gets the channel's own reply without running NLU;
- a failed or slow custom action gets an apology posted (channels/guard.py);
- every conversation id starts with ``slack:<team>:`` (channels/ids.py), so a
  Slack user's conversation cannot be continued or read through REST or
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
THREAD_MEMORY_S = 7 * 24 * 3600  # a thread known in memory; older ones are found in the tracker store
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


def is_direct(channel: Optional[str], channel_type: Optional[str] = None) -> bool:
    """A direct message (IM) with the bot, rather than a channel or group."""
    return channel_type == "im" or (channel or "").startswith("D")


def conversation_id(team: str, user: str, channel: Optional[str] = None, thread: Optional[str] = None) -> str:
    """The Rasa conversation (sender id) of a Slack message: one per thread in a
    channel (``slack:<team>:<channel>:<thread_ts>``), one per user in a direct
    message (``slack:<team>:<user>``). Every id the Slack channel uses is made here,
    in Slack's own namespace (channels/ids.py); a missing team reads ``-``."""
    team = team if isinstance(team, str) and team else "-"
    if channel and thread:
        return ids.conversation_id(ids.SLACK, team, channel, thread)
    return ids.conversation_id(ids.SLACK, team, user)


def event_metadata(body: Dict[str, Any], use_threads: bool = False) -> Dict[str, Any]:
    """Rasa's metadata for a JSON event: reply channel, the thread the answer
    goes to (in a channel always the message's thread; in a direct message
    only if the message was in a thread, or with ``use_threads``), bot user ids."""
    event = body.get("event") or {}
    channel = event.get("channel")
    direct = is_direct(channel, event.get("channel_type"))
    thread = event.get("thread_ts") or (event.get("ts") if use_threads or not direct else None)
    return {
        "out_channel": channel,
        "thread_id": thread,
        "direct": direct,
        "team": body.get("team_id") or event.get("team") or "",
        "users": _user_ids(body),
    }


def interactive_metadata(payload: Dict[str, Any], use_threads: bool = False) -> Dict[str, Any]:
    """Rasa's metadata for an interactive (button) payload: the answer goes
    where the clicked message is (its thread in a channel)."""
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    container = payload.get("container") if isinstance(payload.get("container"), dict) else {}
    channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    team = payload.get("team") if isinstance(payload.get("team"), dict) else {}
    channel_id = channel.get("id") or container.get("channel_id")
    direct = is_direct(channel_id, "im" if channel.get("name") == "directmessage" else None)
    ts = message.get("ts") or container.get("message_ts")
    thread = message.get("thread_ts") or container.get("thread_ts") or (ts if use_threads or not direct else None)
    return {
        "out_channel": channel_id,
        "thread_id": thread,
        "message_ts": ts,
        "direct": direct,
        "team": team.get("id") or user.get("team_id") or "",
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
        # channel threads the bot takes part in (it was mentioned there), so that
        # replies in them need no new mention; on a miss the tracker store is asked
        self.threads = SeenEvents(max_size=50_000, ttl=THREAD_MEMORY_S)
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
                return event_metadata(parse_json_body(request.body), bool(self.use_threads))
            if media_type == "application/x-www-form-urlencoded":
                return interactive_metadata(parse_form_payload(request.body), bool(self.use_threads))
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
        """Acknowledge Slack at once and answer in the background (Slack wants
        its 200 within 3 seconds, whatever the answer takes), in the thread the
        metadata names. The text is checked like every channel's
        (channels/text.py): an empty message (e.g. only a mention of the bot) or
        one over MAX_MESSAGE_CHARS is answered by the channel without NLU."""
        retry_reason = request.headers.get(self.retry_reason_header)
        if request.headers.get(self.retry_num_header) and retry_reason in self.errors_ignore_retry:
            # a retry of an event not seen (e.g. after a restart): dropped, as Rasa does
            logger.warning(f"Slack retry ({retry_reason}) of an event not seen: acknowledged, not processed")
            return response.text("", status=HTTPStatus.CREATED, headers={"X-Slack-No-Retry": "1"})
        metadata = metadata or {}
        out = self.get_output_channel(metadata.get("out_channel"), metadata.get("thread_id"))
        screened = screen(text, self.max_chars)
        if screened.reply is None:
            work = on_new_message(UserMessage(screened.text, out, sender_id, input_channel=self.name(),
                                              metadata=metadata))
        else:
            logger.info(f"Slack: {screened.reason} message from {sender_id!r} answered by the channel")
            work = (out.send_text_with_buttons(sender_id, screened.reply, screened.buttons) if screened.buttons
                    else out.send_text_message(sender_id, screened.reply))
        self._in_background(work)
        return response.text("")

    def _in_background(self, work: Awaitable[Any]) -> None:
        task: asyncio.Task = asyncio.ensure_future(work)  # kept until done (asyncio holds weak references)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

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

    def _is_duplicate(self, request: Request, key: str, what: str) -> bool:
        """Remember ``key``; True (and logged) if it was seen before."""
        if not self.seen_events.check_and_add(key):
            return False
        retry = request.headers.get(self.retry_num_header)
        how = f"retry #{retry} ({request.headers.get(self.retry_reason_header)}) of" if retry else "a second"
        logger.info(f"Slack: {how} {what} already accepted; acknowledged, not processed")
        return True

    def _is_duplicate_click(self, payload: Dict[str, Any], user_id: str, action: Dict[str, Any]) -> bool:
        """Remember this click (its trigger_id, and the clicked action's
        timestamp); True if seen before: a replay of a signed request."""
        keys = [f"click:{payload['trigger_id']}"] if isinstance(payload.get("trigger_id"), str) else []
        if isinstance(action.get("action_ts"), str):
            keys.append(f"click:{user_id}:{action.get('action_id')}:{action['action_ts']}")
        if not any([self.seen_events.check_and_add(k) for k in keys]):
            return False
        logger.info(f"Slack click by {user_id}: already accepted; acknowledged, not processed")
        return True

    def _mentions_bot(self, event: Dict[str, Any], metadata: Dict[str, Any]) -> bool:
        text = event.get("text") or ""
        return event.get("type") == "app_mention" or any(f"<@{u}>" in text for u in metadata["users"])

    async def _in_known_thread(self, request: Request, conversation: str) -> bool:
        """Whether the bot takes part in this channel thread (it was mentioned in it)."""
        if conversation in self.threads:
            return True
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        try:
            known = bool(store is not None and await store.exists(conversation))
        except Exception:  # the store unreachable: treat the thread as unknown
            logger.exception(f"Slack: could not look up conversation {conversation!r}")
            return False
        if known:
            self.threads.check_and_add(conversation)
        return known

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

        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id and self._is_duplicate(request, f"event:{event_id}",
                                                                         f"event {event_id}"):
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})

        if not self._is_user_message(body):
            logger.debug("Slack event that is not a user message: skipped")
            return response.text("Bot message delivered.")

        event = body["event"]
        metadata = event_metadata(body, bool(self.use_threads))
        channel = metadata["out_channel"]
        if metadata["direct"]:
            conversation = conversation_id(metadata["team"], event.get("user", ""))
        else:
            # in a channel: one conversation per thread; a mention (or SLACK_CHANNEL)
            # starts one, and replies in a thread the bot is in continue it
            conversation = conversation_id(metadata["team"], event.get("user", ""), channel, metadata["thread_id"])
            if not (self._mentions_bot(event, metadata) or (self.slack_channel and channel == self.slack_channel)
                    or (event.get("thread_ts") and await self._in_known_thread(request, conversation))):
                logger.debug(f"Slack message in {channel} that is not for the bot: skipped")
                return response.text("channel not supported.")
            self.threads.check_and_add(conversation)

        # one user message can arrive as two events (message.* and app_mention)
        if event.get("ts") and self._is_duplicate(request, f"message:{channel}:{event['ts']}",
                                                  f"event for message {event['ts']}"):
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})
        return await self.process_message(
            request,
            on_new_message,
            text=self._sanitize_user_message(event["text"], metadata["users"]),
            sender_id=conversation,
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
            return response.text("")
        metadata = interactive_metadata(payload, bool(self.use_threads))
        channel = metadata["out_channel"]
        # one answer per message of buttons: a second click (or a double click) is acknowledged only
        if metadata["message_ts"] and self._is_duplicate(
                request, f"click:{channel}:{metadata['message_ts']}", f"click on message {metadata['message_ts']}"):
            return response.text("")
        if metadata["direct"]:
            conversation = conversation_id(metadata["team"], user["id"])
        else:
            conversation = conversation_id(metadata["team"], user["id"], channel, metadata["thread_id"])
            self.threads.check_and_add(conversation)
        if action.get("type") == "button" and metadata["message_ts"]:
            self._in_background(self._mark_chosen(payload, action, channel, metadata["message_ts"]))
        return await self.process_message(request, on_new_message, text, conversation, metadata)

    async def _mark_chosen(self, payload: Dict[str, Any], action: Dict[str, Any], channel: str, ts: str) -> None:
        """Replace the clicked message's buttons with the choice, so it shows and
        cannot be clicked again (chat.update)."""
        message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
        blocks = message.get("blocks")
        if not isinstance(blocks, list):
            return
        label = action.get("text") if isinstance(action.get("text"), dict) else {}
        title = label.get("text") or action.get("value") or "?"
        kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
        kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"✓ You chose *{title}*"}]})
        client = web_client(self.slack_token, self.proxy, self.api_base_url)
        try:
            await client.chat_update(channel=channel, ts=ts, text=message.get("text") or title, blocks=kept)
        except SlackApiError as exc:
            logger.warning(f"Slack refused chat.update of {channel}/{ts}: {exc.response.get('error')}")
        except (aiohttp.ClientError, OSError) as exc:
            logger.warning(f"Could not reach the Slack Web API at {client.base_url}: {exc!r}")
