"""Shared fixtures: the real servers for end-to-end tests (started exactly as
`make run` starts them). Helpers shared by several test modules are in
tests/helpers/."""

from __future__ import annotations

from typing import Iterator

import pytest

from stack.process import Stack
from tests.helpers.servers import Chat, started_stack
from tests.helpers.slack import FakeSlackApi


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Stack]:
    """The action server and the Rasa server, on free ports, with a fresh SQLite store."""
    stack = started_stack(tmp_path_factory.mktemp("servers"))
    yield stack
    stack.stop()


@pytest.fixture
def chat(servers: Stack) -> Chat:
    return Chat(servers.rasa_url)


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlackApi]:
    """A fake Slack Web API on a free port (one per test module)."""
    api = FakeSlackApi().start()
    yield api
    api.stop()
