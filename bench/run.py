"""`make bench`: our assistant against the stock `rasa init` bot, side by side.

    python -m bench.run              # full run (several minutes)
    python -m bench.run --smoke      # tiny counts, no training (tests/test_bench_smoke.py)

Both bots are served at the same time on their own loopback ports and measured
in the same run, interleaved (single user: alternating per message;
concurrency: ours/stock, then stock/ours in the second round). Writes
docs/bench/results.json, docs/latency.png and the generated part of
docs/BENCHMARKS.md (or, with --out-dir, all three into that folder).

The stock bot is created once with `rasa init --no-prompt` (same venv) in
$BENCH_CACHE/stock (default ~/.cache/microcred-bench/stock) and retrained only
when its model is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bench import load, mixes, procs, profile, report
from bench.load import Target
from stack.env import ROOT, base_env, rasa_bin
from stack.net import free_port
from stack.process import Stack

MODEL = ROOT / "models" / "assistant.tar.gz"
DATA = ROOT / "docs" / "bench"  # what the runs measured (results.json, experiment.json)


def cache_dir() -> Path:
    return Path(os.environ.get("BENCH_CACHE") or Path.home() / ".cache" / "microcred-bench")


# --- progress -----------------------------------------------------------------

class Progress:
    """One line saying what is being measured (rewritten in place on a terminal)."""

    def __init__(self, quiet: bool = False):
        self.tty = sys.stderr.isatty()
        self.quiet = quiet
        self.t0 = time.monotonic()
        self._last = ""
        self._last_print = 0.0

    def __call__(self, what: str) -> None:
        if self.quiet:
            return
        line = f"[bench {time.monotonic() - self.t0:6.1f}s] {what}"
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + line[:200])
            sys.stderr.flush()
        else:
            # not a terminal: a new line per phase, and at most one every 5 s within one
            phase = what.split(":")[0]
            now = time.monotonic()
            if phase != self._last or now - self._last_print > 5:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
                self._last, self._last_print = phase, now

    def done(self, what: str) -> None:
        self(what)
        if self.tty and not self.quiet:
            sys.stderr.write("\n")


# --- the stock bot ----------------------------------------------------------------

def stock_model(progress: Progress) -> Dict[str, Any]:
    """The `rasa init --no-prompt` project and its model, created and trained once."""
    project = cache_dir() / "stock"
    models = sorted((project / "models").glob("*.tar.gz")) if (project / "models").is_dir() else []
    info: Dict[str, Any] = {"project": str(project), "trained_now": False}
    if not models:
        progress(f"stock bot: rasa init --no-prompt in {project} (trains once, ~1 min)")
        if project.exists():
            shutil.rmtree(project)
        project.mkdir(parents=True)
        t0 = time.monotonic()
        log = project.parent / "stock-init.log"
        with open(log, "wb") as out:
            rc = subprocess.call([rasa_bin(), "init", "--no-prompt", "--init-dir", "."], cwd=project,
                                 env=base_env(), stdout=out, stderr=subprocess.STDOUT, timeout=1800)
        models = sorted((project / "models").glob("*.tar.gz"))
        if rc != 0 or not models:
            raise RuntimeError(f"rasa init failed (exit {rc}); see {log}")
        info.update(trained_now=True, init_and_train_s=round(time.monotonic() - t0, 1))
    info["model"] = str(models[-1])
    return info


# --- servers ------------------------------------------------------------------

# bench_endpoints' tracker_store names other than "project" and "memory"
STORE_TYPES = {"sql": "SQL", "wal": "addons.tracker_store.WalSQLTrackerStore",
               "wal-rasa-save": "bench.stores.WalRasaSaveTrackerStore"}


def project_endpoints() -> Dict[str, Any]:
    import yaml
    return yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}


def tracker_store_type(config: Dict[str, Any]) -> str:
    """The tracker store type an endpoints configuration names (Rasa's default: SQL when a db is set)."""
    return str((config.get("tracker_store") or {}).get("type", "SQL"))


def bench_endpoints(tmp: Path, action_port: int, name: str = "ours", tracker_store: str = "project") -> Path:
    """The project's endpoints.yml (every key kept: timeouts etc.), with the action
    server on its bench port and a fresh SQLite tracker store in tmp, of the type
    endpoints.yml names (for experiments: tracker_store="memory", Rasa's in-memory
    store, "sql", Rasa's SQLTrackerStore, "wal", addons/tracker_store.py, or
    "wal-rasa-save", that store with Rasa's own save, bench/stores.py)."""
    import yaml
    config = project_endpoints()
    action = dict(config.get("action_endpoint") or {})
    action["url"] = f"http://127.0.0.1:{action_port}/webhook"
    config["action_endpoint"] = action
    if tracker_store == "memory":
        config.pop("tracker_store", None)
    else:
        if tracker_store != "project" and tracker_store not in STORE_TYPES:
            raise ValueError(f"unknown tracker_store {tracker_store!r}: project, memory, {', '.join(STORE_TYPES)}")
        store_type = tracker_store_type(config) if tracker_store == "project" else STORE_TYPES[tracker_store]
        config["tracker_store"] = {"type": store_type, "dialect": "sqlite", "db": str(tmp / f"trackers.{name}.db")}
    for key in ("event_broker", "lock_store", "nlg", "models"):
        config.pop(key, None)  # nothing outside this machine's loopback, nothing shared
    path = tmp / f"endpoints.{name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def our_stack(tmp: Path, token: str) -> Stack:
    action_port, rasa_port = free_port(), free_port()
    return Stack(rasa_port=rasa_port, action_port=action_port, endpoints=str(bench_endpoints(tmp, action_port)),
                 credentials=str(ROOT / "credentials.yml"), model=str(MODEL), log_dir=tmp / "logs-ours",
                 rasa_args=["--enable-api"], extra_env={"RASA_AUTH_TOKEN": token})  # the token: never on a command line


def stock_stack(tmp: Path, token: str, stock: Dict[str, Any]) -> Stack:
    project = Path(stock["project"])
    return Stack(rasa_port=free_port(), action_port=free_port(), endpoints=str(project / "endpoints.yml"),
                 credentials=str(project / "credentials.yml"), model=stock["model"], log_dir=tmp / "logs-stock",
                 rasa_args=["--enable-api"], extra_env={"RASA_AUTH_TOKEN": token},
                 tf_threads=None)  # stock: Rasa's defaults


def start_timed(stack: Stack, target: Target, with_actions: bool) -> Dict[str, float]:
    out: Dict[str, float] = {}
    t0 = time.monotonic()
    if with_actions:
        stack.start_actions()
        out["action_server_s"] = round(time.monotonic() - t0, 2)
    t1 = time.monotonic()
    stack.start_rasa()
    asyncio.run(load.first_answer(target, 120))
    out["rasa_to_first_answer_s"] = round(time.monotonic() - t1, 2)
    out["total_to_first_answer_s"] = round(time.monotonic() - t0, 2)
    return out


def restart_rasa_timed(stack: Stack, target: Target) -> float:
    stack.stop_one("rasa")
    t0 = time.monotonic()
    stack.start_rasa()
    asyncio.run(load.first_answer(target, 120))
    return round(time.monotonic() - t0, 2)


def show_logs(stack: Stack) -> None:
    if stack.log_dir and stack.log_dir.is_dir():
        for log in sorted(stack.log_dir.glob("*.log")):
            sys.stderr.write(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}\n")


# --- training -------------------------------------------------------------------

def _edit_one_response(domain: Path) -> str:
    """Change the first response text in domain.yml (text-level edit, nothing else moves)."""
    lines = domain.read_text(encoding="utf-8").splitlines(keepends=True)
    in_responses = False
    for i, line in enumerate(lines):
        if re.match(r"^responses:\s*$", line):
            in_responses = True
            continue
        if in_responses and re.match(r"^\S", line):
            break
        m = re.match(r"^(\s*-?\s*text:\s*)(.*?)(\s*)$", line) if in_responses else None
        if m:
            value = m.group(2)
            if value[:1] in "\"'" and value.endswith(value[:1]) and len(value) > 1:
                new = value[:-1] + " (edited)" + value[-1]
            else:
                new = value + " (edited)"
            lines[i] = m.group(1) + new + "\n"
            domain.write_text("".join(lines), encoding="utf-8")
            return lines[i].strip()
    raise RuntimeError(f"no response text found in {domain}")


def _train(project: Path, cache: Path, out: Path, name: str, timeout: float) -> float:
    env = base_env({"RASA_CACHE_DIRECTORY": str(cache)})
    log = project / f"train-{name}.log"
    t0 = time.monotonic()
    with open(log, "wb") as f:
        rc = subprocess.call([rasa_bin(), "train", "--out", str(out), "--fixed-model-name", name],
                             cwd=project, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    seconds = time.monotonic() - t0
    if rc != 0 or not (out / f"{name}.tar.gz").exists():
        raise RuntimeError(f"rasa train ({name}) failed with exit {rc}: {log.read_text(errors='replace')[-2000:]}")
    return round(seconds, 1)


def training(name: str, source: Path, extra: List[str], tmp: Path, progress: Progress,
             timeout: float) -> Dict[str, Any]:
    """Cold train (empty RASA_CACHE_DIRECTORY) of a copy of the project, then a
    warm retrain of the copy after one response text changed."""
    project = tmp / f"train-{name}"
    for item in ["config.yml", "domain.yml", "data", *extra]:
        src = source / item
        if src.is_dir():
            shutil.copytree(src, project / item)
        elif src.exists():
            project.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, project / item)
    cache, out = tmp / f"cache-{name}", tmp / f"models-{name}"
    progress(f"training: {name}, cold rasa train (empty cache)")
    cold = _train(project, cache, out, "cold", timeout)
    edited = _edit_one_response(project / "domain.yml")
    progress(f"training: {name}, warm retrain after editing one response")
    warm = _train(project, cache, out, "warm", timeout)
    return {"cold_s": cold, "warm_s": warm, "edited": edited}


# --- the run ------------------------------------------------------------------

def run(args: argparse.Namespace) -> Dict[str, Any]:
    progress = Progress(args.quiet)
    started = time.time()
    if not MODEL.exists():
        raise SystemExit(f"error: {MODEL} is missing: run `make bench` (it trains the model first)")
    results: Dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "mode": "smoke" if args.smoke else "full",
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "memory_gb": _mem_total_gb(),
            "python": platform.python_version(),
            "rasa": _version("rasa"),
            "rasa_sdk": _version("rasa_sdk"),
            "ours_model": str(MODEL.relative_to(ROOT)),
            "ours_tracker_store": tracker_store_type(project_endpoints()),
            "load_average_at_start": _loadavg(),
            "settings": {k: v for k, v in vars(args).items() if k not in ("out_dir",)},
            "interleaving": "single user and /model/parse: alternating ours/stock per message (order flipped "
                            "every message); concurrency: each level ours then stock in round 1, stock then ours "
                            "in round 2, figures pooled",
        },
    }
    stock = stock_model(progress)
    results["meta"]["stock_project"] = stock["project"]
    results["meta"]["stock_model"] = Path(stock["model"]).name
    if stock.get("trained_now"):
        results["meta"]["stock_init_and_train_s"] = stock["init_and_train_s"]

    tmp = Path(tempfile.mkdtemp(prefix="microcred-bench-"))
    tokens = {"ours": secrets.token_urlsafe(24), "stock": secrets.token_urlsafe(24)}
    ours_stack, stock_stack_ = our_stack(tmp, tokens["ours"]), stock_stack(tmp, tokens["stock"], stock)
    ours = Target("ours", ours_stack.rasa_url, tokens["ours"], mixes.OURS)
    stk = Target("stock", stock_stack_.rasa_url, tokens["stock"], mixes.STOCK)
    targets = [ours, stk]
    sampler = procs.MemorySampler().start()
    try:
        # 1. start-up until the first answer
        if args.smoke:  # both at once: quicker, but the start-up figures are then under contention
            progress("start-up: both servers at once (smoke)")
            res: Dict[str, Any] = {}

            def start_stock() -> None:
                try:
                    res["stock"] = start_timed(stock_stack_, stk, False)
                except BaseException as exc:  # re-raised below, in the main thread
                    res["stock_error"] = exc

            th = threading.Thread(target=start_stock)
            th.start()
            res["ours"] = start_timed(ours_stack, ours, True)
            th.join(300)
            if "stock" not in res:
                raise RuntimeError(f"the stock bot did not start: {res.get('stock_error', 'timeout')}")
            results["startup"] = {**res, "note": "both started at once (smoke mode)"}
        else:
            progress("start-up: our action server + Rasa server until the first answer")
            s_ours = start_timed(ours_stack, ours, True)
            progress("start-up: stock Rasa server until the first answer")
            s_stock = start_timed(stock_stack_, stk, False)
            results["startup"] = {"ours": s_ours, "stock": s_stock, "note": "one after the other, the other bot idle"}
        sampler.track("ours_rasa", ours_stack.procs["rasa"].pid)
        sampler.track("ours_actions", ours_stack.procs["actions"].pid)
        sampler.track("stock_rasa", stock_stack_.procs["rasa"].pid)
        sampler.set_phase("idle")
        time.sleep(0.5)
        sampler.set_phase("idle")

        # 2. single user, interleaved per message
        cpu0 = _cpu(ours_stack, stock_stack_)
        sampler.set_phase("single")
        single = asyncio.run(load.interleaved_single_user(targets, args.messages, args.deadline, progress))
        cpu1 = _cpu(ours_stack, stock_stack_)
        results["single_user"] = {name: load.summarize(s, by_category=True) for name, s in single.items()}
        results["cpu_ms_per_message_single_user"] = {
            k: round(1000 * (cpu1[k] - cpu0[k]) / max(1, len(single["ours" if k.startswith("ours") else "stock"])), 2)
            for k in cpu0
        }

        # 3. the floor: /model/parse alone (HTTP API, token-protected)
        sampler.set_phase("parse")
        texts = {t.name: mixes.parse_texts(t.mix) for t in targets}
        floor = asyncio.run(load.interleaved_parse(targets, texts, args.parse, args.deadline, progress))
        results["parse_floor"] = {name: load.summarize(s) for name, s in floor.items()}
        results["parse_floor"]["unauthorized_without_token"] = _parse_needs_token(ours)

        # 4. concurrency, rounds alternating which bot goes first
        conc: Dict[str, Dict[int, List[load.LoadResult]]] = {"ours": {}, "stock": {}}
        for rnd in range(args.rounds):
            for users in args.users:
                order = targets if rnd % 2 == 0 else list(reversed(targets))
                for t in order:
                    label = f"concurrency: {users} users, {t.name}, round {rnd + 1}/{args.rounds}"
                    progress(label)
                    sampler.set_phase(f"load-{users}")
                    r = asyncio.run(load.concurrent(t, users, _budget(args, users), args.deadline, progress, label))
                    conc[t.name].setdefault(users, []).append(r)
        results["concurrency"] = {
            name: [_pool(users, runs) for users, runs in sorted(levels.items())] for name, levels in conc.items()
        }
        sampler.set_phase("after-load")

        # 5. profile (not part of the measured figures)
        if args.profile and profile.available():
            results["profile"] = _profile(ours_stack, stock_stack_, targets, tmp, args, progress)
        else:
            results["profile"] = {"skipped": "py-spy not installed" if args.profile else "--no-profile"}

        # 6. start-up again, the other bot first this time (start-up is not
        #    interleaved, so it is repeated and the best of the rounds is kept)
        if not args.smoke:
            sampler.set_phase("restart")
            for name, stack, target in (("stock", stock_stack_, stk), ("ours", ours_stack, ours)):
                progress(f"start-up, round 2: {name} Rasa server restarted until the first answer")
                results["startup"][name]["rounds"] = [results["startup"][name]["rasa_to_first_answer_s"],
                                                      restart_rasa_timed(stack, target)]
                sampler.track(f"{name}_rasa", stack.procs["rasa"].pid)
            for name in ("ours", "stock"):
                st = results["startup"][name]
                st["rasa_to_first_answer_s"] = min(st["rounds"])
                st["total_to_first_answer_s"] = round(st.get("action_server_s", 0.0) + st["rasa_to_first_answer_s"], 2)
            results["startup"]["note"] = ("Rasa server launch to its first REST answer, best of 2 rounds (ours then "
                                          "stock, later stock then ours; the other bot idle); ours' total adds the "
                                          "action server's start, as `make run` starts it first")
    except BaseException:
        show_logs(ours_stack)
        show_logs(stock_stack_)
        raise
    finally:
        progress("stopping the servers")
        sampler.stop()
        ours_stack.stop()
        stock_stack_.stop()

    results["memory_mb"] = {
        "ours": {"rasa_server_peak": _r(sampler.peak.get("ours_rasa")),
                 "rasa_server_idle": _r(sampler.peak_by_phase.get("idle", {}).get("ours_rasa")),
                 "rasa_server_peak_under_load": _r(sampler.peak_over("ours_rasa", "load-")),
                 "action_server_peak": _r(sampler.peak.get("ours_actions")),
                 "action_server_peak_under_load": _r(sampler.peak_over("ours_actions", "load-"))},
        "stock": {"rasa_server_peak": _r(sampler.peak.get("stock_rasa")),
                  "rasa_server_idle": _r(sampler.peak_by_phase.get("idle", {}).get("stock_rasa")),
                  "rasa_server_peak_under_load": _r(sampler.peak_over("stock_rasa", "load-"))},
        "note": "VmRSS of each server's process tree (process + children), sampled every 0.25 s from /proc",
    }

    # 7. training (servers stopped, so it has the machine to itself)
    if args.train:
        results["training"] = {
            "ours": training("ours", ROOT, ["build/spacy"], tmp, progress, args.train_timeout),
            "stock": training("stock", Path(stock["project"]), [], tmp, progress, args.train_timeout),
            "note": "rasa train of a copy of the project into a temporary folder with an empty "
                    "RASA_CACHE_DIRECTORY (cold), then again after one response text changed (warm)",
        }
    else:
        results["training"] = {"skipped": "smoke mode" if args.smoke else "--no-train"}

    if not args.keep_tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        results["meta"]["tmp"] = str(tmp)
    results["meta"]["duration_s"] = round(time.time() - started, 1)
    results["meta"]["load_average_at_end"] = _loadavg()
    results["ratios"] = report.ratios(results)
    results["targets"] = report.targets(results)
    progress.done(f"done in {results['meta']['duration_s']:.0f}s")
    return results


def _budget(args: argparse.Namespace, users: int) -> int:
    return max(args.min_load_messages, users * args.per_user)


def _pool(users: int, runs: List[load.LoadResult]) -> Dict[str, Any]:
    pooled = load.LoadResult(users, [s for r in runs for s in r.samples], sum(r.seconds for r in runs),
                             any(r.timed_out for r in runs))
    out = pooled.summary()
    out["rounds"] = [r.summary()["msgs_per_s"] for r in runs]
    return out


def _cpu(ours: Stack, stock: Stack) -> Dict[str, float]:
    return {"ours_rasa": procs.cpu_seconds(ours.procs["rasa"].pid),
            "ours_actions": procs.cpu_seconds(ours.procs["actions"].pid),
            "stock_rasa": procs.cpu_seconds(stock.procs["rasa"].pid)}


def _parse_needs_token(target: Target) -> bool:
    import urllib.error
    import urllib.request
    req = urllib.request.Request(load.assert_loopback(target.parse_url), data=b'{"text": "hi"}',
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as exc:
        return exc.code in (401, 403)
    return False


def _profile(ours_stack: Stack, stock_stack_: Stack, targets: List[Target], tmp: Path,
             args: argparse.Namespace, progress: Progress) -> Dict[str, Any]:
    out_dir = Path(args.profile_dir) if args.profile_dir else tmp / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    recs = [profile.Recorder("ours_rasa", ours_stack.procs["rasa"].pid, out_dir),
            profile.Recorder("ours_actions", ours_stack.procs["actions"].pid, out_dir),
            profile.Recorder("stock_rasa", stock_stack_.procs["rasa"].pid, out_dir)]
    try:
        time.sleep(1.0)  # let py-spy attach
        progress("profile: py-spy on both Rasa servers and the action server, single user")
        asyncio.run(load.interleaved_single_user(targets, args.profile_messages, args.deadline,
                                                 lambda s: progress("profile: " + s), warmup=0))
    finally:
        for r in recs:
            r.stop()
    res: Dict[str, Any] = {"messages_each": args.profile_messages, "rate_hz": 200,
                           "files": str(out_dir) if args.profile_dir else None}
    for r in recs:
        buckets = profile.ACTIONS_BUCKETS if r.name == "ours_actions" else profile.RASA_BUCKETS
        res[r.name] = profile.summarize(profile.read_collapsed(r.out), buckets)
        if not res[r.name].get("samples"):
            res[r.name]["py_spy_log"] = r.log.read_text(errors="replace")[-500:] if r.log.exists() else ""
    return res


def _loadavg() -> Optional[List[float]]:
    """1, 5 and 15 minute load averages: other work on the machine during the run."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def _r(x: Optional[float]) -> Optional[float]:
    return round(x, 1) if x else None


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version
        return version(mod.replace("_", "-"))
    except Exception:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total_gb() -> Optional[float]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny counts, no training, both servers started at once")
    p.add_argument("--messages", type=int, help="single-user messages per bot (default 400; smoke 8)")
    p.add_argument("--parse", type=int, help="/model/parse calls per bot (default 300; smoke 8)")
    p.add_argument("--users", type=lambda s: [int(x) for x in s.split(",")],
                   help="concurrency levels (default 1,10,50; smoke 1,3)")
    p.add_argument("--per-user", type=int, help="messages per simulated user at each level (default 12; smoke 3)")
    p.add_argument("--min-load-messages", type=int, help="at least this many messages per level (default 120; smoke 6)")
    p.add_argument("--rounds", type=int,
                   help="concurrency rounds, the bot order flipped each round (default 2; smoke 1)")
    p.add_argument("--deadline", type=float, default=300.0, help="seconds a single phase may take at most")
    p.add_argument("--no-train", dest="train", action="store_false", default=None, help="skip the training measurement")
    p.add_argument("--train-timeout", type=float, default=900.0)
    p.add_argument("--no-profile", dest="profile", action="store_false", default=None, help="skip py-spy profiling")
    p.add_argument("--profile-messages", type=int, default=None,
                   help="single-user messages per bot under py-spy (default 150)")
    p.add_argument("--profile-dir", default="", help="keep py-spy's collapsed stacks here")
    p.add_argument("--out-dir", default="",
                   help="write results.json, latency.png, BENCHMARKS.md here instead of docs/bench/ and docs/")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary folder (logs, trackers)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    defaults = dict(messages=(8, 400), parse=(8, 300), users=([1, 3], [1, 10, 50]), per_user=(3, 12),
                    min_load_messages=(6, 120), rounds=(1, 2), train=(False, True), profile=(False, True),
                    profile_messages=(10, 150))
    for k, (smoke, full) in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, smoke if args.smoke else full)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    results = run(args)
    if args.out_dir:
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "results.json", "png": out / "latency.png", "md": out / "BENCHMARKS.md"}
    else:
        paths = {"json": DATA / "results.json", "png": ROOT / "docs" / "latency.png",
                 "md": ROOT / "docs" / "BENCHMARKS.md"}
    paths["json"].write_text(json.dumps(results, indent=2, default=str) + "\n")
    report.plot(results, paths["png"])
    report.write_markdown(results, paths["md"], paths["png"])
    print(report.console_summary(results))
    print(f"wrote {paths['json']}, {paths['png']}, {paths['md']}")
    errors = sum(r["errors"] for rs in results["concurrency"].values() for r in rs)
    errors += sum(v["errors"] for v in results["single_user"].values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
