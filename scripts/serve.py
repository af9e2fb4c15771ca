"""Start the action server and the Rasa server the way `make run` does.

    python scripts/serve.py run     # serve until Ctrl-C
    python scripts/serve.py shell   # action server + `rasa shell` in this terminal

The same code starts the servers for the tests (tests/conftest.py), so what is
tested is what `make run` serves. Ports and files come from the environment:
RASA_PORT (5005), ACTION_PORT (5055), RASA_MODEL (models/), ENDPOINTS
(endpoints.yml), CREDENTIALS (credentials.yml).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, IO, List, Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def rasa_bin() -> str:
    exe = VENV_BIN / "rasa"
    return str(exe) if exe.exists() else "rasa"


def base_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if extra:
        env.update(extra)
    return env


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    """Poll url until it answers 200; fail early if proc dies."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last = exc
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s (last error: {last})")


@dataclass
class Stack:
    rasa_port: int = 5005
    action_port: int = 5055
    endpoints: str = "endpoints.yml"
    credentials: str = "credentials.yml"
    model: str = "models"
    log_dir: Optional[Path] = None
    extra_env: Dict[str, str] = field(default_factory=dict)
    rasa_args: List[str] = field(default_factory=list)
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: List[IO[bytes]] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def _out(self, name: str):
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        f = open(self.log_dir / f"{name}.log", "ab")
        self._logs.append(f)
        return f

    def start_actions(self, timeout: float = 60) -> None:
        env = base_env({"SANIC_HOST": "127.0.0.1", **self.extra_env})
        out = self._out("actions")
        self.procs["actions"] = subprocess.Popen(
            [rasa_bin(), "run", "actions", "--actions", "actions", "--port", str(self.action_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        wait_http(f"{self.action_url}/health", timeout, self.procs["actions"])

    def start_rasa(self, timeout: float = 180) -> None:
        (ROOT / "var").mkdir(exist_ok=True)
        env = base_env(self.extra_env)
        out = self._out("rasa")
        cmd = [
            rasa_bin(), "run",
            "--model", self.model,
            "--endpoints", self.endpoints,
            "--credentials", self.credentials,
            "--port", str(self.rasa_port),
            *self.rasa_args,
        ]
        self.procs["rasa"] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        wait_http(f"{self.rasa_url}/webhooks/rest/", timeout, self.procs["rasa"])

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
        for name in ("rasa", "actions"):
            self.stop_one(name)
        for f in self._logs:
            f.close()
        self._logs.clear()


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        sys.exit(f"error: {name} must be a port number, got {value!r}")


def stack_from_env() -> Stack:
    return Stack(
        rasa_port=_int_env("RASA_PORT", 5005),
        action_port=_int_env("ACTION_PORT", 5055),
        endpoints=os.environ.get("ENDPOINTS", "endpoints.yml"),
        credentials=os.environ.get("CREDENTIALS", "credentials.yml"),
        model=os.environ.get("RASA_MODEL", "models"),
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt()


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP (terminal closed) stop the servers cleanly, like Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)


def cmd_run() -> int:
    stack = stack_from_env()
    _stop_on_signals()
    try:
        print(f"Starting the action server on {stack.action_url} ...", flush=True)
        stack.start_actions()
        print(f"Starting the Rasa server on {stack.rasa_url} (loading the model takes ~20 s) ...", flush=True)
        stack.start_rasa()
        print(
            "\nThe assistant is up.\n"
            f"  REST:   curl -s {stack.rasa_url}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' -d '{\"sender\": \"me\", \"message\": \"do micro-credentials expire?\"}'\n"
            f"  Action server health: {stack.action_url}/health\n"
            "Press Ctrl-C to stop both servers.",
            flush=True,
        )
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(0.5)
        dead = [n for n, p in stack.procs.items() if p.poll() is not None]
        print(f"error: {', '.join(dead)} server stopped unexpectedly", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def cmd_shell() -> int:
    stack = stack_from_env()
    _stop_on_signals()
    try:
        stack.log_dir = ROOT / "var" / "log"
        stack.start_actions()
        return subprocess.call(
            [rasa_bin(), "shell", "--model", stack.model, "--endpoints", stack.endpoints,
             "--port", str(stack.rasa_port)],
            cwd=ROOT, env=base_env(),
        )
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc} (see var/log/actions.log)", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        sys.exit(cmd_run())
    if command == "shell":
        sys.exit(cmd_shell())
    sys.exit(f"usage: {sys.argv[0]} run|shell")
