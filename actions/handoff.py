"""Handing a conversation to a person ("talk to a person", or after two
fallbacks in a row).

Pure parts: the settings (:func:`settings_from_env`), the note a person reads
(:func:`compose_note`, from the conversation's events) and what the user is
told (:func:`user_message`). The deliveries (:func:`post_to_slack`,
:func:`send_email`) do the I/O and raise :class:`DeliveryError` on failure;
``actions.actions.ActionHandoff`` ties them together.

Settings (environment of the action server; `make run` passes them on):

- ``HANDOFF_SLACK_CHANNEL``: post the note to this Slack channel (id or name),
  with ``HANDOFF_SLACK_TOKEN`` (else ``SLACK_TOKEN``), through
  ``SLACK_API_BASE_URL`` when set (tests point it at a local fake);
- ``HANDOFF_EMAIL``: e-mail the note to this address (comma-separated for
  several) through ``SMTP_URL``: ``smtp://[user:password@]host[:port]``,
  ``smtp+starttls://…`` or ``smtps://…``; from ``HANDOFF_EMAIL_FROM``;
- ``HANDOFF_RESPONSE_TIME``: what users are told about the wait
  (default "one working day");
- ``HANDOFF_CONTACT``: where a user of the web chat or REST can get the
  person's answer (they can't write into that chat); default ``HANDOFF_EMAIL``.

With neither Slack nor e-mail set, the user is told honestly that no person is
available, and where in the article to look.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from actions import vocabulary as v
from channels import ids

DEFAULT_RESPONSE_TIME = "one working day"
LAST_TURNS = 8  # user and bot messages quoted in the note
QUOTE_CHARS = 400  # each quoted message is cut to this
SEND_TIMEOUT = 10.0  # seconds for one delivery
# with no person: name the article section whose passage is at least this close to the
# question (TF-IDF cosine; below the long-tail answer's 0.35, as this only says where to look)
MIN_SECTION_SCORE = 0.15
# intents whose messages are not the question a person should answer
NOT_A_QUESTION = frozenset({
    v.GREET, v.GOODBYE, v.THANK, v.AFFIRM, v.DENY, v.BOT_CHALLENGE, v.HUMAN_HANDOFF, v.HELP, v.STOP,
    v.SOMETHING_ELSE, v.FEEDBACK, v.MORE_DETAIL,
})

OFFER = "I couldn't answer that either. Would you like me to pass your question to a person on the team?"
OFFER_BUTTON = {"title": "Talk to a person", "payload": "/" + v.HUMAN_HANDOFF}

# how a hand-off went: the `handoff` slot, counted by `make report`
SENT_SLACK = "slack"
SENT_EMAIL = "email"
FAILED = "failed"
NOBODY = "none"


class DeliveryError(Exception):
    """A note could not be delivered (the message says where and why, without secrets)."""


@dataclass(frozen=True)
class Settings:
    slack_channel: str = ""
    slack_token: str = ""
    slack_api_base_url: str = ""
    email_to: Tuple[str, ...] = ()
    smtp_url: str = ""
    email_from: str = "faq-assistant@localhost"
    response_time: str = DEFAULT_RESPONSE_TIME
    contact: str = ""

    @property
    def slack(self) -> bool:
        return bool(self.slack_channel and self.slack_token)

    @property
    def email(self) -> bool:
        return bool(self.email_to and self.smtp_url)

    @property
    def anyone(self) -> bool:
        return self.slack or self.email


def settings_from_env(env: Mapping[str, str]) -> Settings:
    def get(name: str) -> str:
        return (env.get(name) or "").strip()

    to = tuple(a.strip() for a in get("HANDOFF_EMAIL").split(",") if a.strip())
    return Settings(
        slack_channel=get("HANDOFF_SLACK_CHANNEL"),
        slack_token=get("HANDOFF_SLACK_TOKEN") or get("SLACK_TOKEN"),
        slack_api_base_url=get("SLACK_API_BASE_URL"),
        email_to=to,
        smtp_url=get("SMTP_URL"),
        email_from=get("HANDOFF_EMAIL_FROM") or "faq-assistant@localhost",
        response_time=get("HANDOFF_RESPONSE_TIME") or DEFAULT_RESPONSE_TIME,
        contact=get("HANDOFF_CONTACT") or ", ".join(to),
    )


# --------------------------------------------------------------------------
# the note


@dataclass(frozen=True)
class Turn:
    who: str  # "user" or "bot"
    text: str


@dataclass(frozen=True)
class Note:
    reference: str
    conversation: str
    channel: str  # "Slack", "web chat", "REST", "terminal"
    question: str  # "" when nothing was asked before the hand-off
    tried: str  # what the assistant answered to it ("" if nothing)
    understood: str  # the intent and confidence the model gave the question
    intent: str = ""  # that intent's name
    turns: Tuple[Turn, ...] = field(default_factory=tuple)

    @property
    def subject(self) -> str:
        about = self.question or "no question asked yet"
        return f"Hand-off {self.reference} from the FAQ assistant ({self.channel}): {_cut(about, 80)}"

    def text(self, contact: str = "") -> str:
        """The note; ``contact``: where web and REST users were told to write (HANDOFF_CONTACT)."""
        lines = [
            f"Hand-off {self.reference} from the micro-credentials FAQ assistant",
            f"Channel: {self.channel}   Conversation: {self.conversation}",
            f"Question: {self.question or '(none asked before the hand-off)'}",
        ]
        if self.question:
            lines.append(f"Understood as: {self.understood}")
            lines.append(f"The assistant answered: {self.tried or '(nothing)'}")
        lines.append(f"Where to answer: {where_to_answer(self.conversation, contact, self.reference)}")
        lines.append(f"Last {len(self.turns)} messages:")
        lines += [f"  {t.who}: {t.text}" for t in self.turns]
        return "\n".join(lines)


def _cut(text: str, n: int = QUOTE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def channel_of(conversation: str) -> str:
    if conversation.startswith(ids.conversation_id(ids.REST, "shell-")):
        return "terminal"  # `make shell` talks REST with this sender
    prefix = conversation.split(ids.SEPARATOR, 1)[0]
    return {ids.SLACK: "Slack", ids.WEB: "web chat", ids.REST: "REST"}.get(prefix, "terminal")


def where_to_answer(conversation: str, contact: str = "", reference: str = "") -> str:
    """For the person: where the user can be answered (Slack's own link syntax for
    a channel and a user)."""
    parts = conversation.split(ids.SEPARATOR)
    if parts[0] == ids.SLACK and len(parts) >= 4:
        return f"in Slack, channel <#{parts[2]}>, in the thread of the message {parts[3]}"
    if parts[0] == ids.SLACK and len(parts) == 3:
        return f"in Slack, a direct message to <@{parts[2]}>"
    if contact:
        return (f"not in this chat (the web chat and REST can't receive a reply): the user was asked to "
                f"write to {contact} quoting {reference}")
    return "nowhere: the web chat and REST can't receive a reply, and no HANDOFF_CONTACT is set"


def reference_of(conversation: str, when: float) -> str:
    return "H-" + hashlib.sha256(f"{conversation}|{when}".encode()).hexdigest()[:6].upper()


def _intent(event: Mapping[str, Any]) -> Tuple[str, float]:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    try:
        return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)
    except (TypeError, ValueError):
        return str(intent.get("name") or ""), 0.0


def compose_note(conversation: str, events: Sequence[Mapping[str, Any]], when: float) -> Note:
    """The note from the conversation's events (the hand-off request is the last user event)."""
    turns: List[Turn] = []
    question_at: Optional[int] = None
    understood = intent = ""
    for e in events:
        text = e.get("text")
        if e.get("event") == "user" and isinstance(text, str) and text.strip():
            if text.lstrip().startswith("/"):
                turns.append(Turn("user", "(clicked a button)"))  # its reply says what it was
                continue
            turns.append(Turn("user", _cut(text)))
            name, conf = _intent(e)
            if name not in NOT_A_QUESTION:
                understood = ("not understood (fallback)" if name == "nlu_fallback" else f"{name} ({conf:.0%})")
                question_at, intent = len(turns) - 1, name
        elif e.get("event") == "bot" and isinstance(text, str) and text.strip():
            turns.append(Turn("bot", _cut(text)))
    question, tried = "", ""
    if question_at is not None:
        question = turns[question_at].text
        replies = []
        for t in turns[question_at + 1:]:
            if t.who == "user":
                break
            replies.append(t.text)
        tried = _cut(" / ".join(replies))
    return Note(reference_of(conversation, when), conversation, channel_of(conversation), question, tried,
                understood if question else "", intent if question else "", tuple(turns[-LAST_TURNS:]))


# --------------------------------------------------------------------------
# what the user is told


def user_message(s: Settings, outcome: Sequence[str], note: Note, article: str, section: str = "") -> str:
    """``outcome``: the deliveries that worked (SENT_SLACK, SENT_EMAIL), or (FAILED,) or (NOBODY,)."""
    if NOBODY in outcome or not outcome:
        where = (f"the part of the article \"{article}\" closest to your question is its section \"{section}\""
                 if section else f"the article \"{article}\" has the answers I give")
        return ("I'm sorry: no person is available through this chat. I only answer from an article, and "
                f"{where}. You can also ask me \"what can I ask?\" to see the topics I cover.")
    if FAILED in outcome:
        tail = f" or write to {s.contact}" if s.contact else ""
        return ("I tried to pass your question to a person, but the message didn't go through. "
                f"Please try again in a few minutes{tail}.")
    first = (f"I've passed your question and the last few messages of this chat to a person on the team "
             f"(reference {note.reference}). Someone usually picks it up within {s.response_time}.")
    if note.channel == "Slack":
        return first + " They'll answer you here in Slack."
    if s.contact:
        return first + (f" They can't write into this chat: for their answer, write to {s.contact} "
                        f"and mention {note.reference}.")
    return first + " They can't write into this chat: they'll use your question to improve my answers."


# --------------------------------------------------------------------------
# deliveries


async def post_to_slack(s: Settings, note: Note) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    kwargs: Dict[str, Any] = {"timeout": int(SEND_TIMEOUT)}
    if s.slack_api_base_url:
        kwargs["base_url"] = s.slack_api_base_url.rstrip("/") + "/"
    client = AsyncWebClient(s.slack_token, **kwargs)
    try:
        await asyncio.wait_for(
            client.chat_postMessage(channel=s.slack_channel, text=note.text(s.contact), unfurl_links=False),
            SEND_TIMEOUT)
    except SlackApiError as exc:
        raise DeliveryError(f"Slack refused the hand-off note: {exc.response.get('error')}") from None
    except Exception as exc:  # a timeout, an OSError, aiohttp's own errors: never out of the action
        raise DeliveryError(f"Slack could not be reached: {type(exc).__name__}") from None


def parse_smtp_url(url: str) -> Tuple[str, str, int, str, str]:
    """(scheme, host, port, user, password); ValueError with a message naming the fault."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise ValueError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    port = parts.port or (465 if scheme == "smtps" else 25 if scheme == "smtp" else 587)
    return scheme, parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or "")


def email_message(s: Settings, note: Note) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = s.email_from
    msg["To"] = ", ".join(s.email_to)
    msg["Subject"] = note.subject
    msg.set_content(note.text(s.contact))
    return msg


def _send_email_now(s: Settings, msg: EmailMessage) -> None:
    scheme, host, port, user, password = parse_smtp_url(s.smtp_url)
    if scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SEND_TIMEOUT,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=SEND_TIMEOUT)
    with server:
        if scheme == "smtp+starttls":
            server.starttls(context=ssl.create_default_context())
        if user:
            server.login(user, password)
        server.send_message(msg)


async def send_email(s: Settings, note: Note) -> None:
    try:
        await asyncio.wait_for(asyncio.to_thread(_send_email_now, s, email_message(s, note)), SEND_TIMEOUT + 2)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    except (asyncio.TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"the SMTP server could not take the hand-off note: {type(exc).__name__}") from None


async def deliver(s: Settings, note: Note) -> Tuple[List[str], List[str]]:
    """(the deliveries that worked, the errors of those that failed)."""
    done: List[str] = []
    errors: List[str] = []
    for name, on, send in ((SENT_SLACK, s.slack, post_to_slack), (SENT_EMAIL, s.email, send_email)):
        if not on:
            continue
        try:
            await send(s, note)
            done.append(name)
        except DeliveryError as exc:
            errors.append(str(exc))
    return done, errors


def outcome_slot(done: Sequence[str], s: Settings) -> str:
    if not s.anyone:
        return NOBODY
    if not done:
        return FAILED
    return "+".join(done)


def handoff_status(env: Mapping[str, str]) -> str:
    """One line for `make run`'s start-up message."""
    s = settings_from_env(env)
    where = ([f"Slack channel {s.slack_channel}"] if s.slack else []) + (
        [f"e-mail to {', '.join(s.email_to)}"] if s.email else [])
    if where:
        return "Talk to a person: " + " and ".join(where)
    return ("Talk to a person: off, users are told no person is available "
            "(set HANDOFF_SLACK_CHANNEL, or HANDOFF_EMAIL and SMTP_URL)")
