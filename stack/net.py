"""Ports, waiting for a server, and one message over Rasa's REST channel."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

LISTEN = "0A"  # TCP state in /proc/net/tcp*


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stopping(Exception):
    """A stop was asked for (Ctrl-C, SIGTERM, SIGHUP) while waiting."""


def answers(url: str, timeout: float = 2) -> bool:
    """True if url answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None,
              stop: Optional[Callable[[], bool]] = None) -> None:
    """Poll url until it answers 200; fail early if proc dies, or raise
    Stopping as soon as ``stop()`` says so."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if stop is not None and stop():
            raise Stopping()
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


def wait_tcp(port: int, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    """Wait until something accepts connections on 127.0.0.1:port; fail early if proc dies."""
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


def post_message(url: str, sender: str, message: str, timeout: float = 60) -> list:
    """Send one message to the Rasa server at url (REST channel); its replies."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    req = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


# --------------------------------------------------------------------------
# who listens where (Linux: /proc/net/tcp and tcp6)


def _listening_sockets(port: int) -> List[Tuple[str, str]]:
    """(address, socket inode) of every TCP socket listening on `port`."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            addr, hex_port = fields[1].split(":")
            if fields[3] != LISTEN or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(addr)
            if width == 8:
                address = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:  # four little-endian 32-bit words
                address = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.append((address, fields[9]))
    return found


def listening_addresses(port: int) -> List[str]:
    """The local addresses listening on TCP `port`, e.g. ['127.0.0.1'] or ['0.0.0.0']."""
    return sorted({address for address, _ in _listening_sockets(port)})


def port_holders(port: int) -> Dict[int, str]:
    """pid -> command line of the processes listening on TCP `port` (those
    this user may look at)."""
    inodes = {f"socket:[{inode}]" for _, inode in _listening_sockets(port)}
    holders: Dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or not inodes:
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                cmdline = " ".join((proc / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split())
                holders[int(proc.name)] = cmdline
        except OSError:  # gone, or not ours to look at
            continue
    return holders


def port_in_use(port: int) -> Optional[str]:
    """None if nothing listens on TCP `port`; else who does, in words."""
    if not _listening_sockets(port):
        return None
    holders = port_holders(port)
    if not holders:
        return "a process this user cannot see"
    return "; ".join(f"process {pid} ({cmd[:160]})" for pid, cmd in sorted(holders.items()))
