"""`make shell`'s conversation (`python -m stack shell`: both servers as child
processes logging to var/log/, and a terminal conversation over REST), driven
through a real pseudo-terminal with pexpect."""

from __future__ import annotations

import os
import re
import sys
import uuid
from pathlib import Path
from typing import Dict, List

import pexpect
import requests

from stack.net import free_port
from tests.helpers import MODEL, ROOT

DOWN = "\x1b[B"
WELCOME = "Hi! I answer questions about micro-credentials"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")
NOISE = ("WARNING", "INFO", "DEBUG", "Warning:", "DeprecationWarning", "Traceback", "tensorflow")


def spawn_shell(tmp_path: Path, columns: int) -> tuple:
    endpoints = tmp_path / "endpoints.yml"
    action_port, rasa_port = free_port(), free_port()
    endpoints.write_text(
        f"action_endpoint:\n  url: \"http://127.0.0.1:{action_port}/webhook\"\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: \"{tmp_path / 'shell.db'}\"\n"
    )
    env = dict(os.environ, RASA_PORT=str(rasa_port), ACTION_PORT=str(action_port),
               RASA_MODEL=str(MODEL), ENDPOINTS=str(endpoints), TERM="xterm",
               COLUMNS=str(columns), LINES="50")
    child = pexpect.spawn(sys.executable, ["-m", "stack", "shell"], cwd=str(ROOT),
                          env=env, encoding="utf-8", timeout=180, dimensions=(50, columns))
    log = open(tmp_path / "screen.log", "w")
    child.logfile_read = log
    return child, log, rasa_port


def menu(child, timeout: float = 60) -> List[str]:
    """Wait for the next button menu; its entries' titles, in order."""
    child.expect(r"\(Use arrow keys\)", timeout=timeout)
    child.expect("Type out your own message", timeout=30)
    return [title.strip() for title in re.findall(r"\d+: ([^\n\r]+)", ANSI.sub("", child.before))]


def pick(child, titles: List[str], title: str = "") -> None:
    """Choose `title` in the menu (arrow keys, Enter); "" chooses typing."""
    child.send(DOWN * (titles.index(title) if title else len(titles)) + "\r")
    if not title:
        child.expect("Your input ->", timeout=30)


def screen(tmp_path: Path) -> str:
    """What reached the terminal, without escape sequences."""
    return ANSI.sub("", (tmp_path / "screen.log").read_text()).replace("\r", "")


def test_shell_opens_on_the_greeting_and_holds_a_conversation(tmp_path):
    child, log, _ = spawn_shell(tmp_path, 200)
    try:
        child.expect(WELCOME, timeout=240)
        opening = screen(tmp_path)
        # no warnings or log lines: they are in var/log/, and the first line says so
        assert "var/log/rasa.log" in opening
        assert not [word for word in NOISE if word in opening], opening
        assert (ROOT / "var" / "log" / "rasa.log").exists()
        # the greeting's buttons are a menu; its last entry lets us type
        pick(child, menu(child))
        child.sendline("do micro-credentials expire?")
        child.expect("2 to 3 years", timeout=60)
        pick(child, menu(child))
        child.sendline("tell me about the PMP")
        child.expect("Project Management Professional", timeout=60)
        pick(child, menu(child), "Does it expire?")  # a button about the PMP
        child.expect("60 professional development units", timeout=60)
        pick(child, menu(child))
        child.sendline("/stop")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
        log.close()
    whole = screen(tmp_path)
    assert not [word for word in NOISE if word in whole], whole


def rest_replies(rasa_port: int, messages: List[str]) -> List[Dict]:
    """The same conversation over REST, as a fresh user: the answers to expect."""
    sender, replies = f"probe-{uuid.uuid4().hex[:8]}", []
    for message in messages:
        r = requests.post(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                          json={"sender": sender, "message": message}, timeout=60)
        replies = r.json()
    return replies


def test_a_long_answer_with_buttons_is_shown_whole_at_80_columns(tmp_path):
    """`rasa shell` put such an answer in the button menu's question line, cut
    at the terminal's width: most of it never appeared."""
    question = "tell me about the PMP"
    child, log, rasa_port = spawn_shell(tmp_path, 80)
    try:
        pick(child, menu(child))  # the greeting's menu
        child.sendline(question)
        titles = menu(child)
        expected = rest_replies(rasa_port, ["/greet", question])
        pick(child, titles)
        child.sendline("/stop")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
        log.close()
    assert expected[-1].get("buttons"), expected  # the answer does come with buttons
    text = "\n".join(r.get("text", "") for r in expected)
    assert sum(len(line) > 80 for line in text.splitlines()) >= 2, text  # longer than the terminal
    shown = screen(tmp_path)
    missing = [line for line in text.splitlines() if line.strip() and line not in shown]
    assert not missing, f"lines of the answer that never reached the screen: {missing}"
