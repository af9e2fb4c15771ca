"""Tracker store variants that only `python -m bench.experiment` serves, to
measure one change of addons/tracker_store.py at a time (endpoints.yml
`tracker_store: type: bench.stores.<name>`)."""

from __future__ import annotations

from typing import Any


def _wal_with_rasas_save() -> Any:
    from rasa.core.tracker_store import SQLTrackerStore

    from addons.tracker_store import WalSQLTrackerStore

    class WalRasaSaveTrackerStore(WalSQLTrackerStore):
        """WalSQLTrackerStore's connection and WAL mode, with Rasa's own retrieve and save
        (a count query and one ORM object per event): the store before 2026-12-01."""

        async def _retrieve(self, sender_id: Any, fetch_events_from_all_sessions: bool) -> Any:
            return await SQLTrackerStore._retrieve(self, sender_id, fetch_events_from_all_sessions)

        async def save(self, tracker: Any) -> None:
            await SQLTrackerStore.save(self, tracker)

    return WalRasaSaveTrackerStore


def __getattr__(name: str) -> Any:
    if name == "WalRasaSaveTrackerStore":
        cls = _wal_with_rasas_save()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
