"""Scale-out on one machine: several Rasa servers on PostgreSQL + Redis behind nginx.

    python scripts/cluster.py run     # `make run-cluster`: serve until Ctrl-C
    python scripts/cluster.py load    # the load run of docs/DEPLOY.md (1 then 2 servers)
    python scripts/cluster.py lockcheck [--lock-store redis]   # simultaneous messages, 20 rounds

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
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import ROOT, Stack, _int_env, _stop_on_signals, wait_http  # noqa: E402

ENDPOINTS = "endpoints.cluster.yml"
DB_NAME = "rasa"
DB_USER = "rasa"


class ToolMissing(RuntimeError):
    """A server program (PostgreSQL, Redis, nginx) is not installed."""


def find_tool(name: str) -> str:
    """A program on PATH, or where Debian puts it off PATH (PostgreSQL, nginx)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    candidates += [f"/usr/sbin/{name}", f"/usr/local/sbin/{name}"]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise ToolMissing(f"{name} is not installed (`make cluster-deps` installs it from Debian's packages)")


def missing_tools() -> List[str]:
    """The cluster's programs that cannot be found."""
    missing = []
    for name in ("initdb", "pg_ctl", "redis-server", "nginx"):
        try:
            find_tool(name)
        except ToolMissing:
            missing.append(name)
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_tcp(port: int, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open within {timeout:.0f}s")


def _unprivileged_owner() -> Optional[tuple]:
    """(uid, gid) to run PostgreSQL as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    import pwd
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists for PostgreSQL")


class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl)."""

    def __init__(self, base: Path, port: int):
        self.dir = base / "postgres"       # owned by the database user
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = port
        self.password = secrets.token_urlsafe(18)
        self.owner = _unprivileged_owner()
        self.started = False

    def _run(self, cmd: List[str], timeout: float) -> None:
        kwargs = {}
        if self.owner:
            kwargs = dict(user=self.owner[0], group=self.owner[1], extra_groups=[])
        res = subprocess.run(cmd, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, timeout=timeout, start_new_session=True,
                             env={**os.environ, "LC_ALL": "C"}, **kwargs)
        if res.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({res.returncode}):\n{res.stdout.decode(errors='replace')[-3000:]}")

    def start(self, timeout: float = 60) -> None:
        initdb, pg_ctl = find_tool("initdb"), find_tool("pg_ctl")
        self.dir.mkdir(mode=0o700)
        if self.owner:
            os.chown(self.dir, *self.owner)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self.owner:
            os.chown(pwfile, *self.owner)
        try:
            self._run([initdb, "-D", str(self.data), "-U", DB_USER, f"--pwfile={pwfile}",
                       "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions"], timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.dir} -c max_connections=200")
        self._run([pg_ctl, "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(int(timeout)),
                   "-o", options], timeout=timeout + 10)
        self.started = True
        with self.connect("postgres") as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {DB_NAME}")

    def connect(self, db: str = DB_NAME):
        import psycopg2
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER,
                                password=self.password, dbname=db, connect_timeout=5)
        return _Closing(conn)

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        try:
            self._run([find_tool("pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30"], timeout=40)
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                except (ValueError, ProcessLookupError):
                    pass


class _Closing:
    """psycopg2's connection context manager commits but does not close; this closes."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


def nginx_conf(base: Path, listen: str, port: int, backends: List[int]) -> str:
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in backends)
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    return f"""# generated by scripts/cluster.py
{user}worker_processes 1;
daemon off;
pid {base}/nginx.pid;
error_log {base}/logs/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$time_iso8601 $status $request_time s $request_method $uri '
                      'upstream=$upstream_addr upstream_status=$upstream_status';
  access_log {base}/logs/nginx-access.log upstream buffer=64k flush=1s;
  client_body_temp_path {base}/nginx/body;
  proxy_temp_path {base}/nginx/proxy;
  fastcgi_temp_path {base}/nginx/fastcgi;
  uwsgi_temp_path {base}/nginx/uwsgi;
  scgi_temp_path {base}/nginx/scgi;

  # REST and everything else: round-robin; a server that refuses a connection
  # is skipped (the request goes to the next one) and rested for 10 s.
  upstream rasa {{
{servers}
    keepalive 32;
  }}
  # socket.io: its long-polling handshake must stay on one server, so stick
  # by client address (consistent hashing).
  upstream rasa_socketio {{
    hash $remote_addr consistent;
{servers}
  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

  server {{
    listen {listen}:{port};
    client_max_body_size 1m;
    location /socket.io/ {{
      proxy_pass http://rasa_socketio;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 300s;
    }}
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout;
    }}
  }}
}}
"""


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
            self.front.extra_env = self.env()
            self.front.start_actions()
            self._start_rasa_servers()
            self._start_nginx()
            if self.web_port:
                self.front.web_port, self.front.web_host, self.front.rasa_port = self.web_port, self.listen, self.port
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
        self.front.procs["redis"] = subprocess.Popen(
            [find_tool("redis-server"), str(conf)], cwd=self.base, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self.front._out("redis-stderr"), start_new_session=True)
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
                "type: scaleout.lock_store.AtomicRedisLockStore", "type: redis"))
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
        errors: List[BaseException] = []

        def start(stack: Stack) -> None:
            try:
                stack.start_rasa(timeout=300)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(s,)) for s in self.rasa]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def _start_nginx(self) -> None:
        conf = self.base / "nginx" / "nginx.conf"
        conf.write_text(nginx_conf(self.base, self.listen, self.port, [s.rasa_port for s in self.rasa]))
        self._say(f"Starting nginx on {self.listen}:{self.port} (round-robin over the Rasa servers) ...")
        self.front.procs["nginx"] = subprocess.Popen(
            [find_tool("nginx"), "-p", str(self.base / "nginx"), "-c", str(conf), "-e", str(self.logs / "nginx-error.log")],
            cwd=self.base, stdin=subprocess.DEVNULL, stdout=self.front._out("nginx"),
            stderr=subprocess.STDOUT, start_new_session=True)
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

    def events(self, sender: str) -> List[dict]:
        """The conversation as the tracker store holds it, in store order (events.id)."""
        with self.pg.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT id, type_name, timestamp, intent_name, action_name, data "
                        "FROM events WHERE sender_id = %s ORDER BY id", (sender,))
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


# --- concurrency checks (tests/test_cluster.py, `cluster.py lockcheck`) ----------------

CONCURRENT_MESSAGES = [
    "does the PMP expire?", "how much is the CPA?", "tell me about Kubernetes",
    "how long does React take?", "do employers care about micro-credentials?",
    "who issues the PMP?", "is the CPA online?", "do micro-credentials expire?",
    "what is a micro-credential?", "how much does Kubernetes cost?",
]


def send_at_once(urls: List[str], sender: str, messages: List[str], timeout: float = 120) -> List[tuple]:
    """Send every message of one conversation at the same moment (one thread
    each, released together), message i to urls[i % len(urls)].
    Returns (reply list or the exception, seconds) per message."""
    results: List[tuple] = [None] * len(messages)
    barrier = threading.Barrier(len(messages))

    def send(i: int) -> None:
        barrier.wait()
        t0 = time.monotonic()
        try:
            results[i] = (_post(urls[i % len(urls)], sender, messages[i], timeout), time.monotonic() - t0)
        except Exception as exc:  # reported to the caller
            results[i] = (exc, time.monotonic() - t0)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(messages))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def turns(events: List[dict]) -> List[dict]:
    """Split a stored conversation into turns: each user message with the bot
    messages and actions recorded after it, up to the next user message."""
    out: List[dict] = []
    for e in events:
        if e["type"] == "user":
            out.append({"user": e["data"].get("text"), "bot": [], "actions": []})
        elif out and e["type"] == "bot":
            out[-1]["bot"].append(e["data"].get("text") or "")
        elif out and e["type"] == "action":
            out[-1]["actions"].append(e["action"])
    return out


def turn_problems(cluster: "Cluster", sender: str, sent: List[str], results: List[tuple]) -> List[str]:
    """What is wrong with how `sent` (answered as `results`) was recorded: every
    message answered, recorded once, its own answer right after it, each turn
    closed (action_listen) before the next began."""
    problems = []
    for message, (reply, _) in zip(sent, results):
        if not isinstance(reply, list) or not reply:
            problems.append(f"{message!r} not answered: {reply!r}")
    recorded = [t for t in turns(cluster.events(sender)) if t["user"] in sent]
    if sorted(t["user"] for t in recorded) != sorted(sent):
        problems.append(f"recorded {len(recorded)} of {len(sent)} messages: {[t['user'] for t in recorded]}")
    answers = {m: "\n".join(x.get("text", "") for x in r) for m, (r, _) in zip(sent, results) if isinstance(r, list)}
    for t in recorded:
        if t["actions"][-1:] != ["action_listen"]:
            problems.append(f"turn {t['user']!r} not closed before the next one: {t['actions']}")
        if t["user"] in answers and "\n".join(t["bot"]) != answers[t["user"]]:
            problems.append(f"turn {t['user']!r} recorded with another answer than the one sent back")
    return problems


# --- make run-cluster ----------------------------------------------------------------

def cluster_from_env() -> Cluster:
    n = _int_env("CLUSTER_SERVERS", 2)
    ports_env = os.environ.get("CLUSTER_SERVER_PORTS", "")
    ports = [int(p) for p in ports_env.replace(",", " ").split()] if ports_env else [5006 + i for i in range(n)]
    return Cluster(
        servers=n, port=_int_env("RASA_PORT", 5005), server_ports=ports,
        action_port=_int_env("ACTION_PORT", 5055), web_port=_int_env("WEB_PORT", 8080),
        listen=os.environ.get("CLUSTER_HOST", "127.0.0.1"), model=os.environ.get("RASA_MODEL", "models"),
        lock_lifetime=_int_env("TICKET_LOCK_LIFETIME", 30), quiet=False,
    )


def cmd_run() -> int:
    cluster = cluster_from_env()
    _stop_on_signals()
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
        while True:
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
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, ToolMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(cluster.failure_logs, file=sys.stderr)
        return 1
    finally:
        cluster.stop()


# --- the load run of docs/DEPLOY.md ------------------------------------------------

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


def _post(url: str, sender: str, message: str, timeout: float = 60) -> list:
    body = json.dumps({"sender": sender, "message": message}).encode()
    req = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


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
                    ok = bool(_post(url, sender, message))
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


def _cpu_seconds(pids: List[int]) -> float:
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


def _machine_busy() -> tuple:
    """(busy, total) jiffies of all CPUs since boot (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def cmd_load(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(prog="cluster.py load", description="Load through nginx with 1 and 2 Rasa servers.")
    ap.add_argument("--servers", default="1,2", help="server counts to measure, comma separated (default 1,2)")
    ap.add_argument("--seconds", type=float, default=30, help="measured seconds per run (default 30)")
    ap.add_argument("--warmup", type=float, default=5, help="unmeasured seconds first (default 5)")
    ap.add_argument("--concurrency", default="8", help="concurrent clients, comma separated (default 8)")
    ap.add_argument("--model", default=os.environ.get("RASA_MODEL", "models"))
    args = ap.parse_args(argv)
    rows = []
    _stop_on_signals()
    for n in [int(x) for x in args.servers.split(",")]:
        cluster = Cluster(servers=n, port=free_port(), action_port=free_port(), model=args.model, quiet=False)
        try:
            cluster.start()
            load_run(cluster.url, args.warmup, 4, f"warm{n}")
            for c in [int(x) for x in args.concurrency.split(",")]:
                rasa_pids = [st.procs["rasa"].pid for st in cluster.rasa]
                rows0, size0 = cluster.store_size()
                cpu0, (busy0, all0) = _cpu_seconds(rasa_pids), _machine_busy()
                r = load_run(cluster.url, args.seconds, c, f"{n}x{c}")
                cpu1, (busy1, all1) = _cpu_seconds(rasa_pids), _machine_busy()
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
    ap = argparse.ArgumentParser(prog="cluster.py lockcheck")
    ap.add_argument("--lock-store", choices=["atomic", "redis"], default="atomic",
                    help="atomic: scaleout.lock_store (default); redis: Rasa's stock RedisLockStore")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--model", default=os.environ.get("RASA_MODEL", "models"))
    args = ap.parse_args(argv)
    _stop_on_signals()
    cluster = Cluster(servers=2, port=free_port(), action_port=free_port(), model=args.model,
                      lock_store=args.lock_store, quiet=False)
    bad = 0
    try:
        cluster.start()
        for trial in range(args.trials):
            sender = f"lockcheck-{trial}"
            _post(cluster.rasa_urls[0], sender, "hi")
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


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        sys.exit(cmd_run())
    if command == "load":
        sys.exit(cmd_load(sys.argv[2:]))
    if command == "lockcheck":
        sys.exit(cmd_lockcheck(sys.argv[2:]))
    sys.exit(f"usage: {sys.argv[0]} [run|load|lockcheck]")
