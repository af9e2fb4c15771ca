"""Process supervision: the action server, the Rasa server and the web chat
page's server as child processes, started the way `make run` starts them.

The same code starts the servers for the tests, the cluster and the benchmark,
so what is tested is what `make run` serves. Rasa's HTTP API stays off unless
RASA_ENABLE_API=1, which requires RASA_AUTH_TOKEN (docs/RELIABILITY.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional

from stack.env import ROOT, base_env, int_env, list_env, rasa_bin
from stack.net import wait_http

# Origins Rasa accepts browser requests from (`rasa run --cors`; sanic-cors
# treats a string with regex characters as a pattern, matched from the start):
# a page served on this machine's loopback, on any port.
LOOPBACK_ORIGINS = [r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?$"]

API_TOKEN_MIN_CHARS = 16


def api_args(env: Dict[str, str]) -> List[str]:
    """Rasa's HTTP API (/model/parse, /conversations/...) is off unless
    RASA_ENABLE_API=1; then every API call needs ?token=RASA_AUTH_TOKEN."""
    if (env.get("RASA_ENABLE_API") or "").strip().lower() not in ("1", "true", "yes", "on"):
        return []
    token = (env.get("RASA_AUTH_TOKEN") or "").strip()
    if len(token) < API_TOKEN_MIN_CHARS:
        raise RuntimeError(f"RASA_ENABLE_API is set: RASA_AUTH_TOKEN must hold a secret of at least "
                           f"{API_TOKEN_MIN_CHARS} characters (e.g. `openssl rand -hex 24`)")
    return ["--enable-api", "--auth-token", token]


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt()


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP (terminal closed) stop the servers cleanly, like Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)


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
    web_host: str = "127.0.0.1"
    cors_origins: List[str] = field(default_factory=lambda: list(LOOPBACK_ORIGINS))
    socket_url: str = ""  # the Rasa URL the page connects to; "": the page's host, rasa_port
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: List[IO[bytes]] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def web_url(self) -> str:
        host = "127.0.0.1" if self.web_host in ("", "0.0.0.0", "::") else self.web_host
        return f"http://{host}:{self.web_port}/"

    def log_file(self, name: str) -> Optional[IO[bytes]]:
        """log_dir/<name>.log opened for appending (closed by stop()); None without a log_dir."""
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        f = open(self.log_dir / f"{name}.log", "ab")
        self._logs.append(f)
        return f

    def start_actions(self, timeout: float = 60) -> None:
        env = base_env({"SANIC_HOST": "127.0.0.1", **self.extra_env})
        out = self.log_file("actions")
        self.procs["actions"] = subprocess.Popen(
            [rasa_bin(), "run", "actions", "--actions", "actions", "--port", str(self.action_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        wait_http(f"{self.action_url}/health", timeout, self.procs["actions"])

    def start_rasa(self, timeout: float = 180) -> None:
        (ROOT / "var").mkdir(exist_ok=True)
        threads = {} if self.tf_threads is None else {
            "TF_INTER_OP_PARALLELISM_THREADS": str(self.tf_threads),
            "TF_INTRA_OP_PARALLELISM_THREADS": str(self.tf_threads),
        }
        env = base_env({**threads, **self.extra_env})
        out = self.log_file("rasa")
        cmd = [
            rasa_bin(), "run",
            "--model", self.model,
            "--endpoints", self.endpoints,
            "--credentials", self.credentials,
            "--port", str(self.rasa_port),
            *self.rasa_args,
        ]
        if self.cors_origins and "--cors" not in self.rasa_args:
            # socket.io's first requests are cross-origin XHR from the web page
            cmd += ["--cors", *self.cors_origins]
        if "--enable-api" not in self.rasa_args:
            cmd += api_args(env)
        self.procs["rasa"] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        wait_http(f"{self.rasa_url}/webhooks/rest/", timeout, self.procs["rasa"])

    def start_web(self, timeout: float = 30) -> None:
        """The web chat page's static server (`python -m stack web`), pointing at this Rasa port."""
        env = base_env({
            "WEB_PORT": str(self.web_port), "WEB_HOST": self.web_host,
            "RASA_PORT": str(self.rasa_port), "RASA_SOCKET_URL": self.socket_url, **self.extra_env,
        })
        out = self.log_file("web")
        self.procs["web"] = subprocess.Popen(
            [sys.executable, "-m", "stack", "web"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        wait_http(f"{self.web_url}config.js", timeout, self.procs["web"])

    def start(self) -> "Stack":
        self.start_actions()
        self.start_rasa()
        return self

    def stop_one(self, name: str, timeout: float = 15) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop(self) -> None:
        for name in ("web", "rasa", "actions", *list(self.procs)):
            self.stop_one(name)
        for f in self._logs:
            f.close()
        self._logs.clear()


def stack_from_env() -> Stack:
    return Stack(
        rasa_port=int_env("RASA_PORT", 5005),
        action_port=int_env("ACTION_PORT", 5055),
        endpoints=os.environ.get("ENDPOINTS", "endpoints.yml"),
        credentials=os.environ.get("CREDENTIALS", "credentials.yml"),
        model=os.environ.get("RASA_MODEL", "models"),
        web_port=int_env("WEB_PORT", 8080),
        web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
        cors_origins=list_env("CORS_ORIGINS", LOOPBACK_ORIGINS),
        socket_url=os.environ.get("RASA_SOCKET_URL", ""),
    )
