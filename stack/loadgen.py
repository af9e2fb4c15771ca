"""The cluster's load generator: closed-loop clients, each talking one
conversation after another, and the CPU the servers and the machine used
(the load run of docs/DEPLOY.md, `python -m stack.cluster load`)."""

from __future__ import annotations

import os
import statistics
import threading
import time
import urllib.error
from pathlib import Path
from typing import Dict, List

from stack.net import post_message

# One conversation of the load: a named credential, then follow-ups that need
# the tracker (context) and custom actions, then a general question.
LOAD_SCRIPT = [
    "tell me about the PMP",
    "does it expire?",
    "how much is it?",
    "do employers care about micro-credentials?",
    "how long does Kubernetes take?",
    "thanks",
]


def load_run(url: str, seconds: float, concurrency: int, tag: str) -> Dict[str, float]:
    """Closed loop: `concurrency` clients, each talking one conversation after
    another (LOAD_SCRIPT), for `seconds`. A message counts when it is answered
    (HTTP 200 with at least one bot message)."""
    latencies: List[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(cid: int) -> None:
        conv = 0
        while time.monotonic() < stop_at:
            sender = f"load-{tag}-{cid}-{conv}"
            for message in LOAD_SCRIPT:
                if time.monotonic() >= stop_at:
                    return
                t0 = time.monotonic()
                try:
                    ok = bool(post_message(url, sender, message))
                except (urllib.error.URLError, OSError, ValueError):
                    ok = False
                dt = time.monotonic() - t0
                with lock:
                    if ok:
                        latencies.append(dt)
                    else:
                        errors[0] += 1
            conv += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    lat = sorted(latencies)
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    return {"answered": len(lat), "errors": errors[0], "seconds": elapsed,
            "msgs_per_s": len(lat) / elapsed, "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan")}


def cpu_seconds(pids: List[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy() -> tuple:
    """(busy, total) jiffies of all CPUs since boot (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)
