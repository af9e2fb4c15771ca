"""Reliability and security (issue 7): bad input on every channel, random
input (hypothesis), load, and the security settings. The faults (action
server down or slow, Rasa restarted, HTTP API token, Slack) are in
tests/test_reliability_faults.py. docs/RELIABILITY.md lists every case.

End-to-end tests use the shared real servers (conftest `servers`), started as
`make run` starts them; their logs (Stack.log_dir) are read to prove that no
input caused an exception.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.text import (
    APOLOGY_REPLY,
    DEFAULT_MAX_MESSAGE_CHARS,
    EMPTY_REPLY,
    MAX_BODY_BYTES,
    SILENT_TURN_REPLY,
    UNREADABLE_REPLY,
    BadRequest,
    clean_text,
    max_message_chars,
    parse_rest_body,
    screen,
    valid_id,
)
from stack.net import free_port, listening_addresses
from stack.process import Stack, api_args
from tests.helpers import ROOT
from tests.helpers.clients import (
    LogWatch,
    SocketClient,
    new_sender,
    post_raw,
    rest_conversation,
    say,
    send_head_only,
    text_of,
    tracker_db,
    user_texts,
    webhook,
)

TOO_LONG = "too long for me"
EMPTY = EMPTY_REPLY[:30]

# --------------------------------------------------------------------------
# helpers


# --------------------------------------------------------------------------
# unit: what every channel does to the text (channels/text.py)


@pytest.mark.parametrize(
    "raw,cleaned",
    [
        ("does the PMP\x00 expire?", "does the PMP  expire?"),
        ("\x1b[31mred\x1b[0m", "[31mred [0m"),
        ("tab\tnew\nline\r\x7f\x85end", "tab new line   end"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate"),
        ("  padded  ", "padded"),
        ("🎓 do micro-credentials expire? 🤔", "🎓 do micro-credentials expire? 🤔"),
        ("هل تنتهي صلاحية شهادة PMP؟", "هل تنتهي صلاحية شهادة PMP؟"),
        ("<b>bold</b> <script>alert(1)</script>", "<b>bold</b> <script>alert(1)</script>"),
        ("e\u0301", "\u00e9"),  # NFC
        ("👩\u200d💻 zero-width joiner kept", "👩\u200d💻 zero-width joiner kept"),
    ],
)
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize("raw", ["", " ", "\n\t", "\x00\x01\x02", "\ud800", " \u0085 "])
def test_screen_empty_gets_a_prompt(raw):
    s = screen(raw)
    assert s.reason == "empty" and s.reply == EMPTY_REPLY and s.buttons


def test_screen_length_limit():
    assert screen("x" * DEFAULT_MAX_MESSAGE_CHARS).reason == "ok"
    assert screen("x" * (DEFAULT_MAX_MESSAGE_CHARS + 1)).reason == "too_long"
    assert screen("x" * 10_000_000).reason == "too_long"
    assert screen("x" * 11, limit=10).reason == "too_long"
    assert "10 characters" in (screen("x" * 11, limit=10).reply or "")


def test_max_message_chars_setting():
    assert max_message_chars(env={}) == 2000
    assert max_message_chars(env={"MAX_MESSAGE_CHARS": "500"}) == 500
    assert max_message_chars({"max_message_chars": 300}, env={}) == 300
    assert max_message_chars({"max_message_chars": 300}, env={"MAX_MESSAGE_CHARS": "40"}) == 40
    for bad in ("0", "-3", "lots", "1.5"):
        with pytest.raises(ValueError, match="MAX_MESSAGE_CHARS"):
            max_message_chars(env={"MAX_MESSAGE_CHARS": bad})


@pytest.mark.parametrize(
    "value,ok",
    [("me", True), ("x" * 255, True), ("x" * 256, False), ("", False), ("   ", False),
     ("a\x00b", False), ("a\ud800", False), (5, False), (None, False), ("جلسة-١", True)],
)
def test_valid_id(value, ok):
    assert valid_id(value) is ok


# The REST contract: (body, status, words of the error). Stock Rasa answers
# several of these with a 500 (e.g. `[1, 2, 3]`: 'list' object has no attribute 'get').
BAD_BODIES = [
    (b"", 400, "body is empty"),
    (b"   ", 400, "body is empty"),
    (b"not json", 400, "not valid JSON"),
    (b"{\"message\": \"hi\"", 400, "not valid JSON"),
    (b"\xff\xfe\x00", 400, "not UTF-8"),
    (b"[1, 2, 3]", 400, "must be an object, not an array"),
    (b"\"hello\"", 400, "must be an object, not a string"),
    (b"42", 400, "must be an object, not a number"),
    (b"null", 400, "must be an object, not null"),
    (b"true", 400, "must be an object, not a boolean"),
    (b"{}", 400, "'message' is missing"),
    (b"{\"sender\": \"me\"}", 400, "'message' is missing"),
    (b"{\"sender\": \"me\", \"message\": null}", 400, "'message' is missing"),
    (b"{\"sender\": \"me\", \"message\": 5}", 400, "'message' must be a string, not a number"),
    (b"{\"sender\": \"me\", \"message\": [\"hi\"]}", 400, "'message' must be a string, not an array"),
    (b"{\"sender\": \"me\", \"message\": {\"text\": \"hi\"}}", 400, "'message' must be a string, not an object"),
    (b"{\"sender\": \"me\", \"message\": true}", 400, "'message' must be a string, not a boolean"),
    (b"{\"sender\": 5, \"message\": \"hi\"}", 400, "'sender' must be a string, not a number"),
    (b"{\"sender\": [\"me\"], \"message\": \"hi\"}", 400, "'sender' must be a string, not an array"),
    (b"{\"sender\": {}, \"message\": \"hi\"}", 400, "'sender' must be a string, not an object"),
    (b"{\"sender\": \"a\\u0000b\", \"message\": \"hi\"}", 400, "'sender' must be 1 to 250"),
    (b"{\"sender\": \"\\ud800\", \"message\": \"hi\"}", 400, "'sender' must be 1 to 250"),
    (json.dumps({"sender": "x" * 251, "message": "hi"}).encode(), 400, "'sender' must be 1 to 250"),
    (b"{\"sender\": \"me\", \"message\": \"hi\", \"metadata\": [1]}", 400, "'metadata' must be an object"),
    (b"{\"sender\": \"me\", \"message\": \"hi\", \"metadata\": \"x\"}", 400, "'metadata' must be an object"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    (json.dumps({"sender": "me", "message": "hi", "metadata": json.loads("[" * 50 + "]" * 50)}).encode(),
     400, "'metadata' must be an object"),
    (json.dumps({"sender": "me", "message": "hi", "metadata": {"a": json.loads("[" * 50 + "]" * 50)}}).encode(),
     400, "nested deeper"),
    (json.dumps({"sender": "me", "message": "hi", "metadata": {"k": "x" * 4090}}).encode(), 413,
     "'metadata' is larger than 4,096 bytes"),
    # Sanic refuses this one before reading it (channels/limits.py): see test_rest_bad_body_gets_a_clear_4xx
    (json.dumps({"sender": "me", "message": "x" * 1_000_000}).encode(), 413, "larger than"),
]


@pytest.mark.parametrize("body,status,needle", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_parse_rest_body_refuses(body, status, needle):
    with pytest.raises(BadRequest) as err:
        parse_rest_body(body)
    assert err.value.status == status and needle in str(err.value)


def test_parse_rest_body_accepts():
    r = parse_rest_body(b'{"sender": "me", "message": "hi", "metadata": {"k": "v\\ud800"}, "extra": 1}')
    assert (r.sender, r.message, r.metadata) == ("me", "hi", {"k": "v"})
    assert parse_rest_body(b'{"message": "hi"}').sender is None
    assert parse_rest_body(b'{"sender": "", "message": "hi"}').sender is None


def test_http_api_needs_a_token_to_be_turned_on():
    assert api_args({}) == [] and api_args({"RASA_ENABLE_API": "0"}) == []
    token = "t" * 24
    # the token itself never goes on a command line: stack/child.py hands it to Rasa in memory
    assert api_args({"RASA_ENABLE_API": "1", "RASA_AUTH_TOKEN": token}) == ["--enable-api"]
    for env in ({"RASA_ENABLE_API": "1"}, {"RASA_ENABLE_API": "true", "RASA_AUTH_TOKEN": "short"}):
        with pytest.raises(RuntimeError, match="RASA_AUTH_TOKEN"):
            api_args(env)


def test_stack_refuses_to_start_the_api_without_a_token(tmp_path):
    stack = Stack(rasa_port=free_port(), extra_env={"RASA_ENABLE_API": "1", "RASA_AUTH_TOKEN": ""},
                  log_dir=tmp_path)
    with pytest.raises(RuntimeError, match="RASA_AUTH_TOKEN"):
        stack.start_rasa()
    assert "rasa" not in stack.procs  # refused before anything was started
    stack.stop()


# --------------------------------------------------------------------------
# bad input over REST, end to end


def post_any(servers, body: bytes) -> Tuple[int, Dict[str, Any]]:
    """(status, JSON body) of a POST to the REST webhook. A body over Sanic's
    limit is refused before it is read: only its head is sent (a client still
    sending it would see the connection reset under the 413)."""
    if len(body) <= MAX_BODY_BYTES:
        r = post_raw(servers, body)
        return r.status_code, r.json()
    status, _, payload = send_head_only(servers.rasa_port, "/webhooks/rest/webhook", len(body))
    return status, json.loads(payload)


@pytest.mark.parametrize("body,status,needle", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_rest_bad_body_gets_a_clear_4xx(servers, body, status, needle):
    got, payload = post_any(servers, body)
    assert got == status, (got, payload)
    assert needle in payload["error"]


def test_rest_bad_input_leaves_no_trace_in_the_logs(servers):
    watch = LogWatch(servers)
    for body, status, _ in BAD_BODIES:
        assert post_any(servers, body)[0] == status
    assert say(servers, new_sender(), "hi")  # barrier: the server is still fine
    assert watch.problems() == []


# "\udfff\ud800": two lone surrogates (JSON pairs "\ud800\udfff" into one valid character)
@pytest.mark.parametrize("message", ["", "   ", "\n\t ", "\x00\x07\x1b", "\udfff\ud800", "\u0085"])
def test_rest_empty_message_gets_a_prompt(servers, message):
    sender = new_sender()
    replies = say(servers, sender, message)
    assert len(replies) == 1 and EMPTY in replies[0]["text"] and replies[0]["recipient_id"] == sender
    assert replies[0]["buttons"] == [{"title": "What can I ask?", "payload": "/help"}]
    assert user_texts(servers, [sender])[sender] == []  # never reached Rasa


@pytest.mark.parametrize("size", [DEFAULT_MAX_MESSAGE_CHARS + 1, 50_000, 900_000])
def test_rest_too_long_message_is_refused_politely_and_fast(servers, size):
    sender = new_sender()
    start = time.monotonic()
    replies = say(servers, sender, "does the PMP expire? " * (size // 21 + 1))
    elapsed = time.monotonic() - start
    assert len(replies) == 1 and TOO_LONG in replies[0]["text"], replies
    assert elapsed < 1.0, f"{size} characters took {elapsed:.2f}s"
    assert user_texts(servers, [sender])[sender] == []  # no NLU, nothing stored


def test_rest_message_at_the_limit_is_answered(servers):
    message = ("does the PMP expire? " * 200)[:DEFAULT_MAX_MESSAGE_CHARS]
    replies = say(servers, new_sender(), message)
    assert replies and TOO_LONG not in text_of(replies) and APOLOGY_REPLY not in text_of(replies)


def test_rest_control_characters_and_invalid_unicode_are_stripped_before_nlu(servers):
    sender = new_sender()
    text = text_of(say(servers, sender, "does the\x00 PMP\x1b expire?\ud800\x7f"))
    assert "Project Management Professional" in text and "60 professional development units" in text
    stored = user_texts(servers, [sender])[sender]
    assert stored == ["does the  PMP  expire?"], stored


@pytest.mark.parametrize(
    "message,needle",
    [
        ("🎓🎓 do micro-credentials expire? 🤔", "2 to 3 years"),
        ("<b>does the PMP expire?</b>", "Project Management Professional"),
        ("<script>alert('x')</script> does the PMP expire?", None),
        ("هل تنتهي صلاحية شهادة PMP؟", None),
        ("‏מה זה מיקרו-תעודה?‎", None),
        ("\u202edoes the PMP expire?\u202c", None),  # RTL override characters
        ("𝓭𝓸 𝓶𝓲𝓬𝓻𝓸-𝓬𝓻𝓮𝓭𝓮𝓷𝓽𝓲𝓪𝓵𝓼 𝓮𝔁𝓹𝓲𝓻𝓮?", None),
        ("' OR 1=1; DROP TABLE events; --", None),
        ("{{7*7}} ${jndi:ldap://x} %s%s%n", None),
    ],
)
def test_rest_emoji_rtl_html_are_plain_text(servers, message, needle):
    replies = say(servers, new_sender(), message)
    text = text_of(replies)
    assert replies and text.strip() and APOLOGY_REPLY not in text
    if needle:
        assert needle in text, text
    assert "<script>" not in text  # the user's markup is never echoed back


def test_rest_without_sender_gets_a_conversation_of_its_own(servers):
    first = say(servers, None, "tell me about the PMP")
    second = say(servers, None, "does it expire?")
    a, b = first[0]["recipient_id"], second[0]["recipient_id"]
    assert a.startswith("rest-") and b.startswith("rest-") and a != b
    assert "60 professional development units" not in text_of(second)  # no shared "default" conversation


def test_rest_input_channel_is_not_taken_from_the_body(servers):
    sender = new_sender()
    body = {"sender": sender, "message": "hi", "input_channel": ["not", "a", "name"]}
    assert post_raw(servers, json.dumps(body).encode()).status_code == 200
    with sqlite3.connect(f"file:{tracker_db(servers)}?mode=ro", uri=True) as db:
        (data,) = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'",
                             (rest_conversation(sender),)).fetchone()
    assert json.loads(data)["input_channel"] == "rest"


def test_rest_rasa_control_intents_are_never_silent(servers):
    """Rasa's default actions for /restart, /session_start and /back say nothing."""
    sender = new_sender()
    for payload in ("/restart", "/session_start", "/back"):
        replies = say(servers, sender, payload)
        assert text_of(replies) == SILENT_TURN_REPLY, (payload, replies)
    assert "Hi!" in text_of(say(servers, sender, "hi"))


def test_rest_stream_mode_is_checked_too(servers):
    r = requests.post(webhook(servers) + "?stream=true", data=b"[1]", timeout=10)
    assert r.status_code == 400
    r = requests.post(webhook(servers) + "?stream=true", timeout=30,
                      data=json.dumps({"sender": new_sender(), "message": "does the PMP expire?"}))
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert r.status_code == 200 and "Project Management Professional" in text_of(lines)


# --------------------------------------------------------------------------
# button payloads: entities validated against the knowledge file


@pytest.mark.parametrize(
    "payload,needle",
    [
        ('/ask_expiry{"credential":"nope"}', 'no facts on "nope"'),
        ('/ask_expiry{"credential":"pmp"}', "60 professional development units"),
        ('/ask_cost{"credential":"Project Management Professional"}', "US$405"),  # the PMP's fee
        ('/ask_expiry{bad json', None),
        ('/ask_expiry{"credential": 5}', None),
        ('/ask_expiry{"credential": null}', None),
        ('/ask_expiry{"credential": {"nested": "pmp"}}', None),
        ('/ask_expiry{"credential": ["nope", 7, "pmp"]}', None),
        ('/ask_expiry{"credential": "' + "x" * 500 + '"}', None),
        ('/ask_expiry{"credential": "<script>alert(1)</script>"}', None),
        ('/ask_expiry{"not_an_entity": "pmp"}', None),
        ('/ask_expiry["credential", "pmp"]', None),
        ('/ask_expiry@abc', None),
        ('/ask_expiry@7{"credential":"pmp"}', None),
        ('/compare{"credential": ["pmp", "cpa", "nope"], "kind": "certificate"}', None),
        ('/inform{"field": 5}', None),
        ('/list_credentials{"field": "underwater basket weaving"}', None),
        # an id under the wrong label: found by the property test (was a KeyError in the action)
        ('/list_credentials{"field": "content_strategy"}', None),
        ('/ask_overview{"field": "pmp"}', "Project Management Professional"),
        ('/ask_expiry{"kind": "pmp"}', "60 professional development units"),
        ('/not_an_intent{"credential":"pmp"}', None),
        ("/", None),
        ("/{}", None),
        ("//", None),
        ("/ask_expiry{}", None),
        ('/feedback{"rating": ["up", 5]}', None),
    ],
)
def test_button_payloads_are_validated(servers, payload, needle):
    watch = LogWatch(servers)
    text = text_of(say(servers, new_sender(), payload))
    assert text.strip() and APOLOGY_REPLY not in text, text
    if needle:
        assert needle in text, text
    assert "<script>" not in text
    assert watch.problems() == []


# --------------------------------------------------------------------------
# socket.io (the web widget's channel)


@pytest.fixture
def socket_client(servers):
    client = SocketClient(servers.rasa_url).connect()
    yield client
    client.close()


SOCKET_BAD_PAYLOADS = [
    ("no payload", ()),
    ("a string", ("does the PMP expire?",)),
    ("a list", ([1, 2],)),
    ("null", (None,)),
    ("a number", (5,)),
    ("message missing", ({"session_id": "SESSION"},)),
    ("message not a string", ({"message": 5, "session_id": "SESSION"},)),
    ("message an object", ({"message": {"text": "hi"}, "session_id": "SESSION"},)),
    ("no session_id", ({"message": "hi"},)),
    ("another session_id", ({"message": "hi", "session_id": "0" * 32 + "." + "0" * 32},)),
    ("session_id not a string", ({"message": "hi", "session_id": ["x"]},)),
    ("session_id with control characters", ({"message": "hi", "session_id": "a\x00b"},)),
]


@pytest.mark.parametrize("label,args", SOCKET_BAD_PAYLOADS, ids=[p[0] for p in SOCKET_BAD_PAYLOADS])
def test_socketio_bad_payload_gets_an_error_message(servers, socket_client, label, args):
    watch = LogWatch(servers)
    session = socket_client.session()
    args = tuple({k: (session if v == "SESSION" else v) for k, v in a.items()} if isinstance(a, dict) else a
                 for a in args)
    socket_client.emit("user_uttered", *args)
    assert socket_client.wait(1) == [{"text": UNREADABLE_REPLY}]
    # the connection still works
    socket_client.emit("user_uttered", {"message": "does the PMP expire?", "session_id": session})
    replies = socket_client.wait(1)
    assert "PMP" in replies[0]["text"]
    logged = watch.new_text()
    assert "'user_uttered' ignored" in logged and not re.search(r"Traceback|ERROR", logged), logged


@pytest.mark.parametrize(
    "message,custom_data,needle",
    [
        ("   ", None, EMPTY),
        ("x" * (DEFAULT_MAX_MESSAGE_CHARS + 1), None, TOO_LONG),
        ("does the\x00 PMP expire?\ud800", None, "Project Management Professional"),
        ("does the PMP expire?", "not json", "Project Management Professional"),
        ("does the PMP expire?", [1, 2], "Project Management Professional"),
        ("does the PMP expire?", json.dumps({"language": "en"}), "Project Management Professional"),
        ("/restart", None, SILENT_TURN_REPLY),
    ],
)
def test_socketio_text_is_checked_like_rest(servers, socket_client, message, custom_data, needle):
    session = socket_client.session()
    payload: Dict[str, Any] = {"message": message, "session_id": session}
    if custom_data is not None:
        payload["customData"] = custom_data
    socket_client.emit("user_uttered", payload)
    replies = socket_client.wait(1)
    assert replies and needle in replies[0]["text"], replies


@pytest.mark.parametrize("data", [None, "garbage", 5, {"session_id": ["x"]}, {"session_id": "a\x00b"},
                                  {"session_id": "x" * 300}])
def test_socketio_bad_session_request_gets_a_fresh_session(socket_client, data):
    socket_client.emit("session_request", *(() if data is None else (data,)))
    (event, session), = socket_client.wait(1)
    assert event == "session_confirm" and re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{32}", session)


# --------------------------------------------------------------------------
# property-based: random bodies and texts at the real REST channel


def expected_status(body: bytes) -> int:
    try:
        parse_rest_body(body)
    except BadRequest as exc:
        return exc.status
    return 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ANY_CHAR = st.characters(exclude_categories=())  # control characters and lone surrogates too
INTENTS = [i if isinstance(i, str) else next(iter(i))
           for i in yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]]
PAYLOADS = st.builds(
    lambda intent, conf, ents, rest: f"/{intent}{conf}{ents}{rest}",
    st.sampled_from(INTENTS + ["restart", "session_start", "back", "nlu_fallback", "nope"])
    | st.text(ANY_CHAR, max_size=10),
    st.sampled_from(["", "@0.3", "@7", "@abc"]),
    st.sampled_from(["", "{bad json"]) | st.builds(json.dumps, st.dictionaries(
        st.sampled_from(["credential", "kind", "field", "rating", "goal", "other"]), JSON, max_size=3)),
    st.text(ANY_CHAR, max_size=5),
)
TEXTS = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.text(max_size=60),
    PAYLOADS,
    st.sampled_from(["does the PMP expire?", "does it expire?", "hi", "I want to change career",
                     "money is no object", "stop", "thanks", "x" * (DEFAULT_MAX_MESSAGE_CHARS + 1)]),
)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda v: json.dumps(v).encode(), JSON),
    st.builds(lambda d: json.dumps(d).encode(), st.fixed_dictionaries(
        {}, optional={"sender": st.text(ANY_CHAR, max_size=20) | JSON, "message": TEXTS | JSON, "metadata": JSON,
                      "input_channel": JSON})),
)


def check_reply(r: requests.Response, expected: int) -> None:
    assert r.status_code == expected, (r.status_code, r.text[:300])
    if expected != 200:
        assert isinstance(r.json().get("error"), str)
        return
    replies = r.json()
    assert isinstance(replies, list) and replies, "no answer"
    text = text_of(replies)
    assert text.strip(), replies
    assert APOLOGY_REPLY not in text, replies


@pytest.fixture(scope="module")
def fuzz_watch(servers) -> LogWatch:
    """The servers' logs from the first property test on."""
    return LogWatch(servers)


FUZZ = settings(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(FUZZ, max_examples=60)
@given(body=BODIES)
def test_random_bodies_never_break_the_rest_channel(servers, fuzz_watch, body):
    r = post_raw(servers, body)
    check_reply(r, expected_status(body))


@settings(FUZZ, max_examples=80)
@given(message=TEXTS, sender=st.sampled_from([None, "fuzz-a", "fuzz-b"]) | st.text(max_size=12))
def test_random_texts_always_get_an_answer(servers, fuzz_watch, message, sender):
    body = json.dumps({"sender": sender, "message": message}).encode()
    check_reply(post_raw(servers, body), expected_status(body))


def test_random_input_left_no_exception_in_the_logs(servers, fuzz_watch):
    """After the two property tests above: no traceback, no ERROR, no failed
    action in either server's log."""
    assert say(servers, new_sender(), "hi")  # barrier
    problems = fuzz_watch.problems()
    assert problems == [], "\n".join(problems[:20])


# --------------------------------------------------------------------------
# load: 50 conversations at once, 20 messages each; nothing lost

SCRIPT = [
    "hi",
    "do employers care about micro-credentials?",
    "tell me about the PMP",
    "does it expire?",
    "how much does it cost?",
    "how long does Kubernetes take?",
    "and how much is it?",
    "is a micro credential the same as a certification",
    "do microcredentials expire?",
    "what can I ask?",
    "who issues the CPA?",
    "compare the PMP and a micro-credential",
    "examples of micro-credentials in data",
    "will micro-credentials replace degrees?",
    "what does the NEA say about micro-credentials for teachers?",
    "how are micro-credentials changing universities?",
    "are you a bot?",
    "what's the weather in Paris tomorrow?",
    "thanks",
    "does the AWS Solutions Architect expire?",
]
CONVERSATIONS = 50


def test_load_50_conversations_nothing_lost(servers):
    run = uuid.uuid4().hex[:6]
    senders = [f"load-{run}-{i:02d}" for i in range(CONVERSATIONS)]
    scripts = {s: SCRIPT[i % len(SCRIPT):] + SCRIPT[:i % len(SCRIPT)] for i, s in enumerate(senders)}
    watch = LogWatch(servers)
    latencies: List[float] = []
    lock = threading.Lock()

    def converse(sender: str) -> List[str]:
        problems = []
        with requests.Session() as http:
            for n, message in enumerate(scripts[sender]):
                start = time.monotonic()
                r = http.post(webhook(servers), json={"sender": sender, "message": message}, timeout=180)
                with lock:
                    latencies.append(time.monotonic() - start)
                text = text_of(r.json()) if r.status_code == 200 else ""
                if r.status_code != 200 or not text.strip() or APOLOGY_REPLY in text:
                    problems.append(f"{sender} #{n} {message!r}: {r.status_code} {r.text[:200]}")
        return problems

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        problems = [p for ps in pool.map(converse, senders) for p in ps]
    elapsed = time.monotonic() - start
    assert problems == [], "\n".join(problems[:20])

    stored = user_texts(servers, senders)
    lost = {s: (len(stored[s]), scripts[s], stored[s]) for s in senders if stored[s] != scripts[s]}
    assert not lost, f"{len(lost)} trackers differ: {list(lost.items())[:2]}"
    assert watch.problems() == []
    latencies.sort()
    total = CONVERSATIONS * len(SCRIPT)
    print(f"\nload: {total} messages in {CONVERSATIONS} concurrent conversations, {elapsed:.1f}s "
          f"({total / elapsed:.0f} msg/s); latency p50 {latencies[total // 2] * 1000:.0f} ms, "
          f"p95 {latencies[int(total * 0.95)] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
          f"all {total} answered and stored in order")


# --------------------------------------------------------------------------
# security


def test_action_server_listens_on_loopback_only(servers):
    addresses = listening_addresses(servers.action_port)
    assert addresses == ["127.0.0.1"], addresses


def test_http_api_is_off_by_default(servers):
    for method, path in (("GET", "/conversations/x/tracker"), ("POST", "/model/parse"), ("GET", "/status"),
                         ("POST", "/conversations/x/messages"), ("PUT", "/model")):
        r = requests.request(method, servers.rasa_url + path, json={"text": "hi"}, timeout=10)
        assert r.status_code in (404, 405), (path, r.status_code, r.text[:200])


@pytest.mark.parametrize("origin", ["http://evil.example", "https://example.org",
                                    "http://localhost.evil.example:8080", "null"])
def test_cors_refuses_foreign_origins_on_the_rest_webhook(servers, origin):
    pre = requests.options(webhook(servers), timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert "Access-Control-Allow-Origin" not in pre.headers, pre.headers
    r = requests.post(webhook(servers), json={"sender": new_sender(), "message": "hi"},
                      headers={"Origin": origin}, timeout=30)
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_cors_admits_the_chat_page_origin(servers):
    origin = "http://localhost:8080"
    r = requests.options(webhook(servers), timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert r.headers.get("Access-Control-Allow-Origin") == origin


SECRET_PATTERNS = [
    re.compile(r"xox[abposr]-\d+-\d+-[0-9A-Za-z-]+"),  # Slack tokens
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"ghp_[0-9A-Za-z]{36}"),  # GitHub token
]
SKIP_DIRS = {".git", ".venv", "build", "models", "var", "results", "node_modules", ".pytest_cache",
             ".rasa", ".ruff_cache", "__pycache__", ".hypothesis", "reports"}


def test_no_secret_in_the_repository():
    hits = []
    for path in ROOT.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.stat().st_size > 2_000_000:
            continue
        text = path.read_text("utf-8", "ignore")
        hits += [f"{path.relative_to(ROOT)}: {p.pattern}" for p in SECRET_PATTERNS if p.search(text)]
    assert hits == []
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
    for channel, settings_ in credentials.items():
        for key, value in (settings_ or {}).items():
            if re.search(r"token|secret|password|key", key, re.I) and key != "metadata_key":
                assert not value, f"credentials.yml: {channel}.{key} holds a value: secrets come from the environment"
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
    for section in endpoints.values():
        for key, value in (section or {}).items():
            if re.search(r"token|secret|password", key, re.I):
                assert not value or str(value).startswith("${"), f"endpoints.yml: {key} holds a value"


# --------------------------------------------------------------------------
# a corrupt or missing knowledge file stops `make run`


def _make_run(knowledge_file: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(KNOWLEDGE_FILE=knowledge_file, RASA_PORT=str(free_port()), ACTION_PORT=str(free_port()),
               WEB_PORT=str(free_port()))
    # -o: don't rebuild the model or the widget here (`make test` has built them)
    return subprocess.run(["make", "--no-print-directory", "-o", "models/assistant.tar.gz",
                           "-o", "build/web/socket.io.min.js", "run"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_make_run_refuses_a_corrupt_knowledge_file(tmp_path):
    data = yaml.safe_load((ROOT / "knowledge" / "credentials.yml").read_text())
    del data["credentials"]["pmp"]["facts"]["cost"]
    broken = tmp_path / "credentials.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True))
    done = _make_run(str(broken), tmp_path)
    assert done.returncode != 0
    assert all(s in done.stderr for s in (str(broken), "'credentials.pmp'", "facts.cost")), done.stderr
    assert "Starting" not in done.stdout  # nothing was started


def test_make_run_refuses_a_missing_or_unparsable_knowledge_file(tmp_path):
    missing = tmp_path / "nope.yml"
    done = _make_run(str(missing), tmp_path)
    assert done.returncode != 0 and str(missing) in done.stderr and "file not found" in done.stderr, done.stderr
    garbled = tmp_path / "garbled.yml"
    garbled.write_text("credentials: [\n  pmp: {\n")
    done = _make_run(str(garbled), tmp_path)
    assert done.returncode != 0 and str(garbled) in done.stderr and "invalid YAML" in done.stderr, done.stderr
