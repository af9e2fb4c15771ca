"""Candidate speed-ups tried by bench/experiment.py on a copy of our Rasa
server (never loaded by `make run`; the project adopts one by moving it into
its own code).

schema: Rasa 3.6 validates every action server response with
``jsonschema.validate(result, schema)`` (RemoteAction._validate_action_result),
which re-checks the large, constant events schema against the JSON Schema
meta-schema on every call before validating the response. Building the
validator once keeps the validation of every response and drops the repeated
meta-schema check.

WalSQLTrackerStore: Rasa's SQLTrackerStore with one SQLite connection kept open
in WAL mode (endpoints.yml `tracker_store: type: bench.patches.WalSQLTrackerStore`).
"""

from __future__ import annotations

from typing import Any, Dict, Text


def cached_action_result_validator() -> None:
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions import action as rasa_action
    from rasa.shared.constants import DOCS_BASE_URL

    schema = rasa_action.RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, at start-up
    validator = cls(schema)

    def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    rasa_action.RemoteAction._validate_action_result = _validate_action_result


PATCHES = {"schema": cached_action_result_validator}


def main() -> None:
    """`python -m bench.patches PATCH[,PATCH] rasa-args...`: rasa with the patches applied."""
    import os
    import sys

    names = [n for n in sys.argv[1].split(",") if n]
    for n in names:
        PATCHES[n]()
    sys.argv = ["rasa", *sys.argv[2:]]
    os.environ.setdefault("BENCH_PATCHES", ",".join(names))
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()


# --- tracker store ------------------------------------------------------------

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
    # endpoints.yml `tracker_store: type: bench.patches.WalSQLTrackerStore` (imports Rasa lazily)
    if name == "WalSQLTrackerStore":
        cls = _sqlite_wal_store()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
