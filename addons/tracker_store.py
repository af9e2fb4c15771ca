"""Rasa's SQL tracker store, faster on SQLite (endpoints.yml
`tracker_store: type: addons.tracker_store.WalSQLTrackerStore`, same keys as
`type: SQL`). Any other database behaves exactly as Rasa's SQLTrackerStore."""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

# Set on a tracker this store built: how many of its events are in the database.
STORED_EVENTS_ATTR = "microcred_stored_events"
# Set on a tracker this store built from the latest session's events (what `retrieve` returns).
LATEST_SESSION_ATTR = "microcred_latest_session"
# Conversations whose tracker is kept after a save (about 0.1-1 MB each; most recent kept).
KEPT_TRACKERS = 200


def event_rows(sender_id: str, events: List[Any]) -> List[Dict[str, Any]]:
    """The `events` table's rows for `events`, as Rasa's SQLTrackerStore.save writes them."""
    rows = []
    for event in events:
        data = event.as_dict()
        rows.append({"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                     "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                     "action_name": data.get("name"), "data": json.dumps(data)})
    return rows


def stored_count(tracker: Any) -> Optional[int]:
    """How many of the tracker's events this store knows to be saved, if it built or saved it."""
    n = getattr(tracker, STORED_EVENTS_ATTR, None)
    return n if isinstance(n, int) and 0 <= n <= len(tracker.events) else None


def _sqlite_wal_store():
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event

    class WalSQLTrackerStore(SQLTrackerStore):
        """Rasa's SQLTrackerStore; on SQLite, one connection kept open (Rasa's
        engine otherwise opens and closes a connection for every session:
        NullPool) in WAL mode with synchronous=NORMAL: a commit appends to the
        write-ahead log without an fsync (a crash of the process loses nothing;
        a power loss can lose the last commits, never corrupt the file).
        Rasa's server runs every session on its event loop's thread.

        Saving on SQLite: Rasa counts the stored events of the session with a
        query on every save, then adds each new event through the ORM. Here a
        tracker this store retrieved (or saved) carries the number of its
        events already stored, so the new ones are its events after those,
        written in one multi-row INSERT (the same rows); a tracker without it
        (a new or copied one) is counted as Rasa counts it. Rasa's lock store
        lets one message at a time change a conversation.

        Retrieving on SQLite (without an event broker, which compares the
        stored tracker with the new one): the tracker of each of the last
        KEPT_TRACKERS conversations saved is kept, and `retrieve` returns it
        instead of reading and replaying every event of the session, if it
        still holds exactly the events saved and the conversation's newest row
        in the database is still the one that save wrote (so a conversation
        deleted or written by another process, by `make forget` for example,
        or a message that failed before its save, is read again). A tracker
        that holds more than the latest session (a new session started in it,
        or one retrieved with every session) is not kept: the next retrieve
        reads only the latest session, as Rasa's does."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # sender id -> (tracker, its number of events when saved, id of the newest row then)
            self._kept: "OrderedDict[str, Tuple[Any, int, Optional[int]]]" = OrderedDict()
            if self.engine.dialect.name != "sqlite":
                return
            import sqlalchemy as sa
            from sqlalchemy.pool import StaticPool

            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                cur = dbapi_connection.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

        def _fast(self) -> bool:
            return self.engine.dialect.name == "sqlite"

        def _newest_row(self, session: Any, sender_id: str) -> Optional[int]:
            import sqlalchemy as sa

            return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

        async def _retrieve(self, sender_id: Any, fetch_events_from_all_sessions: bool) -> Any:
            if not self._fast():
                return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
            kept = self._kept
            if not fetch_events_from_all_sessions and sender_id in kept:
                tracker, n, newest = kept.pop(sender_id)
                if len(tracker.events) == n and stored_count(tracker) == n:
                    with self.session_scope() as session:
                        if self._newest_row(session, sender_id) == newest:
                            kept[sender_id] = (tracker, n, newest)
                            return tracker
            tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
            if tracker is not None:
                setattr(tracker, STORED_EVENTS_ATTR, len(tracker.events))
                setattr(tracker, LATEST_SESSION_ATTR, not fetch_events_from_all_sessions)
            return tracker

        async def save(self, tracker: Any) -> None:
            if not self._fast():
                return await super().save(tracker)
            from rasa.shared.core.events import SessionStarted

            await self.stream_events(tracker)
            known = stored_count(tracker)
            kept = self._kept
            kept.pop(tracker.sender_id, None)
            with self.session_scope() as session:
                if known is None:
                    new = list(self._additional_events(session, tracker))
                else:
                    new = list(itertools.islice(tracker.events, known, None))
                rows = event_rows(tracker.sender_id, new)
                if rows:
                    session.execute(self.SQLEvent.__table__.insert(), rows)
                session.commit()
                # kept only as Rasa's retrieve would build it: the latest session's events alone
                keep = (self.event_broker is None and getattr(tracker, LATEST_SESSION_ATTR, False) is True
                        and not any(isinstance(e, SessionStarted) for e in itertools.islice(tracker.events, 1, None)))
                newest = self._newest_row(session, tracker.sender_id) if keep else None
            setattr(tracker, STORED_EVENTS_ATTR, len(tracker.events))
            if keep:
                kept[tracker.sender_id] = (tracker, len(tracker.events), newest)
                while len(kept) > KEPT_TRACKERS:
                    kept.popitem(last=False)

    return WalSQLTrackerStore


def __getattr__(name: str) -> Any:
    # endpoints.yml `tracker_store: type: addons.tracker_store.WalSQLTrackerStore` (imports Rasa lazily)
    if name == "WalSQLTrackerStore":
        cls = _sqlite_wal_store()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
