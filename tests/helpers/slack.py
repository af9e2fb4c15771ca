"""Slack as the tests see it: a fake Slack Web API, and requests signed as
Slack signs them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs, urlencode

import requests
from aiohttp import web

if TYPE_CHECKING:
    from stack.process import Stack

TOKEN = "xoxb-test-token"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WAIT_S = 20.0


# --------------------------------------------------------------------------
# a fake Slack Web API


class FakeSlackApi:
    """`POST /api/{method}` answers {"ok": true, ...} and records the call."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fake-slack-api", daemon=True)
        self._ready = threading.Event()
        self._runner: Optional[web.AppRunner] = None
        self.port = 0

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        if request.content_type == "application/json":
            body = json.loads(raw or b"{}")
        else:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        with self._lock:
            ts = body.get("ts") or f"{time.time():.6f}"  # chat.update names the message it changes
            body.setdefault("ts", ts)
            self.calls.append({"method": method, "body": body,
                               "authorization": request.headers.get("Authorization")})
        return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts})

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> "FakeSlackApi":
        self._thread.start()
        assert self._ready.wait(10), "the fake Slack API did not start"
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def posts(self, channel: str, thread: Optional[str] = None,
              method: str = "chat.postMessage") -> List[Dict[str, Any]]:
        """The bodies of `method` calls for `channel` (and, if given, `thread`)."""
        with self._lock:
            return [c["body"] for c in self.calls
                    if c["method"] == method and c["body"].get("channel") == channel
                    and (thread is None or c["body"].get("thread_ts") == thread)]

    def wait_for(self, channel: str, predicate: Callable[[List[Dict[str, Any]]], bool],
                 what: str, timeout: float = WAIT_S, thread: Optional[str] = None,
                 method: str = "chat.postMessage") -> List[Dict[str, Any]]:
        """Poll until the posts to `channel` (in `thread`) satisfy `predicate`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.posts(channel, thread, method)
            if predicate(posts):
                return posts
            time.sleep(0.1)
        raise AssertionError(f"no {what} posted to {channel} (thread {thread}) within {timeout:.0f}s; "
                             f"calls: {self.posts(channel, None, method)}")


def texts(posts: List[Dict[str, Any]]) -> str:
    return "\n".join(p.get("text", "") for p in posts)


def has(needle: str) -> Callable[[List[Dict[str, Any]]], bool]:
    return lambda posts: needle in texts(posts)


# --------------------------------------------------------------------------
# requests as Slack sends them


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def message_event(text: str, user: str, channel: str, event_id: Optional[str] = None,
                  event_type: str = "message", thread_ts: Optional[str] = None) -> Dict[str, Any]:
    """An event_callback as Slack sends it: a `message` (in a DM when the channel
    id starts with D, else in a channel) or an `app_mention`, maybe in a thread."""
    ts = f"{time.time():.6f}"
    event: Dict[str, Any] = {"type": event_type, "user": user, "text": text, "ts": ts,
                             "event_ts": ts, "channel": channel, "team": "T0TEST"}
    if event_type == "message":
        event["channel_type"] = "im" if channel.startswith("D") else "channel"
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {
        "token": "legacy-verification-token", "team_id": "T0TEST", "api_app_id": "A0TEST",
        "event": event, "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": "T0TEST", "user_id": "U0BOT",
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def mention(text: str, user: str, channel: str, thread_ts: Optional[str] = None) -> List[Dict[str, Any]]:
    """What Slack sends for "@bot <text>" in a channel: a `message` event (with
    message.channels) and an `app_mention` event for the same message."""
    message = message_event(f"<@U0BOT> {text}", user, channel, thread_ts=thread_ts)
    app_mention = json.loads(json.dumps(message))
    app_mention["event_id"] = "Ev" + uuid.uuid4().hex[:10].upper()
    app_mention["event"]["type"] = "app_mention"
    del app_mention["event"]["channel_type"]
    return [app_mention, message]


def button_click(button: Dict[str, Any], user: str, channel: str,
                 message: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A block_actions payload as Slack sends it when `button` is clicked on
    `message` (the bot's post as the fake API recorded it, with its `ts`)."""
    ts = f"{time.time():.6f}"
    message = dict(message or {"text": "…", "ts": ts})
    message.update(type="message", bot_id="B0BOT", user="U0BOT")
    container = {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "tester", "name": "tester", "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "legacy-verification-token",
        "container": container,
        "trigger_id": f"{ts}.{uuid.uuid4().hex[:12]}", "team": {"id": "T0TEST", "domain": "test"},
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"},
        "message": message,
        "response_url": "https://hooks.slack.com/actions/T0TEST/1/xyz",
        "actions": [{"action_id": "a1", "block_id": "b1", "text": button["text"],
                     "value": button["value"], "type": "button", "action_ts": ts}],
    }


class SlackClient:
    def __init__(self, url: str):
        self.url = url

    def post(self, body: bytes, content_type: str = "application/json",
             timestamp: Optional[int] = None, signature: Optional[str] = None,
             headers: Optional[Dict[str, str]] = None) -> requests.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        h = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
             "X-Slack-Signature": signature or sign(body, timestamp), **(headers or {})}
        return requests.post(self.url, data=body, headers=h, timeout=10)

    def event(self, payload: Dict[str, Any], **kw: Any) -> requests.Response:
        return self.post(json.dumps(payload).encode(), **kw)

    def interactive(self, payload: Dict[str, Any], **kw: Any) -> requests.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, content_type="application/x-www-form-urlencoded", **kw)


def started_slack_stack(tmp: Path, fake_slack: "FakeSlackApi") -> "Stack":
    """The real servers with Slack enabled (SQL tracker store) and its Web API pointed at the fake."""
    from tests.helpers.servers import started_stack

    return started_stack(tmp, tracker_store="SQL",
                         extra_env={"SLACK_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                    "SLACK_API_BASE_URL": fake_slack.base_url, "SLACK_CHANNEL": ""})
