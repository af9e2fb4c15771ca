"""What several test modules share: trackers for action tests, the real
servers, clients for the REST, socket.io and Slack channels. Fixtures live in
tests/conftest.py; test modules import helpers from here, never from each other."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
