"""Rasa custom actions: thin wrappers over the pure functions in this package.

The knowledge file is loaded and validated once, when the action server
imports this module; a broken file stops start-up with an error naming the
file, the entry and the field.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
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


KB: Knowledge = load_knowledge(os.environ.get("KNOWLEDGE_FILE") or None)
FINDER = UnknownFinder(build_vocabulary(_training_texts(PROJECT_DIR / "data"), _knowledge_words(KB)))


def _send(dispatcher: CollectingDispatcher, reply: answers.Reply) -> List[EventType]:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons_as_dicts())
    events: List[EventType] = []
    if reply.credential:
        events.append(SlotSet("credential", reply.credential))
    if reply.topic:
        events.append(SlotSet("last_topic", reply.topic))
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
        return _send(dispatcher, answers.faq_answer(KB, topic))


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
            return _send(dispatcher, answers.unknown_answer(KB, subject.unknown, attribute))
        return _send(dispatcher, answers.attribute_answer(KB, attribute, subject.credentials, subject.kinds))


class ActionAnswerKind(Action):
    def name(self) -> Text:
        return "action_answer_kind"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, answers.unknown_answer(KB, subject.unknown))
        if not subject.credentials:
            return _send(dispatcher, answers.faq_answer(KB, "same_as_certification"))
        return _send(dispatcher, answers.kind_answer(KB, subject.credentials[0], subject.kinds))


class ActionCredentialOverview(Action):
    def name(self) -> Text:
        return "action_credential_overview"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, answers.unknown_answer(KB, subject.unknown))
        if subject.credentials:
            return _send(dispatcher, answers.overview(KB, subject.credentials[0]))
        if "certificate" in subject.kinds and "micro_credential" not in subject.kinds:
            return _send(dispatcher, answers.compare_kinds(KB))
        if subject.kinds:
            return _send(dispatcher, answers.faq_answer(KB, "what_is"))
        return _send(dispatcher, answers.list_credentials(KB, subject.fields))


class ActionCompare(Action):
    def name(self) -> Text:
        return "action_compare"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        subject = _subject(tracker)
        if subject.unknown:
            return _send(dispatcher, answers.unknown_answer(KB, subject.unknown))
        creds = list(subject.credentials)
        remembered = _subject_from_slot(tracker)
        if len(creds) == 1 and not subject.kinds and remembered and remembered != creds[0]:
            creds = [remembered, creds[0]]  # "how does it compare to Kubernetes?"
        if not creds and remembered and len(subject.kinds) < 2:
            creds = [remembered]  # "how does that compare to a micro-credential?"
        return _send(dispatcher, answers.compare(KB, creds, subject.kinds))


def _subject_from_slot(tracker: Tracker) -> Optional[str]:
    s = subject_of(KB, None, [], tracker.get_slot("credential"))
    return s.credentials[0] if s.credentials else None


class ActionListCredentials(Action):
    def name(self) -> Text:
        return "action_list_credentials"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        msg = tracker.latest_message or {}
        subject = subject_of(KB, msg.get("text"), msg.get("entities") or [], None)
        return _send(dispatcher, answers.list_credentials(KB, subject.fields, subject.kinds))
