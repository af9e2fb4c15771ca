"""Resolve what a message mentions against the knowledge file.

Plain functions over the validated :class:`Knowledge`: entity values as Rasa
extracted them (or as a button payload carried them) become credential, kind
and field ids; anything left over that looks like a name the file does not
know is reported as an unknown mention, so the bot can say honestly that it
has no facts on it instead of answering about something else.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from actions.knowledge import Knowledge, normalise

FUZZY_CUTOFF = 0.84


@dataclass(frozen=True)
class Mentions:
    credentials: Tuple[str, ...] = ()
    kinds: Tuple[str, ...] = ()
    fields: Tuple[str, ...] = ()
    unknown: Tuple[str, ...] = ()  # entity values that match nothing in the file
    topics: Tuple[str, ...] = ()  # subjects the article names (React, agile methods)


# label -> the knowledge file's section of that label
def _named(kb: Knowledge) -> Tuple[Tuple[str, Mapping[str, Any]], ...]:
    return (("credential", kb.credentials), ("kind", kb.kinds), ("field", kb.fields), ("topic", kb.topics))


def resolve(kb: Knowledge, label: Optional[str], value: Any) -> Optional[str]:
    """The id of the credential/kind/field a value names, or None.

    Exact for case-sensitive aliases, then normalised (case, hyphens,
    punctuation), then a close spelling match among aliases of that label.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return None
    for lab, ids in _named(kb):
        if label in (None, lab) and value in ids:
            return value  # an id, as button payloads carry it
    hit = kb.exact_index.get(value.strip())
    if hit and (label is None or hit[0] == label):
        return hit[1]
    key = normalise(value)
    if not key:
        return None
    hit = kb.alias_index.get(key)
    if hit and (label is None or hit[0] == label):
        return hit[1]
    if key.startswith("the "):
        return resolve(kb, label, key[4:])
    if key.endswith("s") and value.strip()[:-1].isupper():  # "CPAs", "PMPs"
        return resolve(kb, label, value.strip()[:-1])
    candidates = [k for k, (lab, _) in kb.alias_index.items() if label is None or lab == label]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=FUZZY_CUTOFF)
    return kb.alias_index[close[0]][1] if close else None


def _unique(items: Iterable[str]) -> Tuple[str, ...]:
    out: List[str] = []
    for i in items:
        if i not in out:
            out.append(i)
    return tuple(out)


def mentions_from_entities(kb: Knowledge, entities: Sequence[Mapping[str, Any]]) -> Mentions:
    """Group the message's entities by label, resolved to knowledge ids."""
    found: Dict[str, List[str]] = {"credential": [], "kind": [], "field": [], "topic": []}
    unknown: List[str] = []
    usable = [e for e in entities or [] if isinstance(e, Mapping)]
    for ent in sorted(usable, key=lambda e: e.get("start") if isinstance(e.get("start"), int) else 0):
        label = ent.get("entity")
        if not isinstance(label, str) or label not in found:  # a label sent as a list or a dict
            continue
        value = ent.get("value")
        rid = resolve(kb, label, value)
        if rid is None:
            # a kind/field typed as something else is still worth using
            rid_any = resolve(kb, None, value)
            if rid_any is not None:
                # file it under the label whose ids hold it (a button payload
                # such as {"field": "pmp"} names a credential id, not a field)
                owners = [lab for lab, ids in _named(kb) if rid_any in ids]
                hit = kb.alias_index.get(normalise(str(value)))
                if hit and hit[1] == rid_any and hit[0] in owners:
                    label, rid = hit[0], rid_any
                elif owners:
                    label, rid = owners[0], rid_any
        if rid is None:
            if label == "credential" and isinstance(value, str) and value.strip():
                unknown.append(clean_mention(value))
            continue
        found[label].append(rid)
    return Mentions(_unique(found["credential"]), _unique(found["kind"]), _unique(found["field"]), _unique(unknown),
                    _unique(found["topic"]))


def clean_mention(text: str, limit: int = 80) -> str:
    """A user-supplied name, made safe to echo back: one line, no markup, short."""
    text = re.sub(r"[\x00-\x1f\x7f<>*_`~|\[\]{}]", " ", str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------
# unknown names in free text

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#.'’-]*")
_PRONOUNS = frozenset(
    "it its it's that this those these they them one ones same".split()
)


def build_vocabulary(texts: Iterable[str], extra: Iterable[str] = ()) -> FrozenSet[str]:
    """Words that are ordinary for this assistant's questions.

    Taken from training examples, keeping only words seen in lower case at
    least once, so proper names that appear in the data (AWS, Google) do not
    become "ordinary" words.
    """
    vocab = set(w.lower() for w in extra)
    for text in texts:
        for w in _WORD.findall(text):
            w = w.strip(".'’-")
            if w and w == w.lower():
                vocab.add(w)
    return frozenset(vocab)


def _is_ordinary(word: str, vocab: FrozenSet[str], by_len: Mapping[int, Sequence[str]]) -> bool:
    w = word.lower().strip(".'’-")
    if not w or w in vocab or w in _PRONOUNS or w.isdigit():
        return True
    if w.endswith("s") and w[:-1] in vocab:
        return True
    if len(w) < 4:
        return False
    pool = [v for n in range(len(w) - 2, len(w) + 3) for v in by_len.get(n, ())]
    return bool(difflib.get_close_matches(w, pool, n=1, cutoff=0.8))


@dataclass(frozen=True)
class NameSpan:
    start: int
    end: int
    name: str


def _looks_like_a_name(words: Sequence[str], at_sentence_start: bool) -> bool:
    """A run of words reads as a product name when a word carries a capital
    (not just the sentence's first letter), a digit, '+' or '#'."""
    for i, w in enumerate(words):
        if any(ch.isdigit() or ch in "+#" for ch in w):
            return True
        caps = [ch for ch in (w[1:] if (i == 0 and at_sentence_start) else w) if ch.isupper()]
        if caps:
            return True
    return False


@dataclass
class UnknownFinder:
    """Finds a name in a message that is neither a known entity nor an ordinary word."""

    vocabulary: FrozenSet[str]
    _by_len: Dict[int, List[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for v in self.vocabulary:
            self._by_len.setdefault(len(v), []).append(v)

    def spans(self, text: str, entities: Sequence[Mapping[str, Any]] = ()) -> List[NameSpan]:
        """Every run of words outside the entities that are not ordinary words."""
        if not isinstance(text, str) or not text.strip():
            return []
        taken = [
            (e.get("start"), e.get("end"))
            for e in entities or []
            if isinstance(e, Mapping) and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
        ]
        out: List[NameSpan] = []
        run: List[Any] = []

        def close() -> None:
            if run:
                words = [m.group().strip(".'’-") for m in run]
                start, end = run[0].start(), run[-1].start() + len(run[-1].group().rstrip(".'’-"))
                out.append(NameSpan(start, end, " ".join(w for w in words if w)))
                run.clear()

        for m in _WORD.finditer(text[:500]):
            inside = any(s <= m.start() < e for s, e in taken)
            if not inside and not _is_ordinary(m.group(), self.vocabulary, self._by_len):
                if run and text[run[-1].end():m.start()].strip():
                    close()  # punctuation between: two runs
                run.append(m)
            else:
                close()
        close()
        return [s for s in out if len(s.name) >= 2]

    def find_span(self, text: str, entities: Sequence[Mapping[str, Any]] = ()) -> Optional[NameSpan]:
        """The longest run that reads as a name, or one right before a named
        credential or kind ("google data analytics certificate"), extended over it."""
        best: Optional[NameSpan] = None
        for span in self.spans(text, entities):
            after = _entity_right_after(text, span.end, entities)
            if after is not None:
                span = NameSpan(span.start, after[1], clean_mention(text[span.start:after[1]]))
            elif not _looks_like_a_name(span.name.split(), text[:span.start].strip() == ""):
                continue
            if best is None or len(span.name) > len(best.name):
                best = span
        if best is None:
            return None
        return NameSpan(best.start, best.end, clean_mention(best.name))

    def find(self, text: str, entities: Sequence[Mapping[str, Any]] = ()) -> Optional[str]:
        span = self.find_span(text, entities)
        return span.name if span else None


def _entity_right_after(text: str, end: int, entities: Sequence[Mapping[str, Any]]) -> Optional[Tuple[int, int]]:
    """The run of entities right after position `end` (blanks or "'s" between) when it
    names a credential or a kind: "Google" + "Data Analytics Certificate", "IBM" + "data
    science" + "badge". Returns its (start, end)."""
    usable = sorted(
        (e for e in entities or [] if isinstance(e, Mapping) and isinstance(e.get("start"), int)
         and isinstance(e.get("end"), int) and e.get("entity") in ("credential", "kind", "field", "topic")),
        key=lambda e: e["start"],
    )
    pos, first, last, names_one = end, None, None, False
    for e in usable:
        if e["start"] < pos:
            continue
        if not re.fullmatch(r"(?:['’]s)?\s*", text[pos:e["start"]]):
            break
        first = e["start"] if first is None else first
        last = e["end"]
        names_one = names_one or e.get("entity") in ("credential", "kind")
        pos = e["end"]
    return (first, last) if first is not None and names_one else None
