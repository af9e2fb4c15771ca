"""The tracker store alone: Rasa's SQLTrackerStore on SQLite, the WAL store
with Rasa's own retrieve and save (bench/stores.py, the store before
2026-12-01), the WAL store as served (addons/tracker_store.py), and Rasa's
in-memory store, on the same turns in one process, interleaved per turn.

    python -m bench.trackerstore [--conversations 40] [--turns 3]

Each turn retrieves (or creates) the conversation's tracker, adds the events a
turn of ours adds (user message, action, bot message, slot, action_listen) and
saves it; prints the mean retrieve and save times per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent


async def _turn(store: Any, sender: str, out: List[float]) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    t0 = time.perf_counter()
    tracker = await store.get_or_create_tracker(sender)
    t1 = time.perf_counter()
    tracker.update(UserUttered("does it expire?", {"name": "ask_expiry", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_answer_attribute"))
    tracker.update(BotUttered("The PMP is valid for three years. " * 5))
    tracker.update(SlotSet("credential", "pmp"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    out[0] += t1 - t0
    out[1] += time.perf_counter() - t1


async def measure(conversations: int, turns: int) -> Dict[str, Dict[str, float]]:
    from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from addons.tracker_store import WalSQLTrackerStore
    from bench.stores import WalRasaSaveTrackerStore

    domain = Domain.load(str(ROOT / "domain.yml"))
    tmp = tempfile.mkdtemp(prefix="microcred-trackerstore-")
    stores = {
        "sqlite (Rasa's SQLTrackerStore)": SQLTrackerStore(domain, dialect="sqlite", db=os.path.join(tmp, "a.db")),
        "sqlite, WAL, Rasa's save": WalRasaSaveTrackerStore(domain, dialect="sqlite", db=os.path.join(tmp, "c.db")),
        "sqlite, WAL (served)": WalSQLTrackerStore(domain, dialect="sqlite", db=os.path.join(tmp, "b.db")),
        "in memory": InMemoryTrackerStore(domain),
    }
    totals = {name: [0.0, 0.0] for name in stores}
    n = 0
    for c in range(conversations):
        for _ in range(turns):
            for name, store in stores.items():
                await _turn(store, f"conv-{c}", totals[name])
            n += 1
    return {name: {"retrieve_ms": round(1000 * r / n, 2), "save_ms": round(1000 * s / n, 2)}
            for name, (r, s) in totals.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--conversations", type=int, default=40)
    p.add_argument("--turns", type=int, default=3)
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    results = asyncio.run(measure(min(args.conversations, 1000), min(args.turns, 50)))
    for name, r in results.items():
        print(f"{name:34s} retrieve {r['retrieve_ms']:6.2f} ms   save {r['save_ms']:6.2f} ms   per turn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
