"""What would make ours faster, measured: variants of our Rasa server served
side by side with the unchanged one and the stock bot, interleaved.

    python -m bench.experiment [--messages 200] [--users 10] [--load-messages 240]

Variants (one Rasa server each, all sharing one action server; every one of
ours loads the project's channels, and with them the add-ons' action-response
validator, addons.install()):
  ours            project credentials.yml and endpoints.yml, Rasa's SQLTrackerStore on SQLite
  ours+wal-rasa-save  the SQLite tracker store in WAL mode, synchronous=NORMAL, with Rasa's own
                  retrieve and save (bench/stores.py: the project's store before 2026-12-01)
  ours+wal        addons/tracker_store.py as served: WAL, a save without the count query in one
                  multi-row INSERT, and the last conversations' trackers kept between messages
  ours+mem        Rasa's in-memory tracker store instead of SQLite
  stock           the stock `rasa init` bot
Writes docs/bench/experiment.json (or --out). The run of 2026-11-29 recorded
there predates the add-ons: its `ours` ran without the validator, and its
`+schema` variants added it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from bench import load, mixes, procs
from bench.load import Target
from bench.run import DATA, MODEL, Progress, bench_endpoints, stock_model, stock_stack
from stack.env import ROOT
from stack.net import free_port
from stack.process import Stack


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=200)
    p.add_argument("--users", type=int, default=10)
    p.add_argument("--load-messages", type=int, default=240)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", default=str(DATA / "experiment.json"))
    args = p.parse_args()
    progress = Progress()
    stock = stock_model(progress)
    tmp = Path(tempfile.mkdtemp(prefix="microcred-bench-exp-"))
    action_port = free_port()
    actions = Stack(action_port=action_port, log_dir=tmp / "logs-actions")
    variants = {"ours": "sql", "ours+wal-rasa-save": "wal-rasa-save", "ours+wal": "wal", "ours+mem": "memory"}
    stacks: Dict[str, Stack] = {}
    targets: List[Target] = []
    results: Dict[str, Any] = {"settings": vars(args), "variants": {k: {"tracker_store": v}
                                                                     for k, v in variants.items()}}
    try:
        progress("starting the action server")
        actions.start_actions()
        for name, store in variants.items():
            progress(f"starting {name}")
            st = Stack(rasa_port=free_port(), action_port=action_port,
                       endpoints=str(bench_endpoints(tmp, action_port, name.replace("+", "-"), store)),
                       credentials=str(ROOT / "credentials.yml"), model=str(MODEL), log_dir=tmp / f"logs-{name}",
                       tf_threads=None, cors_origins=[])
            st.start_rasa()
            stacks[name] = st
            targets.append(Target(name, st.rasa_url, "", mixes.OURS))
        progress("starting stock")
        st = stock_stack(tmp, secrets.token_urlsafe(16), stock)
        st.rasa_args = []
        st.start_rasa()
        stacks["stock"] = st
        targets.append(Target("stock", st.rasa_url, "", mixes.STOCK))
        for t in targets:
            asyncio.run(load.first_answer(t, 120))

        pids = {n: s.procs["rasa"].pid for n, s in stacks.items()}
        c0 = {n: procs.cpu_seconds(pid) for n, pid in pids.items()}
        single = asyncio.run(load.interleaved_single_user(targets, args.messages, 600, progress))
        c1 = {n: procs.cpu_seconds(pid) for n, pid in pids.items()}
        results["single_user"] = {n: load.summarize(s) for n, s in single.items()}
        results["rasa_cpu_ms_per_message"] = {n: round(1000 * (c1[n] - c0[n]) / max(1, len(single[n])), 2)
                                               for n in pids}
        conc: Dict[str, List[load.LoadResult]] = {t.name: [] for t in targets}
        for rnd in range(args.rounds):
            order = targets if rnd % 2 == 0 else list(reversed(targets))
            for t in order:
                label = f"{args.users} users, {t.name}, round {rnd + 1}"
                progress(label)
                conc[t.name].append(asyncio.run(load.concurrent(t, args.users, args.load_messages, 300,
                                                                progress, label)))
        results["concurrency"] = {}
        for n, runs in conc.items():
            pooled = load.LoadResult(args.users, [s for r in runs for s in r.samples], sum(r.seconds for r in runs))
            results["concurrency"][n] = {**pooled.summary(), "rounds": [r.summary()["msgs_per_s"] for r in runs]}
    finally:
        for s in stacks.values():
            s.stop()
        actions.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    results["date"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    progress.done("done")
    base = results["single_user"]["stock"]
    stock_msgs_per_s = results["concurrency"]["stock"]["msgs_per_s"]
    for n in results["single_user"]:
        s, c = results["single_user"][n], results["concurrency"][n]
        print(f"{n:18s} p50 {s['p50_ms']:7.1f} ms ({s['p50_ms'] / base['p50_ms']:.2f}x stock)  "
              f"p95 {s['p95_ms']:7.1f} ms ({s['p95_ms'] / base['p95_ms']:.2f}x)  "
              f"cpu/msg {results['rasa_cpu_ms_per_message'][n]:5.1f} ms  "
              f"{args.users} users {c['msgs_per_s']:5.1f} msg/s ({c['msgs_per_s'] / stock_msgs_per_s:.2f}x) "
              f"p95 {c['p95_ms']:.0f} ms  errors {s['errors'] + c['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
