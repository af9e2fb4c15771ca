"""The conversations each bot is measured on.

A conversation is a list of turns (category, text, expected substring or
None). Every cycle through a mix uses a fresh sender id per conversation, so
follow-ups and the advice form run as real multi-turn conversations.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Turn:
    category: str
    text: str
    expect: Optional[str] = None  # a substring the reply should contain (informational)


Conversation = Sequence[Turn]

# Ours: FAQ answers, credential lookups through the action server, follow-ups
# about the credential named before, the advice form (several turns), an
# unknown credential, a comparison, small talk answered by responses only, and
# an out-of-scope message.
OURS: List[Conversation] = [
    [Turn("faq", "do employers care about micro-credentials?", "Employers")],
    [Turn("lookup", "tell me about the PMP", "PMP"),
     Turn("follow-up", "does it expire?", "PMP"),
     Turn("follow-up", "and how much is it?", "PMP")],
    [Turn("advice", "I'm switching into data analytics", "Tell me your time or budget"),
     Turn("advice", "several months", "Tell me your budget"),
     Turn("advice", "money is no object", "Certificate in Data Analytics")],
    [Turn("out-of-scope", "what's the weather in Paris tomorrow?", "outside what I know")],
    [Turn("chitchat", "hi"),
     Turn("faq", "will micro-credentials replace degrees?"),
     Turn("chitchat", "thanks")],
    [Turn("lookup", "how long does Kubernetes take?", "Kubernetes"),
     Turn("follow-up", "does it expire?", "Kubernetes")],
    [Turn("unknown", "does the AWS Solutions Architect expire?", "AWS Solutions Architect")],
    [Turn("compare", "how does a certificate differ from a micro-credential?")],
    [Turn("faq", "do microcredentials expire?", "2 to 3 years")],
]

# The stock `rasa init` bot: its own stories and rules (greet, moods, the
# cheer-up question, goodbye, bot challenge).
STOCK: List[Conversation] = [
    [Turn("greet", "hi"), Turn("mood", "I am feeling great"), Turn("goodbye", "bye")],
    [Turn("greet", "hello there"), Turn("mood", "I am sad"), Turn("affirm", "yes")],
    [Turn("greet", "hey"), Turn("mood", "not good"), Turn("deny", "no"), Turn("goodbye", "see you later")],
    [Turn("bot_challenge", "are you a bot?")],
    [Turn("greet", "good morning"), Turn("mood", "perfect"), Turn("bot_challenge", "am I talking to a human?")],
]

MIXES = {"ours": OURS, "stock": STOCK}


def turns(mix: Sequence[Conversation], prefix: str) -> Iterator[Tuple[str, Turn]]:
    """Endless (sender, turn) pairs cycling through the mix, one sender per conversation."""
    for conv in itertools.cycle(mix):
        sender = f"{prefix}-{uuid.uuid4().hex[:12]}"
        for turn in conv:
            yield sender, turn


def conversations(mix: Sequence[Conversation], prefix: str) -> Iterator[Tuple[str, Conversation]]:
    """Endless (sender, conversation) pairs, starting at a different place per prefix."""
    start = sum(map(ord, prefix)) % len(mix)
    for conv in itertools.islice(itertools.cycle(mix), start, None):
        yield f"{prefix}-{uuid.uuid4().hex[:12]}", conv


def parse_texts(mix: Sequence[Conversation]) -> List[str]:
    return [t.text for conv in mix for t in conv if not t.text.startswith("/")]
