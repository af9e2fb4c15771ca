"""Simultaneous messages of one conversation, and whether the tracker store
recorded every turn whole and in order (tests/test_cluster.py and
`python -m stack.cluster lockcheck`)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, List

from stack.net import post_message

if TYPE_CHECKING:
    from stack.cluster import Cluster

CONCURRENT_MESSAGES = [
    "does the PMP expire?", "how much is the CPA?", "tell me about Kubernetes",
    "how long does React take?", "do employers care about micro-credentials?",
    "who issues the PMP?", "is the CPA online?", "do micro-credentials expire?",
    "what is a micro-credential?", "how much does Kubernetes cost?",
]


def send_at_once(urls: List[str], sender: str, messages: List[str], timeout: float = 120) -> List[tuple]:
    """Send every message of one conversation at the same moment (one thread
    each, released together), message i to urls[i % len(urls)].
    Returns (reply list or the exception, seconds) per message."""
    results: List[tuple] = [None] * len(messages)
    barrier = threading.Barrier(len(messages))

    def send(i: int) -> None:
        barrier.wait()
        t0 = time.monotonic()
        try:
            results[i] = (post_message(urls[i % len(urls)], sender, messages[i], timeout), time.monotonic() - t0)
        except Exception as exc:  # reported to the caller
            results[i] = (exc, time.monotonic() - t0)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(messages))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def turns(events: List[dict]) -> List[dict]:
    """Split a stored conversation into turns: each user message with the bot
    messages and actions recorded after it, up to the next user message."""
    out: List[dict] = []
    for e in events:
        if e["type"] == "user":
            out.append({"user": e["data"].get("text"), "bot": [], "actions": []})
        elif out and e["type"] == "bot":
            out[-1]["bot"].append(e["data"].get("text") or "")
        elif out and e["type"] == "action":
            out[-1]["actions"].append(e["action"])
    return out


def turn_problems(cluster: Cluster, sender: str, sent: List[str], results: List[tuple]) -> List[str]:
    """What is wrong with how `sent` (answered as `results`) was recorded: every
    message answered, recorded once, its own answer right after it, each turn
    closed (action_listen) before the next began."""
    problems = []
    for message, (reply, _) in zip(sent, results):
        if not isinstance(reply, list) or not reply:
            problems.append(f"{message!r} not answered: {reply!r}")
    recorded = [t for t in turns(cluster.events(sender)) if t["user"] in sent]
    if sorted(t["user"] for t in recorded) != sorted(sent):
        problems.append(f"recorded {len(recorded)} of {len(sent)} messages: {[t['user'] for t in recorded]}")
    answers = {m: "\n".join(x.get("text", "") for x in r) for m, (r, _) in zip(sent, results) if isinstance(r, list)}
    for t in recorded:
        if t["actions"][-1:] != ["action_listen"]:
            problems.append(f"turn {t['user']!r} not closed before the next one: {t['actions']}")
        if t["user"] in answers and "\n".join(t["bot"]) != answers[t["user"]]:
            problems.append(f"turn {t['user']!r} recorded with another answer than the one sent back")
    return problems
