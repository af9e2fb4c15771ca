"""Property-based (hypothesis): random texts, entities and slots thrown at
every custom action (trackers built with Tracker.from_dict, no server) and at
the pure functions under them. None may raise; every action except the form
validator must answer. Slots hold any value of their type, except the advice
form's, which hold only what its validator can write. The REST side of the same property is in
tests/test_reliability.py."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from typing import Any, Dict, List

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions.advice import BUDGETS, GOALS, TIMES
from actions.lookup import clean_mention, mentions_from_entities, resolve
from actions.subject import subject_of
from tests.helpers import ROOT

DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
INTENTS = [i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]]
SLOTS: Dict[str, Dict[str, Any]] = DOMAIN.get("slots") or {}
ACTION_CLASSES = sorted(
    (c for _, c in inspect.getmembers(A, inspect.isclass)
     if issubclass(c, Action) and c.__module__ == A.__name__ and not inspect.isabstract(c)),
    key=lambda c: c.__name__,
)
KB_NAMES = sorted({name for cr in A.KB.credentials.values() for name in (cr.name, *cr.aliases)}
                  | {name for t in A.KB.topics.values() for name in (t.name, *t.aliases)}
                  | set(A.KB.unknown_names)
                  | set(A.KB.credentials) | set(A.KB.kinds) | set(A.KB.fields) | set(A.KB.topics))
# what "tell me more" continues (slot last_subject): real keys of every kind, and broken ones
MORE_KEYS = (["faq:" + t for t in A.KB.faq] + ["overview:" + c for c in A.KB.credentials]
             + ["compare:pmp,cpa:", "compare:pmp:micro_credential", "compare::certificate,certification",
                "compare:nope,pmp:nope", "faq:", "overview:", "compare", ":::", "faq:what_is:extra"])
BARE_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE | re.MULTILINE)

ANY_CHAR = st.characters(exclude_categories=("Cs",))  # Rasa's channels remove lone surrogates
TEXT = st.one_of(st.text(ANY_CHAR, max_size=120), st.sampled_from(KB_NAMES),
                 st.builds(lambda a, b: f"does {a} expire? {b}", st.sampled_from(KB_NAMES), st.text(max_size=20)))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(ANY_CHAR, max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
ENTITY = st.one_of(
    st.fixed_dictionaries(
        {"entity": st.sampled_from(["credential", "kind", "field", "topic", "product", "rating", "goal",
                                    "time_available", "budget"]) | st.text(max_size=8),
         "value": st.sampled_from(KB_NAMES) | TEXT | JSON},
        optional={"start": st.integers(-5, 500) | JSON, "end": st.integers(-5, 500),
                  "extractor": st.sampled_from(["SpacyEntityExtractor", "RegexMessageHandler"])}),
    JSON,  # not even an entity
)
RANKING = st.lists(st.fixed_dictionaries({"name": st.sampled_from(INTENTS + ["nlu_fallback"]),
                                          "confidence": st.floats(0, 1)}), max_size=5)


# The advice form's slots hold only what validate_advice_form writes (parse_goal,
# parse_time, parse_budget normalise every answer); the other slots any text.
FORM_VALUES = {"goal": GOALS, "time_available": TIMES, "budget": BUDGETS}


def slot_value(name: str) -> st.SearchStrategy:
    if name == "last_subject":
        return st.none() | st.sampled_from(MORE_KEYS) | TEXT
    if name in FORM_VALUES:
        return st.none() | st.sampled_from(FORM_VALUES[name])
    kind = (SLOTS.get(name) or {}).get("type")
    if kind == "float":
        return st.none() | st.floats(-1e6, 1e6)
    if kind == "bool":
        return st.none() | st.booleans()
    if kind in ("text", "categorical"):
        return st.none() | TEXT | st.sampled_from(KB_NAMES)
    return st.none() | JSON


def user_event(text: str, intent: str, entities: List[Any], ranking: List[Any]) -> Dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities,
             "intent_ranking": ranking}
    return {"event": "user", "text": text, "parse_data": parse}


@st.composite
def trackers(draw: Any) -> Tracker:
    history = draw(st.lists(st.builds(user_event, TEXT, st.sampled_from(INTENTS), st.lists(ENTITY, max_size=2),
                                      RANKING), max_size=4))
    text = draw(TEXT)
    latest = user_event(text, draw(st.sampled_from(INTENTS + ["nlu_fallback"])),
                        draw(st.lists(ENTITY, max_size=4)), draw(RANKING))["parse_data"]
    slots = {name: draw(slot_value(name)) for name in SLOTS}
    if draw(st.booleans()):
        slots["requested_slot"] = draw(st.none() | st.sampled_from(["goal", "field", "time_available", "budget"]))
    return Tracker.from_dict({
        "sender_id": "fuzz",
        "slots": slots,
        "latest_message": latest,
        "events": [*history, {"event": "user", "text": text, "parse_data": latest}],
        "paused": False,
        "followup_action": None,
        "active_loop": draw(st.sampled_from([{}, {"name": "advice_form"}])),
        "latest_action_name": "action_listen",
    })


FUZZ = settings(max_examples=40, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_every_action_is_covered():
    names = {c().name() for c in ACTION_CLASSES}
    assert names == set(DOMAIN["actions"]), names ^ set(DOMAIN["actions"])


@pytest.mark.parametrize("action_class", ACTION_CLASSES, ids=lambda c: c.__name__)
def test_actions_never_raise_and_always_answer(action_class):
    @FUZZ
    @given(tracker=trackers())
    def check(tracker: Tracker) -> None:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action_class().run(dispatcher, tracker, DOMAIN))
        assert isinstance(events, list)
        json.dumps(events)  # the action server must be able to send them
        json.dumps(dispatcher.messages)
        if not issubclass(action_class, FormValidationAction):
            assert dispatcher.messages, "no answer"
            for m in dispatcher.messages:
                assert m.get("text") or m.get("response"), m
                assert not BARE_YES_NO.search(m.get("text") or ""), m["text"]  # true under a near miss

    check()


@pytest.mark.parametrize(
    "label,value,where,rid",
    [("field", "content_strategy", "credentials", "content_strategy"),
     ("kind", "pmp", "credentials", "pmp"),
     ("credential", "data", "fields", "data"),
     ("field", "micro-credentials", "kinds", "micro_credential"),
     ("credential", "react", "topics", "react"),  # a subject, not a credential
     ("topic", "pmp", "credentials", "pmp")],
)
def test_an_id_under_the_wrong_label_is_filed_under_its_own(label, value, where, rid):
    """Found by the property test below: {"field": "content_strategy"} in a button
    payload was filed as a field and the answer raised KeyError."""
    mentions = mentions_from_entities(A.KB, [{"entity": label, "value": value}])
    assert getattr(mentions, where) == (rid,)
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict({"sender_id": "t", "slots": {}, "events": [], "paused": False,
                                 "followup_action": None, "active_loop": {}, "latest_action_name": None,
                                 "latest_message": {"text": "/list_credentials", "entities": [
                                     {"entity": label, "value": value}],
                                     "intent": {"name": "list_credentials", "confidence": 1.0}}})
    asyncio.run(A.ActionListCredentials().run(dispatcher, tracker, DOMAIN))
    assert dispatcher.messages and dispatcher.messages[0].get("text")


@pytest.mark.parametrize("label", [[], ["credential"], {"entity": "kind"}, None, 3])
def test_an_entity_whose_label_is_not_a_string_is_ignored(label):
    """Found by the property test below ({"entity": []} raised TypeError in ActionCompare)."""
    mentions = mentions_from_entities(A.KB, [{"entity": label, "value": "PMP"}, {"entity": "credential",
                                                                              "value": "PMP"}])
    assert mentions.credentials == ("pmp",)
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict({"sender_id": "t", "slots": {}, "events": [], "paused": False,
                                 "followup_action": None, "active_loop": {}, "latest_action_name": None,
                                 "latest_message": {"text": "compare them", "entities": [{"entity": label}],
                                                    "intent": {"name": "compare", "confidence": 0.9}}})
    asyncio.run(A.ActionCompare().run(dispatcher, tracker, DOMAIN))
    assert dispatcher.messages


@settings(FUZZ, max_examples=150)
@given(label=st.sampled_from(["credential", "kind", "field", None]) | st.text(max_size=5),
       value=TEXT | JSON, entities=st.lists(ENTITY, max_size=5), text=TEXT | st.none(),
       remembered=st.none() | TEXT)
def test_lookup_functions_never_raise(label, value, entities, text, remembered):
    rid = resolve(A.KB, label, value)
    assert rid is None or isinstance(rid, str)
    mentions = mentions_from_entities(A.KB, entities)
    assert all(c in A.KB.credentials for c in mentions.credentials)
    if isinstance(value, str):
        assert len(clean_mention(value, 40)) <= 40 + 1
    subject_of(A.KB, text, entities, remembered, A.FINDER)
