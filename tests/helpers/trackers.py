"""Trackers and entities for action tests, as the action server receives them."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def make_tracker(
    text: str,
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    sender: str = "test-user",
):
    """A rasa_sdk Tracker whose latest message is `text` classified as `intent`."""
    from rasa_sdk import Tracker

    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.99}],
    }
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"credential": None, "last_topic": None, **(slots or {})},
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def entity(label: str, value: str, text: str) -> Dict[str, Any]:
    """An entity as Rasa's SpacyEntityExtractor reports it."""
    start = text.index(value)
    return {"entity": label, "value": value, "start": start, "end": start + len(value),
            "extractor": "SpacyEntityExtractor"}
