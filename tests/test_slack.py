"""Slack, end to end: the real Rasa server and action server (started as
`make run` starts them, with SLACK_* in the environment) receive requests
signed exactly as Slack signs them, and answer through a local fake Slack
Web API (aiohttp) that records every call. Plus unit tests of the settings
and of the de-duplication store."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import requests

from channels.slack import SeenEvents, SlackBot, SlackInput
from channels.slack_settings import SLACK_NOT_CONFIGURED, slack_settings, slack_status
from stack.process import Stack
from tests.helpers.servers import started_stack
from tests.helpers.slack import SECRET, TOKEN, FakeSlackApi, SlackClient, button_click, has, message_event, sign, texts

# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def slack_stack(tmp_path_factory, fake_slack: FakeSlackApi):
    """The real servers with Slack enabled and its Web API pointed at the fake."""
    stack = started_stack(tmp_path_factory.mktemp("slack"), tracker_store="SQL",
                          extra_env={"SLACK_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                     "SLACK_API_BASE_URL": fake_slack.base_url, "SLACK_CHANNEL": ""})
    yield stack
    stack.stop()


@pytest.fixture
def slack(slack_stack: Stack) -> SlackClient:
    return SlackClient(f"{slack_stack.rasa_url}/webhooks/slack/webhook")


def ids() -> tuple:
    """A fresh user and DM channel: one conversation per test."""
    tag = uuid.uuid4().hex[:8].upper()
    return f"U{tag}", f"D{tag}"


# --------------------------------------------------------------------------
# end to end, Slack enabled


def test_health_says_configured(slack_stack: Stack):
    r = requests.get(f"{slack_stack.rasa_url}/webhooks/slack/", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok", "configured": True}


def test_signed_message_is_answered_through_the_web_api(slack, fake_slack):
    user, channel = ids()
    r = slack.event(message_event("does the PMP expire?", user, channel))
    assert r.status_code == 200, r.text
    posts = fake_slack.wait_for(channel, has("Project Management Professional"), "answer about the PMP")
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
    fake_slack.wait_for(channel, has("Project Management Professional"), "answer about the PMP")
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
    assert "Project Management Professional" not in texts(posts)


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
    fake_slack.wait_for(channel, has("Project Management Professional"), "answer about the PMP")
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

    r = slack.interactive(button_click(expiry, user, channel))
    assert r.status_code == 200, r.text
    fake_slack.wait_for(channel, has("60 professional development units"), "answer to the button")


def test_json_content_type_with_charset_is_answered(slack, fake_slack):
    user, channel = ids()
    r = slack.event(message_event("does the PMP expire?", user, channel),
                    content_type="application/json; charset=utf-8")
    assert r.status_code == 200, r.text
    fake_slack.wait_for(channel, has("Project Management Professional"), "answer about the PMP")


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
