"""Rasa custom actions: thin wrappers over the pure functions in this package.

The knowledge file is loaded and validated once, when the action server
imports this module; a broken file stops start-up with an error naming the
file, the entry and the field.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answers, feedback
from actions.advice import GOALS, advice_reply, parse_budget, parse_goal, parse_time
from actions.disambiguate import decide, is_second_something_else
from actions.lookup import clean_mention, mentions_from_entities
from actions.knowledge import Knowledge, load_knowledge
from actions.lookup import UnknownFinder, build_vocabulary
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
            if isinstance(examples, str):
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
FINDER = UnknownFinder(build_vocabulary(_training_texts(PROJECT_DIR / "data"), _knowledge_words(KB)))


def _send(dispatcher: CollectingDispatcher, tracker: Tracker, reply: answers.Reply) -> List[EventType]:
    """Send an answer; remember what it was about; now and then ask for feedback."""
    in_form = bool(tracker.active_loop_name)  # no prompt inside the advice form
    ask, count = feedback.prompt_due(tracker.get_slot("answers_since_feedback"), None if in_form else reply.topic)
    if ask:
        reply = feedback.with_prompt(reply, tracker.get_latest_input_channel())
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons_as_dicts())
    events: List[EventType] = []
    if reply.credential:
        events.append(SlotSet("credential", reply.credential))
    if reply.topic:
        events.append(SlotSet("last_topic", reply.topic))
    if reply.unknown:
        events.append(SlotSet("unknown_credential", reply.unknown))
    if tracker.get_slot("awaiting_comment"):  # answered right after a 👎
        events.append(SlotSet("awaiting_comment", None))
        comment = feedback.uncertain_comment(tracker.latest_message or {})
        if comment:  # not surely a question: keep it as the comment too
            events.append(SlotSet("feedback_comment", comment))
    if ask or count != int(tracker.get_slot("answers_since_feedback") or 0):
        events.append(SlotSet("answers_since_feedback", float(count)))
    return events


def _subject(tracker: Tracker) -> Subject:
    msg = tracker.latest_message or {}
    return subject_of(KB, msg.get("text"), msg.get("entities") or [], tracker.get_slot("credential"), FINDER)


def _intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


# intents answered with a general FAQ topic
FAQ_FOR_INTENT = {"get_advice": "which_to_choose"}


class ActionAnswerFaq(Action):
    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        intent = _intent(tracker)
        topic = FAQ_FOR_INTENT.get(intent, intent.removeprefix("faq_"))
        if topic not in KB.faq:
            dispatcher.utter_message(response="utter_default")
            return []
        return _send(dispatcher, tracker, answers.faq_answer(KB, topic))


class ActionAnswerAttribute(Action):
    def name(self) -> Text:
        return "action_answer_attribute"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        attribute = answers.INTENT_ATTRIBUTE.get(_intent(tracker))
        if attribute is None:
            dispatcher.utter_message(response="utter_default")
            return []
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, tracker, answers.unknown_answer(KB, subject.unknown, attribute))
        return _send(dispatcher, tracker, answers.attribute_answer(KB, attribute, subject.credentials, subject.kinds))


class ActionAnswerKind(Action):
    def name(self) -> Text:
        return "action_answer_kind"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, tracker, answers.unknown_answer(KB, subject.unknown))
        if not subject.credentials:
            return _send(dispatcher, tracker, answers.faq_answer(KB, "same_as_certification"))
        return _send(dispatcher, tracker, answers.kind_answer(KB, subject.credentials[0], subject.kinds))


class ActionCredentialOverview(Action):
    def name(self) -> Text:
        return "action_credential_overview"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, tracker, answers.unknown_answer(KB, subject.unknown))
        if subject.credentials:
            return _send(dispatcher, tracker, answers.overview(KB, subject.credentials[0]))
        if "certificate" in subject.kinds and "micro_credential" not in subject.kinds:
            return _send(dispatcher, tracker, answers.compare_kinds(KB))
        if subject.kinds:
            return _send(dispatcher, tracker, answers.faq_answer(KB, "what_is"))
        return _send(dispatcher, tracker, answers.list_credentials(KB, subject.fields))


class ActionCompare(Action):
    def name(self) -> Text:
        return "action_compare"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, tracker, answers.unknown_answer(KB, subject.unknown))
        creds = list(subject.credentials)
        remembered = _subject_from_slot(tracker)
        if len(creds) == 1 and not subject.kinds and remembered and remembered != creds[0]:
            creds = [remembered, creds[0]]  # "how does it compare to Kubernetes?"
        if not creds and remembered and len(subject.kinds) < 2:
            creds = [remembered]  # "how does that compare to a micro-credential?"
        return _send(dispatcher, tracker, answers.compare(KB, creds, subject.kinds))


def _subject_from_slot(tracker: Tracker) -> Optional[str]:
    s = subject_of(KB, None, [], tracker.get_slot("credential"))
    return s.credentials[0] if s.credentials else None


class ActionListCredentials(Action):
    def name(self) -> Text:
        return "action_list_credentials"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        msg = tracker.latest_message or {}
        subject = subject_of(KB, msg.get("text"), msg.get("entities") or [], None)
        return _send(dispatcher, tracker, answers.list_credentials(KB, subject.fields, subject.kinds))


# --------------------------------------------------------------------------
# the advice form: goal, field, time available, budget

ADVICE_SLOTS = ("goal", "field", "time_available", "budget")

# While the form is open, messages classified as one of these are questions to
# answer (the form then resumes), not answers to the form's questions.
QUESTION_INTENTS = frozenset({
    "help", "bot_challenge", "compare", "ask_overview", "ask_kind", "list_credentials",
    "greet", "goodbye", "thank", "stop",
})


def _is_form_answer(tracker: Tracker) -> bool:
    msg = tracker.latest_message or {}
    intent = _intent(tracker)
    text = msg.get("text") or ""
    if intent.startswith("faq_") or intent in QUESTION_INTENTS:
        return False
    if intent.startswith("ask_") and "?" in text:
        return False
    return True


def _text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text") or ""
    return text if not text.startswith("/") else _payload_value(tracker)


def _payload_value(tracker: Tracker) -> str:
    """Button payloads such as /inform{"goal":"upskill"} carry the answer as an entity."""
    for ent in (tracker.latest_message or {}).get("entities") or []:
        if isinstance(ent, dict) and ent.get("entity") in ADVICE_SLOTS and isinstance(ent.get("value"), str):
            return ent["value"]
    return ""


class ValidateAdviceForm(FormValidationAction):
    """Fills the advice form from whatever the user says, including the first
    message ("I'm switching into data analytics") and later changes of mind."""

    def name(self) -> Text:
        return "validate_advice_form"

    async def extract_goal(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not _is_form_answer(tracker):
            return {}
        goal = parse_goal(_text(tracker))
        return {"goal": goal} if goal else {}

    async def extract_field(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not _is_form_answer(tracker):
            return {}
        msg = tracker.latest_message or {}
        m = mentions_from_entities(KB, msg.get("entities") or [])
        if m.fields:
            return {"field": m.fields[0]}
        if m.credentials:
            return {"field": KB.credentials[m.credentials[0]].fields[0]}
        value = _payload_value(tracker)
        if value:
            return {"field": clean_mention(value, 40)}
        text = msg.get("text") or ""
        if tracker.get_slot("requested_slot") == "field" and text.strip() and not text.startswith("/"):
            # a field the knowledge file doesn't know ("nursing"): keep the user's words
            return {"field": clean_mention(text, 40)}
        return {}

    async def extract_time_available(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not _is_form_answer(tracker):
            return {}
        value = parse_time(_text(tracker))
        return {"time_available": value} if value else {}

    async def extract_budget(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not _is_form_answer(tracker):
            return {}
        value = parse_budget(_text(tracker))
        return {"budget": value} if value else {}


def _named_since_advice_started(tracker: Tracker) -> List[str]:
    named: List[str] = []
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        named = list(mentions_from_entities(KB, parse.get("entities") or []).credentials) + named
        if (parse.get("intent") or {}).get("name") == "get_advice":
            break
    return named


class ActionGiveAdvice(Action):
    def name(self) -> Text:
        return "action_give_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        goal = tracker.get_slot("goal")
        if goal not in GOALS:
            dispatcher.utter_message(response="utter_default")
            return []
        field_value = tracker.get_slot("field")
        field_id = field_value if field_value in KB.fields else None
        reply = advice_reply(
            KB, goal, field_id, tracker.get_slot("time_available"), tracker.get_slot("budget"),
            _named_since_advice_started(tracker), field_text=None if field_id else field_value,
        )
        events = _send(dispatcher, tracker, reply)
        return events + [SlotSet(s, None) for s in ADVICE_SLOTS]


# --------------------------------------------------------------------------
# not sure what was asked: did you mean ...?


class ActionDisambiguate(Action):
    """Runs on nlu_fallback: the honest out-of-scope reply, or "Did you mean ...?"."""

    def name(self) -> Text:
        return "action_disambiguate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        msg = tracker.latest_message or {}
        decision = decide(KB, msg.get("intent_ranking") or [], msg.get("entities") or [])
        if decision.action == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        elif decision.action == "not_understood":
            dispatcher.utter_message(response="utter_default")
        else:
            dispatcher.utter_message(response="utter_did_you_mean", buttons=[b.as_dict() for b in decision.buttons])
        return [SlotSet("last_topic", f"fallback/{decision.action}")]


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
        msg = tracker.latest_message or {}
        comment = feedback.comment_text(msg.get("text"))
        if tracker.get_slot("awaiting_comment") and comment:
            # typed words about the answer right after a 👎 ("the answer was too long"): the comment
            dispatcher.utter_message(text=feedback.THANKS_COMMENT)
            return [SlotSet("feedback_comment", comment), SlotSet("awaiting_comment", None)]
        rating = feedback.rating_of(msg.get("text"), msg.get("entities") or [])
        events: List[EventType] = [
            SlotSet("feedback_topic", tracker.get_slot("last_topic")),
            SlotSet("feedback_value", rating),
            SlotSet("answers_since_feedback", 0.0),
        ]
        if rating == feedback.DOWN:
            dispatcher.utter_message(text=feedback.ASK_COMMENT)
            events.append(SlotSet("awaiting_comment", True))
        else:
            dispatcher.utter_message(text=feedback.THANKS_UP)
            events.append(SlotSet("awaiting_comment", None))
        return events


class ActionFeedbackComment(Action):
    """After a 👎, a message that is not a question the bot answers is the comment."""

    def name(self) -> Text:
        return "action_feedback_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        comment = feedback.comment_text((tracker.latest_message or {}).get("text"))
        events: List[EventType] = [SlotSet("awaiting_comment", None)]
        if comment is None:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return events
        dispatcher.utter_message(text=feedback.THANKS_COMMENT)
        return [SlotSet("feedback_comment", comment)] + events
