"""Rasa's SQL tracker store, faster on SQLite (endpoints.yml
`tracker_store: type: addons.tracker_store.WalSQLTrackerStore`, same keys as
`type: SQL`). Any other database behaves exactly as Rasa's SQLTrackerStore."""

from __future__ import annotations

from typing import Any


def _sqlite_wal_store():
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event

    class WalSQLTrackerStore(SQLTrackerStore):
        """Rasa's SQLTrackerStore; on SQLite, one connection kept open (Rasa's
        engine otherwise opens and closes a connection for every session:
        NullPool) in WAL mode with synchronous=NORMAL: a commit appends to the
        write-ahead log without an fsync (a crash of the process loses nothing;
        a power loss can lose the last commits, never corrupt the file).
        Rasa's server runs every session on its event loop's thread."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
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

    return WalSQLTrackerStore


def __getattr__(name: str) -> Any:
    # endpoints.yml `tracker_store: type: addons.tracker_store.WalSQLTrackerStore` (imports Rasa lazily)
    if name == "WalSQLTrackerStore":
        cls = _sqlite_wal_store()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
