"""Slack, end to end: the real Rasa server and action server (started as
`make run` starts them, with SLACK_* in the environment) receive requests
signed exactly as Slack signs them, and answer through a local fake Slack
Web API (aiohttp) that records every call. Plus unit tests of the settings
and of the de-duplication store."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from types import SimpleNamespace

import pytest
import requests

from channels.slack import SeenEvents, SlackBot, SlackInput, conversation_id, event_metadata, interactive_metadata
from channels.slack_settings import SLACK_NOT_CONFIGURED, slack_settings, slack_status
from stack.process import Stack
from tests.helpers.actions import FakeActionServer
from tests.helpers.clients import stored_user_events
from tests.helpers.slack import (
    TOKEN,
    FakeSlackApi,
    SlackClient,
    button_click,
    has,
    mention,
    message_event,
    sign,
    started_slack_stack,
    texts,
)

# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def slack_stack(tmp_path_factory, fake_slack: FakeSlackApi):
    """The real servers with Slack enabled and its Web API pointed at the fake."""
    stack = started_slack_stack(tmp_path_factory.mktemp("slack"), fake_slack)
    yield stack
    stack.stop()


@pytest.fixture
def slack(slack_stack: Stack) -> SlackClient:
    return SlackClient(f"{slack_stack.rasa_url}/webhooks/slack/webhook")


def ids() -> tuple:
    """A fresh user and DM channel: one conversation per test."""
    tag = uuid.uuid4().hex[:8].upper()
    return f"U{tag}", f"D{tag}"


def channel_ids() -> tuple:
    """A fresh user and public channel."""
    tag = uuid.uuid4().hex[:8].upper()
    return f"U{tag}", f"C{tag}"


def send_mention(slack: SlackClient, text: str, user: str, channel: str) -> str:
    """"@bot <text>" at the top of a channel, as Slack sends it (two events);
    returns the message's ts, which is the thread the answer goes to."""
    events = mention(text, user, channel)
    for event in events:
        assert slack.event(event).status_code == 200
    return events[0]["event"]["ts"]


# --------------------------------------------------------------------------
# end to end, Slack enabled


def test_health_says_configured(slack_stack: Stack):
    r = requests.get(f"{slack_stack.rasa_url}/webhooks/slack/", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok", "configured": True}


def test_signed_message_is_answered_through_the_web_api(slack, fake_slack):
    user, channel = ids()
    r = slack.event(message_event("does the PMP expire?", user, channel))
    assert r.status_code == 200, r.text
    posts = fake_slack.wait_for(channel, has("60 professional development units"), "answer about the PMP")
    assert "60 professional development units" in texts(posts)
    call = next(c for c in fake_slack.calls if c["body"].get("channel") == channel)
    assert call["authorization"] == f"Bearer {TOKEN}"
    assert all("as_user" not in p for p in posts)  # refused by apps with granular bot tokens


def test_app_mention_is_answered_once(slack, fake_slack):
    """A mention arrives as two events (message + app_mention) for one message."""
    user, channel = ids()
    first = message_event("<@U0BOT> does the PMP expire?", user, channel)
    second = json.loads(json.dumps(first))
    second["event_id"] = "Ev" + uuid.uuid4().hex[:10].upper()
    second["event"]["type"] = "app_mention"
    del second["event"]["channel_type"]
    assert slack.event(first).status_code == 200
    assert slack.event(second).status_code == 200
    fake_slack.wait_for(channel, has("60 professional development units"), "answer about the PMP")
    slack.event(message_event("how long does Kubernetes take?", user, channel))
    posts = fake_slack.wait_for(channel, has("Kubernetes"), "answer about Kubernetes")
    assert texts(posts).count("60 professional development units") == 1, texts(posts)


def test_wrong_signature_and_stale_timestamp_are_refused(slack, fake_slack):
    user, channel = ids()
    body = json.dumps(message_event("does the PMP expire?", user, channel)).encode()
    now = int(time.time())

    bad = slack.post(body, signature=sign(body, now, secret="not-the-secret"))
    assert 400 <= bad.status_code < 500 and "X-Slack-Signature" in bad.json()["error"]

    old = now - 6 * 60  # correctly signed, but older than 5 minutes
    stale = slack.post(body, timestamp=old, signature=sign(body, old))
    assert 400 <= stale.status_code < 500 and "5 minutes" in stale.json()["error"]

    unsigned = requests.post(slack.url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert 400 <= unsigned.status_code < 500

    # barrier: a valid message in the same conversation is answered, and
    # nothing before it was (a conversation's messages are handled in order)
    assert slack.event(message_event("how long does Kubernetes take?", user, channel)).status_code == 200
    posts = fake_slack.wait_for(channel, has("Kubernetes"), "answer about Kubernetes")
    assert "60 professional development units" not in texts(posts)


def test_url_verification_challenge_is_echoed(slack):
    body = {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification"}
    r = slack.event(body)
    assert r.status_code == 200 and r.json() == {"challenge": body["challenge"]}
    # not answered without a valid signature
    assert 400 <= slack.event(body, signature="v0=00").status_code < 500


def test_retried_event_is_answered_once(slack, fake_slack):
    user, channel = ids()
    event = message_event("does the PMP expire?", user, channel)
    assert slack.event(event).status_code == 200
    for num, reason in ((1, "http_error"), (2, "connection_failed"), (3, "http_timeout")):
        r = slack.event(event, headers={"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason})
        assert r.status_code == 200, (reason, r.status_code, r.text)
    fake_slack.wait_for(channel, has("60 professional development units"), "answer about the PMP")
    # barrier: once the next message is answered, any duplicate would have been posted
    assert slack.event(message_event("how long does Kubernetes take?", user, channel)).status_code == 200
    posts = fake_slack.wait_for(channel, has("Kubernetes"), "answer about Kubernetes")
    assert texts(posts).count("60 professional development units") == 1, texts(posts)


def test_buttons_render_as_slack_buttons_and_a_click_is_answered(slack, fake_slack):
    user, channel = ids()
    assert slack.event(message_event("tell me about the PMP", user, channel)).status_code == 200
    posts = fake_slack.wait_for(channel, lambda ps: any(p.get("blocks") for p in ps), "answer with buttons")
    with_buttons = next(p for p in posts if p.get("blocks"))
    section, actions = with_buttons["blocks"]
    assert section["type"] == "section" and "Project Management Professional" in section["text"]["text"]
    assert actions["type"] == "actions"
    buttons = {b["text"]["text"]: b for b in actions["elements"]}
    assert all(b["type"] == "button" for b in buttons.values())
    expiry = buttons["Does it expire?"]
    assert expiry["value"].startswith("/ask_expiry")

    r = slack.interactive(button_click(expiry, user, channel, with_buttons))
    assert r.status_code == 200, r.text
    fake_slack.wait_for(channel, has("60 professional development units"), "answer to the button")
    assert all("thread_ts" not in p for p in fake_slack.posts(channel))  # a direct message: no threads


def test_json_content_type_with_charset_is_answered(slack, fake_slack):
    user, channel = ids()
    r = slack.event(message_event("does the PMP expire?", user, channel),
                    content_type="application/json; charset=utf-8")
    assert r.status_code == 200, r.text
    fake_slack.wait_for(channel, has("60 professional development units"), "answer about the PMP")


@pytest.mark.parametrize(
    "body,content_type,status,needle",
    [
        (b"this is not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2, 3]", "application/json", 400, "must be an object"),
        (b'{"type": "event_callback", "event": "text"}', "application/json", 400, "'event' must be"),
        (b'{"type": "event_callback", "event": {"type": "message", "text": 5}}', "application/json", 400, "event.text"),
        (b'{"type": "url_verification"}', "application/json", 400, "challenge"),
        (b"foo=bar", "application/x-www-form-urlencoded", 400, "no 'payload'"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded", 400, "not valid JSON"),
        (b"payload=%7B%22actions%22%3A%205%7D", "application/x-www-form-urlencoded", 400, "actions"),
        (b"payload=" + json.dumps({"type": "block_actions",
                                   "actions": [{"type": "button", "value": "/greet"}]}).encode(),
         "application/x-www-form-urlencoded", 400, "user.id"),
        (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        (b"hello", "text/plain", 415, "unsupported content type"),
    ],
)
def test_bad_input_gets_a_clear_4xx(slack, body, content_type, status, needle):
    r = slack.post(body, content_type=content_type)
    assert r.status_code == status, (r.status_code, r.text)
    assert needle in r.json()["error"]


def test_events_that_are_not_user_messages_are_acknowledged(slack, fake_slack):
    user, channel = ids()
    own = message_event("an answer the bot posted", "U0BOT", channel)
    own["event"]["bot_id"] = "B0BOT"
    assert slack.event(own).status_code == 200
    assert slack.event({"type": "app_rate_limited", "team_id": "T0TEST"}).status_code == 200
    link = button_click({"text": {"type": "plain_text", "text": "Open"}, "value": None}, user, channel)
    del link["actions"][0]["value"]
    assert slack.interactive(link).status_code == 200


# --------------------------------------------------------------------------
# channels: threads, one conversation each


def test_mention_in_a_channel_is_answered_in_its_thread_and_the_thread_continues(slack, fake_slack, slack_stack):
    user, channel = channel_ids()
    thread = send_mention(slack, "tell me about the PMP", user, channel)
    posts = fake_slack.wait_for(channel, has("Project Management Professional"), "threaded answer", thread=thread)
    assert all(p.get("thread_ts") == thread for p in fake_slack.posts(channel)), fake_slack.posts(channel)
    assert texts(posts).count("Project Management Professional") == 1  # two events, one answer

    # a reply in the thread, without a mention: the same conversation ("it" is the PMP)
    reply = message_event("and how much does it cost?", user, channel, thread_ts=thread)
    assert slack.event(reply).status_code == 200
    fake_slack.wait_for(channel, has("US$405"), "follow-up about the PMP in the thread", thread=thread)
    # someone else in the thread takes part in the same conversation
    other = message_event("does it expire?", "U0OTHER", channel, thread_ts=thread)
    assert slack.event(other).status_code == 200
    fake_slack.wait_for(channel, has("60 professional development units"), "expiry of the PMP", thread=thread)
    assert fake_slack.posts(channel) == fake_slack.posts(channel, thread)  # nothing outside the thread
    conversation = f"slack:T0TEST:{channel}:{thread}"
    said = [e.get("text") for e in stored_user_events(slack_stack, conversation)]
    assert said == ["tell me about the PMP", "and how much does it cost?", "does it expire?"], said


def test_two_threads_in_a_channel_are_two_conversations(slack, fake_slack):
    user, channel = channel_ids()
    pmp = send_mention(slack, "tell me about the PMP", user, channel)
    kubernetes = send_mention(slack, "tell me about the Kubernetes one", user, channel)
    fake_slack.wait_for(channel, has("Project Management Professional"), "answer about the PMP", thread=pmp)
    fake_slack.wait_for(channel, has("Kubernetes"), "answer about Kubernetes", thread=kubernetes)
    for thread in (kubernetes, pmp):
        assert slack.event(message_event("how long does it take?", user, channel, thread_ts=thread)).status_code == 200
    fake_slack.wait_for(channel, lambda ps: len(ps) >= 2, "follow-up in the Kubernetes thread", thread=kubernetes)
    fake_slack.wait_for(channel, lambda ps: len(ps) >= 2, "follow-up in the PMP thread", thread=pmp)
    follow_up = {t: fake_slack.posts(channel, t)[-1]["text"] for t in (pmp, kubernetes)}
    assert "Kubernetes" in follow_up[kubernetes] and "PMP" not in follow_up[kubernetes], follow_up
    assert "PMP" in follow_up[pmp] and "Kubernetes" not in follow_up[pmp], follow_up


def test_channel_messages_not_for_the_bot_are_not_answered(slack, fake_slack):
    user, channel = channel_ids()
    plain = message_event("does the PMP expire?", user, channel)  # no mention, no thread of the bot's
    assert slack.event(plain).status_code == 200
    stranger = message_event("does the PMP expire?", user, channel, thread_ts=plain["event"]["ts"])
    assert slack.event(stranger).status_code == 200  # a thread the bot is not in
    # barrier: a later mention in the channel is answered, and nothing before it was
    thread = send_mention(slack, "how long does Kubernetes take?", user, channel)
    fake_slack.wait_for(channel, has("Kubernetes"), "answer to the mention", thread=thread)
    assert "60 professional development units" not in texts(fake_slack.posts(channel))
    assert fake_slack.posts(channel) == fake_slack.posts(channel, thread)


def test_buttons_in_a_thread_answer_in_the_thread_once(slack, fake_slack):
    user, channel = channel_ids()
    thread = send_mention(slack, "tell me about the PMP", user, channel)
    posts = fake_slack.wait_for(channel, lambda ps: any(p.get("blocks") for p in ps), "answer with buttons",
                                thread=thread)
    with_buttons = next(p for p in posts if p.get("blocks"))
    expiry = next(b for b in with_buttons["blocks"][1]["elements"] if b["text"]["text"] == "Does it expire?")
    click = button_click(expiry, user, channel, with_buttons)
    assert slack.interactive(click).status_code == 200
    again = button_click(expiry, user, channel, with_buttons)  # clicked twice (a new action, same message)
    assert slack.interactive(again).status_code == 200
    fake_slack.wait_for(channel, has("60 professional development units"), "answer to the click", thread=thread)
    # the clicked message now shows the choice instead of its buttons
    updates = fake_slack.wait_for(channel, lambda us: len(us) >= 1, "the buttons replaced", method="chat.update")
    assert updates[0]["ts"] == with_buttons["ts"]
    assert all(b["type"] != "actions" for b in updates[0]["blocks"])
    assert "Does it expire?" in json.dumps(updates[0]["blocks"])
    # barrier: the next message in the thread is answered, and the click only once
    assert slack.event(message_event("how much does it cost?", user, channel, thread_ts=thread)).status_code == 200
    fake_slack.wait_for(channel, has("US$405"), "answer about the cost", thread=thread)
    assert texts(fake_slack.posts(channel)).count("60 professional development units") == 1
    assert fake_slack.posts(channel) == fake_slack.posts(channel, thread)


def test_a_slow_answer_is_acknowledged_within_three_seconds(slack, fake_slack, slack_stack):
    """Slack wants its 200 within 3 s; the answer follows when it is ready."""
    user, channel = channel_ids()
    slack_stack.stop_one("actions")
    try:
        with FakeActionServer(slack_stack.action_port, delay=5) as slow:
            events = mention("does the PMP expire?", user, channel)
            started = time.monotonic()
            for event in events:
                r = slack.event(event)
                assert r.status_code == 200, r.text
            acknowledged = time.monotonic() - started
            assert acknowledged < 3, acknowledged
            thread = events[0]["event"]["ts"]
            fake_slack.wait_for(channel, has("a very late answer"), "the slow answer", thread=thread)
            assert time.monotonic() - started >= 5  # it really was slower than Slack's window
            assert slow.calls >= 1
    finally:
        slack_stack.start_actions()


# --------------------------------------------------------------------------
# Slack not configured: the real server as `make run` starts it without SLACK_*


def test_without_slack_env_the_webhook_answers_503(servers):
    if os.environ.get("SLACK_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        pytest.skip("SLACK_* are set in this environment: the shared servers have Slack enabled")
    base = f"{servers.rasa_url}/webhooks/slack"
    body = json.dumps(message_event("does the PMP expire?", "U1", "D1")).encode()
    now = int(time.time())
    r = requests.post(f"{base}/webhook", data=body, timeout=10,
                      headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(now),
                               "X-Slack-Signature": sign(body, now)})
    assert r.status_code == 503
    assert r.json() == {"error": "Slack is not configured: set SLACK_TOKEN and SLACK_SIGNING_SECRET"}
    health = requests.get(f"{base}/", timeout=5)
    assert health.status_code == 200 and health.json() == {"status": "ok", "configured": False}


# --------------------------------------------------------------------------
# unit tests: settings, status line, output client, de-duplication


@pytest.fixture
def no_slack_env(monkeypatch):
    for var in ("SLACK_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CHANNEL", "SLACK_API_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_channel_loads_without_secrets(no_slack_env):
    for credentials in (None, {}):
        channel = SlackInput.from_credentials(credentials)
        assert isinstance(channel, SlackInput) and not channel.configured
    assert slack_status() == "Slack: off (set SLACK_TOKEN and SLACK_SIGNING_SECRET to enable)"
    no_slack_env.setenv("SLACK_TOKEN", "xoxb-only-the-token")
    assert not SlackInput.from_credentials(None).configured
    assert SLACK_NOT_CONFIGURED == "Slack is not configured: set SLACK_TOKEN and SLACK_SIGNING_SECRET"


def test_environment_overrides_the_file(no_slack_env):
    file = {"slack_token": "from-file", "slack_signing_secret": "file-secret", "slack_channel": "C0FILE"}
    assert slack_settings(file)["slack_token"] == "from-file"
    no_slack_env.setenv("SLACK_TOKEN", "from-env")
    no_slack_env.setenv("SLACK_CHANNEL", "")  # empty: the file's value stays
    settings = slack_settings(file)
    assert settings["slack_token"] == "from-env" and settings["slack_channel"] == "C0FILE"
    no_slack_env.setenv("SLACK_SIGNING_SECRET", "env-secret")
    channel = SlackInput.from_credentials(file)
    assert channel.configured and channel.slack_signing_secret == "env-secret"
    assert slack_status() == "Slack: enabled at /webhooks/slack/webhook"


def test_api_base_url_reaches_the_output_client(no_slack_env):
    no_slack_env.setenv("SLACK_TOKEN", "xoxb-1")
    no_slack_env.setenv("SLACK_SIGNING_SECRET", "s")
    no_slack_env.setenv("SLACK_API_BASE_URL", "http://127.0.0.1:9/api")
    no_slack_env.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    bot = SlackInput.from_credentials(None).get_output_channel("D1")
    assert isinstance(bot, SlackBot)
    assert bot.client.base_url == "http://127.0.0.1:9/api/"
    assert bot.client.proxy is None  # loopback: slack_sdk would otherwise use HTTPS_PROXY
    no_slack_env.delenv("SLACK_API_BASE_URL")
    assert SlackInput.from_credentials(None).get_output_channel("D1").client.base_url == "https://slack.com/api/"
    no_slack_env.setenv("SLACK_API_BASE_URL", "slack.example.com/api")
    with pytest.raises(Exception, match="SLACK_API_BASE_URL"):
        SlackInput.from_credentials(None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_seen_events_reports_a_key_seen_before():
    seen = SeenEvents()
    assert seen.check_and_add("Ev1") is False
    assert seen.check_and_add("Ev1") is True
    assert seen.check_and_add("Ev2") is False
    assert "Ev1" in seen and "Ev3" not in seen and len(seen) == 2


def test_seen_events_is_bounded():
    seen = SeenEvents(max_size=3)
    for key in ("a", "b", "c", "d"):
        seen.check_and_add(key)
    assert len(seen) == 3 and "a" not in seen and "d" in seen
    assert seen.check_and_add("a") is False  # forgotten, the oldest went first


def test_seen_events_forgets_after_ttl():
    clock = Clock()
    seen = SeenEvents(ttl=300, clock=clock)
    seen.check_and_add("Ev1")
    clock.now += 299
    assert seen.check_and_add("Ev1") is True
    seen.check_and_add("Ev2")
    clock.now += 2  # Ev1 is 301 s old, Ev2 2 s
    assert "Ev1" not in seen and "Ev2" in seen and len(seen) == 1


def test_seen_events_rejects_nonsense_limits():
    with pytest.raises(ValueError):
        SeenEvents(max_size=0)
    with pytest.raises(ValueError):
        SeenEvents(ttl=0)


def test_conversation_ids_and_reply_threads():
    assert conversation_id("T1", "U1") == "slack:T1:U1"
    assert conversation_id("T1", "U1", "C1", "1700000000.000100") == "slack:T1:C1:1700000000.000100"
    dm = event_metadata(message_event("hi", "U1", "D1"))
    assert dm["direct"] and dm["thread_id"] is None and dm["team"] == "T0TEST"
    assert event_metadata(message_event("hi", "U1", "D1"), use_threads=True)["thread_id"]
    top = message_event("hi", "U1", "C1")
    assert event_metadata(top)["thread_id"] == top["event"]["ts"]  # a channel message starts a thread
    reply = message_event("hi", "U1", "C1", thread_ts="1.5")
    assert event_metadata(reply)["thread_id"] == "1.5"
    click = button_click({"text": {"type": "plain_text", "text": "Yes"}, "value": "/affirm"}, "U1", "C1",
                         {"text": "…", "ts": "2.0", "thread_ts": "1.5"})
    meta = interactive_metadata(click)
    assert meta == {"out_channel": "C1", "thread_id": "1.5", "message_ts": "2.0", "direct": False,
                    "team": "T0TEST", "users": ["U1"]}
    assert interactive_metadata(button_click(click["actions"][0], "U1", "D1"))["thread_id"] is None


def test_a_thread_in_the_tracker_store_is_known_after_a_restart(no_slack_env):
    """Replies in a thread need no mention even after the server restarted:
    the tracker store has the thread's conversation."""
    class Store:
        async def exists(self, conversation: str) -> bool:
            return conversation == "slack:T1:C1:1.5"

    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=Store()))))
    channel = SlackInput("xoxb-1", slack_signing_secret="s")
    assert asyncio.run(channel._in_known_thread(request, "slack:T1:C1:1.5"))
    assert "slack:T1:C1:1.5" in channel.threads  # remembered: the store is asked once
    assert not asyncio.run(channel._in_known_thread(request, "slack:T1:C1:9.9"))
