"""The real servers for end-to-end tests, started as `make run` starts them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests

from stack.net import free_port
from stack.process import Stack
from tests.helpers import MODEL


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
