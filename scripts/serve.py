"""Start the action server and the Rasa server the way `make run` does.

    python scripts/serve.py run     # serve until Ctrl-C
    python scripts/serve.py shell   # action server + `rasa shell` in this terminal
    python scripts/serve.py web     # only the web chat page's static server

The same code starts the servers for the tests (tests/conftest.py,
tests/test_webchat.py), so what is tested is what `make run` serves. Ports and
files come from the environment: RASA_PORT (5005), ACTION_PORT (5055),
RASA_MODEL (models/), ENDPOINTS (endpoints.yml), CREDENTIALS (credentials.yml);
for the web chat (docs/WEBCHAT.md): WEB_PORT (8080), WEB_HOST (127.0.0.1),
CORS_ORIGINS (origins allowed to talk to Rasa from a browser, space or comma
separated; default: pages on localhost/127.0.0.1, any port) and RASA_SOCKET_URL
(the Rasa URL the page connects to; default http://<the page's host>:RASA_PORT).
Rasa's HTTP API stays off unless RASA_ENABLE_API=1, which requires
RASA_AUTH_TOKEN (docs/RELIABILITY.md).
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, IO, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from channels.slack_settings import slack_status  # noqa: E402  (does not import Rasa)

VENV_BIN = ROOT / ".venv" / "bin"
WEB_DIR = ROOT / "web"                  # the chat page (index.html, chat.js, chat.css)
WEB_BUILD_DIR = ROOT / "build" / "web"  # the widget bundle (scripts/build_web.py)

# Origins Rasa accepts browser requests from (`rasa run --cors`; sanic-cors
# treats a string with regex characters as a pattern, matched from the start):
# a page served on this machine's loopback, on any port.
LOOPBACK_ORIGINS = [r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?$"]


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
        threads = {} if self.tf_threads is None else {
            "TF_INTER_OP_PARALLELISM_THREADS": str(self.tf_threads),
            "TF_INTRA_OP_PARALLELISM_THREADS": str(self.tf_threads),
        }
        env = base_env({**threads, **self.extra_env})
        out = self._out("rasa")
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
        """The web chat page's static server (`serve.py web`), pointing at this Rasa port."""
        env = base_env({
            "WEB_PORT": str(self.web_port), "WEB_HOST": self.web_host,
            "RASA_PORT": str(self.rasa_port), "RASA_SOCKET_URL": self.socket_url, **self.extra_env,
        })
        out = self._out("web")
        self.procs["web"] = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "web"],
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


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        sys.exit(f"error: {name} must be a whole number, got {value!r}")


def _list_env(name: str, default: List[str]) -> List[str]:
    value = os.environ.get(name, "").strip()
    return [v for v in re.split(r"[\s,]+", value) if v] if value else list(default)


def stack_from_env() -> Stack:
    return Stack(
        rasa_port=_int_env("RASA_PORT", 5005),
        action_port=_int_env("ACTION_PORT", 5055),
        endpoints=os.environ.get("ENDPOINTS", "endpoints.yml"),
        credentials=os.environ.get("CREDENTIALS", "credentials.yml"),
        model=os.environ.get("RASA_MODEL", "models"),
        web_port=_int_env("WEB_PORT", 8080),
        web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
        cors_origins=_list_env("CORS_ORIGINS", LOOPBACK_ORIGINS),
        socket_url=os.environ.get("RASA_SOCKET_URL", ""),
    )


# --- the web chat page's static server ---------------------------------------

def _web_files() -> Dict[str, Path]:
    """Every file the page server may send, by URL name: flat, no directories,
    so no path in a request can reach anything else."""
    files: Dict[str, Path] = {}
    for folder in (WEB_BUILD_DIR, WEB_DIR):  # the page's own files win
        if folder.is_dir():
            files.update({f.name: f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")})
    return files


class WebChatHandler(BaseHTTPRequestHandler):
    """GET/HEAD only: the page's files and a generated /config.js."""

    server_version = "webchat"
    rasa_port = 5005
    socket_url = ""  # RASA_SOCKET_URL; empty: same host as the page, port rasa_port
    files: Dict[str, Path] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _rasa_origins(self) -> List[str]:
        """Where the page may connect (Content-Security-Policy connect-src)."""
        if self.socket_url:
            url = urllib.parse.urlsplit(self.socket_url)
            ws = {"https": "wss", "http": "ws"}.get(url.scheme, url.scheme)
            return [f"{url.scheme}://{url.netloc}", f"{ws}://{url.netloc}"]
        host = urllib.parse.urlsplit("//" + (self.headers.get("Host") or "localhost")).hostname or "localhost"
        host = f"[{host}]" if ":" in host else host
        return [f"http://{host}:{self.rasa_port}", f"ws://{host}:{self.rasa_port}"]

    def _serve(self, send_body: bool) -> None:
        path = urllib.parse.urlsplit(self.path).path
        name = "index.html" if path == "/" else path[1:]
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer"}
        if name == "config.js":
            config = {"rasaPort": self.rasa_port, "socketUrl": self.socket_url or None}
            body = f"window.WEBCHAT_CONFIG = {json.dumps(config)};\n".encode()
            ctype = "text/javascript; charset=utf-8"
        elif "/" not in name and name in self.files:
            body = self.files[name].read_bytes()
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype.endswith("javascript"):
                ctype += "; charset=utf-8"
            if name.endswith(".html"):
                # Nothing but this server and Rasa: no CDN, no font service, no inline script.
                headers["Content-Security-Policy"] = (
                    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                    "img-src 'self' data:; font-src 'self' data:; "
                    f"connect-src 'self' {' '.join(self._rasa_origins())}; "
                    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
                )
        else:
            self.send_error(404, "Not found")
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_request(self, code: object = "-", size: object = "-") -> None:
        if isinstance(code, int) and code < 400 and not os.environ.get("WEB_LOG"):
            return  # quiet unless something goes wrong (WEB_LOG=1: every request)
        super().log_request(code, size)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write(f"web: {self.address_string()} {format % args}\n")


def cmd_web() -> int:
    """Serve the chat page until SIGTERM/Ctrl-C (started by Stack.start_web)."""
    files = _web_files()
    missing = [n for n in ("index.html", "rasa-webchat.js") if n not in files]
    if missing:
        print(f"error: {', '.join(missing)} missing: build the page with `make web` "
              "(scripts/build_web.py)", file=sys.stderr)
        return 1
    WebChatHandler.files = files
    WebChatHandler.rasa_port = _int_env("RASA_PORT", 5005)
    WebChatHandler.socket_url = os.environ.get("RASA_SOCKET_URL", "").rstrip("/")
    host, port = os.environ.get("WEB_HOST", "127.0.0.1"), _int_env("WEB_PORT", 8080)
    try:
        server = ThreadingHTTPServer((host, port), WebChatHandler)
    except OSError as exc:
        print(f"error: cannot serve the web chat on {host}:{port}: {exc} (set WEB_PORT)", file=sys.stderr)
        return 1
    server.daemon_threads = True
    _stop_on_signals()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


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
        print(f"Starting the web chat page on {stack.web_url} ...", flush=True)
        stack.start_web()
        print(f"Starting the action server on {stack.action_url} ...", flush=True)
        stack.start_actions()
        print(f"Starting the Rasa server on {stack.rasa_url} (loading the model takes ~20 s) ...", flush=True)
        stack.start_rasa()
        web = f"http://localhost:{stack.web_port}/" if stack.web_url.startswith("http://127.0.0.1:") else stack.web_url
        allowed = ("any on localhost/127.0.0.1; others: set CORS_ORIGINS"
                   if stack.cors_origins == LOOPBACK_ORIGINS else " ".join(stack.cors_origins) or "none")
        print(
            "\nThe assistant is up.\n"
            f"  Web chat: {web}  (its widget talks socket.io to port {stack.rasa_port}; pages allowed to: "
            f"{allowed})\n"
            f"  REST:   curl -s {stack.rasa_url}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' -d '{\"sender\": \"me\", \"message\": \"do micro-credentials expire?\"}'\n"
            f"  {slack_status()}\n"
            f"  HTTP API: {'on, token from RASA_AUTH_TOKEN' if api_args(base_env()) else 'off (RASA_ENABLE_API=1 and RASA_AUTH_TOKEN turn it on)'}\n"
            f"  Action server health: {stack.action_url}/health\n"
            "Press Ctrl-C to stop the servers.",
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
    if command == "web":
        sys.exit(cmd_web())
    sys.exit(f"usage: {sys.argv[0]} run|shell|web")
