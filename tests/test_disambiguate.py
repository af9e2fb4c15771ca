"""The did-you-mean decision and its actions."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions.disambiguate import SUGGEST_FLOOR, decide, is_second_something_else, label_for
from actions.knowledge import load_knowledge
from tests.helpers.trackers import entity, make_tracker

KB = load_knowledge()


def ranking(*pairs):
    return [{"name": "nlu_fallback", "confidence": 0.5}] + [{"name": n, "confidence": c} for n, c in pairs]


def test_close_candidates_become_two_buttons_and_something_else():
    d = decide(KB, ranking(("faq_replace_degrees", 0.43), ("faq_higher_education", 0.38), ("greet", 0.01)))
    assert d.action == "did_you_mean"
    assert [b.title for b in d.buttons] == [
        "Will micro-credentials replace degrees or certifications?",
        "How are micro-credentials changing universities?",
        "Something else",
    ]
    assert [b.title for b in d.buttons][:2] == [KB.faq["replace_degrees"].label, KB.faq["higher_education"].label]
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
    assert [b.title for b in d.buttons] == ["What a micro-credential costs", "Something else"]


@pytest.mark.parametrize("intent", ["more_detail", "other_language", "inform", "feedback", "something_else"])
def test_never_offers_what_is_not_a_question(intent):
    """"More detail" or "other language" as a suggestion would answer nothing the user asked."""
    d = decide(KB, ranking((intent, 0.45), ("faq_what_is", 0.40)))
    assert d.action == "not_understood" and d.buttons == ()
    d = decide(KB, ranking(("faq_what_is", 0.45), (intent, 0.40)))
    assert [b.payload for b in d.buttons] == ["/faq_what_is", "/something_else"]


def test_the_new_faq_topics_have_their_own_labels():
    d = decide(KB, ranking(("faq_certificate_vs_certification", 0.4), ("faq_what_is_certification", 0.3)))
    assert [b.title for b in d.buttons][:2] == ["Certificate or certification: what's the difference?",
                                                "What is a certification, such as the PMP or CPA?"]


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


def _fallback(text, pairs, entities=()):
    return {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.5}, "intent_ranking": ranking(*pairs),
            "entities": list(entities)}


def _disambiguate(latest, slots=None):
    dispatcher = CollectingDispatcher()
    tracker = _tracker([_user("nlu_fallback", latest["text"])], latest)
    tracker.slots.update(slots or {})
    events = asyncio.run(A.ActionDisambiguate().run(dispatcher, tracker, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_an_unsure_turn_naming_a_credential_answers_about_it_and_remembers_it():
    """"does the PMP one ever exprie", two answers about equally likely: the first is given about
    the PMP, the other is one click away with the PMP in its payload, and a follow-up "does it
    expire?" is then about the PMP."""
    text = "does the PMP one ever exprie"
    messages, slots = _disambiguate(_fallback(text, [("ask_cost", 0.35), ("ask_expiry", 0.30)],
                                              [entity("credential", "PMP", text)]))
    assert len(messages) == 1 and messages[0]["response"] is None
    assert "PMP" in messages[0]["text"] and "US$" in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert messages[0]["buttons"][0]["title"].startswith("Or: ")
    assert payloads[0] == '/ask_expiry{"credential":"pmp"}'
    assert len(payloads) == len(set(payloads)), payloads
    assert slots["credential"] == "Project Management Professional (PMP)"
    dispatcher = CollectingDispatcher()
    asyncio.run(A.ActionAnswerAttribute().run(dispatcher, make_tracker("does it expire?", "ask_expiry",
                                                                       slots={"credential": slots["credential"]}), {}))
    assert "every three years" in dispatcher.messages[0]["text"]


def test_a_new_credential_named_in_an_unsure_turn_replaces_the_remembered_one():
    text = "cpa how much rougly"
    _, slots = _disambiguate(_fallback(text, [("ask_cost", 0.35), ("ask_duration", 0.30)],
                                       [entity("credential", "cpa", text)]),
                             slots={"credential": "Project Management Professional (PMP)"})
    assert slots["credential"] == "Certified Public Accountant (CPA)"


def test_an_unsure_turn_without_a_credential_keeps_the_remembered_one():
    messages, slots = _disambiguate(_fallback("which is quicker", [("ask_duration", 0.45), ("compare", 0.40)]),
                                    slots={"credential": "Project Management Professional (PMP)"})
    assert slots.get("credential", "Project Management Professional (PMP)") == "Project Management Professional (PMP)"
    assert "PMP" in messages[0]["text"]


def test_an_unsure_turn_between_two_answers_gives_the_first_and_offers_the_other():
    messages, slots = _disambiguate(_fallback("do universities partner with companies on micro-credentials",
                                              [("faq_higher_education", 0.4), ("faq_hiring", 0.3)]))
    text = messages[0]["text"]
    assert "partnership with companies" in text
    assert '"How Microcredentials Are Changing Higher Education"' in text
    assert messages[0]["buttons"][0] == {"title": "Or: Hiring with micro-credentials (for employers)",
                                         "payload": "/faq_hiring"}
    assert slots["last_topic"] == "faq/higher_education"


def test_an_unsure_turn_the_classifier_cannot_place_gets_a_passage():
    messages, slots = _disambiguate(_fallback("do universities partner with companies on micro-credentials",
                                              [("faq_higher_education", 0.2), ("greet", 0.15)]))
    assert messages[0]["text"].startswith("Here is what the article says about that:")
    assert slots["last_topic"] == "passage"


def test_an_unsure_turn_naming_a_product_says_there_are_no_facts_on_it():
    text = "is the Google Data Analytics Certificate any good?"
    ents = [entity("product", "Google", text), entity("field", "Data Analytics", text),
            entity("kind", "Certificate", text)]
    messages, slots = _disambiguate(_fallback(text, [("ask_career_impact", 0.45), ("faq_employers_care", 0.40)],
                                              ents))
    assert messages[0]["text"].startswith('I have no facts on "Google Data Analytics Certificate"')
    assert "Certificate in Data Analytics" not in messages[0]["text"]
    assert slots["unknown_credential"] == "Google Data Analytics Certificate"


def test_out_of_scope_on_top_in_the_action():
    messages, slots = _disambiguate(_fallback("blah blah weather", [("out_of_scope", 0.45), ("ask_cost", 0.40)]))
    assert messages[0]["response"] == "utter_out_of_scope"
    assert slots == {"last_topic": "fallback/out_of_scope"}


def test_disambiguate_action_sends_buttons_when_no_answer_is_likely_enough():
    latest = {"text": "which is quicker", "intent": {"name": "nlu_fallback", "confidence": 0.5},
              "intent_ranking": ranking(("faq_trends", 0.2), ("faq_teachers", 0.18)), "entities": []}
    dispatcher = CollectingDispatcher()
    asyncio.run(A.ActionDisambiguate().run(dispatcher, _tracker([_user("nlu_fallback")], latest), {}))
    msg = dispatcher.messages[0]
    assert msg["response"] == "utter_did_you_mean"
    assert [b["payload"] for b in msg["buttons"]] == ["/faq_trends", "/faq_teachers", "/something_else"]


@pytest.mark.parametrize("events,expected", [
    ([_user("nlu_fallback"), _user("something_else")], "utter_ask_rephrase"),
    ([_user("nlu_fallback"), _user("something_else"), _user("nlu_fallback"), _user("something_else")], "utter_help"),
])
def test_something_else_twice_offers_the_menu(events, expected):
    dispatcher = CollectingDispatcher()
    latest = {"text": "/something_else", "intent": {"name": "something_else", "confidence": 1.0}}
    asyncio.run(A.ActionSomethingElse().run(dispatcher, _tracker(events, latest), {}))
    assert dispatcher.messages[0]["response"] == expected
