"""Process supervision: the action server, the Rasa server and the web chat
page's server as child processes, started the way `make run` starts them.

The same code starts the servers for the tests, the cluster and the benchmark,
so what is tested is what `make run` serves. Rasa's HTTP API stays off unless
RASA_ENABLE_API=1, which requires RASA_AUTH_TOKEN (docs/RELIABILITY.md).

What a stopped stack leaves behind: nothing.
- Ctrl-C, SIGTERM and SIGHUP only note that a stop was asked for
  (:func:`stop_on_signals`); the supervisor acts on it at the next safe point,
  so a signal never interrupts it between starting a child and recording it,
  nor in the middle of stopping them. A hang-up of its terminal counts too,
  even when no SIGHUP reaches it: the kernel sends that only to the session's
  leader (a shell forwards it to its jobs; `make` does not, it waits for them).
- Each server runs in a session of its own (Ctrl-C in the terminal reaches the
  supervisor, which stops them in order) and dies with the supervisor however
  the supervisor ends, even by SIGKILL (stack/child.py).

Every child is created with umask 077 and the logs and `var/` are the owner's
only; secrets reach the Rasa server alone (stack/env.py). The Rasa server and
the page listen on HOST (127.0.0.1 unless set); the action server, which has no
authentication, on 127.0.0.1 always.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Dict, List, Optional

from stack.child import PARENT_ENV
from stack.env import ROOT, base_env, int_env, list_env
from stack.net import answers, listening_addresses, port_in_use, wait_http

# Origins Rasa accepts browser requests from (`rasa run --cors`; sanic-cors
# treats a string with regex characters as a pattern, matched from the start):
# a page served on this machine's loopback, on any port.
LOOPBACK_ORIGINS = [r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?$"]

API_TOKEN_MIN_CHARS = 16
DEFAULT_HOST = "127.0.0.1"  # HOST=0.0.0.0 exposes the Rasa server and the page to the network
LABELS = {"web": "web chat page server", "actions": "action server", "rasa": "Rasa server", "shell": "rasa shell"}
BACKOFF_S = (1, 2, 4, 8, 16, 30)  # waits before the 1st, 2nd, ... restart of a part that keeps failing
STABLE_S = 60  # a part up this long has recovered: its next failure starts the back-off again


def api_args(env: Dict[str, str]) -> List[str]:
    """Rasa's HTTP API (/model/parse, /conversations/...) is off unless
    RASA_ENABLE_API=1; then every API call needs ?token=RASA_AUTH_TOKEN. The
    token stays in the environment: stack/child.py hands it to Rasa in memory."""
    if (env.get("RASA_ENABLE_API") or "").strip().lower() not in ("1", "true", "yes", "on"):
        return []
    token = (env.get("RASA_AUTH_TOKEN") or "").strip()
    if len(token) < API_TOKEN_MIN_CHARS:
        raise RuntimeError(f"RASA_ENABLE_API is set: RASA_AUTH_TOKEN must hold a secret of at least "
                           f"{API_TOKEN_MIN_CHARS} characters (e.g. `openssl rand -hex 24`)")
    return ["--enable-api"]


# --------------------------------------------------------------------------
# signals

STOP = threading.Event()  # set by Ctrl-C, SIGTERM, SIGHUP or a hang-up, once stop_on_signals() is on
_TERMINAL: List[int] = []  # this process's terminal (fds 0-2 that were a tty), watched for a hang-up


def _note_stop(*_: object) -> None:
    STOP.set()


def stop_on_signals() -> None:
    """Ctrl-C, SIGTERM and SIGHUP ask the supervisor to stop (STOP); they never
    raise in the middle of what it is doing. So does a hang-up of the terminal
    it runs in (:func:`stopping` notices it)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _note_stop)
    _TERMINAL[:] = [fd for fd in (0, 1, 2) if os.isatty(fd)]


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt()


def interrupt_on_signals() -> None:
    """For a process that supervises nothing (the page server, the load tools):
    SIGTERM and SIGHUP stop it like Ctrl-C, with a KeyboardInterrupt."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)


def stopping(seconds: float = 0) -> bool:
    """Wait up to `seconds` for a stop to be asked for; True if it was, or if
    the terminal has hung up (a hung-up tty is no longer a tty to its holders)."""
    if (STOP.wait(seconds) if seconds > 0 else STOP.is_set()):
        return True
    if _TERMINAL and not all(os.isatty(fd) for fd in _TERMINAL):
        STOP.set()
    return STOP.is_set()


def say(text: str, err: bool = False) -> None:
    """Print to the terminal, which may be gone (a hang-up): never raises."""
    try:
        print(text, file=sys.stderr if err else sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


# --------------------------------------------------------------------------
# files and children


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter (created, or narrowed if it exists)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def spawn(argv: List[str], env: Dict[str, str], stdout: Optional[IO[bytes]] = None,
          stderr: Optional[IO[bytes]] = None, own_session: bool = True) -> subprocess.Popen:
    """Start a child as stack/child.py runs it: dying with this process (when
    started from the main thread: the kernel ties the child to the thread that
    started it), with umask 077, in a session of its own unless it needs the
    terminal."""
    if threading.current_thread() is threading.main_thread():
        env = {**env, PARENT_ENV: str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "stack.child", *argv], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL if own_session else None, stdout=stdout, stderr=stderr,
                            start_new_session=own_session, umask=0o077)


@dataclass
class Stack:
    rasa_port: int = 5005
    action_port: int = 5055
    endpoints: str = "endpoints.yml"
    credentials: str = "credentials.yml"
    model: str = "models"
    log_dir: Optional[Path] = None
    extra_env: Dict[str, str] = field(default_factory=dict)
    # TensorFlow's thread pools in the Rasa server. Its default (one thread per
    # core in each pool) costs more than it gains on one small model per request
    # (docs/DEPLOY.md, docs/BENCHMARKS.md); None leaves TensorFlow's default.
    tf_threads: Optional[int] = 1
    rasa_args: List[str] = field(default_factory=list)
    web_port: int = 8080
    host: str = DEFAULT_HOST  # where the Rasa server and the page listen (HOST); the action server: loopback
    cors_origins: List[str] = field(default_factory=lambda: list(LOOPBACK_ORIGINS))
    socket_url: str = ""  # the Rasa URL the page connects to; "": the page's host, rasa_port
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: List[IO[bytes]] = field(default_factory=list)
    _foreground: set = field(default_factory=set)  # children in this process's session (the terminal's)

    @property
    def reach_host(self) -> str:
        """Where this machine reaches `host` (a wildcard address: loopback)."""
        return DEFAULT_HOST if self.host in ("", "0.0.0.0", "::") else self.host

    @property
    def rasa_url(self) -> str:
        return f"http://{self.reach_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.reach_host}:{self.web_port}/"

    def health_url(self, name: str) -> str:
        return {"actions": f"{self.action_url}/health", "rasa": f"{self.rasa_url}/webhooks/rest/",
                "web": f"{self.web_url}config.js"}[name]

    def ports(self) -> Dict[str, int]:
        return {"web": self.web_port, "rasa": self.rasa_port, "actions": self.action_port}

    def log_file(self, name: str) -> Optional[IO[bytes]]:
        """log_dir/<name>.log opened for appending, the owner's only (closed by stop()); None without a log_dir."""
        if self.log_dir is None:
            return None
        private_dir(self.log_dir)
        f = os.fdopen(os.open(self.log_dir / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        self._logs.append(f)
        return f

    def _spawn(self, name: str, argv: List[str], env: Dict[str, str]) -> subprocess.Popen:
        out = self.log_file(name)
        self.procs[name] = spawn(argv, env, stdout=out, stderr=subprocess.STDOUT if out else None)
        return self.procs[name]

    # the three servers: spawn_* starts one and returns at once; start_* waits until it answers

    def spawn_actions(self) -> subprocess.Popen:
        env = base_env({"SANIC_HOST": "127.0.0.1", **self.extra_env}, handoff=True)
        return self._spawn("actions", ["rasa", "run", "actions", "--actions", "actions",
                                       "--port", str(self.action_port)], env)

    def spawn_rasa(self) -> subprocess.Popen:
        private_dir(ROOT / "var")
        threads = {} if self.tf_threads is None else {
            "TF_INTER_OP_PARALLELISM_THREADS": str(self.tf_threads),
            "TF_INTRA_OP_PARALLELISM_THREADS": str(self.tf_threads),
        }
        env = base_env({**threads, **self.extra_env}, secrets=True)
        cmd = [
            "rasa", "run",
            "--model", self.model,
            "--endpoints", self.endpoints,
            "--credentials", self.credentials,
            "--port", str(self.rasa_port),
            *self.rasa_args,
        ]
        if "-i" not in self.rasa_args and "--interface" not in self.rasa_args:
            cmd += ["--interface", self.host]
        if self.cors_origins and "--cors" not in self.rasa_args:
            # socket.io's first requests are cross-origin XHR from the web page
            cmd += ["--cors", *self.cors_origins]
        if "--enable-api" not in self.rasa_args:
            cmd += api_args(env)
        return self._spawn("rasa", cmd, env)

    def spawn_web(self) -> subprocess.Popen:
        """The web chat page's static server (`python -m stack web`), pointing at this Rasa port."""
        env = base_env({
            "WEB_PORT": str(self.web_port), "HOST": self.host,
            "RASA_PORT": str(self.rasa_port), "RASA_SOCKET_URL": self.socket_url, **self.extra_env,
        })
        return self._spawn("web", ["web"], env)

    def spawn_part(self, name: str) -> subprocess.Popen:
        return {"actions": self.spawn_actions, "rasa": self.spawn_rasa, "web": self.spawn_web}[name]()

    def wait_until_up(self, name: str, timeout: float) -> None:
        """Until the part answers; RuntimeError if it dies first, Stopping if a stop is asked for."""
        wait_http(self.health_url(name), timeout, self.procs[name], stopping)

    def start_actions(self, timeout: float = 60) -> None:
        self.spawn_actions()
        self.wait_until_up("actions", timeout)

    def start_rasa(self, timeout: float = 180) -> None:
        self.spawn_rasa()
        self.wait_until_up("rasa", timeout)

    def start_web(self, timeout: float = 30) -> None:
        self.spawn_web()
        self.wait_until_up("web", timeout)

    def start(self) -> "Stack":
        self.start_actions()
        self.start_rasa()
        return self

    def spawn_shell(self) -> subprocess.Popen:
        """`rasa shell` in this terminal (make shell): in this process's session, so it has the terminal."""
        env = base_env({**self.extra_env}, secrets=True)
        self.procs["shell"] = spawn(["rasa", "shell", "--model", self.model, "--endpoints", self.endpoints,
                                     "--port", str(self.rasa_port)], env, own_session=False)
        self._foreground.add("shell")
        return self.procs["shell"]

    def busy_ports(self, names: Optional[List[str]] = None) -> List[str]:
        """A sentence for each port this stack needs that something else holds."""
        env_names = {"web": "WEB_PORT", "rasa": "RASA_PORT", "actions": "ACTION_PORT"}
        busy = []
        for name, port in self.ports().items():
            if names is not None and name not in names:
                continue
            holder = port_in_use(port)
            if holder:
                busy.append(f"port {port}, which the {LABELS[name]} needs, is in use by {holder}: "
                            f"stop it, or set {env_names[name]} to another port")
        return busy

    def listening(self, names: List[str]) -> str:
        """Where each server listens, as this machine's kernel reports it."""
        parts = []
        for name in names:
            port = self.ports()[name]
            where = ", ".join(f"[{a}]:{port}" if ":" in a else f"{a}:{port}" for a in listening_addresses(port))
            parts.append(f"{LABELS[name]} {where or f'?:{port}'}")
        return "; ".join(parts)

    def stop_one(self, name: str, timeout: float = 15) -> None:
        proc = self.procs.pop(name, None)
        self_group = name in self._foreground
        self._foreground.discard(name)
        if proc is None or proc.poll() is not None:
            return

        def send(sig: int) -> None:
            try:
                proc.send_signal(sig) if self_group else os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass

        send(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            send(signal.SIGKILL)
            proc.wait(5)

    def stop(self) -> None:
        for name in ("shell", "web", "rasa", "actions", *list(self.procs)):
            self.stop_one(name)
        for f in self._logs:
            f.close()
        self._logs.clear()


# --------------------------------------------------------------------------
# make run: serve until a stop is asked for, bringing back what crashes


@dataclass
class _Part:
    failures: int = 0
    started: float = field(default_factory=time.monotonic)
    restart_at: Optional[float] = None  # waiting out its back-off
    coming_back: bool = False  # restarted, not answering yet


def supervise(stack: Stack, names: List[str], report: Callable[[str], None] = say, poll_s: float = 0.25) -> None:
    """Serve until a stop is asked for (STOP). A part that dies is restarted
    after a back-off (1, 2, 4, ... 30 s while it keeps failing), with a line
    for each event; the others go on serving meanwhile (the Rasa server
    apologises for what needs the action server)."""
    parts = {name: _Part() for name in names}
    while not stopping(poll_s):
        now = time.monotonic()
        for name, part in parts.items():
            label = LABELS[name]
            if part.restart_at is not None:
                if now >= part.restart_at:
                    part.restart_at, part.started, part.coming_back = None, now, True
                    proc = stack.spawn_part(name)
                    report(f"Restarting the {label} (pid {proc.pid}) ...")
                continue
            proc = stack.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is not None:
                part.failures = 1 if now - part.started >= STABLE_S else part.failures + 1
                delay = BACKOFF_S[min(part.failures, len(BACKOFF_S)) - 1]
                part.restart_at, part.coming_back = now + delay, False
                report(f"The {label} stopped unexpectedly (exit code {proc.returncode}); "
                       f"restarting it in {delay} s (restart {part.failures})")
            elif part.coming_back and answers(stack.health_url(name), timeout=0.5):
                part.coming_back = False
                report(f"The {label} is back (pid {proc.pid})")


def stack_from_env() -> Stack:
    return Stack(
        rasa_port=int_env("RASA_PORT", 5005),
        action_port=int_env("ACTION_PORT", 5055),
        endpoints=os.environ.get("ENDPOINTS", "endpoints.yml"),
        credentials=os.environ.get("CREDENTIALS", "credentials.yml"),
        model=os.environ.get("RASA_MODEL", "models"),
        web_port=int_env("WEB_PORT", 8080),
        host=os.environ.get("HOST", "").strip() or DEFAULT_HOST,
        cors_origins=list_env("CORS_ORIGINS", LOOPBACK_ORIGINS),
        socket_url=os.environ.get("RASA_SOCKET_URL", ""),
    )
