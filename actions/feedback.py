"""Feedback on answers ("Was this helpful? 👍 / 👎") and the optional comment
after a 👎. Pure functions, tested without Rasa; the thin actions in
``actions.actions`` call them.

What is stored (as SlotSet events in the tracker store, read by `make report`):
- ``feedback_topic`` then ``feedback_value`` ("up"/"down"): the topic that was
  rated (the ``last_topic`` slot) and the rating;
- ``feedback_comment``: what the user said was missing, after a 👎;
- ``unknown_credential``: a credential name the knowledge file doesn't know.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping, Optional, Sequence, Tuple

from actions.answers import Button, Reply, payload

# Ask at most once every this many answers (the 3rd, 6th, 9th ... answer).
FEEDBACK_EVERY = 3

UP, DOWN = "up", "down"

PROMPT = "Was this helpful?"
# the shell shows buttons as a menu that must be answered: there the prompt is text only
SHELL_CHANNELS = frozenset({"cmdline"})
SHELL_PROMPT = "Was this helpful? Type 👍 or 👎 (or just ask your next question)."
ASK_COMMENT = ("Sorry it didn't help. What was missing? Tell me in a few words "
               "(optional: you can also just ask your next question).")
THANKS_UP = "Thanks for the feedback! Ask me anything else about micro-credentials or certifications."
THANKS_COMMENT = ("Thanks, I've passed that on to the people who maintain my answers. "
                  "Anything else about micro-credentials or certifications?")
# said before an answer to a message that may be the comment or a question
NOTED_AND_ANSWERED = ("Thanks, I've passed that on to the people who maintain my answers. "
                      "In case it was also a question:")

# topics that are answers worth rating (not fallbacks, not "I have no facts on X")
NOT_RATED_TOPICS = frozenset({"unknown_credential"})

_NEGATIVE = re.compile(
    r"👎|thumbs?[\s-]*down|\bnot\b|n't\b|\bno\b|\bnope\b|useless|unhelpful|\bbad\b|\bwrong\b|"
    r"\bpoor\b|\bconfus|\bmissing\b|\bworse\b|\bterrible\b|\bawful\b|\bnothing\b|\bunclear\b|\bvague\b|"
    r"\btoo (long|short|vague|general)\b|-1",
    re.IGNORECASE,
)


def prompt_due(answers_since: Optional[float], topic: Optional[str]) -> Tuple[bool, int]:
    """After an answer on `topic`: (ask for feedback now?, the new counter value).

    The counter counts rated answers since the last prompt; the prompt comes with
    every FEEDBACK_EVERY-th answer, so it never nags."""
    count = int(answers_since or 0)
    if not topic or topic in NOT_RATED_TOPICS or topic.startswith("fallback/"):
        return False, count
    count += 1
    if count >= FEEDBACK_EVERY:
        return True, 0
    return False, count


def with_prompt(reply: Reply, channel: Optional[str]) -> Reply:
    """The answer with the prompt added to it, so that the answer's own buttons
    stay usable (the web widget and the shell only offer the last message's
    buttons): 👍/👎 buttons in the web chat and Slack, a line of text in the shell."""
    if channel in SHELL_CHANNELS:
        return replace(reply, text=f"{reply.text}\n\n{SHELL_PROMPT}")
    buttons = reply.buttons + (Button("👍", payload("feedback", rating=UP)),
                               Button("👎", payload("feedback", rating=DOWN)))
    return replace(reply, text=f"{reply.text}\n\n{PROMPT}", buttons=buttons)


def rating_of(text: Optional[str], entities: Sequence[Mapping[str, Any]] = ()) -> str:
    """"up" or "down": from the button's entity, else from the words typed."""
    for ent in entities or []:
        if isinstance(ent, Mapping) and ent.get("entity") == "rating":
            value = str(ent.get("value") or "").strip().lower()
            if value in (UP, DOWN):
                return value
    if text and _NEGATIVE.search(text):
        return DOWN
    return UP


# After a 👎, a message understood with less confidence than this is kept as the
# comment even when it is answered (comments are often mistaken for questions).
COMMENT_CONFIDENCE = 0.8


# ... and so is a message that speaks of the answer itself, however sure the classifier
# is ("the answer left out renewal costs" reads, confidently, as an expiry question)
_ABOUT_THE_ANSWER = re.compile(
    r"\b(the|your|that|this) (answer|reply|response)\b|\bleft (it |that |this )?out\b|"
    r"\b(you|it) (didn'?t|did not|doesn'?t|does not|never) (say|said|mention|cover|answer|explain|tell|told)\w*|"
    r"\bmissing\b|\bnothing (about|on)\b",
    re.IGNORECASE)


def uncertain_comment(message: Mapping[str, Any]) -> Optional[str]:
    """The comment to keep from a message answered right after a 👎, if it may be one:
    understood with little confidence, or speaking of the answer."""
    try:
        confidence = float(((message or {}).get("intent") or {}).get("confidence") or 0.0)
    except (TypeError, ValueError):
        confidence = 0.0
    text = (message or {}).get("text")
    about_answer = isinstance(text, str) and bool(_ABOUT_THE_ANSWER.search(text))
    return comment_text(text) if confidence < COMMENT_CONFIDENCE or about_answer else None


def comment_text(text: Optional[str], limit: int = 500) -> Optional[str]:
    """The user's comment as stored: trimmed, bounded, never a button payload."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return None
    return text[:limit]
