"""REST load: single messages, interleaved single-user runs, closed-loop
concurrent conversations. Every request goes to 127.0.0.1; every loop is
bounded by a message count and a deadline."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence

import aiohttp

from bench.mixes import Conversation, Turn, conversations, turns

REQUEST_TIMEOUT = 60.0


def assert_loopback(url: str) -> str:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the benchmark talks to 127.0.0.1 only, not {url}")
    return url


@dataclass
class Sample:
    seconds: float
    ok: bool
    category: str = ""
    unexpected: bool = False
    error: str = ""


@dataclass
class Target:
    """One bot's endpoints."""
    name: str
    base_url: str
    token: str = ""
    mix: Sequence[Conversation] = ()

    @property
    def rest_url(self) -> str:
        return assert_loopback(self.base_url) + "/webhooks/rest/webhook"

    @property
    def parse_url(self) -> str:
        return assert_loopback(self.base_url) + "/model/parse"


async def say(session: aiohttp.ClientSession, target: Target, sender: str, turn: Turn) -> Sample:
    t0 = time.perf_counter()
    try:
        async with session.post(target.rest_url, json={"sender": sender, "message": turn.text},
                                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as resp:
            body = await resp.json(content_type=None)
            status = resp.status
    except Exception as exc:  # every failure is counted, none stops the run
        return Sample(time.perf_counter() - t0, False, turn.category, error=f"{type(exc).__name__}: {exc}"[:200])
    dt = time.perf_counter() - t0
    if status != 200 or not isinstance(body, list) or not body:
        return Sample(dt, False, turn.category, error=f"HTTP {status}: {str(body)[:150]}")
    text = "\n".join(str(m.get("text") or "") for m in body if isinstance(m, dict))
    return Sample(dt, True, turn.category, unexpected=bool(turn.expect and turn.expect not in text))


async def parse(session: aiohttp.ClientSession, target: Target, text: str) -> Sample:
    t0 = time.perf_counter()
    try:
        async with session.post(target.parse_url, params={"token": target.token}, json={"text": text},
                                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as resp:
            body = await resp.json(content_type=None)
            status = resp.status
    except Exception as exc:
        return Sample(time.perf_counter() - t0, False, "parse", error=f"{type(exc).__name__}: {exc}"[:200])
    dt = time.perf_counter() - t0
    ok = status == 200 and isinstance(body, dict) and "intent" in body
    return Sample(dt, ok, "parse", error="" if ok else f"HTTP {status}: {str(body)[:150]}")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(q / 100.0 * len(s)) - 1))
    return s[k]


def summarize(samples: Sequence[Sample], by_category: bool = False) -> Dict[str, Any]:
    ok = [s.seconds * 1000 for s in samples if s.ok]
    out: Dict[str, Any] = {
        "n": len(samples),
        "errors": sum(not s.ok for s in samples),
        "unexpected": sum(s.unexpected for s in samples if s.ok),
        "p50_ms": round(percentile(ok, 50), 2),
        "p95_ms": round(percentile(ok, 95), 2),
        "p99_ms": round(percentile(ok, 99), 2),
        "mean_ms": round(sum(ok) / len(ok), 2) if ok else float("nan"),
        "max_ms": round(max(ok), 2) if ok else float("nan"),
    }
    errors = sorted({s.error for s in samples if not s.ok})
    if errors:
        out["error_examples"] = errors[:5]
    if by_category:
        cats: Dict[str, List[Sample]] = {}
        for s in samples:
            cats.setdefault(s.category, []).append(s)
        out["by_category"] = {c: summarize(v) for c, v in sorted(cats.items())}
    return out


Progress = Callable[[str], None]


async def interleaved_single_user(targets: Sequence[Target], n: int, deadline_s: float,
                                  progress: Progress, warmup: int = 5) -> Dict[str, List[Sample]]:
    """One user per bot, alternating bot per message (A B A B ...), n messages each."""
    samples: Dict[str, List[Sample]] = {t.name: [] for t in targets}
    streams = {t.name: turns(t.mix, f"bench-single-{t.name}") for t in targets}
    end = time.monotonic() + deadline_s
    async with aiohttp.ClientSession() as session:
        for t in targets:  # warm-up, not measured
            for _ in range(warmup):
                sender, turn = next(streams[t.name])
                await say(session, t, sender, turn)
        for i in range(n):
            if time.monotonic() > end:
                progress(f"single user: deadline reached after {i} messages each")
                break
            order = targets if i % 2 == 0 else list(reversed(targets))
            for t in order:
                sender, turn = next(streams[t.name])
                samples[t.name].append(await say(session, t, sender, turn))
            if i % 10 == 0 or i == n - 1:
                progress(f"single user, interleaved: {i + 1}/{n} messages each")
    return samples


async def interleaved_parse(targets: Sequence[Target], texts: Dict[str, Sequence[str]], n: int,
                            deadline_s: float, progress: Progress) -> Dict[str, List[Sample]]:
    samples: Dict[str, List[Sample]] = {t.name: [] for t in targets}
    end = time.monotonic() + deadline_s
    async with aiohttp.ClientSession() as session:
        for t in targets:
            for text in list(texts[t.name])[:3]:
                await parse(session, t, text)
        for i in range(n):
            if time.monotonic() > end:
                break
            order = targets if i % 2 == 0 else list(reversed(targets))
            for t in order:
                pool = texts[t.name]
                samples[t.name].append(await parse(session, t, pool[i % len(pool)]))
            if i % 20 == 0 or i == n - 1:
                progress(f"/model/parse floor, interleaved: {i + 1}/{n} each")
    return samples


@dataclass
class LoadResult:
    users: int
    samples: List[Sample] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False

    def summary(self) -> Dict[str, Any]:
        s = summarize(self.samples)
        ok = len(self.samples) - s["errors"]
        return {"users": self.users, "messages": len(self.samples), "errors": s["errors"],
                "unexpected": s["unexpected"], "seconds": round(self.seconds, 3),
                "msgs_per_s": round(ok / self.seconds, 2) if self.seconds > 0 else 0.0,
                "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "p99_ms": s["p99_ms"],
                "timed_out": self.timed_out,
                **({"error_examples": s["error_examples"]} if "error_examples" in s else {})}


async def concurrent(target: Target, users: int, messages: int, deadline_s: float,
                     progress: Progress, label: str) -> LoadResult:
    """`users` simultaneous conversations (closed loop: each sends its next
    message when the previous one is answered) until `messages` have been sent
    in total or the deadline passes."""
    result = LoadResult(users)
    budget = {"left": messages}
    end = time.monotonic() + deadline_s
    connector = aiohttp.TCPConnector(limit=users + 5)

    async with aiohttp.ClientSession(connector=connector) as session:
        async def user(u: int) -> None:
            for sender, conv in conversations(target.mix, f"bench-c{users}-{target.name}-{u}"):
                for turn in conv:
                    if budget["left"] <= 0:
                        return
                    if time.monotonic() > end:
                        result.timed_out = True
                        return
                    budget["left"] -= 1
                    result.samples.append(await say(session, target, sender, turn))
                    done = len(result.samples)
                    if done % max(1, messages // 10) == 0:
                        progress(f"{label}: {done}/{messages} messages")

        t0 = time.perf_counter()
        await asyncio.gather(*(user(u) for u in range(users)))
        result.seconds = time.perf_counter() - t0
    return result


async def first_answer(target: Target, deadline_s: float) -> float:
    """Seconds until the first REST message is answered (polling while it fails)."""
    t0 = time.monotonic()
    turn = target.mix[0][0]
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - t0 < deadline_s:
            s = await say(session, target, "bench-first-answer", turn)
            if s.ok:
                return time.monotonic() - t0
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{target.name}: no answer within {deadline_s:.0f}s")
