"""`make run` and `make shell` themselves, in a real pseudo-terminal: a crashed
part comes back while the rest keeps answering; Ctrl-C, SIGTERM and a hang-up
of the terminal at any moment of start-up or serving leave no process and no
port behind; a port held by another process is named; every server listens on
127.0.0.1 unless HOST says otherwise (issue #13, findings 3 and 8).

Each run has its own free ports and tracker store (ENDPOINTS), and a tag in
its environment that every process it starts inherits: what is left behind is
found by that tag in /proc, whoever its parent has become.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pexpect
import pytest

from channels.text import APOLOGY_REPLY
from stack.net import free_port, listening_addresses, port_holders
from stack.shell import FREE_TEXT
from tests.helpers import MODEL, ROOT
from tests.helpers.clients import say, text_of

TAG = "STACK_TEST_TAG"
UP = "The assistant is up"
START_S = 300  # the whole start-up, on a busy machine
APOLOGY = APOLOGY_REPLY[:40]


class Run:
    """`make <target>` in a pseudo-terminal (the test's terminal) on free ports."""

    def __init__(self, tmp: Path, target: str = "run", env: Optional[Dict[str, str]] = None) -> None:
        if not MODEL.exists():
            pytest.fail(f"{MODEL} is missing: run the tests through `make test`, which trains it")
        self.tag = uuid.uuid4().hex
        self.rasa_port, self.action_port, self.web_port = free_port(), free_port(), free_port()
        self.db = tmp / f"trackers-{self.tag[:8]}.db"
        endpoints = tmp / f"endpoints-{self.tag[:8]}.yml"
        endpoints.write_text(f"action_endpoint:\n  url: \"http://127.0.0.1:{self.action_port}/webhook\"\n"
                             f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: \"{self.db}\"\n")
        full_env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        full_env.update({"RASA_PORT": str(self.rasa_port), "ACTION_PORT": str(self.action_port),
                         "WEB_PORT": str(self.web_port), "ENDPOINTS": str(endpoints), "TERM": "dumb",
                         TAG: self.tag, **(env or {})})
        self.rasa_port = int(full_env["RASA_PORT"])
        # -o: the model and the widget are built by `make test` already
        self.child = pexpect.spawn("make", ["--no-print-directory", "-o", "models/assistant.tar.gz",
                                            "-o", "build/web/rasa-webchat.js", target],
                                   cwd=str(ROOT), env=full_env, encoding="utf-8", dimensions=(50, 200))
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        # the terminal is read all the time, as a real one is (a full pty would block the servers' logging)
        self._out: List[str] = []
        self._lock = threading.Lock()  # pexpect's reads and its waitpid, from two threads
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self.child.closed:
            try:
                with self._lock:
                    self._out.append(self.child.read_nonblocking(65536, timeout=0.2))
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError, ValueError):
                return

    def output(self) -> str:
        return "".join(self._out)

    def alive(self) -> bool:
        with self._lock:
            return self.child.isalive()

    def expect(self, needle: str, timeout: float = START_S) -> None:
        """Until the terminal shows `needle` (polled with a deadline)."""
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if time.monotonic() > deadline or (not self.alive() and not self._reader.is_alive()):
                raise AssertionError(f"the terminal never showed {needle!r}:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    wait_output = expect

    def supervisor_pid(self) -> int:
        for pid, cmd in tagged(self.tag).items():
            if " -m stack run" in cmd or " -m stack shell" in cmd:
                return pid
        raise AssertionError(f"no supervisor among {tagged(self.tag)}")

    def hang_up(self) -> None:
        """Close the terminal: the master side of the pty goes away."""
        self.child.closed = True
        self._reader.join(5)
        os.close(self.child.child_fd)

    def finish(self, timeout: float = 60) -> Optional[int]:
        """Wait for `make` to end (after a stop); its exit status, if it exited normally."""
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not self.alive(), f"make still runs {timeout:.0f} s after the stop:\n{self.output()[-3000:]}"
        return self.child.exitstatus

    def kill_everything(self) -> None:
        for pid in tagged(self.tag):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.alive():
            self.child.kill(signal.SIGKILL)
        self.child.closed = True

    def nothing_left(self, timeout: float = 30) -> None:
        """No process of this run and none of its ports in use (polled until `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            left = tagged(self.tag)
            busy = {p: listening_addresses(p) for p in (self.rasa_port, self.action_port, self.web_port)
                    if listening_addresses(p)}
            if not left and not busy:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"left behind: processes {left}, ports {busy}\n{self.output()[-3000:]}")
            time.sleep(0.2)


def tagged(tag: str) -> Dict[int, str]:
    """pid -> command line of every process whose environment carries the tag."""
    found = {}
    needle = f"{TAG}={tag}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = " ".join((proc / "cmdline").read_bytes().decode(errors="replace")
                                                 .replace("\0", " ").split())
        except OSError:
            continue
    return found


@pytest.fixture
def runs(tmp_path) -> Iterator[List[Run]]:
    """The runs a test starts; whatever a failed test left is killed after it."""
    started: List[Run] = []
    yield started
    for run in started:
        run.kill_everything()


def start(runs: List[Run], tmp: Path, target: str = "run", **env: str) -> Run:
    run = Run(tmp, target, env)
    runs.append(run)
    return run


def stored_user_texts(db: Path, conversation: str) -> List[str]:
    import json

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        rows = con.execute("SELECT data FROM events WHERE type_name = 'user' AND sender_id = ? ORDER BY id",
                           (conversation,)).fetchall()
    return [json.loads(d)["text"] for (d,) in rows]


# --------------------------------------------------------------------------
# a crashed action server comes back; nothing is lost; SIGTERM stops it all


def test_a_crashed_action_server_comes_back_while_rasa_answers(runs, tmp_path):
    run = start(runs, tmp_path)
    run.expect(UP)
    run.expect("Press Ctrl-C")
    # finding 3: every server on loopback by default, and start-up says so
    out = run.output()
    assert "Listening (this machine only" in out, out[-1500:]
    for port in (run.rasa_port, run.action_port, run.web_port):
        assert f"127.0.0.1:{port}" in out
        assert listening_addresses(port) == ["127.0.0.1"], (port, listening_addresses(port))

    sender = f"crash-{uuid.uuid4().hex[:8]}"
    sent = ["tell me about the PMP"]
    assert "PMP" in text_of(say(run, sender, sent[0]))

    for restart, delay in ((1, 1), (2, 2)):  # it keeps failing: the back-off grows
        (actions,) = port_holders(run.action_port)
        os.kill(actions, signal.SIGKILL)
        started = time.monotonic()
        sent.append("does it expire?")
        assert APOLOGY in text_of(say(run, sender, sent[-1]))  # Rasa answers at once, with its apology
        assert time.monotonic() - started < 3
        run.wait_output(f"restarting it in {delay} s (restart {restart})")
        # the next questions are answered: the apology until the action server is back, then in full
        deadline = time.monotonic() + 90
        while True:
            sent.append("how much is it?")
            text = text_of(say(run, sender, sent[-1]))
            if APOLOGY not in text:
                assert "PMP" in text, text
                break
            assert time.monotonic() < deadline, "the action server did not come back"
            time.sleep(0.5)
        run.wait_output("The action server is back")
    # no user message lost
    assert stored_user_texts(run.db, f"rest:{sender}") == sent

    os.kill(run.supervisor_pid(), signal.SIGTERM)
    assert run.finish() == 0
    run.nothing_left()


# --------------------------------------------------------------------------
# Ctrl-C, SIGTERM, a hang-up, at any moment


def send_stop(run: Run, how: str) -> None:
    if how == "ctrl-c":
        run.child.sendintr()  # the terminal sends SIGINT to its foreground process group
    elif how == "sigterm":
        os.kill(run.child.pid, signal.SIGTERM)  # `kill <make>`: make passes SIGTERM on to its child
    else:
        run.hang_up()


MOMENTS = {  # what the terminal shows, and how long after it the stop comes
    "actions starting": ("Starting the action server", 0.0),
    "rasa starting": ("Starting the Rasa server", 0.0),
    "model loading": ("Starting the Rasa server", 6.0),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "hang-up"])
def test_a_stop_during_start_up_leaves_nothing(runs, tmp_path, how, moment):
    run = start(runs, tmp_path)
    shown, after = MOMENTS[moment]
    run.expect(shown, timeout=120)
    if after:
        time.sleep(after)  # a moment inside the model's loading (the next line says when it is loaded)
        assert UP not in run.output()
    send_stop(run, how)
    run.finish()
    run.nothing_left()


@pytest.mark.parametrize("how", ["ctrl-c", "hang-up"])
def test_a_stop_while_serving_leaves_nothing(runs, tmp_path, how):
    """(SIGTERM while serving: test_a_crashed_action_server_comes_back_while_rasa_answers.)
    With HOST=0.0.0.0 the Rasa server and the page listen on every interface, the action server on loopback."""
    run = start(runs, tmp_path, HOST="0.0.0.0")
    run.expect(UP)
    run.expect("Press Ctrl-C")
    assert listening_addresses(run.rasa_port) == ["0.0.0.0"] and listening_addresses(run.web_port) == ["0.0.0.0"]
    assert listening_addresses(run.action_port) == ["127.0.0.1"]
    assert f"Listening (HOST=0.0.0.0): web chat page server 0.0.0.0:{run.web_port}" in run.output()
    assert say(run, f"stop-{how}", "hi")
    send_stop(run, how)
    run.finish()
    if how == "ctrl-c":
        assert "Stopping" in run.output()
    run.nothing_left()


def test_closing_the_terminal_of_make_shell_leaves_nothing(runs, tmp_path):
    """Hung up while the conversation waits on the terminal (the greeting's button menu)."""
    run = start(runs, tmp_path, target="shell")
    run.expect(FREE_TEXT)
    run.hang_up()
    run.finish()
    run.nothing_left()


# --------------------------------------------------------------------------
# a port someone else holds


def test_make_run_names_the_process_holding_its_port(runs, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = start(runs, tmp_path, RASA_PORT=str(port))
        status = run.finish(60)
        out = run.output()
    assert status != 0
    assert f"port {port}, which the Rasa server needs, is in use by process {os.getpid()} (" in out, \
        out[-2000:]
    assert "set RASA_PORT" in out and "Starting" not in out
    run.nothing_left()
