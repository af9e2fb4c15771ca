"""Retention: conversations are personal data, kept RETENTION_DAYS and no longer.

    python -m stack.retention purge [--days N] [--db URL]   # make purge
    python -m stack.retention forget ID [--db URL]          # make forget SENDER=ID

``purge`` deletes every conversation whose last event is older than
RETENTION_DAYS (default 90; ``--days`` wins) from the SQL tracker store;
``forget`` deletes one conversation, on its owner's request, by the id it is
stored under (``rest:<sender>``, ``web:<session>``, ``slack:<team>:<user>``,
``slack:<team>:<channel>:<thread_ts>``; channels/ids.py). Both work on Rasa's
SQL tracker store schema (one ``events`` table, ``sender_id`` and
``timestamp`` in Unix seconds): SQLite by default (endpoints.yml), PostgreSQL in
the cluster (ENDPOINTS=endpoints.cluster.yml, with its environment), or any
SQLAlchemy URL given with ``--db``. The store is found as `make report` finds
it (reporting/store.py).

A conversation is deleted whole, every event of it, in one transaction: Rasa
never sees half a conversation, and the running servers need not stop (Rasa
reads a conversation from the store on every message; a user who writes again
after the purge starts afresh). A conversation still in use keeps its history
until it has been idle RETENTION_DAYS. The feedback (👍/👎 and comments) and
the unknown-credential notes are events of the conversation and go with it;
`make report` reports on what is left.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa

from reporting.store import ROOT, StoreError, display_url, resolve_url

RETENTION_DAYS_ENV = "RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90
DAY_S = 24 * 3600


@dataclass
class Deleted:
    conversations: int
    events: int


def retention_days(value: Optional[str] = None) -> float:
    """RETENTION_DAYS (or `value`): a positive number of days."""
    raw = value if value is not None else os.environ.get(RETENTION_DAYS_ENV, "")
    if not str(raw).strip():
        return float(DEFAULT_RETENTION_DAYS)
    try:
        days = float(raw)
    except ValueError:
        raise StoreError(f"{RETENTION_DAYS_ENV} must be a number of days, got {raw!r}") from None
    if not days > 0:
        raise StoreError(f"{RETENTION_DAYS_ENV} must be more than 0 days, got {raw!r}")
    return days


def _events(conn: sa.engine.Connection) -> Optional[sa.Table]:
    if not sa.inspect(conn).has_table("events"):
        return None  # no conversation stored yet
    return sa.Table("events", sa.MetaData(), autoload_with=conn)


def _delete(url: str, pick) -> Deleted:
    """Delete every event of the conversations `pick(conn, events)` names, in one transaction."""
    engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    try:
        with engine.begin() as conn:
            events = _events(conn)
            if events is None:
                return Deleted(0, 0)
            senders: List[str] = pick(conn, events)
            removed = 0
            for start in range(0, len(senders), 500):  # bounded IN lists
                chunk = senders[start:start + 500]
                removed += conn.execute(sa.delete(events).where(events.c.sender_id.in_(chunk))).rowcount or 0
            return Deleted(len(senders), removed)
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot change {display_url(url)}: {exc}") from exc
    finally:
        engine.dispose()


def purge(url: str, days: float, now: Optional[float] = None) -> Deleted:
    """Delete the conversations whose last event is more than `days` old."""
    cutoff = (time.time() if now is None else now) - days * DAY_S

    def idle(conn, events) -> List[str]:
        last = sa.func.max(events.c.timestamp)
        rows = conn.execute(sa.select(events.c.sender_id).group_by(events.c.sender_id).having(last < cutoff))
        return [r[0] for r in rows]

    return _delete(url, idle)


def forget(url: str, conversation: str) -> Deleted:
    """Delete one conversation (its stored id), every event of it."""
    return _delete(url, lambda conn, events: [conversation])


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stack.retention", description=(
        "Delete conversations from the SQL tracker store: those idle longer than RETENTION_DAYS "
        f"(default {DEFAULT_RETENTION_DAYS}), or one person's on request."))
    ap.add_argument("--db", help="SQLAlchemy URL of the tracker store, or an SQLite file "
                                 "(default: the tracker_store in --endpoints)")
    ap.add_argument("--endpoints", type=Path, default=Path(os.environ.get("ENDPOINTS") or ROOT / "endpoints.yml"),
                    help="default: $ENDPOINTS, else endpoints.yml")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("purge", help="delete conversations idle longer than RETENTION_DAYS")
    p.add_argument("--days", help=f"instead of ${RETENTION_DAYS_ENV}")
    f = sub.add_parser("forget", help="delete one conversation by its stored id, e.g. rest:abc or web:<session>")
    f.add_argument("conversation")
    args = ap.parse_args(argv)

    endpoints = args.endpoints if args.endpoints.is_absolute() else ROOT / args.endpoints
    try:
        url = resolve_url(args.db, endpoints)
        shown = display_url(url)
        if args.command == "purge":
            days = retention_days(args.days)
            done = purge(url, days)
            print(f"Deleted {done.conversations:,} conversations idle for more than {days:g} days "
                  f"({done.events:,} events) from {shown}.")
        else:
            conversation = args.conversation.strip()
            if not conversation:
                raise StoreError("name the conversation: make forget SENDER=<its id, e.g. rest:abc>")
            done = forget(url, conversation)
            if done.events:
                print(f"Deleted the conversation {conversation!r} ({done.events:,} events) from {shown}.")
            else:
                print(f"No conversation {conversation!r} in {shown}: nothing deleted. Ids start with the "
                      "channel: rest:<sender>, web:<session>, slack:<team>:... (docs/RELIABILITY.md).")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
