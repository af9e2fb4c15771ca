"""Where the cluster's server programs are: on PATH, or where Debian puts
PostgreSQL's and nginx's off PATH."""

from __future__ import annotations

import glob
import os
import shutil
from typing import List

CLUSTER_TOOLS = ("initdb", "pg_ctl", "redis-server", "nginx")


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
    for name in CLUSTER_TOOLS:
        try:
            find_tool(name)
        except ToolMissing:
            missing.append(name)
    return missing
