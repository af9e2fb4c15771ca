"""What to do when the classifier is unsure (nlu_fallback): say honestly that
the question is out of scope, ask "Did you mean ...?" with the two closest
answers as buttons, or ask for a rephrase. Pure functions, tested without Rasa."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from actions.answers import Button, payload
from actions.knowledge import Knowledge
from actions.lookup import mentions_from_entities
from actions.vocabulary import BUTTON_TITLES

# Below this confidence the best guess is not worth offering: in cross-validation
# (python -m evaluation.fallback_cv), a best guess at 0.1-0.2 has the right intent among
# its two buttons 57% of the time (docs/EVALUATION.md).
SUGGEST_FLOOR = 0.1
# A second guess is offered only if it has at least this confidence.
SECOND_FLOOR = 0.08

NOT_SUGGESTED = frozenset({
    "nlu_fallback", "out_of_scope", "affirm", "deny", "inform", "stop", "something_else", "feedback",
    "more_detail", "other_language",
})

CONVERSATION_LABELS: Dict[str, str] = {
    "greet": "Just saying hello",
    "goodbye": "Saying goodbye",
    "thank": "Saying thanks",
    "bot_challenge": "Am I talking to a bot?",
    "human_handoff": "Talk to a person",
    "help": "What can I ask?",
    "get_advice": "Advice for my situation",
    "ask_kind": "Is it a micro-credential or a certification?",
    "ask_overview": "An overview of a credential",
}

ATTRIBUTE_LABELS: Dict[str, str] = {
    "ask_scope": "What {x} covers",
    "ask_duration": "How long {x} takes",
    "ask_cost": "What {x} costs",
    "ask_issuer": "Who issues {x}",
    "ask_format": "How {x} is assessed",
    "ask_career_impact": "What {x} does for a career",
    "ask_expiry": "Whether {x} expires",
    "ask_stackable": "Whether {x} stacks towards a bigger credential",
    "ask_kind": "Whether {x} is a micro-credential or a certification",
    "ask_overview": "An overview of {x}",
    "compare": "How {x} compares",
}


@dataclass(frozen=True)
class Decision:
    action: str  # "out_of_scope", "not_understood" or "did_you_mean"
    buttons: Tuple[Button, ...] = ()


def ranking_without_fallback(ranking: Sequence[Mapping[str, Any]]) -> List[Tuple[str, float]]:
    out = []
    for r in ranking or []:
        if not isinstance(r, Mapping):
            continue
        name, conf = r.get("name"), r.get("confidence")
        if isinstance(name, str) and isinstance(conf, (int, float)) and name != "nlu_fallback":
            out.append((name, float(conf)))
    return sorted(out, key=lambda x: -x[1])


def label_for(kb: Knowledge, intent: str, entities: Sequence[Mapping[str, Any]]) -> str:
    """A plain-language label for an intent (never the intent's name)."""
    if intent.startswith("faq_") and intent[4:] in kb.faq:
        return kb.faq[intent[4:]].label
    if intent in ATTRIBUTE_LABELS:
        m = mentions_from_entities(kb, entities)
        if m.credentials:
            subject = kb.credentials[m.credentials[0]].name
        elif m.kinds:
            subject = kb.kinds[m.kinds[0]].with_article
        elif intent == "compare":
            return "How a certificate and a micro-credential compare"
        else:
            subject = "a micro-credential" if intent != "ask_kind" else "it"
        return ATTRIBUTE_LABELS[intent].format(x=subject)
    if intent == "list_credentials":
        return "Examples of credentials by field"
    return CONVERSATION_LABELS.get(intent) or BUTTON_TITLES.get(intent) or "Something about micro-credentials"


def _payload(kb: Knowledge, intent: str, entities: Sequence[Mapping[str, Any]]) -> str:
    m = mentions_from_entities(kb, entities)
    ents: Dict[str, str] = {}
    if m.credentials:
        ents["credential"] = m.credentials[0]
    if m.kinds:
        ents["kind"] = m.kinds[0]
    if m.fields:
        ents["field"] = m.fields[0]
    return payload(intent, **ents)


def decide(kb: Knowledge, ranking: Sequence[Mapping[str, Any]], entities: Sequence[Mapping[str, Any]] = ()) -> Decision:
    ranked = ranking_without_fallback(ranking)
    if not ranked:
        return Decision("not_understood")
    (top, top_conf) = ranked[0]
    if top == "out_of_scope":
        return Decision("out_of_scope")
    if top_conf < SUGGEST_FLOOR or top in NOT_SUGGESTED:
        return Decision("not_understood")
    picks = [top]
    for name, conf in ranked[1:]:
        if name in NOT_SUGGESTED or conf < SECOND_FLOOR:
            break
        picks.append(name)
        break
    buttons = [Button(label_for(kb, i, entities), _payload(kb, i, entities)) for i in picks]
    buttons.append(Button("Something else", "/something_else"))
    return Decision("did_you_mean", tuple(buttons))


def is_second_something_else(user_intents_newest_first: Sequence[str]) -> bool:
    """True when the user already said "something else" since their last real question."""
    seen = 0
    for intent in user_intents_newest_first:
        if intent == "something_else":
            seen += 1
            if seen == 2:
                return True
        elif intent != "nlu_fallback":
            return False
    return False


def alternative(kb: Knowledge, ranked: Sequence[Tuple[str, float]], entities: Sequence[Mapping[str, Any]],
                answered: str) -> Optional[Button]:
    """"Or did you mean …?": the best other candidate as a button, if it is worth offering."""
    for name, conf in ranked:
        if name == answered:
            continue
        if name in NOT_SUGGESTED or conf < SECOND_FLOOR:
            return None
        return Button(f"Or: {label_for(kb, name, entities)}", _payload(kb, name, entities))
    return None
