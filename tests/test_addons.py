"""The Rasa add-ons: the cached action-response validator still rejects bad
responses and is installed by the channels the Rasa server loads, and the WAL
SQLite tracker store keeps conversations."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time

import jsonschema
import pytest
import yaml

from stack.env import base_env
from tests.helpers import ROOT


def test_cached_validator_accepts_good_and_rejects_bad_responses():
    from rasa.core.actions.action import RemoteAction

    from addons.speedups import cached_action_result_validator

    cached_action_result_validator()
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "hi"}]})
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": 42}], "responses": "not a list"})


def test_the_channels_rasa_loads_install_the_validator():
    """What the Rasa server does at start: import each channel credentials.yml
    names (in a fresh process); that installs the add-ons, and nothing before."""
    channels = [name for name in yaml.safe_load((ROOT / "credentials.yml").read_text()) if "." in name]
    assert channels, "credentials.yml names no project channel"
    code = (
        "import importlib, sys\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "before = RemoteAction._validate_action_result.__module__\n"
        "for name in sys.argv[1:]:\n"
        "    module, cls = name.rsplit('.', 1)\n"
        "    getattr(importlib.import_module(module), cls)\n"
        "print(before, RemoteAction._validate_action_result.__module__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *channels], cwd=ROOT, env=base_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-2:] == ["rasa.core.actions.action", "addons.speedups"]


def test_wal_tracker_store_round_trip(tmp_path):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.tracker_store import WalSQLTrackerStore

    domain = Domain.from_yaml("version: '3.1'\n"
                              "slots:\n  credential:\n    type: text\n    mappings:\n    - type: custom\n")
    db = tmp_path / "t.db"
    store = WalSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events("u1", [UserUttered("tell me about the PMP"),
                                                      SlotSet("credential", "pmp")])

    async def go():
        await store.save(tracker)
        return await store.retrieve("u1")

    again = asyncio.run(go())
    assert again.get_slot("credential") == "pmp"
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["tell me about the PMP"]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("select count(*) from events where sender_id='u1'").fetchone()[0] >= 2


def test_wal_tracker_store_writes_the_rows_rasas_store_writes(tmp_path):
    """Turn after turn, through retrieved, copied and new trackers, the WAL store's
    faster save leaves the same `events` rows as Rasa's SQLTrackerStore."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    from addons.tracker_store import STORED_EVENTS_ATTR, WalSQLTrackerStore

    domain = Domain.from_yaml("version: '3.1'\n"
                              "slots:\n  credential:\n    type: text\n    mappings:\n    - type: custom\n")
    from bench.stores import WalRasaSaveTrackerStore  # the variant bench.experiment compares with

    stores = {"rasa": SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "rasa.db")),
              "wal": WalSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "wal.db")),
              "bench": WalRasaSaveTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "bench.db"))}

    start = time.time()  # Rasa finds a session's events by their timestamps: real, rising ones

    def turn(tracker, k: int) -> None:
        t = start + k
        tracker.update(UserUttered(f"question {k}", {"name": "ask_expiry", "confidence": 0.9}, timestamp=t))
        tracker.update(ActionExecuted("action_answer_attribute", timestamp=t + 0.1))
        tracker.update(BotUttered(f"answer {k}", timestamp=t + 0.2))
        tracker.update(SlotSet("credential", f"c{k}", timestamp=t + 0.3))
        tracker.update(ActionExecuted("action_listen", timestamp=t + 0.4))

    async def go(store) -> None:
        tracker = await store.get_or_create_tracker("u1")  # new: counted as Rasa counts
        for k in range(1, 4):
            turn(tracker, k)
            await store.save(tracker)
            tracker = await store.retrieve("u1")
        assert getattr(tracker, STORED_EVENTS_ATTR, len(tracker.events)) == len(tracker.events)
        copy = tracker.copy()  # no stored count: counted
        turn(copy, 10)
        await store.save(copy)
        await store.save(copy)  # saved twice: nothing added the second time
        again = await store.retrieve("u1")
        again.update(SessionStarted(timestamp=start + 20))  # a new session, then a turn in it
        turn(again, 21)
        await store.save(again)
        return again

    rows, last = {}, {}
    for name, store in stores.items():
        last[name] = asyncio.run(go(store))
        with sqlite3.connect(tmp_path / f"{name}.db") as con:
            rows[name] = con.execute("select sender_id, type_name, timestamp, intent_name, action_name, data "
                                     "from events order by id").fetchall()
        rows[name][0] = rows[name][0][:2] + rows[name][0][3:5]  # the first action_listen: stamped when created
    assert len(rows["rasa"]) > 20
    assert rows["wal"] == rows["rasa"] == rows["bench"]

    # the same object, across the session start, saved again after more events: only the new
    # ones added (Rasa's store counts the new session's stored events and writes old ones again)
    async def more(store):
        turn(last["wal"], 30)
        await store.save(last["wal"])
        return await store.retrieve("u1")

    latest = asyncio.run(more(stores["wal"]))
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["question 21", "question 30"]
    with sqlite3.connect(tmp_path / "wal.db") as con:
        assert con.execute("select count(*) from events").fetchone()[0] == len(rows["wal"]) + 5


def test_wal_tracker_store_keeps_a_saved_tracker_only_while_the_database_agrees(tmp_path, monkeypatch):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered

    import addons.tracker_store as ts

    domain = Domain.from_yaml("version: '3.1'\n")
    db = tmp_path / "t.db"
    store = ts.WalSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))

    def turn(tracker, text: str) -> None:
        tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_listen"))

    def texts(tracker) -> list:
        return [e.text for e in tracker.events if isinstance(e, UserUttered)]

    async def fetched(sender: str = "u1"):
        t = await store.retrieve(sender)
        return t

    async def go():
        await store.get_or_create_tracker("u1")
        first = await fetched()  # read from the database
        turn(first, "one")
        await store.save(first)
        assert await fetched() is first  # kept: no reading, no replaying

        turn(first, "not saved")  # a message that failed before its save
        again = await fetched()
        assert again is not first and texts(again) == ["one"]
        await store.save(again)
        assert await fetched() is again

        with sqlite3.connect(db) as con:  # another process adds a row (or `make forget` deletes them)
            con.execute("insert into events (sender_id, type_name, timestamp, data) values (?, ?, ?, ?)",
                        ("u1", "user", time.time(), json.dumps(UserUttered("elsewhere").as_dict())))
        third = await fetched()
        assert third is not again and texts(third) == ["one", "elsewhere"]
        await store.save(third)
        with sqlite3.connect(db) as con:
            con.execute("delete from events where sender_id = 'u1'")
        assert await fetched() is None

        monkeypatch.setattr(ts, "KEPT_TRACKERS", 2)  # only the most recent conversations are kept
        saved = {}
        for sender in ("a", "b", "c"):
            t = await store.get_or_create_tracker(sender)
            t = await fetched(sender)
            turn(t, sender)
            await store.save(t)
            saved[sender] = t
        assert [await fetched(s) is saved[s] for s in ("a", "b", "c")] == [False, True, True]

    asyncio.run(go())
