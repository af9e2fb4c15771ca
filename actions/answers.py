"""Compose answers from the knowledge file.

Pure functions: knowledge + what was asked -> :class:`Reply` (text and
buttons). No Rasa here; the action classes in ``actions.actions`` only call
these and send the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from actions.knowledge import ATTRIBUTES, Credential, Fact, Knowledge

# Button titles for follow-up intents.
FOLLOW_UP_TITLES: Dict[str, str] = {
    "faq_employers_care": "Do employers care?",
    "faq_same_as_certification": "Same as a certification?",
    "faq_what_is": "What is a micro-credential?",
    "faq_which_to_choose": "Which should I choose?",
    "faq_higher_education": "Effect on universities",
    "faq_trends": "How they are changing learning",
    "faq_replace_degrees": "Will they replace degrees?",
    "faq_teachers": "For teachers",
    "ask_scope": "What does it cover?",
    "ask_duration": "How long does it take?",
    "ask_cost": "How much does it cost?",
    "ask_issuer": "Who issues it?",
    "ask_format": "What is the format?",
    "ask_career_impact": "Career impact",
    "ask_expiry": "Do they expire?",
    "ask_stackable": "Do they stack?",
    "compare": "Certificate vs micro-credential",
    "list_credentials": "Examples by field",
    "get_advice": "Advice for my situation",
}

ATTRIBUTE_INTENT: Dict[str, str] = {a: f"ask_{a}" for a in ATTRIBUTES}
INTENT_ATTRIBUTE: Dict[str, str] = {v: k for k, v in ATTRIBUTE_INTENT.items()}


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

    def buttons_as_dicts(self) -> List[Dict[str, str]]:
        return [b.as_dict() for b in self.buttons]


def payload(intent: str, **entities: str) -> str:
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def cite(kb: Knowledge, fact: Fact) -> str:
    src_id, _, section = fact.source.partition("#")
    if src_id == "article":
        return f"Source: the article, section \"{kb.sources['article'].sections[section]}\"."
    src = kb.sources[src_id]
    return f"Source: {src.title}" + (f" ({src.url})." if src.url else ".")


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _kind_label(kb: Knowledge, kind: str) -> str:
    return kb.kinds[kind].label


# --------------------------------------------------------------------------
# FAQ


def faq_answer(kb: Knowledge, topic_id: str) -> Reply:
    topic = kb.faq[topic_id]
    buttons = tuple(Button(FOLLOW_UP_TITLES[i], payload(i)) for i in topic.follow_ups)
    return Reply(f"{topic.text}\n\n{cite(kb, Fact(topic.text, topic.source))}", buttons, topic=f"faq/{topic_id}")


# --------------------------------------------------------------------------
# one attribute


def credential_fact_text(kb: Knowledge, cred: Credential, attribute: str) -> str:
    """One attribute of one credential, honest about facts the article lacks."""
    fact = cred.facts[attribute]
    label = kb.attributes[attribute]
    if fact.specific:
        return f"{cred.name}, {label}: {fact.text}.\n{cite(kb, fact)}"
    kind = _kind_label(kb, cred.kind)
    return (
        f"The article doesn't give the {label} of {cred.name} specifically. "
        f"It is a {kind}, and for {kb.kinds[cred.kind].plural} in general the {label} is "
        f"{fact.text}. Check with the issuer for the exact details.\n{cite(kb, fact)}"
    )


def general_text(kb: Knowledge, attribute: str, kinds: Sequence[str]) -> str:
    label = kb.attributes[attribute]
    lines = []
    for kind in kinds:
        fact = kb.general[attribute][kind]
        lines.append(f"• {kb.kinds[kind].plural.capitalize()}: {fact.text}.")
    sources = sorted({cite(kb, kb.general[attribute][k]) for k in kinds})
    head = f"In general, the {label}:" if len(kinds) > 1 else f"In general, the {label} of {kb.kinds[kinds[0]].plural}:"
    return "\n".join([head] + lines + sources)


def attribute_answer(
    kb: Knowledge,
    attribute: str,
    credentials: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> Reply:
    """Answer one attribute for what was named: credentials, kinds, or neither."""
    label = kb.attributes[attribute]
    creds = [kb.credentials[c] for c in credentials]
    if len(creds) >= 2:
        lines = [f"{label.capitalize()}, side by side:"]
        for cred in creds:
            fact = cred.facts[attribute]
            note = "" if fact.specific else f" (general rule for a {_kind_label(kb, cred.kind)}; the article gives nothing specific)"
            lines.append(f"• {cred.name}: {fact.text}{note}.")
        lines.extend(sorted({cite(kb, c.facts[attribute]) for c in creds}))
        return Reply("\n".join(lines), topic=f"attribute/{attribute}")
    if len(creds) == 1:
        cred = creds[0]
        text = credential_fact_text(kb, cred, attribute)
        others = [k for k in kinds if k != cred.kind]
        if others:
            text += "\n\n" + general_text(kb, attribute, others)
        return Reply(text, _credential_buttons(cred, exclude=attribute), credential=cred.name, topic=f"attribute/{attribute}")
    kinds = list(kinds) or ["micro_credential", "certificate"]
    if attribute == "expiry" and kinds == ["micro_credential", "certificate"]:
        kinds = ["micro_credential"]  # the article's FAQ answers this for micro-credentials
    buttons = tuple(
        Button(FOLLOW_UP_TITLES[i], payload(i))
        for i in ("compare", "list_credentials", "faq_which_to_choose")
    )
    return Reply(general_text(kb, attribute, kinds), buttons, topic=f"attribute/{attribute}")


def _credential_buttons(cred: Credential, exclude: Optional[str] = None) -> Tuple[Button, ...]:
    out = []
    for attr in ("expiry", "cost", "duration"):
        if attr != exclude:
            intent = ATTRIBUTE_INTENT[attr]
            out.append(Button(FOLLOW_UP_TITLES[intent].replace("they", "it").replace("Do it", "Does it"),
                              payload(intent, credential=cred.id)))
    other = "micro_credential" if cred.kind == "certificate" else "certificate"
    out.append(Button(f"Compare with a {'micro-credential' if other == 'micro_credential' else 'certificate'}",
                      payload("compare", credential=cred.id, kind=other)))
    return tuple(out)


def unknown_answer(kb: Knowledge, mention: str, attribute: Optional[str] = None) -> Reply:
    """Honest answer for a credential the knowledge file doesn't know."""
    known = ", ".join(sorted(c.name for c in kb.credentials.values())[:6])
    lines = [f"I have no facts on \"{mention}\", so I won't guess about it."]
    if attribute:
        lines.append("What the article says in general:")
        lines.append(general_text(kb, attribute, ["micro_credential", "certificate"]).split("\n", 1)[1])
    lines.append("For the exact details, check with whoever issues it.")
    lines.append(f"I do know about {known} and others: ask me \"which credentials do you know?\".")
    return Reply("\n".join(lines), (Button("Examples by field", payload("list_credentials")),),
                 topic="unknown_credential", unknown=mention)


# --------------------------------------------------------------------------
# overview, kind, comparison, lists


def overview(kb: Knowledge, cred_id: str) -> Reply:
    cred = kb.credentials[cred_id]
    kind = _kind_label(kb, cred.kind)
    fields = ", ".join(kb.fields[f].label for f in cred.fields)
    lines = [f"{cred.name} is a {kind} ({fields})."]
    for attr in ("scope", "duration", "cost", "issuer"):
        fact = cred.facts[attr]
        if fact.specific:
            lines.append(f"• {kb.attributes[attr].capitalize()}: {fact.text}.")
        else:
            lines.append(f"• {kb.attributes[attr].capitalize()}: not given for it specifically; as a {kind}, typically {fact.text}.")
    lines.extend(sorted({cite(kb, cred.facts[a]) for a in ("scope", "duration", "cost", "issuer")}))
    return Reply("\n".join(lines), _credential_buttons(cred), credential=cred.name, topic="overview")


def kind_answer(kb: Knowledge, cred_id: str, asked_kinds: Sequence[str] = ()) -> Reply:
    cred = kb.credentials[cred_id]
    kind = kb.kinds[cred.kind]
    if asked_kinds and cred.kind not in asked_kinds:
        other = kb.kinds[asked_kinds[0]]
        head = f"No, {cred.name} is not a {other.label}: it is a {kind.label}."
    elif asked_kinds:
        head = f"Yes, {cred.name} is a {kind.label}."
    else:
        head = f"{cred.name} is a {kind.label}."
    scope = cred.facts["scope"]
    body = f"It covers {scope.text}." if scope.specific else f"Like other {kind.plural}, it covers {scope.text}."
    return Reply(f"{head} {body}\n{cite(kb, scope)}", _credential_buttons(cred), credential=cred.name, topic="kind")


COMPARE_ROWS = ("scope", "duration", "cost", "issuer", "format", "career_impact")


def compare_kinds(kb: Knowledge) -> Reply:
    lines = ["Traditional certificate vs micro-credential:"]
    for attr in COMPARE_ROWS:
        c = kb.general[attr]["certificate"].text
        m = kb.general[attr]["micro_credential"].text
        lines.append(f"• {kb.attributes[attr].capitalize()}: certificate, {c}; micro-credential, {m}.")
    lines.append("In short: a certificate for broad foundations or a career change, micro-credentials for a specific skill, fast.")
    lines.append(cite(kb, kb.general["scope"]["certificate"]))
    buttons = tuple(Button(FOLLOW_UP_TITLES[i], payload(i)) for i in ("faq_which_to_choose", "ask_expiry", "get_advice"))
    return Reply("\n".join(lines), buttons, topic="compare/kinds")


def compare(kb: Knowledge, credentials: Sequence[str] = (), kinds: Sequence[str] = ()) -> Reply:
    """Side by side: two credentials, a credential and a kind, or the two kinds."""
    creds = [kb.credentials[c] for c in credentials][:3]
    if not creds:
        return compare_kinds(kb)
    sides: List[Tuple[str, Dict[str, Fact]]] = [(c.name, dict(c.facts)) for c in creds]
    if len(creds) == 1:
        other = next((k for k in kinds if k != creds[0].kind), None)
        if other is None:
            other = "micro_credential" if creds[0].kind == "certificate" else "certificate"
        sides.append((f"a typical {kb.kinds[other].label}", {a: kb.general[a][other] for a in ATTRIBUTES}))
    lines = [" vs ".join(name for name, _ in sides) + ":"]
    for attr in ("scope", "duration", "cost", "issuer", "expiry"):
        parts = []
        for name, facts in sides:
            fact = facts[attr]
            marker = "" if fact.specific else " (general rule)"
            parts.append(f"{name}: {fact.text}{marker}")
        lines.append(f"• {kb.attributes[attr].capitalize()}: " + " | ".join(parts) + ".")
    lines.append("\"General rule\" means the article gives nothing specific for that credential, so this is the typical value for its kind.")
    refs = sorted({cite(kb, facts[a]) for _, facts in sides for a in ("scope", "duration", "cost", "issuer", "expiry")})
    lines.extend(refs)
    return Reply("\n".join(lines), credential=creds[-1].name if len(creds) == 1 else None, topic="compare/credentials")


def list_credentials(kb: Knowledge, fields: Sequence[str] = (), kinds: Sequence[str] = ()) -> Reply:
    creds = [
        c for c in kb.credentials.values()
        if (not fields or set(fields) & set(c.fields)) and (not kinds or c.kind in kinds)
    ]
    where = " and ".join(kb.fields[f].label for f in fields)
    what = " and ".join(kb.kinds[k].plural for k in kinds) if kinds else "credentials"
    if not creds:
        text = f"The article names no {what} in {where}." if where else f"The article names no {what}."
        text += " Ask me for examples in tech, data, marketing or teaching."
        return Reply(text, (Button("Examples by field", payload("list_credentials")),), topic="list")
    head = f"{what.capitalize()} the article names" + (f" in {where}:" if where else ":")
    lines = [head]
    for c in creds:
        lines.append(f"• {c.name} ({_kind_label(kb, c.kind)})")
    if not fields:
        lines.append("Ask about one field for a shorter list, e.g. \"micro-credentials for marketing\".")
    lines.append(f"Ask about any of them, e.g. \"does {creds[0].name} expire?\" or \"how much is {creds[-1].name}?\"")
    buttons = tuple(Button(f"About {c.name}", payload("ask_overview", credential=c.id)) for c in creds[:4])
    return Reply("\n".join(lines), buttons, topic="list")
