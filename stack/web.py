"""The web chat page's static server (`python -m stack web`; `make run`
starts it through Stack.start_web). See docs/WEBCHAT.md.

GET/HEAD only; the files of web/ and build/web/ by name (flat, no directories,
so no path in a request can reach anything else), a generated /config.js, and
docs/RELIABILITY.md (as plain text: the page links to its statement of what is
stored).
Settings from the environment: WEB_PORT (8080), HOST (127.0.0.1),
RASA_PORT (5005) and RASA_SOCKET_URL (the Rasa URL the page connects to;
default http://<the page's host>:RASA_PORT); WEB_LOG=1 logs every request.

A client has READ_TIMEOUT_S to send its request head, counted from the
connection (a client that sends nothing, or a byte at a time, is hung up on),
and each read or write of the connection times out after as long; control
characters from request lines are written to the log escaped (\x1b), never raw.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List

from stack.env import ROOT, int_env
from stack.process import DEFAULT_HOST, interrupt_on_signals

WEB_DIR = ROOT / "web"                  # the chat page (index.html, chat.js, chat.css)
WEB_BUILD_DIR = ROOT / "build" / "web"  # socket.io's client (python -m stack.widget)
# documents the page links to, by URL name
WEB_DOCS = {"RELIABILITY.md": ROOT / "docs" / "RELIABILITY.md"}
READ_TIMEOUT_S = 5.0  # a request head (GET, HEAD) comes in one packet; browsers send it at once
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Control characters as \\xNN, so a request line cannot write to the
    terminal or forge log lines."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def web_files() -> Dict[str, Path]:
    """Every file the page server may send, by URL name: flat, no directories,
    so no path in a request can reach anything else."""
    files: Dict[str, Path] = {}
    for folder in (WEB_BUILD_DIR, WEB_DIR):  # the page's own files win
        if folder.is_dir():
            files.update({f.name: f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")})
    files.update({name: path for name, path in WEB_DOCS.items() if path.is_file()})
    return files


class WebChatHandler(BaseHTTPRequestHandler):
    """GET/HEAD only: the page's files and a generated /config.js."""

    server_version = "webchat"
    timeout = READ_TIMEOUT_S  # every read and write of the connection (socketserver.StreamRequestHandler)
    rasa_port = 5005
    socket_url = ""  # RASA_SOCKET_URL; empty: same host as the page, port rasa_port
    files: Dict[str, Path] = {}

    def setup(self) -> None:
        super().setup()
        # the whole request head within READ_TIMEOUT_S, however slowly it trickles in
        self._head_deadline = threading.Timer(READ_TIMEOUT_S, self._hang_up)
        self._head_deadline.daemon = True
        self._head_deadline.start()

    def _hang_up(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def parse_request(self) -> bool:
        ok = super().parse_request()  # the request line and the headers are read by now
        self._head_deadline.cancel()
        return ok

    def finish(self) -> None:
        self._head_deadline.cancel()
        super().finish()

    def do_GET(self) -> None:  # http.server's naming
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
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
            ctype = ("text/plain" if name.endswith(".md") else
                     mimetypes.guess_type(name)[0] or "application/octet-stream")
            if ctype.startswith("text/") or ctype.endswith("javascript"):
                ctype += "; charset=utf-8"
            if name.endswith(".html"):
                # Nothing but this server and Rasa: no CDN, no font service, no inline script.
                headers["Content-Security-Policy"] = (
                    "default-src 'self'; script-src 'self'; style-src 'self'; "
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

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"web: {self.address_string()} {escape_controls(format % args)}\n")


def serve() -> int:
    """Serve the chat page until SIGTERM/Ctrl-C (started by Stack.start_web)."""
    files = web_files()
    missing = [n for n in ("index.html", "chat.js", "socket.io.min.js") if n not in files]
    if missing:
        print(f"error: {', '.join(missing)} missing: build the page with `make web` "
              "(python -m stack.widget)", file=sys.stderr)
        return 1
    WebChatHandler.files = files
    WebChatHandler.rasa_port = int_env("RASA_PORT", 5005)
    WebChatHandler.socket_url = os.environ.get("RASA_SOCKET_URL", "").rstrip("/")
    host, port = os.environ.get("HOST", "").strip() or DEFAULT_HOST, int_env("WEB_PORT", 8080)
    try:
        server = ThreadingHTTPServer((host, port), WebChatHandler)
    except OSError as exc:
        print(f"error: cannot serve the web chat on {host}:{port}: {exc} (set WEB_PORT or HOST)", file=sys.stderr)
        return 1
    server.daemon_threads = True
    interrupt_on_signals()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
