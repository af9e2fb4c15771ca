"""Failing parts (issue 7): the action server down, then back; a slow action
server; the Rasa server restarted mid-conversation; plus the HTTP API's token
and Slack's input checks. One stack of real servers, started as `make run`
starts them, with the HTTP API on (RASA_ENABLE_API=1, RASA_AUTH_TOKEN), an
action timeout of 2 s in its endpoints file, and Slack pointed at a fake Slack
Web API. docs/RELIABILITY.md lists every case.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Iterator, List, Optional

import pytest
import requests

from channels.text import APOLOGY_REPLY, EMPTY_REPLY, SILENT_TURN_REPLY
from stack.process import Stack
from tests.helpers.actions import FakeActionServer
from tests.helpers.clients import (
    LogWatch,
    SocketClient,
    new_sender,
    rest_conversation,
    say,
    secrets_seen,
    text_of,
    user_texts,
)
from tests.helpers.servers import started_stack
from tests.helpers.slack import SECRET, TOKEN, FakeSlackApi, SlackClient, has, message_event, sign

API_TOKEN = "reliability-test-" + uuid.uuid4().hex
ACTION_TIMEOUT_S = 2
APOLOGY = APOLOGY_REPLY[:40]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fake_slack: FakeSlackApi) -> Iterator[Stack]:
    s = started_stack(tmp_path_factory.mktemp("faults"), action_timeout=ACTION_TIMEOUT_S, tracker_store="SQL",
                      extra_env={"RASA_ENABLE_API": "1", "RASA_AUTH_TOKEN": API_TOKEN,
                                 "SLACK_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                 "SLACK_API_BASE_URL": fake_slack.base_url, "SLACK_CHANNEL": ""})
    yield s
    s.stop()


@pytest.fixture
def actions_up(stack: Stack) -> Iterator[Stack]:
    """The real action server is running before and after the test."""
    if "actions" not in stack.procs or stack.procs["actions"].poll() is not None:
        stack.start_actions()
    yield stack
    if "actions" not in stack.procs or stack.procs["actions"].poll() is not None:
        stack.start_actions()


def timed_say(stack: Stack, sender: str, message: str) -> tuple:
    start = time.monotonic()
    replies = say(stack, sender, message, timeout=60)
    return text_of(replies), time.monotonic() - start


def tracker_events(stack: Stack, sender: str, token: Optional[str] = API_TOKEN) -> requests.Response:
    """The REST sender's conversation through the HTTP API (stored as rest:<sender>)."""
    params = {"token": token} if token is not None else {}
    return requests.get(f"{stack.rasa_url}/conversations/{rest_conversation(sender)}/tracker", params=params,
                        timeout=10)


# --------------------------------------------------------------------------
# the HTTP API, turned on, needs the token


def test_http_api_requires_the_token(stack: Stack):
    sender = new_sender()
    say(stack, sender, "hi")
    assert tracker_events(stack, sender, token=None).status_code == 401
    assert tracker_events(stack, sender, token="wrong-" + API_TOKEN).status_code == 401
    for method, path in (("POST", "/model/parse"), ("GET", "/status"), ("POST", f"/conversations/{sender}/messages")):
        r = requests.request(method, stack.rasa_url + path, json={"text": "hi", "sender": "user"}, timeout=10)
        assert r.status_code == 401, (path, r.status_code)
    ok = tracker_events(stack, sender)
    assert ok.status_code == 200 and ok.json()["sender_id"] == rest_conversation(sender)


def test_secrets_reach_only_the_rasa_server_and_never_a_command_line(actions_up: Stack):
    """The API token, the Slack token and signing secret: in the Rasa server's
    environment, on no command line (every user of the machine can read those),
    nowhere in the action server's."""
    seen = secrets_seen(actions_up.procs, {"RASA_AUTH_TOKEN": API_TOKEN, "SLACK_TOKEN": TOKEN,
                                           "SLACK_SIGNING_SECRET": SECRET})
    assert seen == {"actions": [], "rasa": ["env:RASA_AUTH_TOKEN", "env:SLACK_TOKEN", "env:SLACK_SIGNING_SECRET"]}, seen
    assert tracker_events(actions_up, new_sender()).status_code == 200  # and the API still has its token


# --------------------------------------------------------------------------
# the action server down, then back


def test_action_server_down_apology_at_once_then_back(actions_up: Stack, fake_slack: FakeSlackApi):
    stack = actions_up
    sender = new_sender("down")
    assert "Project Management Professional" in timed_say(stack, sender, "tell me about the PMP")[0]

    stack.stop_one("actions")
    watch = LogWatch(stack)
    text, elapsed = timed_say(stack, sender, "does it expire?")
    assert APOLOGY in text and elapsed < 2.0, (text, elapsed)
    # answers that need no action keep working
    assert "Hi!" in timed_say(stack, sender, "hi")[0]
    assert "You can ask me things like" in timed_say(stack, sender, "what can I ask?")[0]
    assert "Goodbye" in timed_say(stack, sender, "bye")[0]
    # the same apology on the other channels
    client = SocketClient(stack.rasa_url).connect()
    try:
        session = client.session()
        client.emit("user_uttered", {"message": "how much does the CPA cost?", "session_id": session})
        assert APOLOGY in client.wait(1)[0]["text"]
    finally:
        client.close()
    user, channel = f"U{uuid.uuid4().hex[:8].upper()}", f"D{uuid.uuid4().hex[:8].upper()}"
    slack = SlackClient(f"{stack.rasa_url}/webhooks/slack/webhook")
    assert slack.event(message_event("does the PMP expire?", user, channel)).status_code == 200
    fake_slack.wait_for(channel, has(APOLOGY), "apology on Slack")
    assert "Couldn't connect" in watch.new_text()  # Rasa's own report, caught by the channels

    # back: no Rasa restart needed
    stack.start_actions()
    text, _ = timed_say(stack, sender, "does it expire?")  # "it": the PMP, named before the outage
    assert "60 professional development units" in text and APOLOGY not in text
    assert "US$405" in timed_say(stack, sender, "and how much is it?")[0]  # the PMP's fee
    assert slack.event(message_event("how long does Kubernetes take?", user, channel)).status_code == 200
    fake_slack.wait_for(channel, has("Kubernetes"), "answer on Slack after the action server is back")
    # nothing lost while it was down: every user message is in the tracker
    assert user_texts_api(stack, sender) == [
        "tell me about the PMP", "does it expire?", "hi", "what can I ask?", "bye",
        "does it expire?", "and how much is it?"]


def user_texts_api(stack: Stack, sender: str) -> List[str]:
    r = tracker_events(stack, sender)
    assert r.status_code == 200, r.text
    return [e.get("text") for e in r.json()["events"] if e.get("event") == "user"]


# --------------------------------------------------------------------------
# a slow action server


def test_slow_action_server_gets_an_apology_after_the_timeout(actions_up: Stack):
    stack = actions_up
    sender = new_sender("slow")
    stack.stop_one("actions")
    with FakeActionServer(stack.action_port, delay=30) as slow:
        text, elapsed = timed_say(stack, sender, "does the PMP expire?")
        assert APOLOGY in text, text
        assert ACTION_TIMEOUT_S - 0.2 <= elapsed < ACTION_TIMEOUT_S + 3, elapsed
        assert slow.calls >= 1
        assert "Hi!" in timed_say(stack, sender, "hi")[0]  # no action: not slowed down
    stack.start_actions()
    text, elapsed = timed_say(stack, sender, "does the PMP expire?")
    assert "60 professional development units" in text and elapsed < ACTION_TIMEOUT_S


# --------------------------------------------------------------------------
# an action server that answers, but wrongly


BROKEN_ANSWERS = [
    ("500", 500, "Internal Server Error", "text/plain"),
    ("503", 503, json.dumps({"error": "overloaded"}), "application/json"),
    ("html", 200, "<html>not json</html>", "text/html"),
    ("broken json", 200, "{not json", "application/json"),
    ("wrong schema", 200, json.dumps({"events": "not a list", "responses": 5}), "application/json"),
    ("bad event", 200, json.dumps({"events": [{"event": "slot", "name": 5}]}), "application/json"),
    ("400 without action_name", 400, json.dumps({"no": "action_name"}), "application/json"),
]


def test_broken_action_server_gets_an_apology(actions_up: Stack):
    """An action server that answers, but wrongly: each answer in BROKEN_ANSWERS."""
    stack = actions_up
    stack.stop_one("actions")
    for label, status, body, content_type in BROKEN_ANSWERS:
        sender = new_sender("broken")
        with FakeActionServer(stack.action_port, status=status, body=body, content_type=content_type) as fake:
            text, elapsed = timed_say(stack, sender, "does the PMP expire?")
            assert APOLOGY in text and elapsed < ACTION_TIMEOUT_S, (label, text, elapsed)
            assert fake.calls >= 1, label
            assert "Hi!" in timed_say(stack, sender, "hi")[0], label


# --------------------------------------------------------------------------
# the Rasa server restarted mid-conversation


def test_rasa_restart_keeps_the_conversation(actions_up: Stack):
    stack = actions_up
    sender = new_sender("restart")
    assert "Project Management Professional" in timed_say(stack, sender, "tell me about the PMP")[0]
    assert "Kubernetes" in timed_say(stack, sender, "how long does Kubernetes take?")[0]
    assert "Project Management Professional" in timed_say(stack, sender, "what about the PMP?")[0]

    stack.stop_one("rasa")
    with pytest.raises(requests.ConnectionError):
        say(stack, sender, "are you there?", timeout=5)
    stack.start_rasa()

    text, _ = timed_say(stack, sender, "does it expire?")
    assert "Project Management Professional" in text and "60 professional development units" in text, text
    assert user_texts_api(stack, sender) == [
        "tell me about the PMP", "how long does Kubernetes take?", "what about the PMP?", "does it expire?"]
    assert user_texts(stack, [sender])[sender] == user_texts_api(stack, sender)  # the SQLite file itself


# --------------------------------------------------------------------------
# Slack: the same input checks as REST (signature checks: tests/test_slack.py)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("<@U0BOT>", EMPTY_REPLY[:30]),
        ("<@U0BOT>   \u0007 ", EMPTY_REPLY[:30]),
        ("x" * 2001, "too long for me"),
        ("does the\u0000 PMP\u001b expire?", "60 professional development units"),
        ("/restart", SILENT_TURN_REPLY),
    ],
    ids=["only a mention", "mention and control characters", "2001 characters", "control characters",
         "/restart"],
)
def test_slack_messages_are_checked_like_rest(actions_up: Stack, fake_slack: FakeSlackApi, text, needle):
    user, channel = f"U{uuid.uuid4().hex[:8].upper()}", f"D{uuid.uuid4().hex[:8].upper()}"
    slack = SlackClient(f"{actions_up.rasa_url}/webhooks/slack/webhook")
    r = slack.event(message_event(text, user, channel))
    assert r.status_code == 200, r.text
    fake_slack.wait_for(channel, has(needle), repr(needle))


def test_slack_forged_request_is_refused(stack: Stack, fake_slack: FakeSlackApi):
    """More in tests/test_slack.py (stale timestamp, unsigned, url_verification)."""
    user, channel = "UFORGED", "DFORGED"
    body = json.dumps(message_event("does the PMP expire?", user, channel)).encode()
    now = int(time.time())
    r = SlackClient(f"{stack.rasa_url}/webhooks/slack/webhook").post(body, signature=sign(body, now, "guessed"))
    assert r.status_code == 401 and "X-Slack-Signature" in r.json()["error"]
    time.sleep(1)
    assert fake_slack.posts(channel) == []
