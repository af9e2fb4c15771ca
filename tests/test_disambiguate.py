"""The did-you-mean decision and its actions."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions.disambiguate import SUGGEST_FLOOR, decide, is_second_something_else, label_for
from actions.knowledge import load_knowledge
from tests.helpers.trackers import entity

KB = load_knowledge()


def ranking(*pairs):
    return [{"name": "nlu_fallback", "confidence": 0.5}] + [{"name": n, "confidence": c} for n, c in pairs]


def test_close_candidates_become_two_buttons_and_something_else():
    d = decide(KB, ranking(("faq_replace_degrees", 0.43), ("faq_higher_education", 0.38), ("greet", 0.01)))
    assert d.action == "did_you_mean"
    assert [b.title for b in d.buttons] == [
        "Will micro-credentials replace degrees or certifications?",
        "How are micro-credentials changing higher education?",
        "Something else",
    ]
    assert [b.payload for b in d.buttons] == ["/faq_replace_degrees", "/faq_higher_education", "/something_else"]


def test_labels_are_plain_language_and_carry_entities():
    text = "does the PMP one ever exprie"
    ents = [entity("credential", "PMP", text)]
    d = decide(KB, ranking(("ask_cost", 0.35), ("ask_expiry", 0.30)), ents)
    assert [b.title for b in d.buttons][:2] == [
        "What Project Management Professional (PMP) costs",
        "Whether Project Management Professional (PMP) expires",
    ]
    assert d.buttons[1].payload == '/ask_expiry{"credential":"pmp"}'
    for b in d.buttons:
        assert "_" not in b.title  # never an intent name


def test_low_confidence_is_admitted_not_guessed():
    d = decide(KB, ranking(("ask_issuer", SUGGEST_FLOOR - 0.01), ("faq_trends", SUGGEST_FLOOR - 0.05)))
    assert d.action == "not_understood" and d.buttons == ()


def test_out_of_scope_on_top_gets_the_out_of_scope_reply():
    assert decide(KB, ranking(("out_of_scope", 0.45), ("ask_cost", 0.40))).action == "out_of_scope"


def test_second_candidate_out_of_scope_is_not_offered():
    d = decide(KB, ranking(("ask_cost", 0.45), ("out_of_scope", 0.40)))
    assert [b.title for b in d.buttons] == ["What micro-credentials costs", "Something else"]


@pytest.mark.parametrize("ranking_value", [None, [], ["junk"], [{"name": 3, "confidence": "x"}]])
def test_garbage_ranking_never_raises(ranking_value):
    assert decide(KB, ranking_value).action == "not_understood"


def test_every_intent_has_a_plain_label():
    from pathlib import Path

    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())
    for intent in domain["intents"]:
        label = label_for(KB, intent, [])
        assert label and ("_" not in intent or intent not in label), (intent, label)


@pytest.mark.parametrize("history,second", [
    (["something_else", "nlu_fallback", "ask_cost"], False),
    (["something_else", "nlu_fallback", "something_else", "nlu_fallback"], True),
    (["something_else", "ask_cost", "something_else"], False),
    ([], False),
])
def test_second_something_else(history, second):
    assert is_second_something_else(history) is second


def _tracker(events, latest):
    return Tracker.from_dict({"sender_id": "u", "slots": {}, "latest_message": latest, "events": events,
                              "paused": False, "followup_action": None, "active_loop": {},
                              "latest_action_name": "action_listen"})


def _user(intent, text="x"):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 1.0}}}


def test_disambiguate_action_sends_buttons():
    latest = {"text": "which is quicker", "intent": {"name": "nlu_fallback", "confidence": 0.5},
              "intent_ranking": ranking(("ask_duration", 0.45), ("compare", 0.40)), "entities": []}
    dispatcher = CollectingDispatcher()
    asyncio.run(A.ActionDisambiguate().run(dispatcher, _tracker([_user("nlu_fallback")], latest), {}))
    msg = dispatcher.messages[0]
    assert msg["response"] == "utter_did_you_mean"
    assert [b["payload"] for b in msg["buttons"]] == ["/ask_duration", "/compare", "/something_else"]


@pytest.mark.parametrize("events,expected", [
    ([_user("nlu_fallback"), _user("something_else")], "utter_ask_rephrase"),
    ([_user("nlu_fallback"), _user("something_else"), _user("nlu_fallback"), _user("something_else")], "utter_help"),
])
def test_something_else_twice_offers_the_menu(events, expected):
    dispatcher = CollectingDispatcher()
    latest = {"text": "/something_else", "intent": {"name": "something_else", "confidence": 1.0}}
    asyncio.run(A.ActionSomethingElse().run(dispatcher, _tracker(events, latest), {}))
    assert dispatcher.messages[0]["response"] == expected
