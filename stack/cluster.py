"""Scale-out on one machine: several Rasa servers on PostgreSQL + Redis behind nginx.

    python -m stack.cluster run     # `make run-cluster`: serve until Ctrl-C
    python -m stack.cluster load    # the load run of docs/DEPLOY.md (1 then 2 servers)
    python -m stack.cluster lockcheck [--lock-store redis]   # simultaneous messages, 20 rounds

`run` starts, all from this machine's packages and all on loopback:
  - PostgreSQL (initdb + pg_ctl) in a throwaway data directory: the tracker store,
  - Redis with no persistence: the lock store,
  - one action server (ACTION_PORT, 5055),
  - CLUSTER_SERVERS (2) identical Rasa servers on CLUSTER_SERVER_PORTS (5006,5007),
    each with endpoints.cluster.yml (Rasa's SQLTrackerStore + RedisLockStore),
  - nginx on RASA_PORT (5005): round-robin over the Rasa servers for REST,
    sticky by client address for socket.io (its polling handshake must stay on
    one server),
  - the web chat page on WEB_PORT (8080), talking to nginx.
Ctrl-C stops all of it and deletes the data directory.

PostgreSQL and Redis ports are picked free at start-up and printed; their
passwords are generated per run and reach Rasa only through the environment
variables that endpoints.cluster.yml names. initdb refuses to run as root: as
root the database runs as the `postgres` user (or `nobody`).

The same `Cluster` class is used by tests/test_cluster.py.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from channels import ids
from stack.env import ROOT, base_env, int_env
from stack.loadgen import cpu_seconds, load_run, machine_busy
from stack.lockcheck import CONCURRENT_MESSAGES, send_at_once, turn_problems
from stack.net import Stopping, free_port, post_message, wait_http, wait_tcp
from stack.nginx import nginx_conf
from stack.postgres import DB_NAME, DB_USER, Postgres
from stack.process import Stack, interrupt_on_signals, spawn, stop_on_signals, stopping
from stack.tools import ToolMissing, find_tool, missing_tools

ENDPOINTS = "endpoints.cluster.yml"


@dataclass
class Cluster:
    """PostgreSQL, Redis, an action server, N Rasa servers and nginx, on loopback."""

    servers: int = 2
    port: int = 5005                      # nginx: the one endpoint clients see
    server_ports: List[int] = field(default_factory=list)  # default: free ports
    action_port: int = 5055
    web_port: int = 0                     # 0: no web chat page
    listen: str = "127.0.0.1"             # nginx's (and the web page's) address
    model: str = "models"
    lock_lifetime: int = 30               # TICKET_LOCK_LIFETIME, seconds
    lock_store: str = "atomic"            # "redis": Rasa's stock RedisLockStore (lockcheck)
    quiet: bool = True

    base: Path = field(init=False, default=None)
    pg: Postgres = field(init=False, default=None)
    redis_port: int = field(init=False, default=0)
    redis_password: str = field(init=False, default="")
    front: Stack = field(init=False, default=None)       # actions, web, redis, nginx
    rasa: List[Stack] = field(init=False, default_factory=list)
    failure_logs: str = field(init=False, default="")   # log tails kept when start() fails

    # --- addresses -------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rasa_urls(self) -> List[str]:
        return [s.rasa_url for s in self.rasa]

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    def env(self) -> Dict[str, str]:
        """What endpoints.cluster.yml reads, plus Rasa's own pool and lock settings."""
        return {
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": str(self.pg.port),
            "TRACKER_DB_NAME": DB_NAME,
            "TRACKER_DB_USER": DB_USER,
            "TRACKER_DB_PASSWORD": self.pg.password,
            "LOCK_REDIS_HOST": "127.0.0.1",
            "LOCK_REDIS_PORT": str(self.redis_port),
            "LOCK_REDIS_PASSWORD": self.redis_password,
            "LOCK_REDIS_DB": "1",
            "SQL_POOL_SIZE": "5",
            "SQL_MAX_OVERFLOW": "10",
            "TICKET_LOCK_LIFETIME": str(self.lock_lifetime),
            # one Rasa server per core: TensorFlow's own thread pools only
            # oversubscribe the cores (docs/DEPLOY.md, load run)
            "TF_INTER_OP_PARALLELISM_THREADS": os.environ.get("TF_INTER_OP_PARALLELISM_THREADS", "1"),
            "TF_INTRA_OP_PARALLELISM_THREADS": os.environ.get("TF_INTRA_OP_PARALLELISM_THREADS", "1"),
        }

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    # --- start / stop ----------------------------------------------------------
    def start(self) -> "Cluster":
        missing = missing_tools()
        if missing:
            raise ToolMissing(f"not installed: {', '.join(missing)} (`make cluster-deps` installs them)")
        self.base = Path(tempfile.mkdtemp(prefix="rasa-cluster-"))
        self.base.chmod(0o711)  # the database user must reach its own folder inside
        (self.base / "nginx").mkdir()
        self.logs.mkdir()
        self.front = Stack(action_port=self.action_port, log_dir=self.logs, model=self.model)
        try:
            self._start_postgres()
            self._start_redis()
            self._say(f"Starting the action server on http://127.0.0.1:{self.action_port} ...")
            self.front.start_actions()
            self._start_rasa_servers()
            self._start_nginx()
            if self.web_port:
                self.front.web_port, self.front.host, self.front.rasa_port = self.web_port, self.listen, self.port
                self.front.start_web()
        except BaseException:
            self.failure_logs = self.log_tails()
            self.stop()
            raise
        return self

    def _start_postgres(self) -> None:
        self.pg = Postgres(self.base, free_port())
        self._say(f"Starting PostgreSQL on 127.0.0.1:{self.pg.port} (tracker store, throwaway data in {self.base}) ...")
        self.pg.start()

    def _start_redis(self) -> None:
        self.redis_port = free_port()
        self.redis_password = secrets.token_urlsafe(18)
        self._say(f"Starting Redis on 127.0.0.1:{self.redis_port} (lock store, no persistence) ...")
        (self.base / "redis").mkdir()
        conf = self.base / "redis.conf"
        conf.write_text(
            f"bind 127.0.0.1\nport {self.redis_port}\nprotected-mode yes\ndaemonize no\n"
            f"save \"\"\nappendonly no\ndir {self.base / 'redis'}\nrequirepass {self.redis_password}\n"
            f"logfile {self.logs / 'redis.log'}\n"
        )
        conf.chmod(0o600)
        self.front.procs["redis"] = spawn(["exec", find_tool("redis-server"), str(conf)], base_env(),
                                          stdout=subprocess.DEVNULL, stderr=self.front.log_file("redis-stderr"))
        wait_tcp(self.redis_port, 20, self.front.procs["redis"])
        import redis
        client = redis.Redis(host="127.0.0.1", port=self.redis_port, password=self.redis_password)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        client.close()

    def _start_rasa_servers(self) -> None:
        endpoints = ENDPOINTS
        if self.lock_store == "redis":  # the stock store, for `lockcheck` only
            endpoints = str(self.base / "endpoints.stock-redis.yml")
            Path(endpoints).write_text((ROOT / ENDPOINTS).read_text().replace(
                "type: addons.lock_store.AtomicRedisLockStore", "type: redis"))
        ports = list(self.server_ports) or [free_port() for _ in range(self.servers)]
        if len(ports) != self.servers:
            raise ValueError(f"{self.servers} servers need {self.servers} ports, got {ports}")
        self._say(f"Starting {self.servers} Rasa servers on ports {', '.join(map(str, ports))} "
                  "in parallel (loading the model takes ~20-30 s) ...")
        self.rasa = [
            Stack(rasa_port=p, action_port=self.action_port, endpoints=endpoints, model=self.model,
                  log_dir=self.logs / f"rasa-{i + 1}", extra_env=self.env(), rasa_args=["-i", "127.0.0.1"])
            for i, p in enumerate(ports)
        ]
        for stack in self.rasa:  # from this (the main) thread, so that they die with this process
            stack.spawn_rasa()
        for stack in self.rasa:  # they load their models in parallel meanwhile
            stack.wait_until_up("rasa", timeout=300)

    def _start_nginx(self) -> None:
        conf = self.base / "nginx" / "nginx.conf"
        conf.write_text(nginx_conf(self.base, self.listen, self.port, [s.rasa_port for s in self.rasa]))
        self._say(f"Starting nginx on {self.listen}:{self.port} (round-robin over the Rasa servers) ...")
        self.front.procs["nginx"] = spawn(
            ["exec", find_tool("nginx"), "-p", str(self.base / "nginx"), "-c", str(conf),
             "-e", str(self.logs / "nginx-error.log")],
            base_env(), stdout=self.front.log_file("nginx"), stderr=subprocess.STDOUT)
        wait_http(f"{self.url}/webhooks/rest/", 30, self.front.procs["nginx"])

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop_one("nginx")
            self.front.stop_one("web")
        for stack in self.rasa:
            stack.stop()
        if self.front is not None:
            self.front.stop()  # actions, redis
        if self.pg is not None:
            self.pg.stop()
        if self.base is not None and self.base.exists() and not os.environ.get("CLUSTER_KEEP"):
            shutil.rmtree(self.base, ignore_errors=True)

    # --- for tests and operators -----------------------------------------------
    def kill_server(self, index: int) -> None:
        """SIGKILL one Rasa server's whole process group, as a crash would."""
        proc = self.rasa[index].procs["rasa"]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    def events(self, sender: str, channel: str = ids.REST) -> List[dict]:
        """The conversation of a `channel` sender (REST by default) as the
        tracker store holds it, in store order (events.id)."""
        with self.pg.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT id, type_name, timestamp, intent_name, action_name, data "
                        "FROM events WHERE sender_id = %s ORDER BY id", (ids.conversation_id(channel, sender),))
            return [dict(id=r[0], type=r[1], timestamp=r[2], intent=r[3], action=r[4], data=json.loads(r[5]))
                    for r in cur.fetchall()]

    def store_size(self) -> tuple:
        """(rows, bytes on disk with indexes) of the tracker store's events table."""
        with self.pg.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*), pg_total_relation_size('events') FROM events")
            return tuple(cur.fetchone())

    def log_tails(self, chars: int = 3000) -> str:
        out = []
        for log in sorted(self.logs.rglob("*.log")) if self.base else []:
            out.append(f"--- {log.relative_to(self.logs)}\n{log.read_text(errors='replace')[-chars:]}")
        for log in [self.pg.log] if self.pg and self.pg.log.exists() else []:
            out.append(f"--- postgres.log\n{log.read_text(errors='replace')[-chars:]}")
        return "\n".join(out)


# --- make run-cluster ----------------------------------------------------------------

def cluster_from_env() -> Cluster:
    n = int_env("CLUSTER_SERVERS", 2)
    ports_env = os.environ.get("CLUSTER_SERVER_PORTS", "")
    ports = [int(p) for p in ports_env.replace(",", " ").split()] if ports_env else [5006 + i for i in range(n)]
    return Cluster(
        servers=n, port=int_env("RASA_PORT", 5005), server_ports=ports,
        action_port=int_env("ACTION_PORT", 5055), web_port=int_env("WEB_PORT", 8080),
        listen=os.environ.get("HOST", "").strip() or "127.0.0.1", model=os.environ.get("RASA_MODEL", "models"),
        lock_lifetime=int_env("TICKET_LOCK_LIFETIME", 30), quiet=False,
    )


def cmd_run() -> int:
    cluster = cluster_from_env()
    stop_on_signals()
    try:
        cluster.start()
        servers = "\n".join(f"    Rasa server {i + 1}: {u}  (log: {cluster.logs / f'rasa-{i + 1}' / 'rasa.log'})"
                            for i, u in enumerate(cluster.rasa_urls))
        print(
            "\nThe cluster is up.\n"
            f"  One endpoint (nginx): {cluster.url}  REST: {cluster.url}/webhooks/rest/webhook\n"
            f"  Web chat: http://localhost:{cluster.web_port}/ (talks to nginx)\n"
            f"{servers}\n"
            f"  Action server: http://127.0.0.1:{cluster.action_port}/health\n"
            f"  PostgreSQL: 127.0.0.1:{cluster.pg.port} db={DB_NAME} user={DB_USER} (tracker store, table `events`)\n"
            f"  Redis: 127.0.0.1:{cluster.redis_port} db 1 (lock store)\n"
            f"  Logs: {cluster.logs}\n"
            "Press Ctrl-C to stop all of it (the data directory is deleted).",
            flush=True,
        )
        reported = set()
        while not stopping(0.5):
            infra = {n: p for n, p in cluster.front.procs.items()}
            dead_infra = [n for n, p in infra.items() if p.poll() is not None]
            if dead_infra:
                print(f"error: {', '.join(dead_infra)} stopped unexpectedly", file=sys.stderr)
                return 1
            alive = [s for s in cluster.rasa if s.procs["rasa"].poll() is None]
            for i, s in enumerate(cluster.rasa):
                if s.procs["rasa"].poll() is not None and i not in reported:
                    reported.add(i)
                    print(f"warning: Rasa server {i + 1} ({s.rasa_url}) stopped; "
                          f"nginx sends its traffic to the others", file=sys.stderr, flush=True)
            if not alive:
                print("error: every Rasa server stopped", file=sys.stderr)
                return 1
        raise Stopping()
    except Stopping:
        print("\nStopping ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, ToolMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(cluster.failure_logs, file=sys.stderr)
        return 1
    finally:
        cluster.stop()


def cmd_load(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m stack.cluster load",
                                 description="Load through nginx with 1 and 2 Rasa servers.")
    ap.add_argument("--servers", default="1,2", help="server counts to measure, comma separated (default 1,2)")
    ap.add_argument("--seconds", type=float, default=30, help="measured seconds per run (default 30)")
    ap.add_argument("--warmup", type=float, default=5, help="unmeasured seconds first (default 5)")
    ap.add_argument("--concurrency", default="8", help="concurrent clients, comma separated (default 8)")
    ap.add_argument("--model", default=os.environ.get("RASA_MODEL", "models"))
    args = ap.parse_args(argv)
    rows = []
    interrupt_on_signals()
    for n in [int(x) for x in args.servers.split(",")]:
        cluster = Cluster(servers=n, port=free_port(), action_port=free_port(), model=args.model, quiet=False)
        try:
            cluster.start()
            load_run(cluster.url, args.warmup, 4, f"warm{n}")
            for c in [int(x) for x in args.concurrency.split(",")]:
                rasa_pids = [st.procs["rasa"].pid for st in cluster.rasa]
                rows0, size0 = cluster.store_size()
                cpu0, (busy0, all0) = cpu_seconds(rasa_pids), machine_busy()
                r = load_run(cluster.url, args.seconds, c, f"{n}x{c}")
                cpu1, (busy1, all1) = cpu_seconds(rasa_pids), machine_busy()
                rows1, size1 = cluster.store_size()
                # how busy the whole machine was (everything: Rasa, the other
                # servers, this load generator, and anything else running here)
                r["machine_busy"] = 100.0 * (busy1 - busy0) / max(1, all1 - all0)
                r["rasa_cores"] = (cpu1 - cpu0) / r["seconds"]
                r["rasa_cpu_ms"] = 1000 * (cpu1 - cpu0) / max(1, r["answered"])
                r["rows_per_msg"] = (rows1 - rows0) / max(1, r["answered"])
                r["bytes_per_msg"] = (size1 - size0) / max(1, r["answered"])
                rows.append((n, c, r))
                print(f"{n} server(s), {c} clients: {r['msgs_per_s']:.1f} msg/s, p50 {r['p50_ms']:.0f} ms, "
                      f"p95 {r['p95_ms']:.0f} ms, {r['answered']} answered, {r['errors']} errors; "
                      f"tracker store: {r['rows_per_msg']:.1f} event rows, {r['bytes_per_msg'] / 1024:.1f} KiB "
                      f"per message; Rasa servers used {r['rasa_cores']:.2f} cores ({r['rasa_cpu_ms']:.0f} ms CPU "
                      f"per message), the machine was {r['machine_busy']:.0f}% busy", flush=True)
        except KeyboardInterrupt:
            return 1
        finally:
            cluster.stop()
    print(f"\n{os.cpu_count()} CPU cores; {args.seconds:g} s per run after {args.warmup:g} s of warm-up")
    print("\n| Rasa servers | clients | messages/s | p50 (ms) | p95 (ms) | answered | errors "
          "| cores used by Rasa | Rasa CPU ms/message | machine busy |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, c, r in rows:
        print(f"| {n} | {c} | {r['msgs_per_s']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
              f"{r['answered']} | {r['errors']} | {r['rasa_cores']:.2f} | {r['rasa_cpu_ms']:.0f} | "
              f"{r['machine_busy']:.0f}% |")
    return 0


def cmd_lockcheck(argv: List[str]) -> int:
    """Ten simultaneous messages of one conversation, split over two servers,
    `--trials` times: how often is a turn lost or interleaved?"""
    ap = argparse.ArgumentParser(prog="python -m stack.cluster lockcheck")
    ap.add_argument("--lock-store", choices=["atomic", "redis"], default="atomic",
                    help="atomic: addons.lock_store (default); redis: Rasa's stock RedisLockStore")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--model", default=os.environ.get("RASA_MODEL", "models"))
    args = ap.parse_args(argv)
    interrupt_on_signals()
    cluster = Cluster(servers=2, port=free_port(), action_port=free_port(), model=args.model,
                      lock_store=args.lock_store, quiet=False)
    bad = 0
    try:
        cluster.start()
        for trial in range(args.trials):
            sender = f"lockcheck-{trial}"
            post_message(cluster.rasa_urls[0], sender, "hi")
            results = send_at_once(cluster.rasa_urls, sender, CONCURRENT_MESSAGES)
            problems = turn_problems(cluster, sender, CONCURRENT_MESSAGES, results)
            bad += bool(problems)
            print(f"round {trial + 1}: {'ok' if not problems else '; '.join(problems)} "
                  f"(slowest {max(r[1] for r in results):.1f} s)", flush=True)
    except KeyboardInterrupt:
        return 1
    finally:
        cluster.stop()
    print(f"{args.lock_store}: {bad} of {args.trials} rounds lost or mixed up a turn")
    return 1 if bad else 0


COMMANDS = {"run": lambda argv: cmd_run(), "load": cmd_load, "lockcheck": cmd_lockcheck}


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "run"
    if command not in COMMANDS:
        sys.exit("usage: python -m stack.cluster [run|load|lockcheck]")
    return COMMANDS[command](args[1:])


if __name__ == "__main__":
    sys.exit(main())
