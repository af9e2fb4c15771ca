"""`make shell`'s conversation (`python -m stack shell` -> `rasa shell`), driven
through a real pseudo-terminal with pexpect."""

from __future__ import annotations

import os
import sys

import pexpect

from stack.net import free_port
from tests.helpers import MODEL, ROOT

DOWN = "\x1b[B"


def test_shell_conversation_with_follow_up(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    action_port = free_port()
    endpoints.write_text(
        f"action_endpoint:\n  url: \"http://127.0.0.1:{action_port}/webhook\"\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: \"{tmp_path / 'shell.db'}\"\n"
    )
    env = dict(os.environ, RASA_PORT=str(free_port()), ACTION_PORT=str(action_port),
               RASA_MODEL=str(MODEL), ENDPOINTS=str(endpoints), TERM="xterm", COLUMNS="200", LINES="50")
    child = pexpect.spawn(sys.executable, ["-m", "stack", "shell"], cwd=str(ROOT),
                          env=env, encoding="utf-8", timeout=180, dimensions=(50, 200))
    log = tmp_path / "shell.log"
    child.logfile_read = open(log, "w")
    try:
        child.expect("Your input ->")
        child.sendline("do micro-credentials expire?")
        child.expect("2 to 3 years", timeout=60)
        # The answer has buttons: rasa shell shows a menu; its last entry lets us type.
        child.expect("Type out your own message", timeout=30)
        child.send(DOWN * 3 + "\r")
        child.expect("Your input ->", timeout=30)
        child.sendline("tell me about the PMP")
        child.expect("Project Management Professional", timeout=60)
        child.expect("Type out your own message", timeout=30)
        child.send("\r")  # the first button: "Does it expire?" about the PMP
        child.expect("60 professional development units", timeout=60)
        child.expect("Type out your own message", timeout=30)
        child.send(DOWN * 3 + "\r")
        child.expect("Your input ->", timeout=30)
        child.sendline("/stop")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
        child.logfile_read.close()
    assert "Project Management Professional" in log.read_text()
