"""Two-part questions: "does it expire and what does it cost?".

The classifier picks one intent per message; this finds the other attribute a
message asks about, from the knowledge file's `cues` for each attribute, so
the action can answer both parts. Pure functions, tested without Rasa.
"""

from __future__ import annotations

import re
from typing import List, Optional

from actions.knowledge import Knowledge

# a message has two parts when it joins them: "... and ...", "...? ...", "..., ..."
_JOINED = re.compile(r"\band\b|\balso\b|\bplus\b|\?.+\w|,\s*\w+.*\?|;", re.IGNORECASE)


# words that contain a cue but ask nothing about it: "as a career changer" is who
# is asking, not a question about careers (blanked, so positions stay the same)
_NOT_CUES = re.compile(r"\bcareer[- ]?chang(?:e|er|ers|ing)\b", re.IGNORECASE)


def _positions(kb: Knowledge, text: str) -> List[tuple]:
    """(position, attribute) of every attribute cue in the text."""
    low = _NOT_CUES.sub(lambda m: " " * len(m.group()), text.lower())
    out = []
    for aid, attr in kb.attributes.items():
        for cue in attr.cues:
            m = re.search(rf"(?<![\w-]){re.escape(cue)}(?![\w-])", low)
            if m:
                out.append((m.start(), aid))
    return sorted(out)


def asked_attributes(kb: Knowledge, text: Optional[str]) -> List[str]:
    """The attributes a message asks about, in the order it asks them."""
    if not isinstance(text, str) or text.startswith("/"):
        return []
    seen: List[str] = []
    for _, aid in _positions(kb, text[:500]):
        if aid not in seen:
            seen.append(aid)
    return seen


def second_attribute(kb: Knowledge, text: Optional[str], answered: Optional[str] = None) -> Optional[str]:
    """The other attribute of a two-part question, or None.

    Only when the message joins two parts ("and", a second question, a comma)
    and asks about an attribute other than the one answered."""
    if not isinstance(text, str) or text.startswith("/") or not _JOINED.search(text):
        return None
    for aid in asked_attributes(kb, text):
        if aid != answered:
            return aid
    return None
