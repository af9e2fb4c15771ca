"""Talk to a person (actions/handoff.py): the note a person reads, what the
user is told, and the deliveries, through the real servers, a fake Slack Web
API and a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
import threading
from typing import Any, Dict, Iterator, List

import pytest
from aiosmtpd.controller import Controller

from actions import handoff
from stack.env import base_env
from stack.net import free_port
from stack.process import Stack
from tests.helpers import slack
from tests.helpers.clients import rest_conversation, tracker_db
from tests.helpers.servers import Chat, started_stack
from tests.helpers.slack import FakeSlackApi

HANDOFF_CHANNEL = "C0HANDOFF"
HANDOFF_TOKEN = "xoxb-handoff-test"
TEAM = "team@example.org"
WAIT = "two working hours"
OUT_OF_SCOPE_1 = "what's the weather like in Paris tomorrow?"
OUT_OF_SCOPE_2 = "can you recommend a good pizza place near me?"


# --------------------------------------------------------------------------
# pure parts


def _events(*turns: Any) -> List[Dict[str, Any]]:
    out = []
    for who, text, *intent in turns:
        e: Dict[str, Any] = {"event": who, "text": text}
        if intent:
            e["parse_data"] = {"intent": {"name": intent[0], "confidence": intent[1]}}
        out.append(e)
    return out


def test_the_note_names_the_question_what_was_tried_and_the_last_turns():
    events = _events(("user", "hi", "greet", 0.99), ("bot", "Hello!"),
                     ("user", "does my PMP lapse if I change jobs?", "ask_expiry", 0.41),
                     ("bot", "The PMP must be renewed every three years."),
                     ("user", "/feedback{\"rating\":\"down\"}"),
                     ("bot", "Sorry. What was missing?"),
                     ("user", "talk to a person", "human_handoff", 0.97))
    note = handoff.compose_note("rest:abc", events, 1000.0)
    assert note.question == "does my PMP lapse if I change jobs?"
    assert note.understood == "ask_expiry (41%)"
    assert note.tried == "The PMP must be renewed every three years."
    assert note.channel == "REST" and note.conversation == "rest:abc"
    text = note.text()
    assert note.reference in text and "user: talk to a person" in text and "/feedback" not in text
    assert "user: (clicked a button)" in text
    assert note.reference.startswith("H-") and len(note.reference) == 8
    assert note.reference != handoff.compose_note("rest:abc", events, 1001.0).reference


def test_a_note_with_no_question_says_so_and_keeps_only_the_last_turns():
    events = _events(*[("bot", f"line {i}") for i in range(20)], ("user", "get me a human", "human_handoff", 0.9))
    note = handoff.compose_note("slack:T1:C1:1.2", events, 1.0)
    assert note.question == "" and note.channel == "Slack"
    assert "(none asked before the hand-off)" in note.text()
    assert len(note.turns) == handoff.LAST_TURNS and note.turns[-1].text == "get me a human"
    assert "Where to answer: in Slack, channel <#C1>, in the thread of the message 1.2" in note.text()
    assert "a direct message to <@U7>" in handoff.compose_note("slack:T1:U7", events, 1.0).text()
    web = handoff.compose_note("web:abc", events, 1.0)
    assert "no HANDOFF_CONTACT is set" in web.text()
    assert f"asked to write to help@x.org quoting {web.reference}" in web.text("help@x.org")


def test_what_the_user_is_told_depends_on_the_channel_and_the_outcome():
    s = handoff.settings_from_env({"HANDOFF_SLACK_CHANNEL": "C1", "SLACK_TOKEN": "xoxb-1",
                                   "HANDOFF_EMAIL": "a@x.org, b@x.org", "SMTP_URL": "smtp://127.0.0.1:25",
                                   "HANDOFF_RESPONSE_TIME": WAIT})
    assert s.slack and s.email and s.email_to == ("a@x.org", "b@x.org") and s.contact == "a@x.org, b@x.org"
    web = handoff.compose_note("web:abc", [], 1.0)
    slack = handoff.compose_note("slack:T:C:1.0", [], 1.0)
    told = handoff.user_message(s, ["slack", "email"], web, "The article")
    assert WAIT in told and web.reference in told
    assert "write to a@x.org, b@x.org" in told  # the web chat can't receive their answer
    assert "answer you here in Slack" in handoff.user_message(s, ["slack"], slack, "The article")
    failed = handoff.user_message(s, ["failed"], web, "The article")
    assert "didn't go through" in failed and "a@x.org" in failed and web.reference not in failed
    nobody = handoff.user_message(handoff.Settings(), ["none"], web, "The article", "Do employers care?")
    assert "no person is available" in nobody and '"Do employers care?"' in nobody
    assert "Slack channel C1 and e-mail to a@x.org, b@x.org" in handoff.handoff_status(
        {"HANDOFF_SLACK_CHANNEL": "C1", "SLACK_TOKEN": "xoxb-1", "HANDOFF_EMAIL": "a@x.org, b@x.org",
         "SMTP_URL": "smtp://127.0.0.1:25"})
    assert "off, users are told no person is available" in handoff.handoff_status({"HANDOFF_EMAIL": "a@x.org"})
    assert not handoff.Settings().anyone and handoff.outcome_slot([], handoff.Settings()) == "none"


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.org", ("smtp", "mail.example.org", 25, "", "")),
    ("smtp+starttls://u%40x:p%3Aw@mail.example.org", ("smtp+starttls", "mail.example.org", 587, "u@x", "p:w")),
    ("smtps://mail.example.org:2465", ("smtps", "mail.example.org", 2465, "", "")),
])
def test_smtp_urls(url, expected):
    assert handoff.parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org:25"])
def test_a_bad_smtp_url_is_named(url):
    with pytest.raises(ValueError, match="SMTP_URL"):
        handoff.parse_smtp_url(url)


def test_the_handoff_secrets_reach_the_action_server_only(monkeypatch):
    monkeypatch.setenv("SLACK_TOKEN", "xoxb-bot")
    monkeypatch.setenv("SMTP_URL", "smtp://u:secret@127.0.0.1")
    monkeypatch.setenv("HANDOFF_SLACK_CHANNEL", "C1")
    monkeypatch.delenv("HANDOFF_SLACK_TOKEN", raising=False)
    actions, rasa, web = base_env(handoff=True), base_env(secrets=True), base_env()
    assert actions["HANDOFF_SLACK_TOKEN"] == "xoxb-bot" and actions["SMTP_URL"].endswith("@127.0.0.1")
    assert "SLACK_TOKEN" not in actions
    assert "SMTP_URL" not in rasa and "HANDOFF_SLACK_TOKEN" not in rasa and rasa["SLACK_TOKEN"] == "xoxb-bot"
    assert not {"SMTP_URL", "HANDOFF_SLACK_TOKEN", "SLACK_TOKEN"} & set(web)


# --------------------------------------------------------------------------
# deliveries that fail: a clear error, never an exception out of the action


def test_deliveries_to_nothing_fail_with_a_clear_error():
    closed = free_port()
    s = handoff.Settings(slack_channel="C1", slack_token="xoxb-1", slack_api_base_url=f"http://127.0.0.1:{closed}/api/",
                         email_to=("a@x.org",), smtp_url=f"smtp://127.0.0.1:{closed}")
    note = handoff.compose_note("rest:x", _events(("user", "help me", "nlu_fallback", 0.2)), 1.0)
    done, errors = asyncio_run(handoff.deliver(s, note))
    assert done == [] and len(errors) == 2
    assert "Slack could not be reached" in errors[0] and "SMTP" in errors[1]
    assert handoff.outcome_slot(done, s) == "failed"


def asyncio_run(coro: Any) -> Any:
    import asyncio
    return asyncio.run(coro)


# --------------------------------------------------------------------------
# through the real servers


class Inbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: List[email.message.EmailMessage] = []
        self.envelopes: List[Any] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture(scope="module")
def handoff_servers(tmp_path_factory, fake_slack: FakeSlackApi, smtp: Inbox) -> Iterator[Stack]:
    stack = started_stack(tmp_path_factory.mktemp("handoff"), extra_env={
        "HANDOFF_SLACK_CHANNEL": HANDOFF_CHANNEL, "HANDOFF_SLACK_TOKEN": HANDOFF_TOKEN,
        "SLACK_API_BASE_URL": fake_slack.base_url, "SLACK_TOKEN": slack.TOKEN, "SLACK_SIGNING_SECRET": slack.SECRET,
        "SLACK_CHANNEL": "",
        "HANDOFF_EMAIL": TEAM, "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",  # type: ignore[attr-defined]
        "HANDOFF_RESPONSE_TIME": WAIT,
    })
    yield stack
    stack.stop()


def _buttons(replies: List[Dict[str, Any]]) -> List[str]:
    return [b.get("payload") for r in replies for b in r.get("buttons") or []]


def _text(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _posted(api: FakeSlackApi, reference: str) -> List[Dict[str, Any]]:
    return [c for c in api.calls if c["method"] == "chat.postMessage" and reference in (c["body"].get("text") or "")]


def _stored_handoffs(stack: Stack, conversation: str) -> List[str]:
    with sqlite3.connect(f"file:{tracker_db(stack)}?mode=ro", uri=True, timeout=30) as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'slot' AND sender_id = ? ORDER BY id",
                          (conversation,)).fetchall()
    return [json.loads(d)["value"] for (d,) in rows if json.loads(d).get("name") == "handoff"]


def _reference(text: str) -> str:
    import re
    m = re.search(r"\bH-[0-9A-F]{6}\b", text)
    assert m, f"no reference in {text!r}"
    return m.group(0)


def test_two_fallbacks_in_a_row_offer_a_person_and_the_note_reaches_slack_and_email(
        handoff_servers: Stack, fake_slack: FakeSlackApi, smtp: Inbox):
    chat = Chat(handoff_servers.rasa_url)
    first = chat.say(OUT_OF_SCOPE_1)
    assert "/human_handoff" not in _buttons(first), _text(first)
    second = chat.say(OUT_OF_SCOPE_2)
    assert "/human_handoff" in _buttons(second), _text(second)
    assert handoff.OFFER in _text(second)

    smtp.arrived.clear()
    told = _text(chat.say("/human_handoff"))
    reference = _reference(told)
    assert WAIT in told and f"write to {TEAM}" in told

    posted = _posted(fake_slack, reference)
    assert len(posted) == 1, fake_slack.calls
    body = posted[0]["body"]
    assert body["channel"] == HANDOFF_CHANNEL and posted[0]["authorization"] == f"Bearer {HANDOFF_TOKEN}"
    note = body["text"]
    assert f"Question: {OUT_OF_SCOPE_2}" in note and "Channel: REST" in note
    assert rest_conversation(chat.sender) in note and f"user: {OUT_OF_SCOPE_1}" in note
    assert f"asked to write to {TEAM} quoting {reference}" in note and "not understood" not in note

    assert smtp.arrived.wait(15), "no e-mail arrived"
    mail = [m for m in smtp.messages if reference in m["Subject"]]
    assert len(mail) == 1 and mail[0]["To"] == TEAM
    assert f"Question: {OUT_OF_SCOPE_2}" in mail[0].get_content()
    assert _stored_handoffs(handoff_servers, rest_conversation(chat.sender)) == ["slack+email"]


def test_asking_for_a_person_after_an_answer_passes_the_question_and_the_answer(
        handoff_servers: Stack, fake_slack: FakeSlackApi):
    chat = Chat(handoff_servers.rasa_url)
    answer = _text(chat.say("Do micro-credentials expire?"))
    told = _text(chat.say("can I talk to a real person please?"))
    reference = _reference(told)
    note = _posted(fake_slack, reference)[0]["body"]["text"]
    assert "Question: Do micro-credentials expire?" in note
    assert "The assistant answered: " + " ".join(answer.split())[:60] in note
    assert "Understood as: " in note and "(nothing)" not in note


def test_a_slack_user_is_answered_in_slack_and_the_note_says_where(handoff_servers: Stack, fake_slack: FakeSlackApi):
    user, dm = "U0HANDOFF", "D0HANDOFF"
    client = slack.SlackClient(f"{handoff_servers.rasa_url}/webhooks/slack/webhook")
    assert client.event(slack.message_event("does the PMP expire?", user, dm)).status_code == 200
    fake_slack.wait_for(dm, slack.has("three years"), "the PMP's renewal")
    assert client.event(slack.message_event("can I talk to a person?", user, dm)).status_code == 200
    told = slack.texts(fake_slack.wait_for(dm, slack.has("answer you here in Slack"), "the hand-off reply"))
    note = _posted(fake_slack, _reference(told))[0]["body"]["text"]
    assert "Channel: Slack" in note and f"a direct message to <@{user}>" in note
    assert "Question: does the PMP expire?" in note


def test_with_nobody_set_up_it_says_so_and_where_to_look(servers: Stack):
    chat = Chat(servers.rasa_url)
    chat.say("Do employers actually value micro-credentials when hiring?")
    told = _text(chat.say("I'd like to talk to a person"))
    assert "no person is available" in told, told
    assert "closest to your question is its section" in told
    # two fallbacks in a row don't offer what isn't there
    chat.say(OUT_OF_SCOPE_1)
    assert "/human_handoff" not in _buttons(chat.say(OUT_OF_SCOPE_2))
    assert _stored_handoffs(servers, rest_conversation(chat.sender)) == ["none"]


def test_a_handoff_inside_the_advice_form_keeps_the_form(servers: Stack):
    chat = Chat(servers.rasa_url)
    asked = chat.say("which credential should I get?")
    question = (asked[-1].get("text") or "").strip()
    assert question.endswith("?"), asked  # the form asks for the goal
    told = chat.say("talk to a person")
    assert "no person is available" in _text(told)
    assert (told[-1].get("text") or "").strip() == question, told  # and asks again
