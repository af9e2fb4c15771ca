"""Shared fixtures: trackers for action tests, and the real servers for
end-to-end tests (started exactly as `make run` starts them)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from stack.net import free_port
from stack.process import Stack

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"


def make_tracker(
    text: str,
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    sender: str = "test-user",
):
    """A rasa_sdk Tracker whose latest message is `text` classified as `intent`."""
    from rasa_sdk import Tracker

    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.99}],
    }
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"credential": None, "last_topic": None, **(slots or {})},
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def entity(label: str, value: str, text: str) -> Dict[str, Any]:
    """An entity as Rasa's SpacyEntityExtractor reports it."""
    start = text.index(value)
    return {"entity": label, "value": value, "start": start, "end": start + len(value),
            "extractor": "SpacyEntityExtractor"}


class Chat:
    """Talks to a running Rasa server over the REST channel."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.sender = f"test-{uuid.uuid4().hex[:10]}"

    def say(self, message: str, timeout: float = 30) -> List[Dict[str, Any]]:
        r = requests.post(
            f"{self.base_url}/webhooks/rest/webhook",
            data=json.dumps({"sender": self.sender, "message": message}),
            headers={"Content-Type": "application/json"},
            timeout=timeout,
        )
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def text(self, message: str) -> str:
        replies = self.say(message)
        assert replies, f"no reply to {message!r}"
        return "\n".join(m.get("text", "") for m in replies)


def started_stack(tmp: Path, action_timeout: Optional[float] = None,
                  tracker_store: str = "addons.tracker_store.WalSQLTrackerStore", **stack_args: Any) -> Stack:
    """The action server and the Rasa server on free ports, with a fresh SQLite
    store in tmp; on a failed start, the servers' logs are printed."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests through `make test`, which trains it")
    action_port, rasa_port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    timeout = f"  timeout: {action_timeout}\n" if action_timeout is not None else ""
    endpoints.write_text(
        f"action_endpoint:\n  url: \"http://127.0.0.1:{action_port}/webhook\"\n{timeout}"
        f"tracker_store:\n  type: {tracker_store}\n  dialect: sqlite\n  db: \"{tmp / 'trackers.db'}\"\n"
    )
    stack = Stack(rasa_port=rasa_port, action_port=action_port, endpoints=str(endpoints),
                  model=str(MODEL), log_dir=tmp / "logs", **stack_args)
    try:
        stack.start()
    except Exception:
        stack.stop()
        for log in sorted((tmp / "logs").glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        raise
    return stack


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Stack]:
    """The action server and the Rasa server, on free ports, with a fresh SQLite store."""
    stack = started_stack(tmp_path_factory.mktemp("servers"))
    yield stack
    stack.stop()


@pytest.fixture
def chat(servers: Stack) -> Chat:
    return Chat(servers.rasa_url)
