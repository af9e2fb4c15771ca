"""Security (issue #13): one person's conversation is theirs alone, and the
public endpoints hold against an outsider. One stack of real servers, started
as `make run` starts them, with Slack enabled against the fake Slack Web API
(tests/helpers/slack.py) and really signed requests. docs/RELIABILITY.md,
"Threats and what stops them", names the test for each threat.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
import uuid
from typing import Iterator, Tuple

import pytest
import requests

from channels import ids
from channels.slack import SlackInput
from channels.text import MAX_METADATA_BYTES, UNREADABLE_REPLY
from stack.net import free_port
from stack.process import Stack
from stack.web import READ_TIMEOUT_S
from tests.helpers import ROOT
from tests.helpers.clients import (
    SocketClient,
    rest_conversation,
    say,
    send_chunked_until_refused,
    send_head_only,
    stored_user_events,
    text_of,
    tracker_db,
    webhook,
)
from tests.helpers.slack import FakeSlackApi, SlackClient, button_click, message_event, started_slack_stack, texts

TEAM = "T0TEST"  # the team of tests/helpers/slack.py's events


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fake_slack: FakeSlackApi) -> Iterator[Stack]:
    s = started_slack_stack(tmp_path_factory.mktemp("security"), fake_slack)
    yield s
    s.stop()


@pytest.fixture
def slack(stack: Stack) -> SlackClient:
    return SlackClient(f"{stack.rasa_url}/webhooks/slack/webhook")


@pytest.fixture
def sockets(stack: Stack) -> Iterator[list]:
    """socket.io clients opened by a test (closed after it)."""
    opened: list = []
    yield opened
    for client in opened:
        client.close()


def connect(stack: Stack, opened: list) -> SocketClient:
    client = SocketClient(stack.rasa_url).connect()
    opened.append(client)
    return client


def slack_ids() -> Tuple[str, str]:
    tag = uuid.uuid4().hex[:8].upper()
    return f"U{tag}", f"D{tag}"


def bot_texts(replies: list) -> str:
    return "\n".join(r.get("text", "") for r in replies if isinstance(r, dict))


def slack_turn(slack: SlackClient, fake_slack: FakeSlackApi, user: str, channel: str, message: str) -> str:
    """A signed Slack message; the text of the answer it got (the new posts)."""
    before = len(fake_slack.posts(channel))
    assert slack.event(message_event(message, user, channel)).status_code == 200
    posts = fake_slack.wait_for(channel, lambda ps: len(ps) > before, f"an answer to {message!r}")
    return texts(posts[before:])


def stored_texts(stack: Stack, conversation: str, n: int, timeout: float = 10) -> list:
    """The user messages stored for `conversation` once there are `n` (Rasa saves
    a turn after it has sent its answer)."""
    deadline = time.monotonic() + timeout
    while True:
        stored = [e["text"] for e in stored_user_events(stack, conversation)]
        if len(stored) >= n or time.monotonic() > deadline:
            return stored
        time.sleep(0.1)


# --------------------------------------------------------------------------
# 1. conversation takeover by id


def test_a_slack_conversation_cannot_be_continued_through_rest(stack, slack, fake_slack):
    user, channel = slack_ids()
    assert "PMP" in slack_turn(slack, fake_slack, user, channel, "tell me about the PMP")

    # everything an outsider could try as the REST sender: the Slack user id
    # (visible to the whole workspace), and the ids the channels store
    for sender in (user, f"{TEAM}:{user}", ids.conversation_id(ids.SLACK, TEAM, user)):
        text = text_of(say(stack, sender, "does it expire?"))
        assert "PMP" not in text, (sender, text)  # no credential remembered: not the Slack conversation

    # the Slack user's conversation holds its own messages only, and goes on
    assert "PMP" in slack_turn(slack, fake_slack, user, channel, "does it expire?")
    stored = stored_texts(stack, ids.conversation_id(ids.SLACK, TEAM, user), 2)
    assert stored == ["tell me about the PMP", "does it expire?"], stored
    assert stored_texts(stack, rest_conversation(user), 1) == ["does it expire?"]


def test_a_slack_conversation_cannot_be_reached_through_socketio(stack, slack, fake_slack, sockets):
    user, channel = slack_ids()
    assert "PMP" in slack_turn(slack, fake_slack, user, channel, "tell me about the PMP")
    slack_conversation = ids.conversation_id(ids.SLACK, TEAM, user)

    client = connect(stack, sockets)
    for name in (user, slack_conversation, f"{TEAM}:{user}"):
        session = client.session(name)
        assert session != name and ids.SessionIds().issued(session), session  # a fresh, server-issued id
    # naming the Slack conversation in a message is refused ...
    assert client.answer("does it expire?", slack_conversation) == [{"text": UNREADABLE_REPLY}]
    # ... and the socket's own session knows nothing of it
    assert "PMP" not in bot_texts(client.answer("does it expire?", session))
    # the Slack user's next answer goes to Slack only, never to the socket
    assert "PMP" in slack_turn(slack, fake_slack, user, channel, "how much does it cost?")
    assert "PMP" not in bot_texts(client.answer("hi", session))  # barrier: only the socket's own answer
    assert stored_texts(stack, slack_conversation, 2) == ["tell me about the PMP", "how much does it cost?"]


def test_a_web_session_is_held_by_one_socket_and_resumed_after_a_reload(stack, sockets):
    first = connect(stack, sockets)
    session = first.session()
    assert "PMP" in bot_texts(first.answer("tell me about the PMP", session))

    # another socket naming it while the first holds it: a session of its own, after a short wait
    other = connect(stack, sockets)
    started = time.monotonic()
    taken = other.session(session)
    assert taken != session and 1.5 < time.monotonic() - started < 10
    assert other.answer("does it expire?", session) == [{"text": UNREADABLE_REPLY}]
    # the holder's answers reach the holder only
    assert "PMP" in bot_texts(first.answer("does it expire?", session))
    assert "PMP" not in bot_texts(other.answer("hi", taken))

    # a reload: the page's socket closes, a new one resumes the session it was given
    first.close()
    sockets.remove(first)
    reloaded = connect(stack, sockets)
    assert reloaded.session(session) == session
    assert "PMP" in bot_texts(reloaded.answer("how much is it?", session))
    stored = stored_texts(stack, ids.conversation_id(ids.WEB, session), 3)
    assert stored == ["tell me about the PMP", "does it expire?", "how much is it?"], stored


def test_a_session_id_the_server_did_not_issue_is_replaced(stack, sockets):
    client = connect(stack, sockets)
    issued = ids.SessionIds()
    genuine = issued.issue()
    tampered = genuine[:-1] + ("1" if genuine.endswith("0") else "0")  # one hex digit changed
    for forged in ("0" * 32 + "." + "0" * 32, uuid.uuid4().hex, "me", tampered):
        session = client.session(forged)
        assert session != forged and issued.issued(session)


# --------------------------------------------------------------------------
# 2. bodies are refused before they are read; metadata is capped

BIG = 100_000_000  # Sanic's own default limit; this project's is 1,000,000 bytes


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/slack/webhook",
                                  "/socket.io/?EIO=4&transport=polling"])
def test_an_oversized_body_is_refused_before_it_is_read(stack, path):
    started = time.monotonic()
    status, headers, body = send_head_only(stack.rasa_port, path, BIG)  # none of the 100 MB is sent
    assert status == 413 and "larger than 1,000,000 bytes" in json.loads(body)["error"], (status, body)
    assert time.monotonic() - started < 2
    started = time.monotonic()
    assert say(stack, f"after-{uuid.uuid4().hex[:8]}", "hi")  # the next request is answered at once
    assert time.monotonic() - started < 3


def test_a_chunked_body_is_refused_once_it_passes_the_limit(stack):
    status, sent, body = send_chunked_until_refused(stack.rasa_port, "/webhooks/slack/webhook", 1_000_000)
    assert status == 413 and "larger than" in json.loads(body)["error"]
    assert sent <= 1_300_000, sent  # read up to the limit, not on
    assert say(stack, f"after-{uuid.uuid4().hex[:8]}", "hi")


def test_rest_metadata_is_capped(stack):
    sender = f"meta-{uuid.uuid4().hex[:8]}"
    small = {"k": "x" * (MAX_METADATA_BYTES - 20)}
    assert say(stack, sender, "hi") and requests.post(webhook(stack), timeout=30, json={
        "sender": sender, "message": "hi", "metadata": small}).status_code == 200
    big = requests.post(webhook(stack), timeout=30, json={
        "sender": sender, "message": "hi", "metadata": {"k": "x" * MAX_METADATA_BYTES}})
    assert big.status_code == 413 and "'metadata' is larger than 4,096 bytes" in big.json()["error"]
    stored = stored_user_events(stack, rest_conversation(sender))
    # the refused message never reached Rasa (which adds its model_id and assistant_id)
    assert [e["metadata"].get("k") for e in stored] == [None, small["k"]]


def test_socketio_custom_data_is_capped(stack, sockets):
    client = connect(stack, sockets)
    session = client.session()
    client.emit("user_uttered", {"message": "hi", "session_id": session, "customData": {"k": "x" * 100_000}})
    assert client.wait(1)  # answered
    (event,) = stored_user_events(stack, ids.conversation_id(ids.WEB, session))
    assert len(json.dumps(event)) < 5_000 and "xxxx" not in json.dumps(event)


# --------------------------------------------------------------------------
# 4. websockets and long polling from foreign pages

LOCAL_ORIGIN = "http://localhost:8080"
FOREIGN = ["http://evil.example", "http://localhost.evil.example:8080", "null"]


def websocket_handshake(port: int, origin: str) -> int:
    """The status of an engine.io websocket handshake sent with `origin`."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode())
        line = b""
        while not line.endswith(b"\r\n"):
            line += sock.recv(1)
    return int(line.split()[1])


@pytest.mark.parametrize("origin", FOREIGN)
def test_socketio_refuses_foreign_pages(stack, origin):
    poll = requests.get(f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin},
                        timeout=10)
    assert poll.status_code == 400 and "not an accepted origin" in poll.text, (poll.status_code, poll.text)
    assert "Access-Control-Allow-Origin" not in poll.headers
    assert websocket_handshake(stack.rasa_port, origin) == 400


def test_socketio_accepts_the_chat_page(stack):
    poll = requests.get(f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling", headers={"Origin": LOCAL_ORIGIN},
                        timeout=10)
    assert poll.status_code == 200 and poll.text.startswith("0{"), poll.text
    assert poll.headers["Access-Control-Allow-Origin"] == LOCAL_ORIGIN  # one header, from sanic-cors
    assert websocket_handshake(stack.rasa_port, LOCAL_ORIGIN) == 101


# --------------------------------------------------------------------------
# 6. smaller holes: Slack


def test_a_replayed_slack_click_is_answered_once(stack, slack, fake_slack):
    user, channel = slack_ids()
    assert slack.event(message_event("tell me about the PMP", user, channel)).status_code == 200
    posts = fake_slack.wait_for(channel, lambda ps: any(p.get("blocks") for p in ps), "an answer with buttons")
    _, actions = next(p for p in posts if p.get("blocks"))["blocks"][:2]
    expiry = next(b for b in actions["elements"] if "expire" in b["text"]["text"].lower())
    click = button_click(expiry, user, channel)
    for _ in range(3):  # the click, then the same signed request replayed
        assert slack.interactive(click).status_code == 200
    # barrier: Slack messages are handled in the background, a conversation's in the order they came;
    # once a later message is stored, a second handling of the click would have been stored before it
    assert slack.event(message_event("how much is it?", user, channel)).status_code == 200
    conversation = ids.conversation_id(ids.SLACK, TEAM, user)
    stored = stored_texts(stack, conversation, 3)
    assert stored == ["tell me about the PMP", expiry["value"], "how much is it?"], stored


@pytest.mark.parametrize("url,ok", [
    ("https://slack.com/api/", True), ("https://gateway.example.org/slack/api/", True),
    ("http://127.0.0.1:8999/api/", True), ("http://localhost:8999/api/", True), ("http://[::1]:8999/api/", True),
    ("http://127.0.0.2/api/", True),
    ("http://slack.com/api/", False), ("http://10.0.0.5/api/", False), ("http://localhost.evil.example/api/", False),
    ("ftp://slack.com/api/", False), ("slack.com/api", False),
])
def test_slack_api_base_url_must_be_https_off_loopback(url, ok):
    def channel() -> SlackInput:
        return SlackInput("xoxb-1", slack_signing_secret="s", api_base_url=url)

    if ok:
        assert channel().get_output_channel("D1").client.base_url.rstrip("/") == url.rstrip("/")
    else:
        with pytest.raises(Exception, match="SLACK_API_BASE_URL must be an https URL"):
            channel()


# --------------------------------------------------------------------------
# 6. smaller holes: the page server


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Iterator[Stack]:
    """The web chat page's server, as `make run` starts it (no Rasa needed)."""
    web = Stack(web_port=free_port(), log_dir=tmp_path_factory.mktemp("page") / "logs")
    web.start_web()
    yield web
    web.stop()


def closed_by_server(sock: socket.socket, timeout: float) -> float:
    """Seconds until the server closes `sock` (polled with a deadline); fails after `timeout`."""
    started = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - started < timeout:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except socket.timeout:
            continue
        except OSError:  # reset: closed too
            return time.monotonic() - started
    raise AssertionError(f"the server kept the connection open for {timeout:.0f} s")


@pytest.mark.parametrize("dribble", [False, True], ids=["silent", "a byte a second"])
def test_a_slow_client_cannot_hold_the_page_server(page, dribble):
    base = f"http://127.0.0.1:{page.web_port}"
    with socket.create_connection(("127.0.0.1", page.web_port)) as slow:
        slow.sendall(b"GET / HT")
        started = time.monotonic()
        # meanwhile everyone else is served at once
        assert requests.get(base + "/config.js", timeout=2).status_code == 200
        if dribble:
            slow.settimeout(0.1)
            for byte in b"TP/1.0\r\nX-Slow: " + b"a" * 30:
                try:
                    slow.send(bytes([byte]))
                except OSError:
                    break  # hung up on
                try:
                    if slow.recv(1) == b"":
                        break
                except socket.timeout:
                    pass
                time.sleep(0.9)
        waited = time.monotonic() - started + closed_by_server(slow, READ_TIMEOUT_S + 5)
    assert waited < READ_TIMEOUT_S + 3, waited
    assert requests.get(base + "/", timeout=2).status_code == 200


def test_request_lines_are_logged_escaped(page):
    with socket.create_connection(("127.0.0.1", page.web_port), timeout=5) as sock:
        sock.sendall(b"GET /\x1b[2J\x1b[31mred\x07\x7f\x08 HTTP/1.0\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.0 4")
    log = page.log_dir / "web.log"
    deadline = time.monotonic() + 5
    while b"red" not in log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_bytes()
    assert b"\\x1b[2J\\x1b[31mred\\x07\\x7f\\x08" in text, text[-500:]
    assert not any(0 <= b < 32 and b != 10 or b == 127 for b in text), text[-500:]


# --------------------------------------------------------------------------
# 6. smaller holes: files


def test_var_and_what_the_servers_write_are_the_owners_only(stack):
    assert say(stack, f"files-{uuid.uuid4().hex[:8]}", "hi")  # the tracker store exists by now
    mode = {path: path.stat().st_mode & 0o777 for path in [
        ROOT / "var", ids.SESSION_KEY_FILE, stack.log_dir, *stack.log_dir.glob("*.log"),
        *tracker_db(stack).parent.glob(tracker_db(stack).name + "*")]}
    assert mode[ROOT / "var"] == 0o700 and mode[stack.log_dir] == 0o700, mode
    assert all(m == 0o600 for path, m in mode.items() if path.is_file()), mode
    assert len(mode) >= 6, mode  # var/, the key, the log folder, two logs, the tracker store
