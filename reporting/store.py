"""Read the tracker store's `events` table (Rasa's SQLTrackerStore schema:
id, sender_id, type_name, timestamp, intent_name, action_name, data) with
SQLAlchemy, streaming rows in batches, with a progress bar.

The store is the one endpoints.yml configures when it is of the SQL family:
`type: SQL`, or the class path of a subclass of Rasa's SQLTrackerStore (such
as `addons.tracker_store.WalSQLTrackerStore`), with the same dialect, db, url,
port, username, password and query keys."""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENDPOINTS = ROOT / "endpoints.yml"
DEFAULT_SQLITE = "var/trackers.db"
BATCH = 5000
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")

_ENV = re.compile(r"\$\{([^}:]+)(?::-([^}]*))?\}")


class StoreError(Exception):
    """The store can't be read (a clear message for the user)."""


def _expand(value: Any) -> Any:
    """${VAR} in endpoints.yml, as Rasa expands it."""
    if not isinstance(value, str):
        return value
    return _ENV.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)


def is_sql_store(store_type: str, where: Path) -> bool:
    """`type: SQL`, or a class path naming a subclass of Rasa's SQLTrackerStore
    (loaded as Rasa loads it, from the project root); Rasa's other store names
    (redis, mongod, dynamo, ...) are not."""
    if store_type.lower() == "sql":
        return True
    module, _, name = store_type.rpartition(".")
    if not module:
        return False
    try:
        from rasa.core.tracker_store import SQLTrackerStore

        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise StoreError(f"{where}: cannot load the tracker store class {store_type!r}: {exc}") from exc
    return isinstance(cls, type) and issubclass(cls, SQLTrackerStore)


def sqlite_url(path: str, base: Path = ROOT) -> str:
    p = Path(path)
    if not p.is_absolute():
        p = (base / p)
    return f"sqlite:///{p}"


def url_from_endpoints(path: Path = DEFAULT_ENDPOINTS) -> str:
    """The tracker store URL endpoints.yml configures (Rasa's default SQLite file if none)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return sqlite_url(DEFAULT_SQLITE)
    store = doc.get("tracker_store") or {}
    if not store:
        return sqlite_url(DEFAULT_SQLITE)
    store = {k: _expand(v) for k, v in store.items()}
    if not is_sql_store(str(store.get("type") or ""), path):
        raise StoreError(f"{path}: the tracker store is of type {store.get('type')!r}; "
                         "the report reads SQL tracker stores only (pass --db with an SQLAlchemy URL)")
    dialect = store.get("dialect") or "sqlite"
    db = store.get("db") or ("rasa.db" if dialect == "sqlite" else "rasa")
    if dialect.startswith("sqlite"):
        return sqlite_url(str(db), path.resolve().parent)
    port = store.get("port")
    return str(sa.engine.URL.create(
        dialect, username=store.get("username") or None, password=store.get("password") or None,
        host=store.get("url") or store.get("host") or None, port=int(port) if port else None,
        database=str(db), query=store.get("query") or {},
    ))


def resolve_url(db: Optional[str], endpoints: Optional[Path] = None) -> str:
    """--db as given (an SQLAlchemy URL, or a path to an SQLite file), else endpoints.yml."""
    if db:
        return db if "://" in db else sqlite_url(db, Path.cwd())
    return url_from_endpoints(endpoints or DEFAULT_ENDPOINTS)


def display_url(url: str) -> str:
    return repr(sa.engine.make_url(url))  # the password masked


def _sqlite_file(url: str) -> Optional[Path]:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database)
    return None


def read_events(url: str, progress: bool = True) -> Iterator[Tuple[Any, ...]]:
    """Every event row, oldest first; nothing if the store doesn't exist yet."""
    from tqdm import tqdm

    path = _sqlite_file(url)
    if path is not None and not path.exists():
        return  # no conversation has been stored yet (don't create the file)
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # unknown dialect, missing driver
        raise StoreError(f"cannot open {display_url(url)}: {exc}") from exc
    try:
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("events"):
                    return
                table = sa.Table("events", sa.MetaData(), autoload_with=conn)
                total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
                stmt = sa.select(*[table.c[c] for c in COLUMNS]).order_by(table.c.id)
                result = conn.execution_options(stream_results=True).execute(stmt)
                with tqdm(total=total, unit=" events", desc="Reading the tracker store",
                          disable=not progress, file=sys.stderr, mininterval=0.5) as bar:
                    for batch in result.partitions(BATCH):
                        yield from batch
                        bar.update(len(batch))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {display_url(url)}: {exc}") from exc
    finally:
        engine.dispose()
