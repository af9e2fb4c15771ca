"""Compose answers from the knowledge file.

Pure functions: knowledge + what was asked -> :class:`Reply` (text and
buttons). No Rasa here; the action classes in ``actions.actions`` only call
these and send the result.

Every reply is short first (a chat bubble), with the rest on request ("More
detail", "Full comparison", or "tell me more"): each reply carries a
``more`` key, remembered in the conversation, that :func:`more_detail` turns
into the longer answer. No reply opens with a bare "Yes" or "No": a question
routed here by a near miss must not be told something false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from actions import vocabulary as v
from actions.knowledge import ATTRIBUTES, Credential, Fact, Knowledge, Passage, Topic

# Limits for a chat bubble (tests/test_answers_length.py checks every answer).
FAQ_MAX_CHARS = 450
COMPARE_MAX_CHARS = 900
ADVICE_MAX_CHARS = 700
SILENT_PREFIX = "The article doesn't"
# "Was this helpful?" may be added to any answer (actions/feedback.py)
ROOM_FOR_PROMPT = 20

MORE_DETAIL_TITLE = v.BUTTON_TITLES[v.MORE_DETAIL]
FULL_COMPARISON_TITLE = "Full comparison"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> Dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Tuple[Button, ...] = ()
    credential: Optional[str] = None  # canonical name to remember for follow-ups, if any
    topic: Optional[str] = None  # what was answered, for feedback and reports
    unknown: Optional[str] = None  # a credential name the knowledge file doesn't know, for reports
    more: Optional[str] = None  # what "tell me more" continues (see more_detail)

    def buttons_as_dicts(self) -> List[Dict[str, str]]:
        return [b.as_dict() for b in self.buttons]


def payload(intent: str, **entities: str) -> str:
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


MORE_BUTTON = Button(MORE_DETAIL_TITLE, payload(v.MORE_DETAIL))


# --------------------------------------------------------------------------
# sources


def cite(kb: Knowledge, *facts: Fact, links: bool = True) -> str:
    """"Source: …" naming the article by its title and sections, and each
    public source with the date its facts hold for and (unless `links` is
    False, in a table where room is short) its URL."""
    article = kb.sources["article"]
    sections: List[str] = []
    public: Dict[str, Optional[str]] = {}
    for fact in facts:
        src_id, _, section = fact.source.partition("#")
        if src_id == "article":
            if section and article.sections[section] not in sections:
                sections.append(article.sections[section])
        else:
            dates = [d for d in (public.get(src_id), fact.as_of) if d]
            public[src_id] = max(dates) if dates else None
    parts = []
    if sections:
        word = "section" if len(sections) == 1 else "sections"
        quoted = [f"\"{s}\"" for s in sections]
        named = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        parts.append(f"\"{article.title}\", {word} {named}")
    for src_id, as_of in public.items():
        src = kb.sources[src_id]
        parts.append(src.title + (f" ({src.url})" if src.url and links else "") + (f", as of {as_of}" if as_of else ""))
    return "Source: " + "; ".join(parts) + "."


def cite_refs(kb: Knowledge, refs: Sequence[str]) -> str:
    return cite(kb, *(Fact("", r) for r in refs))


# --------------------------------------------------------------------------
# small text helpers


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


# sentence openers that may be lower-cased inside another sentence (never a name)
_COMMON_OPENERS = frozenset(
    "a an the some it its they there whether most many micro-credentials micro-credential certificate "
    "certificates certifications certification this these to for in with each".split()
)


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0].rstrip(",:;")
    return text[:1].lower() + text[1:] if first.lower() in _COMMON_OPENERS else text


def _asks(kb: Knowledge, attribute: str, name: str) -> str:
    return kb.attributes[attribute].asks.format(name=name)


def is_silent(fact: Fact) -> bool:
    """The fact itself says the article doesn't cover this."""
    return fact.text.startswith(SILENT_PREFIX)


def short_name(cred: Credential) -> str:
    """How a sentence names it: "the PMP" for "Project Management Professional (PMP)",
    "the Certificate in Data Analytics"; a course's title as it is."""
    if cred.name.endswith(")") and "(" in cred.name:
        return "the " + cred.name[cred.name.rindex("(") + 1:-1]
    if cred.kind != "micro_credential":
        return "the " + cred.name
    return cred.name


def common_name(name: str) -> str:
    """"agile methods" inside a sentence, but "React" and "Kubernetes" as they are."""
    words = name.split()
    if len(words) > 1 and words[0][1:].islower() and all(w.islower() or not w[:1].isalpha() for w in words[1:]):
        return name[:1].lower() + name[1:]
    return name


def brief(fact: Fact, limit: int = 120) -> str:
    """A table cell: the fact's `cell`, else its first clause (ending in "…" when cut)."""
    if fact.cell:
        return fact.cell
    text = fact.text.rstrip(".")
    for sep in ("; ", ": ", ", so ", " (", ", and "):
        i = text.find(sep, 25)
        if 0 < i <= limit:
            return _lower_first(text[:i]) + "…"
    if len(text) <= limit:
        return _lower_first(text)
    return _lower_first(text[:limit].rsplit(" ", 1)[0]) + "…"


def _buttons(intents: Iterable[str]) -> Tuple[Button, ...]:
    return tuple(Button(v.BUTTON_TITLES[i], payload(i)) for i in intents)


def _more_key(kind: str, *args: str) -> str:
    return ":".join((kind,) + tuple(args))


# --------------------------------------------------------------------------
# FAQ


def faq_answer(kb: Knowledge, topic_id: str) -> Reply:
    """The short answer, its main source, and "More detail"."""
    topic = kb.faq[topic_id]
    text = f"{topic.short}\n{cite_refs(kb, topic.sources[:1])}"
    buttons = (MORE_BUTTON,) + _buttons(topic.follow_ups[:3])
    return Reply(text, buttons, topic=v.faq_topic_name(topic_id), more=_more_key("faq", topic_id))


def faq_more(kb: Knowledge, topic_id: str) -> Reply:
    topic = kb.faq[topic_id]
    text = f"{topic.more}\n{cite_refs(kb, topic.sources)}"
    return Reply(text, _buttons(topic.follow_ups), topic=v.faq_topic_name(topic_id))


# --------------------------------------------------------------------------
# one attribute


def credential_fact_text(kb: Knowledge, cred: Credential, attribute: str) -> str:
    """One attribute of one credential, honest about facts the article lacks."""
    fact = cred.facts[attribute]
    if fact.specific:
        return f"{_sentence(fact.text)}\n{cite(kb, fact)}"
    kind = kb.kinds[cred.kind]
    silent = f"{SILENT_PREFIX} say {_asks(kb, attribute, short_name(cred))}"
    if is_silent(fact):
        return (f"{silent}, and it says nothing on this for {kind.plural} in general either. "
                f"Check with the issuer.\n{cite(kb, fact)}")
    return (f"{silent}. What it says of {kind.plural} in general: {_sentence(fact.text)} "
            f"Check with the issuer for the exact details.\n{cite(kb, fact)}")


def general_text(kb: Knowledge, attribute: str, kinds: Sequence[str]) -> str:
    """What the article says of one attribute for each kind asked about."""
    facts = [kb.general[attribute][k] for k in kinds]
    lines = [_sentence(f.text) for f in facts]
    return "\n".join(lines + [cite(kb, *facts)])


def _default_kinds(attribute: str) -> List[str]:
    """Kinds to answer for when none is named: the article's comparison table's two."""
    if attribute in ("expiry", "stackable"):
        return ["micro_credential"]  # the article's FAQ and "which to use" answer these for micro-credentials
    return ["micro_credential", "certificate"]


def attribute_answer(
    kb: Knowledge,
    attribute: str,
    credentials: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> Reply:
    """Answer one attribute for what was named: credentials, kinds, or neither."""
    creds = [kb.credentials[c] for c in credentials]
    topic = v.attribute_topic_name(attribute)
    if len(creds) >= 2:
        lines = [f"{kb.attributes[attribute].label.capitalize()}, side by side:"]
        for cred in creds[:3]:
            fact = cred.facts[attribute]
            if fact.specific:
                lines.append(f"• {_sentence(fact.text)}")
            else:
                cell = fact.cell or _lower_first(fact.text)
                lines.append(f"• {cred.name}: the article doesn't say; "
                             f"for {kb.kinds[cred.kind].plural} in general, {cell}.")
        lines.append(cite(kb, *(c.facts[attribute] for c in creds[:3]), links=False))
        return Reply("\n".join(lines), (Button(FULL_COMPARISON_TITLE, payload(v.MORE_DETAIL)),), topic=topic,
                     more=_more_key("compare", ",".join(c.id for c in creds[:3]), ""))
    if len(creds) == 1:
        cred = creds[0]
        text = credential_fact_text(kb, cred, attribute)
        return Reply(text, credential_buttons(kb, cred, exclude=attribute), credential=cred.name, topic=topic,
                     more=_more_key("overview", cred.id))
    kinds = list(dict.fromkeys(kinds)) or _default_kinds(attribute)
    buttons = _buttons((v.COMPARE, v.LIST_CREDENTIALS, v.faq_intent("which_to_choose")))
    return Reply(general_text(kb, attribute, kinds), buttons, topic=topic,
                 more=_more_key("compare", "", ",".join(kinds)))


def credential_buttons(kb: Knowledge, cred: Credential, exclude: Optional[str] = None) -> Tuple[Button, ...]:
    out = []
    for attr in ("expiry", "cost", "duration"):
        if attr != exclude:
            out.append(Button(kb.attributes[attr].question, payload(v.ATTRIBUTE_INTENT[attr], credential=cred.id)))
    other = "micro_credential" if cred.kind != "micro_credential" else "certificate"
    out.append(Button(f"Compare with {kb.kinds[other].with_article}",
                      payload(v.COMPARE, credential=cred.id, kind=other)))
    return tuple(out)


def _kind_for_mention(kb: Knowledge, mention: str, kinds: Sequence[str]) -> List[str]:
    """Which kinds' general rule fits an unknown product: the kind it names, else the table's two."""
    if kinds:
        return list(dict.fromkeys(kinds))
    low = mention.lower()
    if "certification" in low or low.endswith(" cert") or "certified" in low:
        return ["certification"]
    if "certificate" in low:
        return ["certificate"]
    if "badge" in low or "micro" in low:
        return ["micro_credential"]
    return ["micro_credential", "certificate"]


def unknown_answer(kb: Knowledge, mention: str, attribute: Optional[str] = None, kinds: Sequence[str] = ()) -> Reply:
    """Honest answer for a credential the knowledge file doesn't know."""
    lines = [f"I have no facts on \"{mention}\": the article doesn't cover it, so I won't guess."]
    kinds = _kind_for_mention(kb, mention, kinds)
    if attribute:
        facts = [kb.general[attribute][k] for k in kinds]
        said = [f for f in facts if not is_silent(f)]
        if said:
            lines.append("What the article says in general: " + " ".join(_sentence(f.text) for f in said))
        else:
            lines.append(_sentence(facts[0].text))
        lines.append("For this one, check with its issuer.")
        lines.append(cite(kb, *facts))
    else:
        lines.append("For what it covers, costs and takes, and whether it expires, check with its issuer. "
                     "I can tell you what the article says about each kind of credential in general.")
    buttons = (Button("Examples by field", payload(v.LIST_CREDENTIALS)),
               Button(v.BUTTON_TITLES[v.COMPARE], payload(v.COMPARE)))
    return Reply("\n".join(lines), buttons, topic=v.TOPIC_UNKNOWN_CREDENTIAL, unknown=mention)


# --------------------------------------------------------------------------
# subjects the article names (React, agile methods): not credentials


def licensed_field_answer(kb: Knowledge, field_id: str, attribute: str) -> Reply:
    """An attribute asked of a regulated profession itself ("how do I renew my nursing
    licence?"): not something the article answers; what it says of entering that field."""
    f = kb.fields[field_id]
    assert f.entry is not None
    text = (f"The article doesn't cover professional licences in {f.label}, so it can't tell you "
            f"{_asks(kb, attribute, 'one')}. {_sentence(f.entry.text)}")
    return Reply(f"{text}\n{cite(kb, f.entry)}", _buttons([v.faq_intent("regulated_professions")]),
                 topic=v.TOPIC_SUBJECT)


def topic_answer(kb: Knowledge, topic_id: str, attribute: Optional[str] = None) -> Reply:
    t: Topic = kb.topics[topic_id]
    if t.concept:
        return concept_answer(kb, topic_id)
    lines = [_sentence(t.fact.text)]
    facts = [t.fact]
    if attribute:
        general = kb.general[attribute]["micro_credential"]
        lines.append(f"It describes no particular {t.name} credential, so it doesn't say "
                     f"{_asks(kb, attribute, 'one')}; for micro-credentials in general: {brief(general)}. "
                     "Check with the provider of the one you pick.")
        facts.append(general)
    lines.append(cite(kb, *facts))
    buttons = (Button(f"Examples in {kb.fields[t.fields[0]].label}", payload(v.LIST_CREDENTIALS, field=t.fields[0])),
               Button("Do micro-credentials expire?", payload(v.ATTRIBUTE_INTENT["expiry"], kind="micro_credential")))
    return Reply("\n".join(lines), buttons, credential=t.name, topic=v.TOPIC_SUBJECT, more=_more_key("faq", "what_is"))


def concept_answer(kb: Knowledge, topic_id: str) -> Reply:
    """An idea the article explains (just-in-time learning): its explanation, and
    the FAQ answer it belongs to on request."""
    t = kb.topics[topic_id]
    buttons = ((MORE_BUTTON,) + _buttons(kb.faq[t.faq].follow_ups[:2])) if t.faq else other_questions_buttons()
    return Reply(f"{_sentence(t.fact.text)}\n{cite(kb, t.fact)}", buttons, topic=v.TOPIC_SUBJECT,
                 more=_more_key("faq", t.faq) if t.faq else None)


def topic_kind_answer(kb: Knowledge, topic_id: str) -> Reply:
    t = kb.topics[topic_id]
    text = (f"{t.name} is not a credential itself. {_sentence(t.fact.text)}\n{cite(kb, t.fact)}")
    return Reply(text, topic_answer(kb, topic_id).buttons, credential=t.name, topic=v.TOPIC_SUBJECT,
                 more=_more_key("faq", "what_is"))


# --------------------------------------------------------------------------
# overview, kind, comparison, lists


def overview(kb: Knowledge, cred_id: str) -> Reply:
    cred = kb.credentials[cred_id]
    kind = kb.kinds[cred.kind]
    fields = " and ".join(kb.fields[f].label for f in cred.fields)
    scope = cred.facts["scope"]
    lines = [f"{cred.name} is {kind.with_article} ({fields}). {_sentence(scope.text)}"]
    known = [_asks(kb, a, "it") for a in ATTRIBUTES if a != "scope" and cred.facts[a].specific]
    if known:
        lines.append("Ask me " + ", ".join(known[:3]) + ".")
    lines.append(cite(kb, scope))
    return Reply("\n".join(lines), (MORE_BUTTON,) + credential_buttons(kb, cred), credential=cred.name,
                 topic=v.TOPIC_OVERVIEW, more=_more_key("overview", cred.id))


def overview_more(kb: Knowledge, cred_id: str) -> Reply:
    """Every attribute of one credential, in sentences."""
    cred = kb.credentials[cred_id]
    lines = []
    facts = []
    for attr in ATTRIBUTES:
        if attr == "scope":
            continue
        fact = cred.facts[attr]
        if fact.specific:
            lines.append(f"• {_sentence(fact.text)}")
            facts.append(fact)
    missing = [kb.attributes[a].label for a in ATTRIBUTES if not cred.facts[a].specific]
    if missing:
        lines.append(f"{SILENT_PREFIX} give its {', '.join(missing)}; check with the issuer.")
    if not facts:
        lines.insert(0, f"That is all the article says about {cred.name}.")
        facts.append(cred.facts["scope"])
    lines.append(cite(kb, *facts))
    return Reply("\n".join(lines), credential_buttons(kb, cred), credential=cred.name, topic=v.TOPIC_OVERVIEW)


def kind_answer(kb: Knowledge, cred_id: str, asked_kinds: Sequence[str] = ()) -> Reply:
    """"Is the CPA a micro-credential?": what it is, without a bare yes or no."""
    cred = kb.credentials[cred_id]
    kind = kb.kinds[cred.kind]
    others = [kb.kinds[k] for k in asked_kinds if k != cred.kind]
    head = f"{cred.name} is {kind.with_article}"
    head += f", not {others[0].with_article}." if others else "."
    scope = cred.facts["scope"]
    body = (_sentence(scope.text) if scope.specific
            else f"Like other {kind.plural}: {_lower_first(_sentence(scope.text))}")
    return Reply(f"{head} {body}\n{cite(kb, scope)}", credential_buttons(kb, cred), credential=cred.name,
                 topic=v.TOPIC_KIND, more=_more_key("overview", cred.id))


COMPARE_ROWS = ("scope", "duration", "cost", "issuer", "format", "career_impact", "expiry", "stackable")
SHORT_ROWS = 3


def _side_cell(kb: Knowledge, side: "Side", attribute: str, full: bool) -> str:
    fact = side.facts[attribute]
    whole = _lower_first(fact.text.rstrip("."))
    if side.cred is None or fact.specific:
        return whole if full else brief(fact)
    if is_silent(fact):
        return "the article doesn't say"
    return f"not given ({kb.kinds[side.cred.kind].plural} in general: {whole if full else brief(fact)})"


@dataclass(frozen=True)
class Side:
    name: str
    facts: Dict[str, Fact]
    cred: Optional[Credential] = None


def label_name(cred: Credential) -> str:
    """A short label: "PMP" for "Project Management Professional (PMP)"."""
    if cred.name.endswith(")") and "(" in cred.name:
        return cred.name[cred.name.rindex("(") + 1:-1]
    return cred.name


def _sides(kb: Knowledge, credentials: Sequence[str], kinds: Sequence[str],
           subject: Optional[Topic] = None) -> List[Side]:
    creds = [kb.credentials[c] for c in credentials][:3]
    sides = [Side(label_name(c), dict(c.facts), c) for c in creds]
    kinds = list(dict.fromkeys(kinds))
    if subject is not None and len(creds) == 1:
        # "a risk assessment micro-credential vs the PMP": the subject is the micro-credential's scope
        facts = {a: kb.general[a]["micro_credential"] for a in ATTRIBUTES}
        cell = f"one specific skill: {common_name(subject.name)}"
        facts["scope"] = Fact(subject.fact.text, subject.fact.source, cell=cell)
        return sides + [Side(f"a micro-credential in {common_name(subject.name)}", facts)]
    if len(creds) == 1 and not kinds:
        kinds = ["micro_credential" if creds[0].kind != "micro_credential" else "certificate"]
    if not creds and len(kinds) < 2:
        kinds = list(dict.fromkeys(kinds + ["certificate", "micro_credential"]))[:2]
    for k in kinds:
        if len(sides) >= 3 or (creds and k == creds[0].kind and len(creds) == 1 and len(kinds) > 1):
            continue
        label = kb.kinds[k].label
        name = f"a typical {label}" if creds else label[:1].upper() + label[1:]
        sides.append(Side(name, {a: kb.general[a][k] for a in ATTRIBUTES}))
    return sides


def _telling_rows(sides: Sequence[Side], prefer: Sequence[str] = ()) -> List[str]:
    """The rows asked about first, then those the article gives for every side, scope first."""
    def given(attr: str) -> int:
        return sum(1 for s in sides if s.cred is None or s.facts[attr].specific)
    return sorted(COMPARE_ROWS, key=lambda a: (a not in prefer, -given(a), COMPARE_ROWS.index(a)))


def compare(kb: Knowledge, credentials: Sequence[str] = (), kinds: Sequence[str] = (), full: bool = False,
            prefer: Sequence[str] = (), subject: Optional[str] = None) -> Reply:
    """Side by side: credentials, a credential and a kind, or two kinds, one
    line each. The three most telling attributes first (with "Full
    comparison"), all of them on request."""
    sides = _sides(kb, credentials, kinds, kb.topics.get(subject) if subject else None)
    for n_rows in ([len(COMPARE_ROWS)] if full else range(SHORT_ROWS, 0, -1)):
        rows = [a for a in COMPARE_ROWS if a in _telling_rows(sides, prefer)[:n_rows]]
        lines = [" vs ".join(s.name for s in sides) + ":"]
        for side in sides:  # each name once, its rows after it
            cells = "; ".join(f"{kb.attributes[a].label}: {_side_cell(kb, side, a, full)}" for a in rows)
            lines.append(f"• {side.name[:1].upper() + side.name[1:]}: {cells}.")
        lines.append(cite(kb, *(s.facts[a] for s in sides for a in rows), links=full))
        if full or len("\n".join(lines)) <= COMPARE_MAX_CHARS - ROOM_FOR_PROMPT:
            break
    cred_ids = [s.cred.id for s in sides if s.cred]
    kind_ids = [k for k in kinds if k in kb.kinds] or [
        k for k in kb.kinds if any(s.cred is None and s.facts["scope"] == kb.general["scope"][k] for s in sides)]
    more = None if full else _more_key("compare", ",".join(cred_ids), ",".join(kind_ids))
    buttons: Tuple[Button, ...] = ()
    if not full:
        buttons = (Button(FULL_COMPARISON_TITLE, payload(v.MORE_DETAIL)),)
    buttons += _buttons((v.faq_intent("which_to_choose"), v.GET_ADVICE))
    single = sides[0].cred.name if len(cred_ids) == 1 and sides[0].cred else None
    topic = v.TOPIC_COMPARE_CREDENTIALS if cred_ids else v.TOPIC_COMPARE_KINDS
    return Reply("\n".join(lines), buttons, credential=single, topic=topic, more=more)


def compare_kinds(kb: Knowledge, full: bool = False) -> Reply:
    return compare(kb, (), ("certificate", "micro_credential"), full=full)


def list_credentials(kb: Knowledge, fields: Sequence[str] = (), kinds: Sequence[str] = ()) -> Reply:
    creds = [
        c for c in kb.credentials.values()
        if (not fields or set(fields) & set(c.fields)) and (not kinds or c.kind in kinds)
    ]
    subjects = [t for t in kb.topics.values() if not t.concept and fields and set(fields) & set(t.fields)
                and (not kinds or "micro_credential" in kinds)]
    where = " and ".join(kb.fields[f].label for f in fields)
    what = " and ".join(kb.kinds[k].plural for k in kinds) if kinds else "credentials"
    if not creds and not subjects:
        text = f"The article names no {what} in {where}." if where else f"The article names no {what}."
        text += " Ask me for examples in tech, data, marketing or teaching."
        return Reply(text, (Button("Examples by field", payload(v.LIST_CREDENTIALS)),), topic=v.TOPIC_LIST)
    if creds:
        lines = [f"{what[:1].upper() + what[1:]} the article names" + (f" in {where}:" if where else ":")]
        lines += [f"• {c.name} ({kb.kinds[c.kind].label})" for c in creds]
    else:
        lines = [f"The article doesn't name {what} in {where} by title."]
    if subjects:
        lines.append(("It also names" if creds else "It names") + " subjects to earn micro-credentials in: "
                     + ", ".join(common_name(t.name) for t in subjects) + ", each a specific skill rather than "
                     "the whole field.")
    if not fields:
        lines.append("Ask about one field for a shorter list, e.g. \"micro-credentials for marketing\".")
    buttons = tuple(Button(f"About {c.name}", payload(v.ASK_OVERVIEW, credential=c.id)) for c in creds[:4])
    return Reply("\n".join(lines), buttons, topic=v.TOPIC_LIST)


# --------------------------------------------------------------------------
# "tell me more"


def more_detail(kb: Knowledge, key: Optional[str]) -> Optional[Reply]:
    """The longer answer for what the last reply was about, or None if there is none."""
    if not key:
        return None
    kind, _, rest = key.partition(":")
    args = rest.split(":") if rest else []
    if kind == "faq" and args and args[0] in kb.faq:
        return faq_more(kb, args[0])
    if kind == "overview" and args and args[0] in kb.credentials:
        return overview_more(kb, args[0])
    if kind == "compare":
        creds = [c for c in (args[0].split(",") if args and args[0] else []) if c in kb.credentials]
        kinds = [k for k in (args[1].split(",") if len(args) > 1 and args[1] else []) if k in kb.kinds]
        return compare(kb, creds, kinds, full=True)
    return None


# --------------------------------------------------------------------------
# the long tail: the article's own passage


PASSAGE_INTRO = "Here is what the article says about that:"


def passage_answer(kb: Knowledge, passages: Sequence[Passage]) -> Reply:
    """"Here is what the article says about that: …" with its section."""
    text = " ".join(_sentence(p.text) for p in passages)
    facts = [Fact(p.text, p.source) for p in passages]
    return Reply(f"{PASSAGE_INTRO} {text}\n{cite(kb, *facts)}", other_questions_buttons(), topic=v.TOPIC_PASSAGE)


def other_questions_buttons() -> Tuple[Button, ...]:
    return _buttons((v.faq_intent("what_is"), v.COMPARE, v.faq_intent("employers_care")))
