"""The Slack channel's settings: credentials.yml, overridden by SLACK_*
environment variables.

`channels.slack.SlackInput` (named in credentials.yml) reads them; this module
stays free of Rasa imports so that `python -m stack run` can print
`slack_status()` without loading Rasa.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional

SLACK_WEBHOOK_PATH = "/webhooks/slack/webhook"
SLACK_NOT_CONFIGURED = "Slack is not configured: set SLACK_TOKEN and SLACK_SIGNING_SECRET"

# credentials.yml key -> environment variable; the environment wins over the file.
SLACK_ENV: Dict[str, str] = {
    "slack_token": "SLACK_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_channel": "SLACK_CHANNEL",
    "slack_api_base_url": "SLACK_API_BASE_URL",
}


def slack_settings(
    credentials: Optional[Mapping[str, Any]] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Dict[str, Any]:
    """The Slack channel's settings: credentials.yml values, overridden by any
    non-empty SLACK_* environment variable."""
    env = os.environ if env is None else env
    settings: Dict[str, Any] = dict(credentials or {})
    for key, var in SLACK_ENV.items():
        value = (env.get(var) or "").strip()
        if value:
            settings[key] = value
    return settings


def slack_configured(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("slack_token")) and bool(settings.get("slack_signing_secret"))


def slack_status(
    credentials: Optional[Mapping[str, Any]] = None,
    env: Optional[Mapping[str, str]] = None,
) -> str:
    """One line for the start-up message."""
    if slack_configured(slack_settings(credentials, env)):
        return f"Slack: enabled at {SLACK_WEBHOOK_PATH}"
    return "Slack: off (set SLACK_TOKEN and SLACK_SIGNING_SECRET to enable)"
