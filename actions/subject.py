"""Decide what a question is about: named credentials, a kind, a subject the
article names (React), a product the knowledge file doesn't know, or the
credential remembered from earlier in the conversation. One pure step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from actions.knowledge import Knowledge
from actions.lookup import UnknownFinder, clean_mention, mentions_from_entities, resolve


@dataclass(frozen=True)
class Subject:
    credentials: Tuple[str, ...] = ()
    kinds: Tuple[str, ...] = ()
    fields: Tuple[str, ...] = ()
    unknown: Optional[str] = None
    from_context: bool = False  # the credential came from an earlier turn
    topics: Tuple[str, ...] = ()  # subjects the article names (React, agile methods)
    remembered: Optional[str] = None  # the credential of earlier turns (id), whatever this message names
    # how sure it is that `unknown` names a product: "listed" (the file's unknown_names)
    # or "named" (a name right before a kind or credential: "Acme Data Certificate"), else "guessed"
    unknown_by: Optional[str] = None

    @property
    def surely_unknown(self) -> bool:
        return self.unknown is not None and self.unknown_by in ("listed", "named")


_BUTTON = re.compile(r"^\s*/\w")
# "how will employers react": the verb, not the framework
_VERB_BEFORE_REACT = frozenset(
    "will would they people employers recruiters companies managers hiring to should might may could "
    "i we you must others".split()
)


def _real_topic_entities(text: Optional[str], entities: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """Drop a lower-case "react" used as a verb."""
    out = []
    for e in entities or []:
        if (isinstance(e, Mapping) and e.get("entity") == "topic" and isinstance(text, str)
                and isinstance(e.get("start"), int) and text[e["start"]:e.get("end", 0)] == "react"):
            before = re.findall(r"[a-z']+", text[:e["start"]].lower())
            if before and before[-1] in _VERB_BEFORE_REACT:
                continue
        out.append(e)
    return out


_NAME_WORD = re.compile(r"[A-Z0-9][\w+#.'’-]*")
_GAP = re.compile(r"(?:['’]s)?\s*")


def product_mention(text: Optional[str], entities: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The whole name around a `product` entity (a name the knowledge file lists as
    not covered): "the Google Data Analytics Certificate" -> "Google Data Analytics
    Certificate", "Professional Scrum Master I certification" -> all of it."""
    if not isinstance(text, str):
        return None
    usable = sorted((e for e in entities or [] if isinstance(e, Mapping) and isinstance(e.get("start"), int)
                     and isinstance(e.get("end"), int)), key=lambda e: e["start"])
    products = [e for e in usable if e.get("entity") == "product"]
    if not products:
        return None
    start, end = products[0]["start"], products[0]["end"]
    while True:  # rightwards over entities and capitalised words
        nxt = next((e for e in usable if e["start"] >= end and e["end"] > end and _GAP.fullmatch(text[end:e["start"]])
                    and e.get("entity") in ("product", "credential", "kind", "field", "topic")), None)
        if nxt is not None:
            end = nxt["end"]
            continue
        m = _NAME_WORD.match(text, end + len(text[end:]) - len(text[end:].lstrip()))
        if m and text[end:m.start()].strip() == "" and m.start() > end:
            end = m.end()
            continue
        break
    while True:  # leftwards over capitalised words (not the sentence's first word)
        before = text[:start].rstrip()
        m = re.search(r"([A-Z0-9][\w+#.'’-]*)$", before)
        if not m or not before[:m.start()].strip():
            break
        start = m.start()
    return clean_mention(text[start:end].strip(" .,?!;:'’"))


def subject_of(
    kb: Knowledge,
    text: Optional[str],
    entities: Sequence[Mapping[str, Any]],
    remembered: Optional[str],
    finder: Optional[UnknownFinder] = None,
) -> Subject:
    """What the latest message asks about.

    1. A product name the knowledge file doesn't know, even when it contains a
       known name ("Google Data Analytics Certificate"): reported, never guessed.
       Names listed in the file's `unknown_names` are found by the entity
       ruler (`product`); other capitalised names by the UnknownFinder.
    2. Credentials named in this message (a new one replaces the remembered one).
    3. Another unknown name.
    4. A subject the article names ("does React expire?").
    5. A kind or field named in this message ("do micro-credentials expire?").
    6. Otherwise the credential (or subject) remembered from the conversation ("does it expire?").
    """
    entities = _real_topic_entities(text, entities)
    m = mentions_from_entities(kb, entities)
    remembered_id = resolve(kb, "credential", remembered) if remembered else None
    product = product_mention(text, entities)
    if product:
        return Subject((), m.kinds, m.fields, unknown=product, topics=m.topics, remembered=remembered_id,
                       unknown_by="listed")
    is_button = bool(text and _BUTTON.match(text))
    span = finder.find_span(text, entities) if finder is not None and text and not is_button else None
    named_product = span is not None and any(
        isinstance(e, Mapping) and isinstance(e.get("start"), int) and span.start < e["start"] < span.end
        and e.get("entity") in ("credential", "kind") for e in entities)
    if span is not None and named_product:
        return Subject((), m.kinds, m.fields, unknown=span.name, topics=m.topics, remembered=remembered_id,
                       unknown_by="named")
    if m.credentials:
        return Subject(m.credentials, m.kinds, m.fields, topics=m.topics, remembered=remembered_id)
    if m.unknown:
        return Subject((), m.kinds, m.fields, unknown=m.unknown[0], topics=m.topics, remembered=remembered_id,
                       unknown_by="named")
    if span is not None and not m.topics:
        return Subject((), m.kinds, m.fields, unknown=span.name, remembered=remembered_id, unknown_by="guessed")
    if m.topics or m.kinds or m.fields:
        return Subject((), m.kinds, m.fields, topics=m.topics, remembered=remembered_id)
    if remembered_id:
        return Subject((remembered_id,), (), (), from_context=True, remembered=remembered_id)
    remembered_topic = resolve(kb, "topic", remembered) if remembered else None
    if remembered_topic:  # "does it expire?" after a question about React
        return Subject((), (), (), topics=(remembered_topic,), from_context=True)
    return Subject()
