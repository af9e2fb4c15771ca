"""`make shell`: a conversation in the terminal, without the servers' noise.

`rasa shell` runs the Rasa server in the terminal's own process, so every
deprecation warning and INFO line of Rasa, TensorFlow and Sanic lands on the
screen before the first answer, and it shows an answer that comes with
buttons as the question line of a menu, which the menu cuts at the terminal's
width. Here instead:

- the action server and the Rasa server run as child processes, exactly as
  `make run` starts them, with their output in var/log/actions.log and
  var/log/rasa.log (the start-up line says so);
- this process talks to Rasa's REST channel (channels/rest.py, so the same
  input checks as every channel), opens with the assistant's greeting
  (`/greet`), prints every answer whole, and only then offers its buttons in a
  menu (arrow keys; the last entry lets you type); `/stop`, Ctrl-C or Ctrl-D quit.

Stopping leaves nothing behind (stack/process.py): while the servers start, a
Ctrl-C, SIGTERM or hang-up is acted on at the supervisor's safe points; once
they are up and the conversation waits on the terminal, SIGTERM and SIGHUP
interrupt it like Ctrl-C, and a terminal that has gone away ends it (EOF), so
`python -m stack shell` stops both servers in every case.
"""

from __future__ import annotations

import signal
import sys
import uuid
from typing import Any, Dict, List, Optional

import requests

from stack.env import ROOT
from stack.net import Stopping
from stack.process import Stack, interrupt_on_signals, stopping

LOG_DIR = ROOT / "var" / "log"
PROMPT = "Your input ->"
FREE_TEXT = "Type out your own message..."  # the menu's last entry, as in `rasa shell`
MENU_QUESTION = "Pick an answer (arrow keys, Enter):"
STOP = "/stop"
GREETING = "/greet"


def say(stack: Stack, sender: str, message: str) -> List[Dict[str, Any]]:
    r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": message}, timeout=120)
    r.raise_for_status()
    return r.json()


def show(replies: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """Print every reply whole; return the last reply's buttons (the menu)."""
    buttons: List[Dict[str, str]] = []
    for reply in replies:
        if reply.get("text"):
            print(reply["text"], flush=True)
        if reply.get("image"):
            print(f"Image: {reply['image']}", flush=True)
        buttons = [b for b in reply.get("buttons") or [] if b.get("title") and b.get("payload")]
    return buttons


def ask(buttons: List[Dict[str, str]]) -> Optional[str]:
    """What the user says next: a button's payload, or typed text (None: quit)."""
    import questionary  # Rasa's own dependency, as `rasa shell` uses it

    if buttons:
        choices = [questionary.Choice(f"{i + 1}: {b['title']}", value=b["payload"]) for i, b in enumerate(buttons)]
        choices.append(questionary.Choice(FREE_TEXT, value=FREE_TEXT))
        picked = questionary.select(MENU_QUESTION, choices=choices, qmark="").ask()
        if picked != FREE_TEXT:
            return picked
    text = questionary.text("", qmark=PROMPT).ask()
    return text.strip() if text is not None else None


def converse(stack: Stack) -> int:
    sender = f"shell-{uuid.uuid4().hex[:12]}"
    try:
        buttons = show(say(stack, sender, GREETING))
        while True:
            print(flush=True)
            message = ask(buttons)
            if message is None or message == STOP:
                return 0
            if not message:
                buttons = []
                continue
            buttons = show(say(stack, sender, message))
    except requests.RequestException as exc:
        print(f"error: the assistant stopped answering ({exc.__class__.__name__}); "
              f"see {LOG_DIR.relative_to(ROOT)}/rasa.log", file=sys.stderr)
        return 1


def run(stack: Stack) -> int:
    """Start the servers quietly, then talk (python -m stack shell)."""
    stack.log_dir = LOG_DIR
    stack.cors_origins = []  # no web page in the terminal
    logs = LOG_DIR.relative_to(ROOT)
    print(f"Starting the assistant (about 20 s); the servers' logs go to {logs}/rasa.log "
          f"and {logs}/actions.log ...", flush=True)
    stack.start_actions()
    stack.start_rasa()
    if stopping():
        raise Stopping()
    # the conversation blocks on the terminal: from here a stop interrupts it
    interrupt_on_signals()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if stopping():
        raise Stopping()
    print(f"Ready. Type a question and press Enter; {STOP} or Ctrl-C quits.\n", flush=True)
    return converse(stack)
