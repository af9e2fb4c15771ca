"""A throwaway PostgreSQL server on 127.0.0.1 (initdb + pg_ctl): the
cluster's tracker store. initdb refuses to run as root: as root the database
runs as the `postgres` user (or `nobody`)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from pathlib import Path
from typing import List, Optional

from stack.tools import find_tool

DB_NAME = "rasa"
DB_USER = "rasa"


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
            output = res.stdout.decode(errors="replace")[-3000:]
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({res.returncode}):\n{output}")

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
