"""Paths and environment shared by every server the stack starts."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def rasa_bin() -> str:
    exe = VENV_BIN / "rasa"
    return str(exe) if exe.exists() else "rasa"


# Secrets: they reach only the Rasa server (its Slack channel, its HTTP API
# token, its tracker and lock stores, its web chat session key), always through
# the environment, never on a command line; every other child gets none.
SECRETS = (
    "SLACK_TOKEN", "SLACK_SIGNING_SECRET", "RASA_AUTH_TOKEN", "TRACKER_DB_PASSWORD", "LOCK_REDIS_PASSWORD",
    "SOCKETIO_SESSION_KEY", "PGPASSWORD", "REDIS_PASSWORD", "DB_PASSWORD",
)


# The hand-off's secrets (actions/handoff.py) reach only the action server, which
# posts the note: its Slack token (HANDOFF_SLACK_TOKEN, else SLACK_TOKEN when
# HANDOFF_SLACK_CHANNEL is set) and SMTP_URL, which may hold a password.
HANDOFF_SECRETS = ("HANDOFF_SLACK_TOKEN", "SMTP_URL")


def base_env(extra: Optional[Dict[str, str]] = None, secrets: bool = False, handoff: bool = False) -> Dict[str, str]:
    """This process's environment for a child: quiet TensorFlow, no
    telemetry, and the project root on PYTHONPATH (channels/, addons/, actions/);
    without the SECRETS unless ``secrets`` (the Rasa server), and without the
    HANDOFF_SECRETS unless ``handoff`` (the action server)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if extra:
        env.update(extra)
    slack_token = env.get("SLACK_TOKEN", "")
    if not secrets:
        for name in SECRETS:
            env.pop(name, None)
    if not handoff:
        for name in HANDOFF_SECRETS:
            env.pop(name, None)
    elif env.get("HANDOFF_SLACK_CHANNEL") and not env.get("HANDOFF_SLACK_TOKEN") and slack_token:
        env["HANDOFF_SLACK_TOKEN"] = slack_token  # the bot's own token posts the note
    return env


def int_env(name: str, default: int) -> int:
    """A whole number from the environment; exits with a clear message if it is not one."""
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        sys.exit(f"error: {name} must be a whole number, got {value!r}")


def list_env(name: str, default: List[str]) -> List[str]:
    """A list from the environment, space or comma separated."""
    value = os.environ.get(name, "").strip()
    return [v for v in re.split(r"[\s,]+", value) if v] if value else list(default)
