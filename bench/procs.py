"""Resident memory of a process and its children, sampled from /proc (Linux).

No dependency: psutil is not among the project's pins, and /proc gives the
same VmRSS figures.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Dict, List, Optional, Set


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children_by_scan() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(pid: int) -> Set[int]:
    """pid and all its descendants."""
    kids = _children_by_scan()
    seen: Set[int] = set()
    todo = [pid]
    while todo and len(seen) < 10_000:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, ()))
    return seen


def tree_rss_mb(pid: int) -> float:
    return sum(_rss_kb(p) for p in tree(pid)) / 1024.0


class MemorySampler:
    """Samples the RSS of named process trees in a thread; keeps the peak per
    name overall and per phase (the label set with `phase`)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.pids: Dict[str, int] = {}
        self.phase = "start"
        self.peak: Dict[str, float] = {}
        self.peak_by_phase: Dict[str, Dict[str, float]] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def track(self, name: str, pid: int) -> None:
        with self._lock:
            self.pids[name] = pid

    def sample(self) -> None:
        with self._lock:
            pids = dict(self.pids)
            phase = self.phase
        for name, pid in pids.items():
            mb = tree_rss_mb(pid)
            if mb <= 0:
                continue
            self.peak[name] = max(self.peak.get(name, 0.0), mb)
            by = self.peak_by_phase.setdefault(phase, {})
            by[name] = max(by.get(name, 0.0), mb)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> "MemorySampler":
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self.phase = phase
        self.sample()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sample()

    def peak_over(self, name: str, phases_prefix: str) -> float:
        return max((v.get(name, 0.0) for k, v in self.peak_by_phase.items() if k.startswith(phases_prefix)),
                   default=0.0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process tree (live processes only)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return total / tick
