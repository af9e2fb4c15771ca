"""When the answer is not the classified intent's own: a general question that
names a credential's fact, an idea the article explains, an attribute question
about nothing. One pure function, used by the actions and by `make eval`
(which counts, on the held-out set, how often a correct intent is replaced)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Dict, Optional, Sequence, Tuple

from actions import vocabulary as v
from actions.knowledge import Knowledge
from actions.parts import asked_attributes
from actions.subject import Subject

# A general question that names a credential and asks one of its attributes in
# so many words is answered with that fact, unless the classifier was this sure.
FAQ_SURE = 0.9
# An attribute question that names nothing, with no conversation before it, is
# answered in general only when the classifier is at least this sure.
ATTRIBUTE_ALONE_MIN = 0.6


@dataclass(frozen=True)
class Route:
    """How to answer instead of the intent's own answer."""

    kind: str  # "attributes" (of what is named), "concept", "intent" (another intent's answer) or "fallback"
    attributes: Tuple[str, ...] = ()
    topic: Optional[str] = None
    intent: Optional[str] = None


def named_concept(kb: Knowledge, subject: Subject) -> Optional[str]:
    """An idea the article explains, named in this very message (not remembered)."""
    if subject.from_context:
        return None
    return next((t for t in subject.topics if kb.topics[t].concept), None)


# FAQ answers that already answer an attribute for any credential: "can the
# Differentiated Instruction badge go toward my recertification?" is the teacher's
# PD question, not the badge's expiry.
FAQ_COVERS: Dict[str, Tuple[str, ...]] = {
    "faq_teacher_pd": ("expiry", "stackable"),
    "faq_provider_trust": ("issuer",),
    "faq_pay": ("career_impact",),
}

_DEFINITION = re.compile(r"\bwhat(?:'s|\s+is|\s+are|\s+does)\b|\bmean(?:s|ing)?\b|\bdefin|\bexplain",
                         re.IGNORECASE)


# "is a certificate programme or a micro-credential the better fit?": a choice between kinds
_CHOICE = re.compile(r"\b(better|best|fit|suits?|should i (go for|pick|choose|get|do))\b", re.IGNORECASE)
# "are micro-credentials only for tech people?": whether they are confined to a field
_ONLY_FOR = re.compile(r"\b(only|just|solely|exclusively|mainly|mostly)\s+(for|in|about|useful (for|in))\b",
                       re.IGNORECASE)
# answers that already deal with fields, or a choice, or a named credential
_ABOUT_FIELDS = frozenset(v.faq_intent(t) for t in ("fields", "regulated_professions", "web_development",
                                                    "teachers", "teacher_pd", "hiring"))
_ABOUT_CHOICE = frozenset((v.faq_intent("which_to_choose"), v.faq_intent("hold_both"), v.GET_ADVICE))


def _defines(text: Optional[str]) -> bool:
    """Asks what something is or means ("what does unbundling mean?")."""
    return isinstance(text, str) and bool(_DEFINITION.search(text))


def reroute(kb: Knowledge, intent: str, confidence: float, text: Optional[str], subject: Subject) -> Optional[Route]:
    """None: answer the intent. Otherwise what to answer instead, and why:
    - not sure, for a message choosing between two kinds in so many words ("is a
      certificate programme or a micro-credential the better fit?") -> which to choose;
    - a FAQ intent, not sure, for a message asking whether micro-credentials are
      only for a field it names -> which fields value them;
    - "what is a micro-credential", not sure, for a message naming a credential ->
      that credential's kind (when a kind is named too) or overview;
    - a FAQ intent, not sure, for a message naming a credential and asking one of
      its attributes ("who licenses CPAs?") -> that credential's facts;
    - a FAQ intent for a message asking what an idea the article explains is or
      means ("what does just-in-time learning mean?") -> the article's explanation;
    - an attribute intent, not sure, for a message that names nothing and follows
      nothing ("can you grade my essays?" read as "how is it assessed?", "how do
      I renew my nursing licence?" as an expiry question) -> fallback;
    - an attribute intent, not sure, for a message that asks another attribute in
      so many words ("what education does a CPA need?" read as its scope) -> that one.
    """
    named_here = not subject.from_context
    if confidence < FAQ_SURE and text and named_here and not subject.credentials:
        if (len(set(subject.kinds)) >= 2 and intent not in _ABOUT_CHOICE and _CHOICE.search(text)
                and not asked_attributes(kb, text)):
            # "for broad foundations, is a certificate programme or a micro-credential the better fit?"
            return Route("intent", intent=v.faq_intent("which_to_choose"))
        if (subject.fields and intent.startswith(v.FAQ_PREFIX) and intent not in _ABOUT_FIELDS
                and _ONLY_FOR.search(text)):
            # "are micro-credentials only for tech people?": which fields value them
            return Route("intent", intent=v.faq_intent("fields"))
    if intent == v.faq_intent("what_is") and confidence < FAQ_SURE and subject.credentials and named_here:
        # "what's the Graduate Certificate in Cybersecurity, is it a micro-credential?": about that
        # credential, not the definition of a micro-credential
        return Route("intent", intent=v.ASK_KIND if subject.kinds else v.ASK_OVERVIEW)
    if intent.startswith(v.FAQ_PREFIX):
        if confidence < FAQ_SURE and subject.credentials and not subject.from_context:
            asked = tuple(a for a in asked_attributes(kb, text)[:2] if a not in FAQ_COVERS.get(intent, ()))
            if asked:
                return Route("attributes", asked)
        concept = named_concept(kb, subject)
        if concept and (intent == v.faq_intent("what_is") or _defines(text)):
            return Route("concept", topic=concept)
    if intent in v.ATTRIBUTE_INTENTS and confidence < ATTRIBUTE_ALONE_MIN:
        if subject == Subject():
            return Route("fallback")
        asked = tuple(asked_attributes(kb, text)[:2])
        if asked and v.INTENT_ATTRIBUTE[intent] not in asked and not subject.from_context:
            # "what education does a CPA need?" read, unsure, as what it covers: the attribute asked in words
            return Route("attributes", asked)
    return None


# The FallbackClassifier's threshold (config.yml; tests/test_routing.py checks they agree)
FALLBACK_THRESHOLD = 0.2


def ambiguous_but_answerable(ranking: Sequence[Tuple[str, float]], answerable: Collection[str]) -> Optional[str]:
    """The intent to answer when the classifier fell back only because two intents
    were about equally likely (both above its threshold): the first, when it is one
    with an answer of its own; the second is then offered as a button."""
    if len(ranking) >= 2 and ranking[1][1] >= FALLBACK_THRESHOLD and ranking[0][0] in answerable:
        return ranking[0][0]
    return None
