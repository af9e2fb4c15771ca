"""Start the action server and the Rasa server the way `make run` does.

    python -m stack run     # serve until Ctrl-C (make run)
    python -m stack shell   # both servers, quietly, and a conversation in this terminal (make shell)
    python -m stack web     # only the web chat page's static server

Ports and files come from the environment: RASA_PORT (5005), ACTION_PORT
(5055), RASA_MODEL (models/), ENDPOINTS (endpoints.yml), CREDENTIALS
(credentials.yml); HOST (127.0.0.1: the address the Rasa server and the web
chat page listen on; HOST=0.0.0.0 exposes them to the network, the action
server stays on 127.0.0.1); for the web chat (docs/WEBCHAT.md): WEB_PORT
(8080), CORS_ORIGINS (origins allowed to talk to Rasa from a browser, space or
comma separated; default: pages on localhost/127.0.0.1, any port) and
RASA_SOCKET_URL (the Rasa URL the page connects to; default http://<the page's
host>:RASA_PORT). Rasa's HTTP API stays off unless RASA_ENABLE_API=1, which
requires RASA_AUTH_TOKEN (docs/RELIABILITY.md).

`run` refuses to start, naming the process, if one of its ports is taken;
restarts a server that dies (with back-off) while the others keep serving; and
stops everything, leaving no process and no port behind, on Ctrl-C, SIGTERM or
a hang-up of its terminal (stack/process.py).
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

from actions.handoff import handoff_status  # does not import Rasa
from channels.slack_settings import slack_status  # does not import Rasa
from stack import shell, web
from stack.env import base_env
from stack.net import Stopping
from stack.process import LOOPBACK_ORIGINS, api_args, say, stack_from_env, stop_on_signals, supervise

PARTS = ["web", "actions", "rasa"]


def refuse_busy_ports(busy: List[str]) -> bool:
    for line in busy:
        say(f"error: {line}", err=True)
    return bool(busy)


def cmd_run() -> int:
    stack = stack_from_env()
    stop_on_signals()
    if refuse_busy_ports(stack.busy_ports()):
        return 1
    try:
        say(f"Starting the web chat page on {stack.web_url} ...")
        stack.start_web()
        say(f"Starting the action server on {stack.action_url} ...")
        stack.start_actions()
        say(f"Starting the Rasa server on {stack.rasa_url} (loading the model takes ~20 s) ...")
        stack.start_rasa()
        web_url = (f"http://localhost:{stack.web_port}/" if stack.web_url.startswith("http://127.0.0.1:")
                   else stack.web_url)
        allowed = ("any on localhost/127.0.0.1; others: set CORS_ORIGINS"
                   if stack.cors_origins == LOOPBACK_ORIGINS else " ".join(stack.cors_origins) or "none")
        api = ("on, token from RASA_AUTH_TOKEN" if api_args(base_env(secrets=True))
               else "off (RASA_ENABLE_API=1 and RASA_AUTH_TOKEN turn it on)")
        exposed = ("this machine only; HOST=0.0.0.0 exposes the web chat and the Rasa server"
                   if stack.host in ("127.0.0.1", "localhost", "::1") else f"HOST={stack.host}")
        say(
            "\nThe assistant is up.\n"
            f"  Web chat: {web_url}  (its widget talks socket.io to port {stack.rasa_port}; pages allowed to: "
            f"{allowed})\n"
            f"  REST:   curl -s {stack.rasa_url}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' "
            "-d '{\"sender\": \"me\", \"message\": \"do micro-credentials expire?\"}'\n"
            f"  {slack_status()}\n"
            f"  {handoff_status(os.environ)}\n"
            f"  HTTP API: {api}\n"
            f"  Action server health: {stack.action_url}/health\n"
            f"  Listening ({exposed}): {stack.listening(PARTS)}\n"
            "Press Ctrl-C to stop the servers."
        )
        supervise(stack, PARTS)
        raise Stopping()
    except Stopping:
        say("\nStopping ...")
        return 0
    except (RuntimeError, TimeoutError) as exc:
        say(f"error: {exc}", err=True)
        return 1
    finally:
        stack.stop()


def cmd_shell() -> int:
    stack = stack_from_env()
    stop_on_signals()
    if refuse_busy_ports(stack.busy_ports(["actions", "rasa"])):
        return 1
    try:
        return shell.run(stack)
    except (RuntimeError, TimeoutError) as exc:
        say(f"error: {exc} (see var/log/rasa.log and var/log/actions.log)", err=True)
        return 1
    except (Stopping, KeyboardInterrupt, EOFError, OSError):  # OSError: the terminal is gone
        return 0
    finally:
        stop_on_signals()  # a second Ctrl-C or SIGTERM does not interrupt the stop
        stack.stop()


COMMANDS = {"run": cmd_run, "shell": cmd_shell, "web": web.serve}


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "run"
    if command not in COMMANDS:
        sys.exit("usage: python -m stack run|shell|web")
    return COMMANDS[command]()


if __name__ == "__main__":
    sys.exit(main())
