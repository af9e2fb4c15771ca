"""The advice function (pure, exhaustive) and the form's actions: the form
asks only for the goal; field, time and budget come from whatever is said;
a regulated field is never entered through micro-credentials; credentials
are ranked by fit."""

from __future__ import annotations

import asyncio
import itertools

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions import vocabulary as v
from actions.advice import BUDGETS, GOALS, TIMES, advice_reply, parse_budget, parse_goal, parse_time, recommend
from actions.knowledge import load_knowledge
from tests.helpers import ROOT
from tests.helpers.trackers import entity, make_tracker

KB = load_knowledge()
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TITLE = KB.sources["article"].title
FIELDS = list(KB.fields) + [None]
REGULATED = [f for f, fld in KB.fields.items() if fld.regulated]


def _expected_kind(goal, field, time, budget):
    """The article's reasoning, as docs and the issue state it."""
    constrained = time == "short" or budget == "low"
    fld = KB.fields.get(field) if field else None
    if fld is not None and fld.regulated and goal == "career_change":
        return "degree", False  # the profession's own degree and licence: never micro-credentials as the way in
    if fld is not None and fld.regulated:
        return "micro_credential", False  # alongside the degree and licence (teachers: the NEA's view)
    if goal == "career_change" and field == "tech":
        return "micro_credential", True  # web and software work: the article's faster route
    if goal in ("upskill", "stay_current"):
        return "micro_credential", False
    if constrained:
        return "micro_credential", True
    return "certificate", False


@pytest.mark.parametrize("goal,field,time,budget", list(itertools.product(GOALS, FIELDS, TIMES + (None,),
                                                                          BUDGETS + (None,))))
def test_recommendation_follows_the_article(goal, field, time, budget):
    rec = recommend(KB, goal, field, time, budget)
    assert (rec.kind, rec.stack) == _expected_kind(goal, field, time, budget)
    assert len(rec.credentials) <= 3
    for cid in rec.credentials:
        assert field in KB.credentials[cid].fields
    if field is None:
        assert rec.credentials == ()
    if rec.kind == "degree":
        assert all(KB.credentials[c].kind == "certification" for c in rec.credentials)  # e.g. the CPA, no badge
    elif field is not None:
        # named when the article names one of the suggested kind in the field, else none
        family = {"certificate": {"certificate", "certification"}}.get(rec.kind, {rec.kind})
        of_kind = [c for c in KB.credentials.values() if field in c.fields and c.kind in family]
        assert bool(rec.credentials) == bool(of_kind), (rec, [c.id for c in of_kind])
    if field in ("healthcare", "engineering", "law"):
        assert rec.credentials == ()
    for ref in rec.sources:
        assert ref.partition("#")[2] in KB.sources["article"].sections

    reply = advice_reply(KB, goal, field, time, budget)
    assert f'Source: "{TITLE}"' in reply.text
    assert reply.topic == v.TOPIC_ADVICE
    if rec.kind == "degree":
        assert "micro-credentials are not the way in" in reply.text
        assert "I'd suggest micro-credentials" not in reply.text
        assert KB.fields[field].entry.text in reply.text
        titles = [b.title for b in reply.buttons]
        assert "I have little time" not in titles and "My budget is small" not in titles
    elif not rec.credentials and field is not None:
        assert f"The article doesn't name {KB.kinds[rec.kind].plural} for {KB.fields[field].label}" in reply.text


@pytest.mark.parametrize("field", REGULATED)
def test_a_regulated_field_is_never_entered_through_micro_credentials(field):
    for time, budget in itertools.product(TIMES + (None,), BUDGETS + (None,)):
        rec = recommend(KB, "career_change", field, time, budget)
        assert rec.kind == "degree" and not rec.stack
        assert not any(KB.credentials[c].kind == "micro_credential" for c in rec.credentials)
        assert rec.sources == (KB.fields[field].entry.source,)


def test_becoming_a_cpa_names_the_cpa_with_what_it_takes():
    text = advice_reply(KB, "career_change", "accounting").text
    assert text.startswith("For moving into accounting: the profession's own degree and licence first")
    assert "Certified Public Accountant (CPA): " + KB.credentials["cpa"].facts["duration"].cell in text
    assert "as of" in text  # the CPA's rules come from a dated public source


def test_career_change_into_data_with_time_and_money_recommends_the_certificate():
    rec = recommend(KB, "career_change", "data", "long", "high")
    assert rec.kind == "certificate"
    assert rec.credentials[0] == "data_analytics_certificate"


def test_credentials_are_ranked_by_fit():
    # the field's own credentials first: data ones before a course whose main field is another
    assert recommend(KB, "upskill", "data").credentials[:2] == ("python_for_data_analysis", "machine_learning_ethics")
    # a credential whose main field is another (a classroom course for a developer) is not offered to a developer
    assert "integrating_technology" not in recommend(KB, "upskill", "tech").credentials
    assert recommend(KB, "career_change", "cybersecurity", "long", "high").credentials[0] == \
        "cybersecurity_graduate_certificate"
    assert recommend(KB, "career_change", "cybersecurity", "short", "low").credentials[0] == \
        "cloud_security_fundamentals"


def test_named_credential_comes_first():
    rec = recommend(KB, "upskill", "business", "short", None, named=["advanced_excel_functions"])
    assert rec.credentials[0] == "advanced_excel_functions"
    rec = recommend(KB, "upskill", "data", named=["machine_learning_ethics"])
    assert rec.credentials[:2] == ("machine_learning_ethics", "python_for_data_analysis")


def test_unknown_goal_is_refused():
    with pytest.raises(ValueError):
        recommend(KB, "become an astronaut", None)


@pytest.mark.parametrize("goal,field,time,budget",
                         list(itertools.product(GOALS, FIELDS, TIMES + (None,), BUDGETS + (None,))))
def test_a_credential_of_another_kind_is_not_passed_off_as_the_suggested_kind(goal, field, time, budget):
    """"I'd suggest micro-credentials. The article names: Certified Public Accountant (CPA)." would present a
    licence as a micro-credential: only credentials of the suggested kind are named (a traditional
    certificate programme's cousin, a certification, is named as one, with what it asks first)."""
    rec = recommend(KB, goal, field, time, budget)
    text = advice_reply(KB, goal, field, time, budget).text
    allowed = {"degree": {"certification"}, "certificate": {"certificate", "certification"},
               "micro_credential": {"micro_credential"}}[rec.kind]
    assert all(KB.credentials[c].kind in allowed for c in rec.credentials), (rec, text)
    for cid in rec.credentials:
        cred = KB.credentials[cid]
        if cred.kind == "certification" and rec.kind == "certificate":
            assert "certification" in text.splitlines()[0], text
            assert cred.facts["duration"].cell in text, text


@pytest.mark.parametrize("text,goal", [
    ("I'm switching into data analytics", "career_change"),
    ("I want to change careers", "career_change"),
    ("I want to become a nurse", "career_change"),
    ("I'm a nurse who wants to stay current", "stay_current"),
    ("I need Excel for my job next month", "upskill"),
    ("upskill in my current role", "upskill"),
    ("I want a promotion", "advance"),
    ("keep up with new tools", "stay_current"),
    ("hello", None),
])
def test_parse_goal(text, goal):
    assert parse_goal(text) == goal


@pytest.mark.parametrize("text", ["I need Advanced Excel Functions for my job next month",
                                  "I need advanced Excel skills for my job"])
def test_parse_goal_is_not_fooled_by_advanced(text):
    assert parse_goal(text) == "upskill"


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


# --------------------------------------------------------------------------
# the form: asks only for the goal


def test_the_form_requires_only_the_goal():
    assert DOMAIN["forms"]["advice_form"]["required_slots"] == [v.SLOT_GOAL]
    responses = DOMAIN["responses"]
    assert "utter_ask_goal" in responses
    for slot in (v.SLOT_FIELD, v.SLOT_TIME, v.SLOT_BUDGET):  # never asked for
        assert f"utter_ask_{slot}" not in responses and f"utter_ask_advice_form_{slot}" not in responses


def _validate(text, intent, entities=None, slots=None):
    """validate_advice_form on the latest message, with the real domain.yml; the slots it sets."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, entities, {"requested_slot": v.SLOT_GOAL, **(slots or {})})
    tracker.active_loop = {"name": "advice_form"}
    events = asyncio.run(A.ValidateAdviceForm().run(dispatcher, tracker, DOMAIN))
    assert dispatcher.messages == []  # the form's question is Rasa's (utter_ask_goal), never the validator's
    got = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert "requested_slot" not in got  # which slot to ask for is left to Rasa's form (domain.yml: the goal)
    return got


def test_form_takes_everything_from_the_first_message():
    text = "I'm switching into data analytics"
    got = _validate(text, "get_advice", [entity("field", "data analytics", text)])
    assert got == {"goal": "career_change", "field": "data"}


def test_form_takes_field_from_a_named_credential_and_time():
    text = "I need Python for Data Analysis for my job next month"
    got = _validate(text, "get_advice", [entity("credential", "Python for Data Analysis", text)])
    assert got == {"goal": "upskill", "field": "data", "time_available": "short"}


def test_form_takes_field_time_and_budget_from_one_sentence():
    text = "I'm a nurse and want to stay current, only a few hours a week, under $100"
    got = _validate(text, "get_advice", [entity("field", "nurse", text)])
    assert got == {"goal": "stay_current", "field": "healthcare", "time_available": "short", "budget": "low"}


def test_form_takes_the_field_someone_moves_into():
    text = "I'm a maths teacher retraining as a civil engineer"
    got = _validate(text, "get_advice", [entity("field", "teacher", text), entity("field", "engineer", text)])
    assert got == {"goal": "career_change", "field": "engineering"}
    text = "I want to become a CPA"
    assert _validate(text, "get_advice", [entity("credential", "CPA", text)]) == {"goal": "career_change",
                                                                                   "field": "accounting"}


def test_form_asks_for_the_goal_when_nothing_gives_it():
    assert _validate("should I get a certificate or micro-credentials?", "get_advice") == {}


def test_form_keeps_a_field_it_does_not_know_in_the_users_words():
    """A field from a button payload the knowledge file doesn't know is kept as the user put it; a bare
    sentence is not taken as a field (the form never asks for one)."""
    got = _validate('/get_advice{"field":"underwater basket weaving"}', "get_advice",
                    [{"entity": "field", "value": "underwater basket weaving"}])
    assert got == {"field": "underwater basket weaving"}
    assert _validate("underwater basket weaving", "inform") == {}


def test_button_payloads_fill_their_slot():
    assert _validate('/get_advice{"budget":"low"}', "get_advice", [{"entity": "budget", "value": "low"}],
                     slots={"goal": "upskill"}) == {"budget": "low"}
    assert _validate("I want a promotion", "inform") == {"goal": "advance"}


def test_change_of_mind_replaces_the_goal():
    got = _validate("actually I want to change career", "inform", slots={"goal": "upskill"})
    assert got.get("goal") == "career_change"


def test_a_question_inside_the_form_fills_nothing():
    text = "do employers care about micro-credentials in marketing?"
    assert _validate(text, "faq_employers_care", [entity("field", "marketing", text)]) == {}
    text = "do micro-credentials expire?"
    assert _validate(text, "ask_expiry", [entity("kind", "micro-credentials", text)]) == {}


# --------------------------------------------------------------------------
# the advice, and refining it afterwards


def _run(action, text, intent, entities=None, slots=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, make_tracker(text, intent, entities, slots), {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_give_advice_names_credentials_and_keeps_the_answers():
    messages, slots = _run(A.ActionGiveAdvice(), "money is no object", "inform",
                           slots={"goal": "career_change", "field": "data", "time_available": "long",
                                  "budget": "high"})
    text = messages[0]["text"]
    assert text.startswith("For moving into data and analytics, I'd suggest a traditional certificate programme.")
    assert "The article names: Certificate in Data Analytics." in text
    # the answers stay, so that "I have little time" or a budget button refines this advice
    assert not any(slots.get(s, "kept") is None for s in v.ADVICE_SLOTS), slots
    assert slots["last_topic"] == v.TOPIC_ADVICE and slots["last_subject"] == "faq:which_to_choose"


def test_give_advice_for_an_unknown_field_is_honest():
    messages, _ = _run(A.ActionGiveAdvice(), "5 hours", "inform",
                       slots={"goal": "stay_current", "field": "nursing homes", "time_available": "short",
                              "budget": "low"})
    text = messages[0]["text"]
    assert "I'd suggest micro-credentials" in text
    assert "The article doesn't name micro-credentials for nursing homes" in text


def test_give_advice_for_a_regulated_field():
    text = "I want to become a nurse"
    messages, _ = _run(A.ActionGiveAdvice(), text, "get_advice", [entity("field", "nurse", text)],
                       slots={"goal": "career_change", "field": "healthcare"})
    out = messages[0]["text"]
    assert out.startswith("For moving into healthcare: the profession's own degree and licence first; "
                          "micro-credentials are not the way in.")
    assert "full medical degree" in out and "I'd suggest" not in out


def test_give_advice_without_a_goal_says_it_did_not_understand():
    messages, slots = _run(A.ActionGiveAdvice(), "x", "inform", slots={"goal": None})
    assert [m.get("response") for m in messages] == ["utter_default"] and slots == {}


def test_a_bare_answer_after_the_advice_refines_it():
    messages, slots = _run(A.ActionInform(), "under $200", "inform",
                           slots={"last_topic": "advice", "goal": "career_change", "field": "data",
                                  "time_available": "long"})
    assert slots["budget"] == "low"
    text = messages[0]["text"]
    assert "with a small budget" in text and "I'd suggest micro-credentials" in text
    assert "Tell me your" not in text  # nothing left to ask


def test_a_change_of_mind_after_the_advice_gives_new_advice():
    messages, slots = _run(A.ActionInform(), "actually I want to change career", "inform",
                           slots={"last_topic": "advice", "goal": "upskill", "field": "data"})
    assert slots["goal"] == "career_change"
    assert messages[0]["text"].startswith("For moving into data and analytics")
