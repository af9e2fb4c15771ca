"""Every custom action, run on trackers built with Tracker.from_dict."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from tests.helpers.trackers import entity, make_tracker


def run(action, text: str, intent: str, entities=None, slots=None) -> Tuple[str, List[Dict[str, Any]], Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, entities, slots)
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert len(dispatcher.messages) == 1, dispatcher.messages
    msg = dispatcher.messages[0]
    slots_set = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return msg.get("text") or "", msg.get("buttons") or [], slots_set


FAQ_EXPECT = {
    "faq_employers_care": ["Employers", "technology", "data science", "digital marketing"],
    "faq_same_as_certification": ["No.", "PMP", "CPA", "master's degree"],
    "faq_what_is": ["specific skill", "digital badge"],
    "faq_which_to_choose": ["career", "skill gap", "stack"],
    "faq_higher_education": ["Unbundling", "Just-in-time", "partnerships", "students"],
    "faq_trends": ["employability", "professional development"],
    "faq_replace_degrees": ["medical degree", "licence", "speed", "cost", "lifelong"],
    "faq_teachers": ["NEA", "Differentiated Instruction", "Trauma-Informed Practices"],
}


@pytest.mark.parametrize("intent,needles", sorted(FAQ_EXPECT.items()))
def test_faq_answers_from_knowledge(intent, needles):
    text, buttons, slots = run(A.ActionAnswerFaq(), "question", intent)
    for n in needles:
        assert n in text, (n, text)
    assert "Source: the article" in text
    assert buttons and all(b["payload"].startswith("/") for b in buttons)
    assert slots["last_topic"] == f"faq/{intent[4:]}"


def test_faq_action_on_unexpected_intent_falls_back():
    dispatcher = CollectingDispatcher()
    asyncio.run(A.ActionAnswerFaq().run(dispatcher, make_tracker("x", "greet"), {}))
    assert dispatcher.messages[0]["response"] == "utter_default"


@pytest.mark.parametrize(
    "text,value,intent,needles,remember",
    [
        ("does the PMP expire?", "PMP", "ask_expiry",
         ["Project Management Professional (PMP)", "60 professional development units"],
         "Project Management Professional (PMP)"),
        ("how long does python for data analysis take?", "python for data analysis", "ask_duration",
         ["Python for Data Analysis", "hours to days", "doesn't give"], "Python for Data Analysis"),
        ("who issues cloud security", "cloud security", "ask_issuer",
         ["Cloud Security Fundamentals", "universities, companies and learning platforms"],
         "Cloud Security Fundamentals"),
        ("what does the PMP cover?", "PMP", "ask_scope", ["risk management", "stakeholders"],
         "Project Management Professional (PMP)"),
        ("how much is the CPA", "CPA", "ask_cost", ["Certified Public Accountant (CPA)", "hundreds to thousands"],
         "Certified Public Accountant (CPA)"),
        ("can Machine Learning Ethics stack", "Machine Learning Ethics", "ask_stackable", ["master's degree in AI"],
         "Machine Learning Ethics"),
    ],
)
def test_attribute_of_named_credential(text, value, intent, needles, remember):
    out, buttons, slots = run(A.ActionAnswerAttribute(), text, intent, [entity("credential", value, text)])
    for n in needles:
        assert n in out, (n, out)
    assert slots["credential"] == remember
    assert any(b["title"].startswith("Compare") for b in buttons)


def test_follow_up_uses_remembered_credential_and_names_it():
    out, _, slots = run(A.ActionAnswerAttribute(), "does it expire?", "ask_expiry",
                        slots={"credential": "Project Management Professional (PMP)"})
    assert "Project Management Professional (PMP)" in out and "three-year" in out
    assert slots["credential"] == "Project Management Professional (PMP)"


def test_new_credential_replaces_the_old_one():
    text = "and how much is Kubernetes?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_cost", [entity("credential", "Kubernetes", text)],
                        slots={"credential": "Project Management Professional (PMP)"})
    assert "Kubernetes" in out and "PMP" not in out
    assert slots["credential"] == "Kubernetes"


def test_kind_question_answers_generally_even_with_a_remembered_credential():
    text = "do micro-credentials expire?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("kind", "micro-credentials", text)],
                        slots={"credential": "Project Management Professional (PMP)"})
    assert "2 to 3 years" in out and "check the issuer" in out
    assert "PMP" not in out
    assert "credential" not in slots


def test_two_kinds_side_by_side_on_one_attribute():
    text = "certificate vs micro-credential on cost"
    ents = [entity("kind", "certificate", text), entity("kind", "micro-credential", text)]
    out, _, _ = run(A.ActionAnswerAttribute(), text, "ask_cost", ents)
    assert "hundreds to thousands" in out and "free up to a few hundred" in out


def test_which_is_faster_two_credentials():
    text = "which is faster, PMP or Kubernetes?"
    ents = [entity("credential", "PMP", text), entity("credential", "Kubernetes", text)]
    out, _, _ = run(A.ActionAnswerAttribute(), text, "ask_duration", ents)
    assert "side by side" in out and "36 months" in out and "hours to days" in out


def test_unknown_credential_is_not_invented():
    text = "does the AWS Solutions Architect expire?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry",
                        slots={"credential": "Project Management Professional (PMP)"})
    assert "no facts on \"AWS Solutions Architect\"" in out
    assert "check with whoever issues it" in out
    assert "PMP" not in out and "credential" not in slots


def test_unknown_value_in_button_payload_gets_honest_answer():
    out, _, _ = run(A.ActionAnswerAttribute(), '/ask_expiry{"credential":"Totally Made Up"}', "ask_expiry",
                    [{"entity": "credential", "value": "Totally Made Up"}])
    assert "no facts on \"Totally Made Up\"" in out


@pytest.mark.parametrize("value", ["", None, 42, "x" * 5000, "<script>alert(1)</script>"])
def test_odd_entity_values_never_raise(value):
    out, _, _ = run(A.ActionAnswerAttribute(), "/ask_cost", "ask_cost", [{"entity": "credential", "value": value}])
    assert out
    assert "<script>" not in out


def test_kind_action():
    text = "is the CPA a micro-credential?"
    ents = [entity("credential", "CPA", text), entity("kind", "micro-credential", text)]
    out, _, slots = run(A.ActionAnswerKind(), text, "ask_kind", ents)
    assert out.startswith("No, Certified Public Accountant (CPA) is not a micro-credential")
    assert slots["credential"] == "Certified Public Accountant (CPA)"


def test_kind_action_without_credential_answers_the_faq():
    text = "is a badge a certification"
    out, _, _ = run(A.ActionAnswerKind(), text, "ask_kind", [entity("kind", "badge", text)])
    assert out.startswith("No. They are related but different.")


def test_overview_has_follow_up_buttons():
    text = "tell me about the PMP"
    out, buttons, slots = run(A.ActionCredentialOverview(), text, "ask_overview", [entity("credential", "PMP", text)])
    assert "Project Management Professional (PMP) is a traditional certificate" in out
    titles = [b["title"] for b in buttons]
    assert titles == ["Does it expire?", "How much does it cost?", "How long does it take?",
                      "Compare with a micro-credential"]
    assert all('"credential":"pmp"' in b["payload"] for b in buttons)
    assert all("(" not in b["payload"] for b in buttons)  # rasa shell cuts payloads at the last "("
    assert slots["credential"] == "Project Management Professional (PMP)"


def test_compare_two_credentials():
    text = "PMP vs Cloud Security Fundamentals"
    ents = [entity("credential", "PMP", text), entity("credential", "Cloud Security Fundamentals", text)]
    out, _, _ = run(A.ActionCompare(), text, "compare", ents)
    assert out.startswith("Project Management Professional (PMP) vs Cloud Security Fundamentals:")
    assert "Expiry" in out and "general rule" in out


def test_compare_that_to_a_kind_uses_context():
    text = "how does that compare to a micro-credential?"
    out, _, _ = run(A.ActionCompare(), text, "compare", [entity("kind", "micro-credential", text)],
                    slots={"credential": "Project Management Professional (PMP)"})
    assert out.startswith("Project Management Professional (PMP) vs a typical micro-credential:")


def test_compare_kinds_overall():
    out, _, _ = run(A.ActionCompare(), "difference between a certificate and a micro-credential", "compare")
    for row in ("Scope", "Duration", "Cost", "Who validates it", "Format", "Career impact"):
        assert row in out


@pytest.mark.parametrize(
    "text,value,expected,absent",
    [
        ("micro-credentials for marketing", "marketing",
         ["Social Media Analytics", "SEO Best Practices", "Content Strategy"], ["PMP"]),
        ("what can a teacher earn?", "teacher", ["Differentiated Instruction", "Trauma-Informed Practices"],
         ["Kubernetes"]),
        ("examples in tech", "tech", ["React", "Kubernetes"], ["Content Strategy"]),
    ],
)
def test_list_by_field(text, value, expected, absent):
    out, buttons, _ = run(A.ActionListCredentials(), text, "list_credentials", [entity("field", value, text)])
    for e in expected:
        assert e in out
    for a in absent:
        assert a not in out
    assert buttons
