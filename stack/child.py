"""How the stack runs each of its servers: ``python -m stack.child rasa|web|exec ...``.

- The child dies with its supervisor: when the supervisor asks for it (it sets
  STACK_PARENT_PID when it starts the child from its main thread), the child
  has the kernel send it SIGTERM if the supervisor ends, however it ends
  (even by SIGKILL), so no server outlives ``make run``, ``make shell`` or
  ``make run-cluster``. A child whose supervisor is already gone exits at once.
- ``rasa ARGS``: Rasa's own command line, run in this process. With
  ``--enable-api`` the HTTP API token comes from RASA_AUTH_TOKEN and is added
  to Rasa's arguments here, in memory: it never appears on a command line
  (``ps`` shows every command line to every user of the machine).
- ``web``: the web chat page's server (stack/web.py).
- ``exec PROGRAM ARGS``: any other program (nginx, redis-server), which
  replaces this process and keeps the parent-death signal.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import List, Optional

PARENT_ENV = "STACK_PARENT_PID"
TOKEN_ENV = "RASA_AUTH_TOKEN"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    parent = os.environ.pop(PARENT_ENV, None)
    if not parent:
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the supervisor's own stop has to do
        return
    if os.getppid() != int(parent):  # it ended before the signal was armed
        sys.exit(1)


def main(argv: Optional[List[str]] = None) -> int:
    what, *args = sys.argv[1:] if argv is None else argv
    die_with_parent()
    if what == "rasa":
        token = os.environ.pop(TOKEN_ENV, "")
        if "--enable-api" in args and token and "--auth-token" not in args:
            args += ["--auth-token", token]
        sys.argv = ["rasa", *args]
        from rasa.__main__ import main as rasa_main

        rasa_main()
        return 0
    if what == "web":
        from stack.web import serve

        return serve()
    if what == "exec" and args:
        os.execvp(args[0], args)
    sys.exit(f"usage: python -m stack.child rasa|web|exec ... (got {what!r})")


if __name__ == "__main__":
    sys.exit(main())
