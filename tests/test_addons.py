"""The Rasa add-ons: the cached action-response validator still rejects bad
responses and is installed by the channels the Rasa server loads, and the WAL
SQLite tracker store keeps conversations."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

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
