"""Talking to the real servers: REST (raw and JSON), socket.io, and what the
servers logged and stored."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import select
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import requests
import yaml

from channels import ids
from stack.process import Stack


def webhook(servers: Stack) -> str:
    return f"{servers.rasa_url}/webhooks/rest/webhook"


def post_raw(servers: Stack, body: bytes, timeout: float = 30, **kw: Any) -> requests.Response:
    return requests.post(webhook(servers), data=body, timeout=timeout,
                         headers={"Content-Type": "application/json"}, **kw)


def _read_response(sock: socket.socket) -> Tuple[int, Dict[str, str], bytes]:
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def send_head_only(port: int, path: str, length: int, content_type: str = "application/json",
                   headers: Optional[Dict[str, str]] = None, timeout: float = 10) -> Tuple[int, Dict[str, str], bytes]:
    """POST a head announcing a `length`-byte body, send none of it, and read
    the response: (status, headers, body). A server that reads bodies before
    checking their size never answers (socket timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Type: {content_type}",
                f"Content-Length: {length}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        return _read_response(sock)


def send_chunked_until_refused(port: int, path: str, limit: int, chunk: int = 64 * 1024,
                               timeout: float = 10) -> Tuple[int, int, bytes]:
    """POST a chunked body, one chunk at a time, until the server answers:
    (status, bytes sent, body). Each chunk is sent once the server has read the
    last (it answers within 0.2 s of the chunk that crosses its limit)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
        while sent <= 4 * limit:
            sock.sendall(b"%x\r\n" % chunk + b" " * chunk + b"\r\n")
            sent += chunk
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                status, _, body = _read_response(sock)
                return status, sent, body
    raise AssertionError(f"no answer after {sent:,} bytes")


def say(servers: Stack, sender: Optional[str], message: Any, timeout: float = 30) -> List[Dict[str, Any]]:
    body: Dict[str, Any] = {"message": message}
    if sender is not None:
        body["sender"] = sender
    r = post_raw(servers, json.dumps(body).encode(), timeout=timeout)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def text_of(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in replies)


def new_sender(tag: str = "rel") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def tracker_db(stack: Stack) -> Path:
    return Path(yaml.safe_load(Path(stack.endpoints).read_text())["tracker_store"]["db"])


def rest_conversation(sender: str) -> str:
    """The id the REST channel stores a sender's conversation under."""
    return ids.conversation_id(ids.REST, sender)


def stored_user_events(stack: Stack, conversation: str) -> List[Dict[str, Any]]:
    """The user events of one conversation (its stored id), in order, read
    straight from the SQL tracker store's `events` table."""
    with sqlite3.connect(f"file:{tracker_db(stack)}?mode=ro", uri=True, timeout=30) as db:
        rows = db.execute("SELECT data FROM events WHERE type_name = 'user' AND sender_id = ? ORDER BY id",
                          (conversation,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def user_texts(stack: Stack, senders: List[str], channel: str = ids.REST) -> Dict[str, List[str]]:
    """Every user message stored for each sender of `channel` (the ids the
    client used), in order, read straight from the SQL tracker store."""
    stored = {ids.conversation_id(channel, s): s for s in senders}
    out: Dict[str, List[str]] = {s: [] for s in senders}
    with sqlite3.connect(f"file:{tracker_db(stack)}?mode=ro", uri=True, timeout=30) as db:
        marks = ",".join("?" * len(stored))
        rows = db.execute(f"SELECT sender_id, data FROM events WHERE type_name = 'user' "
                          f"AND sender_id IN ({marks}) ORDER BY id", list(stored)).fetchall()
    for conversation, data in rows:
        out[stored[conversation]].append(json.loads(data).get("text"))
    return out


def proc_view(pid: int) -> Tuple[str, Dict[str, str]]:
    """(command line, environment) of a running process, from /proc."""
    proc = Path("/proc") / str(pid)
    cmdline = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    env = dict(item.split("=", 1) for item in proc.joinpath("environ").read_bytes().decode(errors="replace")
               .split("\0") if "=" in item)
    return cmdline, env


def secrets_seen(procs: Dict[str, Any], secrets: Dict[str, str]) -> Dict[str, List[str]]:
    """name -> where each of `secrets` (variable -> value) shows in that
    process: 'cmdline:<var>' or 'env:<var>'."""
    seen: Dict[str, List[str]] = {}
    for name, proc in procs.items():
        cmdline, env = proc_view(proc.pid)
        seen[name] = [f"cmdline:{var}" for var, value in secrets.items() if value in cmdline]
        seen[name] += [f"env:{var}" for var, value in secrets.items() if value in env.values()]
    return seen


# Log lines that mean something went wrong inside a server.
PROBLEM = re.compile(r"Traceback|Exception|exception|\bERROR\b|\bCRITICAL\b|the user was sent an apology")


class LogWatch:
    """What the servers logged since it was created."""

    def __init__(self, stack: Stack, names: Tuple[str, ...] = ("rasa", "actions")) -> None:
        assert stack.log_dir is not None
        self.paths = [stack.log_dir / f"{n}.log" for n in names]
        self.offsets = {p: p.stat().st_size if p.exists() else 0 for p in self.paths}

    def new_text(self) -> str:
        chunks = []
        for p in self.paths:
            if p.exists():
                with open(p, "rb") as f:
                    f.seek(self.offsets[p])
                    chunks.append(f.read().decode("utf-8", "replace"))
        return "\n".join(chunks)

    def problems(self) -> List[str]:
        return [line for line in self.new_text().splitlines() if PROBLEM.search(line)]


class SocketClient:
    """A python-socketio client run on its own event loop (polling transport)."""

    def __init__(self, url: str) -> None:
        import socketio

        self.url = url
        self.replies: List[Any] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("bot_uttered", self.replies.append)
        self.sio.on("session_confirm", lambda sid: self.replies.append(("session_confirm", sid)))

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self) -> "SocketClient":
        self.run(self.sio.connect(self.url, socketio_path="/socket.io", transports=["polling"]))
        return self

    def emit(self, event: str, *data: Any) -> None:
        self.run(self.sio.emit(event, *data))

    def answer(self, message: str, session: str, timeout: float = 20, quiet: float = 0.5) -> List[Any]:
        """Send `message` in `session`: every reply that arrives until none has
        come for `quiet` seconds (a turn's messages are sent together)."""
        self.emit("user_uttered", {"message": message, "session_id": session})
        deadline = time.monotonic() + timeout
        seen, since = 0, time.monotonic()
        while time.monotonic() < deadline:
            if len(self.replies) != seen:
                seen, since = len(self.replies), time.monotonic()
            elif seen and time.monotonic() - since >= quiet:
                break
            time.sleep(0.05)
        got, self.replies[:] = list(self.replies), []
        return got

    def session(self, session_id: Optional[str] = None) -> str:
        """session_request (for `session_id`, or a new session): the id the server confirmed."""
        self.emit("session_request", {"session_id": session_id})
        (event, confirmed), = self.wait(1)
        assert event == "session_confirm", (event, confirmed)
        return confirmed

    def wait(self, n: int = 1, timeout: float = 20) -> List[Any]:
        deadline = time.monotonic() + timeout
        while len(self.replies) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        got, self.replies[:] = list(self.replies), []
        return got

    def close(self) -> None:
        try:
            self.run(self._disconnect())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)

    async def _disconnect(self) -> None:
        """engine.io's close packet (the server then ends the socket.io session
        too), without waiting for the pending long-poll, which the server only
        answers at its next ping (up to 25 s); then the client's own tasks end."""
        await self.sio.eio.disconnect(abort=True)
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
