"""Feedback on answers: the pure rules (actions/feedback.py) and the thin
actions, on trackers built with Tracker.from_dict."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions import feedback as F
from actions.answers import Button, Reply, unknown_answer
from tests.helpers.trackers import entity, make_tracker


def run(action, text: str, intent: str, entities=None, slots=None) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, entities, slots)
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_prompt_every_third_rated_answer():
    count, asked = 0, []
    for i in range(1, 10):
        ask, count = F.prompt_due(count, "faq/what_is")
        asked.append(ask)
    assert [i + 1 for i, a in enumerate(asked) if a] == [3, 6, 9]
    assert F.prompt_due(2, "unknown_credential") == (False, 2)
    assert F.prompt_due(2, "fallback/did_you_mean") == (False, 2)
    assert F.prompt_due(None, None) == (False, 0)


def test_prompt_is_added_to_the_answer_with_buttons_except_in_the_shell():
    answer = Reply("An answer.", (Button("Do they expire?", "/ask_expiry"),), topic="faq/what_is")
    web = F.with_prompt(answer, "socketio")
    assert web.text == "An answer.\n\nWas this helpful?" and web.topic == "faq/what_is"
    assert [b.as_dict() for b in web.buttons] == [
        {"title": "Do they expire?", "payload": "/ask_expiry"},  # the answer's own buttons stay
        {"title": "👍", "payload": '/feedback{"rating":"up"}'},
        {"title": "👎", "payload": '/feedback{"rating":"down"}'}]
    shell = F.with_prompt(answer, "cmdline")  # the shell's menu keeps only the answer's buttons
    assert shell.buttons == answer.buttons and "Type 👍 or 👎" in shell.text


@pytest.mark.parametrize("text,value", [
    ("👍", "up"), ("that helped", "up"), ("very helpful", "up"), ("thumbs up", "up"), ("+1", "up"),
    ("👎", "down"), ("not helpful", "down"), ("that didn't help", "down"), ("useless answer", "down"),
    ("thumbs down", "down"), ("bad answer", "down"), ("not what I needed", "down"),
])
def test_rating_from_typed_words(text, value):
    assert F.rating_of(text) == value


def test_rating_from_the_button_entity_wins():
    assert F.rating_of('/feedback{"rating":"down"}', [{"entity": "rating", "value": "down"}]) == "down"
    assert F.rating_of("not sure", [{"entity": "rating", "value": "up"}]) == "up"


def test_comment_text():
    assert F.comment_text("  the price in euros  ") == "the price in euros"
    assert F.comment_text("/feedback") is None and F.comment_text("") is None
    assert len(F.comment_text("x" * 2000)) == 500


def test_third_answer_asks_for_feedback_with_buttons():
    messages, slots = run(A.ActionAnswerFaq(), "do employers care?", "faq_employers_care",
                          slots={"answers_since_feedback": 2.0})
    assert len(messages) == 1 and messages[0]["text"].endswith("\n\nWas this helpful?")
    assert [b["title"] for b in messages[0]["buttons"]][-2:] == ["👍", "👎"]
    assert slots["answers_since_feedback"] == 0.0 and slots["last_topic"] == "faq/employers_care"
    messages, slots = run(A.ActionAnswerFaq(), "do employers care?", "faq_employers_care",
                          slots={"answers_since_feedback": 0.0})
    assert "Was this helpful" not in messages[0]["text"] and slots["answers_since_feedback"] == 1.0


def test_no_prompt_inside_the_advice_form():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("do employers care?", "faq_employers_care", slots={"answers_since_feedback": 2.0})
    tracker.active_loop = {"name": "advice_form"}
    asyncio.run(A.ActionAnswerFaq().run(dispatcher, tracker, {}))
    assert "Was this helpful" not in dispatcher.messages[0]["text"]


def test_a_real_question_clears_a_pending_comment():
    _, slots = run(A.ActionAnswerFaq(), "do employers care?", "faq_employers_care", slots={"awaiting_comment": True})
    assert "awaiting_comment" in slots and slots["awaiting_comment"] is None


def test_thumbs_up_is_stored_with_the_topic():
    messages, slots = run(A.ActionFeedback(), '/feedback{"rating":"up"}', "feedback",
                          [{"entity": "rating", "value": "up"}], {"last_topic": "attribute/expiry"})
    assert slots["feedback_value"] == "up" and slots["feedback_topic"] == "attribute/expiry"
    assert slots["awaiting_comment"] is None and "Thanks" in messages[0]["text"]


def test_thumbs_down_asks_what_was_missing_then_stores_the_comment():
    messages, slots = run(A.ActionFeedback(), "not helpful", "feedback", slots={"last_topic": "faq/trends"})
    assert slots["feedback_value"] == "down" and slots["feedback_topic"] == "faq/trends"
    assert slots["awaiting_comment"] is True and "What was missing" in messages[0]["text"]
    messages, slots = run(A.ActionFeedbackComment(), "nothing on prices in Europe", "nlu_fallback",
                          slots={"awaiting_comment": True})
    assert slots == {"feedback_comment": "nothing on prices in Europe", "awaiting_comment": None}
    assert "passed that on" in messages[0]["text"]


@pytest.mark.parametrize("entities", [
    [{"entity": "product", "value": "AWS"}],  # the entity ruler: a name from the knowledge file's unknown_names
    [{"entity": "credential", "value": "AWS Solutions Architect"}],  # a credential value the file doesn't know
], ids=["product", "unknown credential"])
def test_unknown_credentials_are_stored(entities):
    text = "does the AWS Solutions Architect expire?"
    entities = [entity(e["entity"], e["value"], text) for e in entities]
    messages, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", entities, {"answers_since_feedback": 2.0})
    assert slots["unknown_credential"] == "AWS Solutions Architect"
    assert slots["last_topic"] == "unknown_credential"
    # "I have no facts on ..." is not an answer to rate: no prompt, the count stays
    assert "Was this helpful" not in messages[0]["text"] and "answers_since_feedback" not in slots
    assert unknown_answer(A.KB, "Foo").unknown == "Foo"


def test_a_two_part_answer_counts_once_and_the_prompt_comes_last():
    text = "does the PMP expire and what does it cost?"
    messages, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("credential", "PMP", text)],
                          {"answers_since_feedback": 2.0})
    assert len(messages) == 2
    assert "Was this helpful" not in messages[0]["text"] and messages[1]["text"].endswith("Was this helpful?")
    assert [b["title"] for b in messages[1]["buttons"]][-2:] == ["👍", "👎"]
    assert slots["answers_since_feedback"] == 0.0 and slots["last_topic"] == "attribute/cost"
    _, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("credential", "PMP", text)],
                   {"answers_since_feedback": 0.0})
    assert slots["answers_since_feedback"] == 1.0


def test_more_detail_is_an_answer_to_rate():
    messages, slots = run(A.ActionMoreDetail(), "tell me more", "more_detail",
                          slots={"last_subject": "faq:employers_care", "answers_since_feedback": 2.0})
    assert messages[0]["text"].endswith("\n\nWas this helpful?")
    assert slots["answers_since_feedback"] == 0.0 and slots["last_topic"] == "faq/employers_care"


def test_feedback_after_more_detail_rates_what_was_detailed():
    _, slots = run(A.ActionFeedback(), "👎", "feedback", slots={"last_topic": "compare/credentials"})
    assert slots["feedback_topic"] == "compare/credentials" and slots["feedback_value"] == "down"


def test_no_prompt_on_the_out_of_scope_reply():
    messages, slots = run(A.ActionOutOfScope(), "what's the weather in Paris?", "out_of_scope",
                          slots={"answers_since_feedback": 2.0})
    assert messages[0].get("response") == "utter_out_of_scope"
    assert "answers_since_feedback" not in slots


def test_after_a_thumbs_down_an_uncertain_question_is_answered_and_kept_as_the_comment():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("it said nothing about salaries in Germany", "faq_employers_care",
                           slots={"awaiting_comment": True})
    tracker.latest_message["intent"]["confidence"] = 0.52
    events = asyncio.run(A.ActionAnswerFaq().run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert "Employers" in dispatcher.messages[0]["text"]
    assert slots["feedback_comment"] == "it said nothing about salaries in Germany"
    assert slots["awaiting_comment"] is None
    # a confident question is just answered
    _, slots = run(A.ActionAnswerFaq(), "do employers care?", "faq_employers_care", slots={"awaiting_comment": True})
    assert "feedback_comment" not in slots
    # ... unless it speaks of the answer: then it is the comment too, however sure the model is
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("the answer left out renewal costs", "ask_expiry", slots={"awaiting_comment": True})
    tracker.latest_message["intent"]["confidence"] = 0.92
    events = asyncio.run(A.ActionAnswerAttribute().run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["feedback_comment"] == "the answer left out renewal costs"
    assert dispatcher.messages[0]["text"].startswith(F.NOTED_AND_ANSWERED)


@pytest.mark.parametrize("text, kept", [
    ("it never mentioned the price", True), ("your reply was missing the exam part", True),
    ("that answer didn't cover Europe", True), ("how much does the PMP cost?", False),
    ("does the CPA expire?", False),
])
def test_words_about_the_answer_make_a_confident_message_a_comment(text, kept):
    message = {"text": text, "intent": {"name": "ask_cost", "confidence": 0.95}}
    assert (F.uncertain_comment(message) == text) is kept


def test_typed_feedback_right_after_a_thumbs_down_is_the_comment():
    messages, slots = run(A.ActionFeedback(), "the answer was too long", "feedback", slots={"awaiting_comment": True})
    assert slots == {"feedback_comment": "the answer was too long", "awaiting_comment": None}
    assert F.rating_of("the answer was too long") == "down"
