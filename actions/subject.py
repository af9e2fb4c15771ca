"""Decide what a question is about: named credentials, a kind, an unknown
name, or the credential remembered from earlier in the conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Tuple

from actions.knowledge import Knowledge
from actions.lookup import UnknownFinder, mentions_from_entities, resolve


@dataclass(frozen=True)
class Subject:
    credentials: Tuple[str, ...] = ()
    kinds: Tuple[str, ...] = ()
    fields: Tuple[str, ...] = ()
    unknown: Optional[str] = None
    from_context: bool = False  # the credential came from an earlier turn


_BUTTON = re.compile(r"^\s*/\w")


def subject_of(
    kb: Knowledge,
    text: Optional[str],
    entities: Sequence[Mapping[str, Any]],
    remembered: Optional[str],
    finder: Optional[UnknownFinder] = None,
) -> Subject:
    """What the latest message asks about.

    1. Credentials named in this message (a new one replaces the remembered one).
    2. A name the knowledge file does not know: reported, never guessed.
    3. A kind named in this message ("do micro-credentials expire?").
    4. Otherwise the credential remembered from the conversation ("does it expire?").
    """
    m = mentions_from_entities(kb, entities)
    if m.credentials:
        return Subject(m.credentials, m.kinds, m.fields)
    if m.unknown:
        return Subject((), m.kinds, m.fields, unknown=m.unknown[0])
    is_button = bool(text and _BUTTON.match(text))
    if finder is not None and text and not is_button:
        name = finder.find(text, entities)
        if name:
            return Subject((), m.kinds, m.fields, unknown=name)
    if m.kinds or m.fields:
        return Subject((), m.kinds, m.fields)
    remembered_id = resolve(kb, "credential", remembered) if remembered else None
    if remembered_id:
        return Subject((remembered_id,), (), (), from_context=True)
    return Subject()
