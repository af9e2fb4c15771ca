"""The advice function (pure, exhaustive) and the form's actions."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions.advice import BUDGETS, GOALS, TIMES, advice_reply, parse_budget, parse_goal, parse_time, recommend
from actions.knowledge import load_knowledge
from tests.helpers.trackers import entity, make_tracker

KB = load_knowledge()
FIELDS = ["tech", "data", "marketing", "teaching", "project_management", "healthcare", None]


@pytest.mark.parametrize(
    "goal,field,time,budget",
    list(itertools.product(GOALS, FIELDS, TIMES + (None,), BUDGETS + (None,))),
)
def test_recommendation_follows_the_article(goal, field, time, budget):
    rec = recommend(KB, goal, field, time, budget)
    constrained = time == "short" or budget == "low"
    if goal in ("upskill", "stay_current"):
        assert rec.kind == "micro_credential" and not rec.stack
    elif constrained:
        assert rec.kind == "micro_credential" and rec.stack
    else:
        assert rec.kind == "certificate" and not rec.stack
    assert len(rec.credentials) <= 3
    for cid in rec.credentials:
        assert field in KB.credentials[cid].fields
    if field in ("tech", "data", "marketing", "teaching"):
        assert rec.credentials, "the article names credentials in this field"
        # the recommended kind comes first when the field has one
        kinds_in_field = {c.kind for c in KB.credentials.values() if field in c.fields}
        if rec.kind in kinds_in_field:
            assert KB.credentials[rec.credentials[0]].kind == rec.kind
    if field == "healthcare" or field is None:
        assert rec.credentials == ()
    reply = advice_reply(KB, goal, field, time, budget)
    assert reply.text and "Source: the article" in reply.text
    if not rec.credentials:
        assert "names no specific credentials" in reply.text


def test_career_change_into_data_with_time_and_money_recommends_the_certificate():
    rec = recommend(KB, "career_change", "data", "long", "high")
    assert rec.kind == "certificate"
    assert rec.credentials[0] == "data_analytics_certificate"


def test_named_credential_comes_first():
    rec = recommend(KB, "upskill", "business", "short", None, named=["advanced_excel_functions"])
    assert rec.credentials[0] == "advanced_excel_functions"


def test_unknown_goal_is_refused():
    with pytest.raises(ValueError):
        recommend(KB, "become an astronaut", None)


@pytest.mark.parametrize("text,goal", [
    ("I'm switching into data analytics", "career_change"),
    ("I want to change careers", "career_change"),
    ("I'm a nurse who wants to stay current", "stay_current"),
    ("I need Excel for my job next month", "upskill"),
    ("upskill in my current role", "upskill"),
    ("I want a promotion", "advance"),
    ("keep up with new tools", "stay_current"),
    ("hello", None),
])
def test_parse_goal(text, goal):
    assert parse_goal(text) == goal


@pytest.mark.parametrize("text,value", [
    ("next month", "short"), ("a few weeks", "short"), ("3 days", "short"), ("about 5 hours a week", "short"),
    ("several months", "long"), ("a year", "long"), ("no rush", "long"), ("8 weeks", "long"), ("hmm", None),
])
def test_parse_time(text, value):
    assert parse_time(text) == value


@pytest.mark.parametrize("text,value", [
    ("under $200", "low"), ("free only", "low"), ("no budget", "low"), ("a few hundred dollars at most", "low"),
    ("about 1000 dollars", "high"), ("$2k", "high"), ("money is no object", "high"), ("my company pays", "high"),
    ("whatever", None),
])
def test_parse_budget(text, value):
    assert parse_budget(text) == value


def _validate(text, intent, entities=None, slots=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, entities, slots)
    tracker.active_loop = {"name": "advice_form"}
    domain = {"forms": {"advice_form": {"required_slots": list(A.ADVICE_SLOTS)}},
              "slots": {s: {"type": "text", "mappings": [{"type": "custom"}]} for s in A.ADVICE_SLOTS}}
    events = asyncio.run(A.ValidateAdviceForm().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_form_takes_everything_from_the_first_message():
    text = "I'm switching into data analytics"
    got = _validate(text, "get_advice", [entity("field", "data analytics", text)])
    assert got == {"goal": "career_change", "field": "data"}


def test_form_takes_field_from_a_named_credential_and_time():
    text = "I need Excel for my job next month"
    got = _validate(text, "get_advice", [entity("credential", "Excel", text)])
    assert got == {"goal": "upskill", "field": "business", "time_available": "short"}


def test_form_keeps_an_unknown_field_in_the_users_words():
    got = _validate("underwater basket weaving", "inform", slots={"requested_slot": "field", "goal": "upskill"})
    assert got.get("field") == "underwater basket weaving"


def test_change_of_mind_replaces_the_goal():
    got = _validate("actually I want to change career", "inform", slots={"goal": "upskill", "requested_slot": "budget"})
    assert got.get("goal") == "career_change"


def test_a_question_inside_the_form_fills_nothing():
    text = "do employers care about micro-credentials in marketing?"
    got = _validate(text, "faq_employers_care", [entity("field", "marketing", text)],
                    slots={"requested_slot": "field", "goal": "upskill"})
    assert got == {}


def test_give_advice_names_credentials_and_resets_the_form():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("money is no object", "inform",
                           slots={"goal": "career_change", "field": "data", "time_available": "long", "budget": "high"})
    events = asyncio.run(A.ActionGiveAdvice().run(dispatcher, tracker, {}))
    text = dispatcher.messages[0]["text"]
    assert "For changing career, I'd suggest a traditional certificate." in text
    assert "Certificate in Data Analytics" in text
    cleared = {e["name"] for e in events if e.get("event") == "slot" and e["value"] is None}
    assert cleared == set(A.ADVICE_SLOTS)


def test_give_advice_for_an_unknown_field_is_honest():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("5 hours", "inform",
                           slots={"goal": "stay_current", "field": "nursing homes", "time_available": "short",
                                  "budget": "low"})
    asyncio.run(A.ActionGiveAdvice().run(dispatcher, tracker, {}))
    text = dispatcher.messages[0]["text"]
    assert "micro-credentials" in text and "names no specific credentials for nursing homes" in text
