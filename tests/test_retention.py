"""Retention (issue #13, finding 7): `make purge` deletes conversations idle
longer than RETENTION_DAYS from the real tracker store of running servers,
`make forget SENDER=...` one person's conversation; the report and the
feedback cope with what is left.

The conversations are real (the REST channel of servers started as `make run`
starts them); time passing is simulated by moving one conversation's event
timestamps back in the SQLite file, as RETENTION_DAYS of idleness would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from actions.answers import payload
from actions.feedback import DOWN, UP
from stack.process import Stack
from stack.retention import DAY_S, retention_days
from tests.helpers import ROOT
from tests.helpers.clients import new_sender, rest_conversation, say, text_of, tracker_db


def stored_senders(db: Path) -> List[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT sender_id FROM events")]


def age(db: Path, conversation: str, days: float) -> None:
    """Move a conversation's events `days` into the past."""
    with sqlite3.connect(db, timeout=30) as con:
        n = con.execute("UPDATE events SET timestamp = timestamp - ? WHERE sender_id = ?",
                        (days * DAY_S, conversation)).rowcount
    assert n > 0, conversation


def run(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m stack.retention ...` (what `make purge` / `make forget` run) on the stack's store."""
    full_env = {k: v for k, v in os.environ.items() if k != "RETENTION_DAYS"}
    full_env.update({"ENDPOINTS": stack.endpoints, **env})
    return subprocess.run([sys.executable, "-m", "stack.retention", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_retention_days_setting():
    assert retention_days("") == 90 and retention_days("30") == 30 and retention_days("0.5") == 0.5
    for bad in ("0", "-1", "ninety"):
        with pytest.raises(Exception, match="RETENTION_DAYS"):
            retention_days(bad)


def test_purge_deletes_idle_conversations_and_the_report_and_feedback_cope(servers: Stack, tmp_path):
    db = tracker_db(servers)
    old, recent = new_sender("old"), new_sender("recent")
    for sender in (old, recent):
        assert "2 to 3 years" in text_of(say(servers, sender, "do micro-credentials expire?"))
    # the old conversation has a 👍 (a feedback event) too
    say(servers, old, payload("feedback", rating=UP))
    old_id, recent_id = rest_conversation(old), rest_conversation(recent)
    assert {old_id, recent_id} <= set(stored_senders(db))

    age(db, old_id, 91)  # idle 91 days: past the default 90
    age(db, recent_id, 89)  # idle 89 days: kept
    done = run(servers, "purge")
    assert done.returncode == 0, done.stderr
    assert "Deleted 1 conversations idle for more than 90 days" in done.stdout, done.stdout
    left = stored_senders(db)
    assert old_id not in left and recent_id in left

    # RETENTION_DAYS is the setting: at 30 days the 89-day-old one goes too
    done = run(servers, "purge", RETENTION_DAYS="30")
    assert done.returncode == 0 and "Deleted 1 conversations idle for more than 30 days" in done.stdout, done
    assert recent_id not in stored_senders(db)

    # the servers kept running: the purged user's 👍 and 👎 on answers still on their screen get
    # proper replies (not an apology), the comment after the 👎 is taken, and a question after
    # it is answered as in a new conversation
    reply = text_of(say(servers, old, payload("feedback", rating=UP)))
    assert reply and "sorry, something went wrong" not in reply.lower(), reply
    assert "What was missing?" in text_of(say(servers, old, payload("feedback", rating=DOWN)))
    comment = f"purged-{old} the answer left out renewal costs"
    assert "passed that on" in text_of(say(servers, old, comment))
    assert "2 to 3 years" in text_of(say(servers, old, "do micro-credentials expire?"))

    # the report reads the purged store: the rating without a topic and its comment are shown
    out = tmp_path / "report.html"
    rep = subprocess.run([sys.executable, "-m", "reporting", "--db", str(db), "--out", str(out), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rep.returncode == 0, rep.stderr
    html = out.read_text(encoding="utf-8")
    assert comment in html


def test_forget_deletes_one_persons_conversation(servers: Stack):
    db = tracker_db(servers)
    mine, theirs = new_sender("forget"), new_sender("keep")
    for sender in (mine, theirs):
        say(servers, sender, "how much does the PMP cost?")
    done = run(servers, "forget", rest_conversation(mine))
    assert done.returncode == 0 and f"Deleted the conversation '{rest_conversation(mine)}'" in done.stdout, done
    left = stored_senders(db)
    assert rest_conversation(mine) not in left and rest_conversation(theirs) in left
    # an id that is not stored (e.g. without its channel prefix) deletes nothing, and says so
    done = run(servers, "forget", theirs)
    assert done.returncode == 0 and "nothing deleted" in done.stdout, done
    assert rest_conversation(theirs) in stored_senders(db)
