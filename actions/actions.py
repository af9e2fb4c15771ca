"""Rasa custom actions: thin wrappers over the pure functions in this package.

The knowledge file is loaded and validated once, when the action server
imports this module; a broken file stops start-up with an error naming the
file, the entry and the field.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import os
import re
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answers, feedback, handoff
from actions import vocabulary as v
from actions.advice import GOALS, advice_reply, parse_budget, parse_goal, parse_time
from actions.disambiguate import alternative, decide, is_second_something_else, ranking_without_fallback
from actions.knowledge import Knowledge, load_knowledge
from actions.lookup import UnknownFinder, build_vocabulary, clean_mention, mentions_from_entities
from actions.parts import asked_attributes, second_attribute
from actions.retrieval import PassageIndex
from actions.routing import Route, ambiguous_but_answerable, reroute
from actions.subject import Subject, subject_of

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _training_texts(data_dir: Path) -> Iterable[str]:
    for path in sorted(data_dir.glob("*.yml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for item in doc.get("nlu", []) or []:
            examples = item.get("examples") if isinstance(item, dict) else None
            if isinstance(examples, str) and item.get("intent") != v.OTHER_LANGUAGE:
                for line in examples.splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        yield line[2:]


def _knowledge_words(kb: Knowledge) -> Iterable[str]:
    for kind in kb.kinds.values():
        yield from " ".join(kind.aliases).split()
    for fld in kb.fields.values():
        yield from " ".join(a for a in fld.aliases if a not in fld.case_sensitive_aliases).split()


KB: Knowledge = load_knowledge()  # $KNOWLEDGE_FILE or knowledge/credentials.yml
FINDER = UnknownFinder(build_vocabulary(_training_texts(PROJECT_DIR / "data"), _knowledge_words(KB))
                       - {w.lower() for name in KB.unknown_names for w in name.split()})
PASSAGES = PassageIndex(KB)
HANDOFF = handoff.settings_from_env(os.environ)  # who takes a hand-off (actions/handoff.py)


# --------------------------------------------------------------------------
# sending an answer: what it was about (slots), then the feedback prompt


def _answer_events(reply: answers.Reply) -> List[EventType]:
    """What the answer leaves behind for follow-ups and the report."""
    events: List[EventType] = []
    if reply.credential:
        events.append(SlotSet(v.SLOT_CREDENTIAL, reply.credential))
    if reply.topic:
        events.append(SlotSet(v.SLOT_LAST_TOPIC, reply.topic))
    events.append(SlotSet(v.SLOT_LAST_SUBJECT, reply.more))
    if reply.unknown:
        events.append(SlotSet(v.SLOT_UNKNOWN_CREDENTIAL, reply.unknown))
    return events


def _feedback_step(tracker: Tracker, reply: answers.Reply) -> "tuple[answers.Reply, List[EventType]]":
    """The feedback state machine: every third answer carries "Was this helpful?";
    an answer right after a 👎 may also be the comment."""
    in_form = bool(tracker.active_loop_name)  # no prompt inside the advice form
    before = int(tracker.get_slot(v.SLOT_ANSWERS_SINCE_FEEDBACK) or 0)
    ask, count = feedback.prompt_due(before, None if in_form else reply.topic)
    if ask:
        reply = feedback.with_prompt(reply, tracker.get_latest_input_channel())
    events: List[EventType] = []
    if tracker.get_slot(v.SLOT_AWAITING_COMMENT):  # answered right after a 👎
        events.append(SlotSet(v.SLOT_AWAITING_COMMENT, None))
        comment = feedback.uncertain_comment(tracker.latest_message or {})
        if comment:  # not surely a question: keep it as the comment too, and say so
            events.append(SlotSet(v.SLOT_FEEDBACK_COMMENT, comment))
            reply = dataclasses.replace(reply, text=f"{feedback.NOTED_AND_ANSWERED}\n{reply.text}")
    if ask or count != before:
        events.append(SlotSet(v.SLOT_ANSWERS_SINCE_FEEDBACK, float(count)))
    return reply, events


def _send(dispatcher: CollectingDispatcher, tracker: Tracker, *replies: answers.Reply) -> List[EventType]:
    """Send one answer (or two, for a two-part question): the last one carries the
    feedback prompt and decides what a follow-up is about."""
    events: List[EventType] = []
    if len(replies) > 1:  # one set of buttons, under the last part, each once
        merged: Dict[str, answers.Button] = {}
        for b in [b for r in reversed(replies) for b in r.buttons]:
            merged.setdefault(b.payload, b)
        replies = tuple(dataclasses.replace(r, buttons=()) for r in replies[:-1]) + (
            dataclasses.replace(replies[-1], buttons=tuple(merged.values())[:4]),)
    for reply in replies[:-1]:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons_as_dicts())
        events += _answer_events(reply)
    last, feedback_events = _feedback_step(tracker, replies[-1])
    dispatcher.utter_message(text=last.text, buttons=last.buttons_as_dicts())
    return events + _answer_events(replies[-1]) + feedback_events


def _latest(tracker: Tracker) -> Dict[str, Any]:
    return tracker.latest_message or {}


def _intent(tracker: Tracker) -> str:
    return (_latest(tracker).get("intent") or {}).get("name") or ""


def _subject(tracker: Tracker) -> Subject:
    msg = _latest(tracker)
    return subject_of(KB, msg.get("text"), msg.get("entities") or [], tracker.get_slot(v.SLOT_CREDENTIAL), FINDER)


def _attribute_reply(subject: Subject, attribute: str) -> answers.Reply:
    if subject.unknown:
        return answers.unknown_answer(KB, subject.unknown, attribute, subject.kinds)
    if subject.topics and not subject.credentials:
        return answers.topic_answer(KB, subject.topics[0], attribute)
    return answers.attribute_answer(KB, attribute, subject.credentials, subject.kinds)


def _with_second_part(tracker: Tracker, subject: Subject, first: answers.Reply,
                      answered: Optional[str] = None) -> List[answers.Reply]:
    """A two-part question ("does it expire and what does it cost?") gets both parts."""
    other = second_attribute(KB, _latest(tracker).get("text"), answered)
    if other is None:
        return [first]
    return [first, _attribute_reply(subject, other)]


def _confidence(tracker: Tracker) -> float:
    try:
        return float((_latest(tracker).get("intent") or {}).get("confidence") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _reroute(tracker: Tracker, subject: Subject) -> Optional[Route]:
    return reroute(KB, _intent(tracker), _confidence(tracker), _latest(tracker).get("text"), subject)


def _understood_anyway(tracker: Tracker, subject: Subject) -> List[answers.Reply]:
    """When the classifier is unsure, what the message itself names can still be
    answered: a subject or idea of the article ("react micro-credential on top of
    a CS degree"), or a named credential or kind with the attribute asked ("what
    education does a CPA need?", "what's involved in earning a micro-credential:
    exams, projects?")."""
    if subject.from_context:
        return []
    text = _latest(tracker).get("text")
    asked = asked_attributes(KB, text)[:2]
    if subject.topics and (not subject.credentials or not asked):
        # "a micro-credential just in stakeholder communication instead of the PMP?"
        return [answers.topic_answer(KB, subject.topics[0], asked[0] if asked else None)]
    if (subject.credentials or subject.kinds) and asked:
        return [_attribute_reply(subject, a) for a in asked]
    return []


# intents answered with a general FAQ topic
FAQ_FOR_INTENT = {v.GET_ADVICE: "which_to_choose"}


# --------------------------------------------------------------------------
# what to answer for each answering intent (plain functions: the actions call
# them, and so does the fallback when two intents are about equally likely)


# "what is a certificate?" and the like: the FAQ that defines the kind
KIND_DEFINITION = {"micro_credential": "what_is", "certificate": "what_is_certificate",
                   "certification": "what_is_certification"}


def faq_replies(tracker: Tracker, intent: str) -> List[answers.Reply]:
    topic = FAQ_FOR_INTENT.get(intent) or v.faq_topic(intent)
    subject = _subject(tracker)
    route = _reroute(tracker, subject)
    if route is not None and route.kind == "attributes":
        # "who licenses CPAs?" classified as a general question: the named credential's fact answers it
        return [_attribute_reply(subject, a) for a in route.attributes]
    if route is not None and route.kind == "concept" and route.topic:
        # "what does just-in-time learning mean?": the article's explanation of that idea
        return [answers.concept_answer(KB, route.topic)]
    replies = _with_second_part(tracker, subject, answers.faq_answer(KB, topic))
    if subject.topics and not subject.from_context:
        # "a CS degree plus a React micro-credential: how should I read that?"
        replies = replies[:1] + [answers.topic_answer(KB, subject.topics[0])]
    if subject.surely_unknown:
        # "Do LinkedIn Learning badges count when we hire?": no facts on the product, then the general answer
        replies = [answers.unknown_answer(KB, subject.unknown, kinds=subject.kinds)] + replies[:1]
    return replies


def attribute_replies(tracker: Tracker, intent: str) -> List[answers.Reply]:
    subject = _subject(tracker)
    route = _reroute(tracker, subject)
    if route is not None and route.kind == "attributes":
        # "what education does a CPA need?" classified as what it covers: the attribute asked in words
        return [_attribute_reply(subject, a) for a in route.attributes]
    attribute = v.INTENT_ATTRIBUTE[intent]
    licensed = _licensed_field(subject, _latest(tracker).get("text"))
    if licensed:  # "how do I renew my nursing licence?": a professional licence, not a credential
        return [answers.licensed_field_answer(KB, licensed, attribute)]
    return _with_second_part(tracker, subject, _attribute_reply(subject, attribute), attribute)


_LICENCE = re.compile(r"\blicen[cs](?:e|es|ed|ing|ure)\b", re.IGNORECASE)


def _licensed_field(subject: Subject, text: Optional[str]) -> Optional[str]:
    """A regulated field (nursing, law ...) whose licence the message asks about,
    with no credential, kind or article subject named."""
    if subject.credentials or subject.kinds or subject.topics or subject.unknown:
        return None
    if not isinstance(text, str) or not _LICENCE.search(text):
        return None
    return next((f for f in subject.fields if KB.fields[f].regulated and KB.fields[f].entry is not None), None)


def kind_replies(tracker: Tracker, intent: str) -> List[answers.Reply]:
    subject = _subject(tracker)
    if subject.unknown:
        return [answers.unknown_answer(KB, subject.unknown, kinds=subject.kinds)]
    if subject.topics and not subject.credentials:
        return [answers.topic_kind_answer(KB, subject.topics[0])]
    if not subject.credentials:
        return [answers.faq_answer(KB, "same_as_certification")]
    return [answers.kind_answer(KB, subject.credentials[0], subject.kinds)]


def overview_replies(tracker: Tracker, intent: str) -> List[answers.Reply]:
    subject = _subject(tracker)
    if subject.unknown:
        return [answers.unknown_answer(KB, subject.unknown, kinds=subject.kinds)]
    if subject.credentials:
        return [answers.overview(KB, subject.credentials[0])]
    if subject.topics:
        return [answers.topic_answer(KB, subject.topics[0])]
    if len(subject.kinds) == 1:
        return [answers.faq_answer(KB, KIND_DEFINITION[subject.kinds[0]])]
    if len(subject.kinds) > 1:
        return [answers.compare(KB, (), subject.kinds)]
    return [answers.list_credentials(KB, subject.fields)]


def compare_replies(tracker: Tracker, intent: str) -> List[answers.Reply]:
    subject = _subject(tracker)
    if subject.unknown:
        return [answers.unknown_answer(KB, subject.unknown, kinds=subject.kinds)]
    creds = list(subject.credentials)
    remembered = subject.remembered
    if not subject.from_context and len(creds) == 1 and not subject.kinds and remembered and remembered != creds[0]:
        creds = [remembered, creds[0]]  # "how does it compare to the CPA?"
    if not creds and remembered and len(subject.kinds) < 2 and not subject.topics:
        creds = [remembered]  # "how does that compare to a micro-credential?"
    asked = asked_attributes(KB, _latest(tracker).get("text"))  # "... for my career?": that row first
    named = next((t for t in subject.topics if not KB.topics[t].concept), None)
    return [answers.compare(KB, creds, subject.kinds, prefer=asked, subject=named)]


def list_replies(tracker: Tracker, intent: str) -> List[answers.Reply]:
    msg = _latest(tracker)
    subject = subject_of(KB, msg.get("text"), msg.get("entities") or [], None)
    if subject.topics and not subject.fields:  # "is there a micro-credential for agile methods?"
        return [answers.topic_answer(KB, subject.topics[0])]
    return [answers.list_credentials(KB, subject.fields, subject.kinds)]


REPLIES_FOR = {
    **{i: faq_replies for i in v.FAQ_INTENTS},
    **{i: attribute_replies for i in v.ATTRIBUTE_INTENTS},
    v.ASK_KIND: kind_replies,
    v.ASK_OVERVIEW: overview_replies,
    v.COMPARE: compare_replies,
    v.LIST_CREDENTIALS: list_replies,
}


class AnswerAction(Action, metaclass=abc.ABCMeta):
    """Answers the classified intent (REPLIES_FOR), or the fallback when routing says so."""

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        intent = _intent(tracker)
        replies_for = REPLIES_FOR.get(intent)
        if replies_for is None:
            dispatcher.utter_message(response="utter_default")
            return []
        route = _reroute(tracker, _subject(tracker))
        if route is not None and route.kind == "fallback":
            # "can you grade my essays?" read as "how is it assessed?" about nothing: not understood
            return await fallback(dispatcher, tracker)
        if route is not None and route.kind == "intent" and route.intent in REPLIES_FOR:
            # "is a certificate programme or a micro-credential the better fit?" read as what each covers
            intent = route.intent
            replies_for = REPLIES_FOR[intent]
        return _send(dispatcher, tracker, *replies_for(tracker, intent))


class ActionAnswerFaq(AnswerAction):
    def name(self) -> Text:
        return "action_answer_faq"


class ActionAnswerAttribute(AnswerAction):
    def name(self) -> Text:
        return "action_answer_attribute"


class ActionAnswerKind(AnswerAction):
    def name(self) -> Text:
        return "action_answer_kind"


class ActionCredentialOverview(AnswerAction):
    def name(self) -> Text:
        return "action_credential_overview"


class ActionCompare(AnswerAction):
    def name(self) -> Text:
        return "action_compare"


class ActionListCredentials(AnswerAction):
    def name(self) -> Text:
        return "action_list_credentials"


class ActionMoreDetail(Action):
    """"Tell me more", "More detail", "Full comparison": the rest of the last answer."""

    def name(self) -> Text:
        return "action_more_detail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        reply = answers.more_detail(KB, tracker.get_slot(v.SLOT_LAST_SUBJECT))
        if reply is None:
            dispatcher.utter_message(response="utter_more_what")
            return []
        return _send(dispatcher, tracker, reply)


# --------------------------------------------------------------------------
# the advice form: only the goal is asked for; field, time and budget are taken
# from whatever the user says, and refine the advice when they come


# While the form is open, messages classified as one of these are questions to
# answer (the form then resumes), not answers to the form's questions.
QUESTION_INTENTS = frozenset(
    {v.HELP, v.BOT_CHALLENGE, v.GREET, v.GOODBYE, v.THANK, v.STOP, v.MORE_DETAIL, v.OTHER_LANGUAGE}
    | set(v.CREDENTIAL_INTENTS)
)


def _is_form_answer(tracker: Tracker) -> bool:
    intent = _intent(tracker)
    text = _latest(tracker).get("text") or ""
    if intent.startswith(v.FAQ_PREFIX) or intent in QUESTION_INTENTS:
        return False
    if intent in v.ATTRIBUTE_INTENTS and "?" in text:
        return False
    return True


def _payload_values(tracker: Tracker) -> Dict[str, str]:
    """Button payloads such as /get_advice{"budget":"low"} carry answers as entities."""
    out: Dict[str, str] = {}
    for ent in _latest(tracker).get("entities") or []:
        if isinstance(ent, dict) and ent.get("entity") in v.ADVICE_SLOTS and isinstance(ent.get("value"), str):
            out[ent["entity"]] = ent["value"]
    return out


def advice_slots_from(tracker: Tracker, asking_field: bool = False) -> Dict[str, Any]:
    """Goal, field, time and budget as far as the latest message gives them."""
    if not _is_form_answer(tracker):
        return {}
    msg = _latest(tracker)
    given = _payload_values(tracker)
    text = msg.get("text") or ""
    words = "" if text.startswith("/") else text
    found: Dict[str, Any] = {}
    goal = parse_goal(given.get(v.SLOT_GOAL) or words)
    if goal:
        found[v.SLOT_GOAL] = goal
    m = mentions_from_entities(KB, msg.get("entities") or [])
    moving = found.get(v.SLOT_GOAL) == "career_change"
    if m.credentials and (moving or not m.fields):
        # "I want to become a CPA": the credential's own field
        found[v.SLOT_FIELD] = KB.credentials[m.credentials[0]].fields[0]
    elif m.fields:
        # "a maths teacher retraining as a civil engineer": where they are going is named last
        found[v.SLOT_FIELD] = m.fields[-1] if moving else m.fields[0]
    elif given.get(v.SLOT_FIELD):
        found[v.SLOT_FIELD] = clean_mention(given[v.SLOT_FIELD], 40)
    elif asking_field and words.strip():
        found[v.SLOT_FIELD] = clean_mention(words, 40)  # a field the file doesn't know: the user's words
    time = parse_time(given.get(v.SLOT_TIME) or words)
    if time:
        found[v.SLOT_TIME] = time
    budget = parse_budget(given.get(v.SLOT_BUDGET) or words)
    if budget:
        found[v.SLOT_BUDGET] = budget
    return found


class ValidateAdviceForm(FormValidationAction):
    """The form asks only for the goal, and only when nothing said gives it;
    everything else the user says fills field, time and budget as well."""

    def name(self) -> Text:
        return "validate_advice_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # extract and keep all four (rasa_sdk drops a slot that is not "required")...
        return list(v.ADVICE_SLOTS)

    async def next_requested_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Optional[EventType]:
        # ... but ask only for what domain.yml requires (the goal): Rasa's form decides
        return None

    async def extract_goal(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> Dict[Text, Any]:
        return advice_slots_from(tracker)


class ActionAskGoal(Action):
    """The advice form's one question. When the message that opened the form names a
    subject of the article ("can I prove I'm good at blended learning with a
    micro-credential?"), what the article says of it comes first."""

    def name(self) -> Text:
        return "action_ask_goal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.topics and not subject.from_context:
            reply = answers.topic_answer(KB, subject.topics[0])
            dispatcher.utter_message(text=reply.text)
        dispatcher.utter_message(response="utter_ask_goal")
        return []


def _named_since_advice_started(tracker: Tracker) -> List[str]:
    named: List[str] = []
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        named = list(mentions_from_entities(KB, parse.get("entities") or []).credentials) + named
        if (parse.get("intent") or {}).get("name") == v.GET_ADVICE:
            break
    return named


def _advice(tracker: Tracker, slots: Dict[str, Any]) -> answers.Reply:
    field_value = slots.get(v.SLOT_FIELD)
    field_id = field_value if field_value in KB.fields else None
    return advice_reply(
        KB, slots[v.SLOT_GOAL], field_id, slots.get(v.SLOT_TIME), slots.get(v.SLOT_BUDGET),
        _named_since_advice_started(tracker), field_text=None if field_id else field_value,
    )


class ActionGiveAdvice(Action):
    def name(self) -> Text:
        return "action_give_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        slots = {s: tracker.get_slot(s) for s in v.ADVICE_SLOTS}
        if slots[v.SLOT_GOAL] not in GOALS:
            dispatcher.utter_message(response="utter_default")
            return []
        # the answers stay, so "I have little time" or a budget button refines this advice
        return _send(dispatcher, tracker, _advice(tracker, slots))


class ActionInform(Action):
    """A bare answer ("a few weeks", "under $200"): once advice was given in the
    conversation (even with other questions since) it refines that advice;
    otherwise the assistant asks what the user would like to know."""

    def name(self) -> Text:
        return "action_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        goal = tracker.get_slot(v.SLOT_GOAL)
        if goal not in GOALS:  # no advice given yet in this conversation (set only by the advice form)
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        slots = {s: tracker.get_slot(s) for s in v.ADVICE_SLOTS}
        found = advice_slots_from(tracker)
        slots.update(found)
        events: List[EventType] = [SlotSet(k, val) for k, val in found.items()]
        return events + _send(dispatcher, tracker, _advice(tracker, slots))


# --------------------------------------------------------------------------
# not sure what was asked: the article's passage, did you mean ...?, or honest fallback


async def fallback(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Not sure what was asked: a product the article doesn't cover; what the
    message names; the article's own passage when one is close enough; "Did you
    mean ...?"; or the honest out-of-scope reply."""
    msg = _latest(tracker)
    entities = msg.get("entities") or []
    events: List[EventType] = []
    named = mentions_from_entities(KB, entities).credentials
    if named:  # remembered for the follow-up ("does it expire?") whatever is chosen now
        events.append(SlotSet(v.SLOT_CREDENTIAL, KB.credentials[named[0]].name))
    subject = _subject(tracker)
    if subject.surely_unknown:  # a product the article doesn't cover: say so, whatever was meant
        return events + _send(dispatcher, tracker, answers.unknown_answer(KB, subject.unknown, kinds=subject.kinds))
    understood = _understood_anyway(tracker, subject)
    if understood:
        return events + _send(dispatcher, tracker, *understood)
    ranking = ranking_without_fallback(msg.get("intent_ranking") or [])
    likely = ambiguous_but_answerable(ranking, REPLIES_FOR)
    if likely:
        # two answers about equally likely: the first, with the other one a click away
        replies = REPLIES_FOR[likely](tracker, likely)
        other = alternative(KB, ranking, entities, likely)
        if other is not None:
            last = replies[-1]
            rest = tuple(b for b in last.buttons if b.payload != other.payload)[:3]
            replies[-1] = dataclasses.replace(last, buttons=(other,) + rest)
        return events + _send(dispatcher, tracker, *replies)
    decision = decide(KB, msg.get("intent_ranking") or [], entities)
    hits = [] if decision.action == "did_you_mean" and named else PASSAGES.answer(msg.get("text") or "")
    if hits:
        return events + _send(dispatcher, tracker, answers.passage_answer(KB, [h.passage for h in hits]))
    if decision.action == "out_of_scope":
        dispatcher.utter_message(response="utter_out_of_scope")
    elif decision.action == "not_understood":
        dispatcher.utter_message(response="utter_default")
    else:
        dispatcher.utter_message(response="utter_did_you_mean", buttons=[b.as_dict() for b in decision.buttons])
    if decision.action != "did_you_mean":
        _offer_handoff(dispatcher, tracker)
    return events + [SlotSet(v.SLOT_LAST_TOPIC, f"{v.FALLBACK_TOPIC_PREFIX}{decision.action}")]


def _offer_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The second fallback in a row: offer a person, when one is set up to take it."""
    before = tracker.get_slot(v.SLOT_LAST_TOPIC)  # what the previous turn was about
    if HANDOFF.anyone and isinstance(before, str) and before.startswith(v.FALLBACK_TOPIC_PREFIX):
        dispatcher.utter_message(text=handoff.OFFER, buttons=[handoff.OFFER_BUTTON])


class ActionDisambiguate(Action):
    """Runs on nlu_fallback (see `fallback`)."""

    def name(self) -> Text:
        return "action_disambiguate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return await fallback(dispatcher, tracker)


class ActionOutOfScope(Action):
    """Out of scope: the honest reply, unless the message names a credential or
    provider the article doesn't cover ("how much weight should I give a
    Certified ScrumMaster?"): then say there are no facts on it."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.surely_unknown:
            return _send(dispatcher, tracker, answers.unknown_answer(KB, subject.unknown, kinds=subject.kinds))
        dispatcher.utter_message(response="utter_out_of_scope")
        _offer_handoff(dispatcher, tracker)
        return [SlotSet(v.SLOT_LAST_TOPIC, f"{v.FALLBACK_TOPIC_PREFIX}out_of_scope")]


def _closest_section(note: handoff.Note) -> str:
    """The article's section for the question before a hand-off: its FAQ topic's
    source when the model understood one, else the closest passage's; "" if none."""
    sections = KB.sources["article"].sections
    topic = KB.faq.get(v.faq_topic(note.intent)) if note.intent else None
    ref = topic.source if topic is not None else ""
    if not ref.startswith("article#") and note.question:
        hits = PASSAGES.rank(note.question, 1)
        ref = hits[0].passage.source if hits and hits[0].score >= handoff.MIN_SECTION_SCORE else ""
    return sections.get(ref.partition("#")[2], "") if ref.startswith("article#") else ""


class ActionHandoff(Action):
    """"Talk to a person": a note to Slack and/or e-mail (actions/handoff.py),
    or, with neither set up, the honest "no person is available" and where to
    look in the article."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        note = handoff.compose_note(tracker.sender_id, tracker.events, time.time())
        done, errors = await handoff.deliver(HANDOFF, note)
        for error in errors:
            logger.error("hand-off %s of %s: %s", note.reference, tracker.sender_id, error)
        outcome = handoff.outcome_slot(done, HANDOFF)
        section = _closest_section(note) if outcome == handoff.NOBODY else ""
        text = handoff.user_message(HANDOFF, outcome.split("+"), note, KB.sources["article"].title, section)
        dispatcher.utter_message(text=text, buttons=[{"title": "What can I ask?", "payload": "/help"}])
        return [SlotSet(v.SLOT_HANDOFF, outcome), SlotSet(v.SLOT_LAST_TOPIC, v.TOPIC_HANDOFF)]


class ActionSomethingElse(Action):
    """"Something else": ask for a rephrase; the second time, offer the topic menu."""

    def name(self) -> Text:
        return "action_something_else"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        intents = [
            ((e.get("parse_data") or {}).get("intent") or {}).get("name") or ""
            for e in reversed(tracker.events or []) if e.get("event") == "user"
        ]
        if is_second_something_else(intents):
            dispatcher.utter_message(response="utter_help")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []


# --------------------------------------------------------------------------
# feedback: "Was this helpful? 👍 / 👎" and the optional comment after a 👎


class ActionFeedback(Action):
    """Stores the rating with the topic it rates; a 👎 asks, optionally, what was missing."""

    def name(self) -> Text:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        msg = _latest(tracker)
        comment = feedback.comment_text(msg.get("text"))
        if tracker.get_slot(v.SLOT_AWAITING_COMMENT) and comment:
            # typed words about the answer right after a 👎 ("the answer was too long"): the comment
            dispatcher.utter_message(text=feedback.THANKS_COMMENT)
            return [SlotSet(v.SLOT_FEEDBACK_COMMENT, comment), SlotSet(v.SLOT_AWAITING_COMMENT, None)]
        rating = feedback.rating_of(msg.get("text"), msg.get("entities") or [])
        events: List[EventType] = [
            SlotSet(v.SLOT_FEEDBACK_TOPIC, tracker.get_slot(v.SLOT_LAST_TOPIC)),
            SlotSet(v.SLOT_FEEDBACK_VALUE, rating),
            SlotSet(v.SLOT_ANSWERS_SINCE_FEEDBACK, 0.0),
        ]
        if rating == feedback.DOWN:
            dispatcher.utter_message(text=feedback.ASK_COMMENT)
            events.append(SlotSet(v.SLOT_AWAITING_COMMENT, True))
        else:
            dispatcher.utter_message(text=feedback.THANKS_UP)
            events.append(SlotSet(v.SLOT_AWAITING_COMMENT, None))
        return events


class ActionFeedbackComment(Action):
    """After a 👎, a message that is not a question the bot answers is the comment."""

    def name(self) -> Text:
        return "action_feedback_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        comment = feedback.comment_text(_latest(tracker).get("text"))
        events: List[EventType] = [SlotSet(v.SLOT_AWAITING_COMMENT, None)]
        if comment is None:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return events
        dispatcher.utter_message(text=feedback.THANKS_COMMENT)
        return [SlotSet(v.SLOT_FEEDBACK_COMMENT, comment)] + events
