"""Every custom action, run on trackers built with Tracker.from_dict: short
answers first with the rest on request, true to the article and to the
question asked, never a bare yes or no, the source cited by title and section."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions import vocabulary as v
from actions.answers import FAQ_MAX_CHARS, FULL_COMPARISON_TITLE, MORE_DETAIL_TITLE
from actions.lookup import resolve
from tests.helpers.trackers import entity, make_tracker

KB = A.KB
TITLE = KB.sources["article"].title
SECTION = KB.sources["article"].sections
BARE_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE | re.MULTILINE)
PMP = "Project Management Professional (PMP)"
ALL_LABELS = [a.label for a in KB.attributes.values()]


def run_all(action, text: str, intent: str, entities=None, slots=None,
            confidence=None) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Every message the action sends, and the slots it sets."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, entities, slots)
    if confidence is not None:
        tracker.latest_message["intent"]["confidence"] = confidence
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def run(action, text: str, intent: str, entities=None, slots=None,
        confidence=None) -> Tuple[str, List[Dict[str, Any]], Dict[str, Any]]:
    """The one message the action sends: text, buttons, and the slots set."""
    messages, slots_set = run_all(action, text, intent, entities, slots, confidence)
    assert len(messages) == 1, messages
    msg = messages[0]
    return msg.get("text") or "", msg.get("buttons") or [], slots_set


def cites(text: str, *anchors: str) -> bool:
    """The reply names the article by its title and these sections."""
    source = text.rsplit("Source: ", 1)[-1]
    return f'"{TITLE}"' in source and all(f'"{SECTION[a]}"' in source for a in anchors)


# --------------------------------------------------------------------------
# the article's general questions: short first, "More detail" for the rest

# intent -> (words in the short answer, words only in "More detail")
FAQ_EXPECT = {
    "faq_employers_care": (["Employers", "technology", "data science", "digital marketing"],
                           ["alongside other qualifications", "skill gap"]),
    "faq_same_as_certification": (["related but different", "PMP", "CPA"],
                                  ["master's degree", "Advanced Excel Formulas", "Introduction to Python"]),
    "faq_what_is": (["specific skill", "digital badge"], ["Python for Data Analysis", "hours or days"]),
    "faq_which_to_choose": (["career change", "skill gap", "certificate programme"], ["stack", "PMP"]),
    "faq_higher_education": (["stand-alone credit-bearing", "emerging topics", "companies", "Students"],
                             ["Unbundling", "Just-in-time", "Partnerships", "Machine Learning Ethics"]),
    "faq_trends": (["granular", "employers", "continuous development"],
                   ["Social Media Analytics", "healthcare, IT and engineering"]),
    "faq_replace_degrees": (["licence", "speed", "cost", "lifelong"], ["medical degree", "civil engineer", "React"]),
    "faq_teachers": (["NEA", "professional development", "classroom"],
                     ["Differentiated Instruction", "Trauma-Informed Practices", "state certification"]),
}


@pytest.mark.parametrize("intent,needles", sorted(FAQ_EXPECT.items()))
def test_faq_answers_short_first_then_more_detail(intent, needles):
    short_words, more_words = needles
    topic = KB.faq[v.faq_topic(intent)]
    text, buttons, slots = run(A.ActionAnswerFaq(), "question", intent)
    for n in short_words:
        assert n in text, (n, text)
    for n in more_words:
        assert n not in text, (n, "belongs to 'More detail'", text)
    assert cites(text, topic.source.partition("#")[2]), text
    assert buttons[0] == {"title": MORE_DETAIL_TITLE, "payload": "/more_detail"}
    assert all(b["payload"].startswith("/") for b in buttons)
    assert slots["last_topic"] == f"faq/{topic.id}" and slots["last_subject"] == f"faq:{topic.id}"

    more, more_buttons, more_slots = run(A.ActionMoreDetail(), "tell me more", "more_detail",
                                         slots={"last_subject": slots["last_subject"]})
    for n in more_words:
        assert n in more, (n, more)
    assert topic.short not in more  # the rest, not the same again
    assert cites(more, *(ref.partition("#")[2] for ref in topic.sources)), more
    assert MORE_DETAIL_TITLE not in [b["title"] for b in more_buttons]
    assert more_slots["last_topic"] == f"faq/{topic.id}"
    assert more_slots["last_subject"] is None  # nothing more to continue


@pytest.mark.parametrize("intent", v.FAQ_INTENTS)
def test_every_faq_answer_fits_a_bubble_and_is_never_a_bare_yes_or_no(intent):
    topic = KB.faq[v.faq_topic(intent)]
    text, buttons, _ = run(A.ActionAnswerFaq(), "question", intent)
    assert topic.short in text
    assert len(text) <= FAQ_MAX_CHARS, len(text)
    assert not BARE_YES_NO.search(text), text
    assert buttons[0]["title"] == MORE_DETAIL_TITLE
    if topic.silent:
        assert "The article doesn't" in text, text


def test_faq_action_on_unexpected_intent_falls_back():
    dispatcher = CollectingDispatcher()
    asyncio.run(A.ActionAnswerFaq().run(dispatcher, make_tracker("x", "greet"), {}))
    assert dispatcher.messages[0]["response"] == "utter_default"


def test_a_general_question_naming_a_credentials_fact_gets_that_fact():
    """"who licenses CPAs?" classified, unsure, as a general question: the CPA's issuer answers it."""
    text = "who licenses CPAs?"
    out, _, slots = run(A.ActionAnswerFaq(), text, "faq_what_is_certification", [entity("credential", "CPAs", text)],
                        confidence=0.6)
    assert "board of accountancy" in out and "NASBA" in out
    assert slots["last_topic"] == "attribute/issuer" and slots["credential"] == "Certified Public Accountant (CPA)"
    # when the classifier is sure, the general question is answered
    out, _, slots = run(A.ActionAnswerFaq(), text, "faq_what_is_certification", [entity("credential", "CPAs", text)],
                        confidence=0.95)
    assert out.startswith(KB.faq["what_is_certification"].short)


# --------------------------------------------------------------------------
# "More detail" / "Full comparison" / "tell me more"


def test_more_detail_after_a_comparison_gives_the_full_comparison():
    text = "PMP vs Cloud Security Fundamentals"
    ents = [entity("credential", "PMP", text), entity("credential", "Cloud Security Fundamentals", text)]
    _, buttons, slots = run(A.ActionCompare(), text, "compare", ents)
    assert buttons[0] == {"title": FULL_COMPARISON_TITLE, "payload": "/more_detail"}
    full, _, more_slots = run(A.ActionMoreDetail(), "/more_detail", "more_detail",
                              slots={"last_subject": slots["last_subject"]})
    sides = [ln for ln in full.splitlines() if ln.startswith("• ")]
    assert [s.split(":")[0] for s in sides] == ["• PMP", "• Cloud Security Fundamentals"]
    for side in sides:
        assert all(f"{label}: " in side for label in ALL_LABELS), side
    assert "60 professional development units" in full  # the whole sentence, not the cell
    assert KB.sources["pmi"].url in full  # the full comparison cites with links
    assert more_slots["last_topic"] == "compare/credentials" and more_slots["last_subject"] is None


def test_more_detail_after_an_overview_gives_every_fact():
    text = "tell me about the PMP"
    _, _, slots = run(A.ActionCredentialOverview(), text, "ask_overview", [entity("credential", "PMP", text)])
    out, _, more_slots = run(A.ActionMoreDetail(), "more detail", "more_detail",
                             slots={"last_subject": slots["last_subject"]})
    assert out.count("• ") >= 6 and "US$405" in out and "every three years" in out
    assert more_slots["credential"] == PMP


@pytest.mark.parametrize("last_subject", [None, "", "faq:no_such_topic", "nonsense:xx"])
def test_more_detail_with_nothing_before_asks_more_about_what(last_subject):
    messages, slots = run_all(A.ActionMoreDetail(), "tell me more", "more_detail",
                              slots={"last_subject": last_subject})
    assert [m.get("response") for m in messages] == ["utter_more_what"]
    assert slots == {}


# --------------------------------------------------------------------------
# one attribute of a named credential


@pytest.mark.parametrize(
    "text,value,intent,needles,absent,remember",
    [
        ("does the PMP expire?", "PMP", "ask_expiry",
         ["Project Management Professional (PMP)", "every three years", "60 professional development units", "PMI",
          "as of 2025"], [], PMP),
        ("how long does python for data analysis take?", "python for data analysis", "ask_duration",
         ["The article doesn't say how long Python for Data Analysis takes", "hours to days", "Check with the issuer"],
         [], "Python for Data Analysis"),
        ("who issues Cloud Security Fundamentals", "Cloud Security Fundamentals", "ask_issuer",
         ["The article doesn't say who issues Cloud Security Fundamentals",
          "universities, companies and learning platforms"], [], "Cloud Security Fundamentals"),
        ("what does the PMP cover?", "PMP", "ask_scope", ["risk management", "stakeholder engagement"], [], PMP),
        # a certification: never the certificate programme's "hundreds to thousands"
        ("how much is the CPA", "CPA", "ask_cost",
         ["The article doesn't give a price for the CPA", "board of accountancy", "NASBA", "as of 2025"],
         ["hundreds to thousands"], "Certified Public Accountant (CPA)"),
        ("can Machine Learning Ethics stack", "Machine Learning Ethics", "ask_stackable", ["master's degree in AI"],
         [], "Machine Learning Ethics"),
    ],
)
def test_attribute_of_named_credential(text, value, intent, needles, absent, remember):
    out, buttons, slots = run(A.ActionAnswerAttribute(), text, intent, [entity("credential", value, text)])
    for n in needles:
        assert n in out, (n, out)
    for n in absent:
        assert n not in out, (n, out)
    assert not BARE_YES_NO.search(out), out
    assert "Source: " in out
    assert slots["credential"] == remember
    assert slots["last_subject"] == f"overview:{resolve(KB, 'credential', value)}"
    assert any(b["title"].startswith("Compare") for b in buttons)


def test_follow_up_uses_remembered_credential_and_names_it():
    out, _, slots = run(A.ActionAnswerAttribute(), "does it expire?", "ask_expiry", slots={"credential": PMP})
    assert "PMP" in out and "three years" in out
    assert slots["credential"] == PMP


def test_new_credential_replaces_the_old_one():
    text = "and how much is the CPA?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_cost", [entity("credential", "CPA", text)],
                        slots={"credential": PMP})
    assert "CPA" in out and "PMP" not in out
    assert slots["credential"] == "Certified Public Accountant (CPA)"


def test_a_subject_named_after_a_credential_is_answered_as_a_subject():
    text = "and does Kubernetes expire?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("topic", "Kubernetes", text)],
                        slots={"credential": PMP})
    assert "Kubernetes" in out and "PMP" not in out
    assert slots["credential"] == "Kubernetes"  # "does it expire?" next is about Kubernetes


def test_kind_question_answers_generally_even_with_a_remembered_credential():
    text = "do micro-credentials expire?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("kind", "micro-credentials", text)],
                        slots={"credential": PMP})
    assert "2 to 3 years" in out and "check the issuer" in out
    assert "PMP" not in out
    assert "credential" not in slots


def test_a_certification_gets_its_own_general_rule_not_the_certificate_programmes():
    text = "how long does a certification take?"
    out, _, _ = run(A.ActionAnswerAttribute(), text, "ask_duration", [entity("kind", "certification", text)])
    assert out.startswith("The article doesn't give a length for certifications")
    assert "weeks to months" not in out


def test_two_kinds_side_by_side_on_one_attribute():
    text = "certificate vs micro-credential on cost"
    ents = [entity("kind", "certificate", text), entity("kind", "micro-credential", text)]
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_cost", ents)
    assert "hundreds to thousands" in out and "free or up to a few hundred" in out
    assert slots["last_subject"] == "compare::certificate,micro_credential"


def test_which_is_faster_two_credentials():
    text = "which is faster, PMP or Python for Data Analysis?"
    ents = [entity("credential", "PMP", text), entity("credential", "Python for Data Analysis", text)]
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_duration", ents)
    assert "side by side" in out and "36 months" in out and "hours to days" in out
    assert "Python for Data Analysis: the article doesn't say" in out  # silence said as such, per side
    assert len([ln for ln in out.splitlines() if ln.startswith("• ")]) == 2
    assert slots["last_subject"] == "compare:pmp,python_for_data_analysis:"


# --------------------------------------------------------------------------
# what the article doesn't cover: products, unknown names


def test_unknown_credential_is_not_invented():
    text = "does the AWS Solutions Architect expire?"
    out, _, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("product", "AWS", text)],
                        slots={"credential": PMP})
    assert out.startswith('I have no facts on "AWS Solutions Architect"')
    assert "2 to 3 years" in out  # the article's general rule, said as such
    assert "check with its issuer" in out
    assert "PMP" not in out and "credential" not in slots
    assert slots["unknown_credential"] == "AWS Solutions Architect" and slots["last_topic"] == "unknown_credential"


def test_a_product_is_never_answered_as_the_articles_example():
    text = "does the Google Data Analytics Certificate expire?"
    ents = [entity("product", "Google", text), entity("field", "Data Analytics", text),
            entity("kind", "Certificate", text)]
    out, _, _ = run(A.ActionAnswerAttribute(), text, "ask_expiry", ents)
    assert out.startswith('I have no facts on "Google Data Analytics Certificate"')
    assert "Certificate in Data Analytics" not in out
    assert "The article doesn't say whether certificate programmes expire" in out  # the kind it names


def test_unknown_product_in_a_faq_question_is_said_then_the_question_answered():
    text = "Do LinkedIn Learning badges count when we hire?"
    ents = [entity("product", "LinkedIn Learning", text), entity("kind", "badges", text)]
    messages, slots = run_all(A.ActionAnswerFaq(), text, "faq_hiring", ents)
    assert len(messages) == 2
    assert messages[0]["text"].startswith('I have no facts on "LinkedIn Learning badges"')
    assert messages[1]["text"].startswith(KB.faq["hiring"].short)
    assert slots["unknown_credential"] == "LinkedIn Learning badges"
    assert slots["last_topic"] == "faq/hiring" and slots["last_subject"] == "faq:hiring"


def test_unknown_value_in_button_payload_gets_honest_answer():
    out, _, _ = run(A.ActionAnswerAttribute(), '/ask_expiry{"credential":"Totally Made Up"}', "ask_expiry",
                    [{"entity": "credential", "value": "Totally Made Up"}])
    assert 'no facts on "Totally Made Up"' in out


@pytest.mark.parametrize("value", ["", None, 42, "x" * 5000, "<script>alert(1)</script>"])
def test_odd_entity_values_never_raise(value):
    out, _, _ = run(A.ActionAnswerAttribute(), "/ask_cost", "ask_cost", [{"entity": "credential", "value": value}])
    assert out
    assert "<script>" not in out


# --------------------------------------------------------------------------
# subjects the article names (React, Kubernetes, agile methods): not credentials


def test_it_after_a_subject_is_the_subject():
    out, _, _ = run(A.ActionAnswerAttribute(), "how much does it cost?", "ask_cost", [], slots={"credential": "React"})
    assert "React" in out and "describes no particular React credential" in out


def test_topic_attribute_says_the_article_describes_no_such_credential():
    text = "does React expire?"
    out, buttons, slots = run(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("topic", "React", text)])
    assert out.startswith("The article names React")
    assert "describes no particular React credential" in out and "2 to 3 years" in out
    assert "check with the provider" in out.lower()
    assert cites(out, "compete", "faq-expire")
    assert slots["last_topic"] == "subject" and slots["credential"] == "React"
    assert buttons[0]["payload"] == '/list_credentials{"field":"tech"}'


def test_topic_kind_question():
    text = "is React a micro-credential?"
    ents = [entity("topic", "React", text), entity("kind", "micro-credential", text)]
    out, _, slots = run(A.ActionAnswerKind(), text, "ask_kind", ents)
    assert out.startswith("React is not a credential itself.")
    assert slots["last_topic"] == "subject"


def test_topic_overview_and_list():
    text = "tell me about Kubernetes"
    out, _, _ = run(A.ActionCredentialOverview(), text, "ask_overview", [entity("topic", "Kubernetes", text)])
    assert out.startswith("The article names Kubernetes") and "micro-credential" in out
    text = "is there a micro-credential for agile methods?"
    ents = [entity("kind", "micro-credential", text), entity("topic", "agile methods", text)]
    out, _, _ = run(A.ActionListCredentials(), text, "list_credentials", ents)
    assert "agile methodologies" in out and "narrower skill than the PMP" in out


def test_a_faq_question_about_a_subject_gets_the_answer_and_the_subject():
    text = "a CS degree plus a React micro-credential: how should I read that?"
    ents = [entity("topic", "React", text), entity("kind", "micro-credential", text)]
    messages, _ = run_all(A.ActionAnswerFaq(), text, "faq_hiring", ents)
    assert [m["text"].split("\n")[0] for m in messages] == [KB.faq["hiring"].short, KB.topics["react"].fact.text]


# --------------------------------------------------------------------------
# two-part questions


def test_two_part_question_about_a_named_credential():
    text = "does the PMP expire and what does it cost?"
    messages, slots = run_all(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("credential", "PMP", text)])
    assert len(messages) == 2
    assert "every three years" in messages[0]["text"] and "US$405" in messages[1]["text"]
    assert slots["credential"] == PMP and slots["last_topic"] == "attribute/cost"


def test_two_part_question_about_the_remembered_credential():
    messages, _ = run_all(A.ActionAnswerAttribute(), "does it expire and how much is it?", "ask_expiry",
                          slots={"credential": PMP})
    assert ["three years" in messages[0]["text"], "US$405" in messages[1]["text"]] == [True, True]


def test_two_part_question_about_a_kind():
    text = "do micro-credentials expire? and what do they cost?"
    messages, _ = run_all(A.ActionAnswerAttribute(), text, "ask_expiry", [entity("kind", "micro-credentials", text)])
    assert len(messages) == 2
    assert "2 to 3 years" in messages[0]["text"] and "a few hundred dollars" in messages[1]["text"]


def test_one_part_question_gets_one_answer():
    text = "how much does the PMP cost?"  # "cost" asked once: no second part
    messages, _ = run_all(A.ActionAnswerAttribute(), text, "ask_cost", [entity("credential", "PMP", text)])
    assert len(messages) == 1


# --------------------------------------------------------------------------
# kinds: what it is, without a bare yes or no


def test_kind_action():
    text = "is the CPA a micro-credential?"
    ents = [entity("credential", "CPA", text), entity("kind", "micro-credential", text)]
    out, _, slots = run(A.ActionAnswerKind(), text, "ask_kind", ents)
    assert out.startswith("Certified Public Accountant (CPA) is a professional certification, not a micro-credential.")
    assert slots["credential"] == "Certified Public Accountant (CPA)"


def test_the_pmp_is_a_certification_not_a_certificate_programme():
    text = "is the PMP a certificate?"
    ents = [entity("credential", "PMP", text), entity("kind", "certificate", text)]
    out, _, _ = run(A.ActionAnswerKind(), text, "ask_kind", ents)
    assert out.startswith(f"{PMP} is a professional certification, not a certificate programme.")


def test_kind_action_without_credential_answers_the_faq():
    text = "is a badge a certification"
    out, _, _ = run(A.ActionAnswerKind(), text, "ask_kind",
                    [entity("kind", "badge", text), entity("kind", "certification", text)])
    assert out.startswith("A micro-credential and a certification are related but different")
    assert not BARE_YES_NO.search(out)


# --------------------------------------------------------------------------
# overview, comparison, lists


def test_overview_has_follow_up_buttons():
    text = "tell me about the PMP"
    out, buttons, slots = run(A.ActionCredentialOverview(), text, "ask_overview", [entity("credential", "PMP", text)])
    assert out.startswith(f"{PMP} is a professional certification (project management).")
    assert cites(out, "power")
    titles = [b["title"] for b in buttons]
    assert titles == [MORE_DETAIL_TITLE, "Does it expire?", "How much does it cost?", "How long does it take?",
                      "Compare with a micro-credential"]
    assert all('"credential":"pmp"' in b["payload"] for b in buttons[1:])
    assert all("(" not in b["payload"] for b in buttons)  # rasa shell cuts payloads at the last "("
    assert slots["credential"] == PMP and slots["last_subject"] == "overview:pmp"


def test_a_kind_named_alone_gets_its_definition():
    text = "what is a certificate?"
    out, _, slots = run(A.ActionCredentialOverview(), text, "ask_overview", [entity("kind", "certificate", text)])
    assert out.startswith(KB.faq["what_is_certificate"].short)
    assert slots["last_topic"] == "faq/what_is_certificate"


def test_compare_two_credentials():
    text = "PMP vs Cloud Security Fundamentals"
    ents = [entity("credential", "PMP", text), entity("credential", "Cloud Security Fundamentals", text)]
    out, buttons, slots = run(A.ActionCompare(), text, "compare", ents)
    lines = out.splitlines()
    assert lines[0] == "PMP vs Cloud Security Fundamentals:"
    sides = [ln for ln in lines if ln.startswith("• ")]  # one line per side, each name once
    assert [s.split(":")[0] for s in sides] == ["• PMP", "• Cloud Security Fundamentals"]
    assert sum(out.count(f"{label}: ") for label in ALL_LABELS) <= 6  # three rows or fewer
    assert "not given (micro-credentials in general" in sides[1]  # the article's silence, said as such
    assert buttons[0]["title"] == FULL_COMPARISON_TITLE
    assert slots["last_topic"] == "compare/credentials"
    assert slots["last_subject"] == "compare:pmp,cloud_security_fundamentals:"


def test_compare_that_to_a_kind_uses_context():
    text = "how does that compare to a micro-credential?"
    out, _, _ = run(A.ActionCompare(), text, "compare", [entity("kind", "micro-credential", text)],
                    slots={"credential": PMP})
    assert out.startswith("PMP vs a typical micro-credential:")


def test_compare_it_to_another_credential_uses_context():
    text = "how does it compare to the CPA?"
    out, _, slots = run(A.ActionCompare(), text, "compare", [entity("credential", "CPA", text)],
                        slots={"credential": PMP})
    assert out.startswith("PMP vs CPA:")
    assert slots["last_subject"] == "compare:pmp,cpa:"


def test_compare_kinds_overall():
    out, buttons, slots = run(A.ActionCompare(), "difference between a certificate and a micro-credential", "compare")
    assert out.startswith("Certificate programme vs Micro-credential:")
    for row in ("scope", "time it takes", "cost"):
        assert f"{row}: " in out
    assert "weeks to months" in out and "hours to days" in out
    assert buttons[0]["title"] == FULL_COMPARISON_TITLE
    full, _, _ = run(A.ActionMoreDetail(), "/more_detail", "more_detail", slots={"last_subject": slots["last_subject"]})
    for row in ALL_LABELS:  # scope, time it takes, cost, issuer, format, career impact, expiry, stacking
        assert full.count(f"{row}: ") == 2, (row, full)


@pytest.mark.parametrize(
    "text,value,expected,absent",
    [
        ("micro-credentials for marketing", "marketing",
         ["Social Media Analytics", "SEO Best Practices", "Content Strategy"], ["PMP"]),
        ("what can a teacher earn?", "teacher", ["Differentiated Instruction", "Trauma-Informed Practices"],
         ["Kubernetes"]),
        ("examples in tech", "tech", ["Python for Data Analysis", "Introduction to Python"], ["Content Strategy"]),
    ],
)
def test_list_by_field(text, value, expected, absent):
    out, buttons, _ = run(A.ActionListCredentials(), text, "list_credentials", [entity("field", value, text)])
    for e in expected:
        assert e in out
    for a in absent:
        assert a not in out
    assert buttons


def test_subjects_are_listed_as_subjects_not_credentials():
    text = "examples in tech"
    out, _, _ = run(A.ActionListCredentials(), text, "list_credentials", [entity("field", "tech", text)])
    credentials = [ln for ln in out.splitlines() if ln.startswith("• ")]
    assert not any("React" in ln or "Kubernetes" in ln for ln in credentials)
    subjects = [ln for ln in out.splitlines() if ln.startswith("It also names subjects")]
    assert subjects and "React" in subjects[0] and "Kubernetes" in subjects[0]


# --------------------------------------------------------------------------
# bare answers ("a few weeks") and out of scope


def test_inform_without_advice_asks_what_the_user_wants_to_know():
    messages, slots = run_all(A.ActionInform(), "a few weeks", "inform", slots={"last_topic": "faq/what_is"})
    assert [m.get("response") for m in messages] == ["utter_ask_rephrase"] and slots == {}


def test_inform_after_advice_and_another_question_still_refines_the_advice():
    out, _, slots = run(A.ActionInform(), "a few weeks", "inform",
                        slots={"last_topic": "faq/what_is", "goal": "upskill", "field": "data"})
    assert slots["time_available"] == "short" and slots["last_topic"] == "advice"
    assert "micro-credentials" in out


def test_inform_after_advice_refines_it():
    out, _, slots = run(A.ActionInform(), "a few weeks", "inform",
                        slots={"last_topic": "advice", "goal": "career_change", "field": "data"})
    assert slots["time_available"] == "short" and slots["last_topic"] == "advice"
    assert out.startswith("For moving into data and analytics, I'd suggest micro-credentials")
    assert "little time" in out


def test_out_of_scope_is_honest():
    messages, slots = run_all(A.ActionOutOfScope(), "what's the weather like in Paris tomorrow?", "out_of_scope")
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
    assert slots == {"last_topic": "fallback/out_of_scope"}


def test_out_of_scope_naming_a_product_says_there_are_no_facts_on_it():
    text = "how much weight should I give a Certified ScrumMaster?"
    out, _, slots = run(A.ActionOutOfScope(), text, "out_of_scope", [entity("product", "ScrumMaster", text)])
    assert out.startswith('I have no facts on "Certified ScrumMaster"')
    assert slots["unknown_credential"] == "Certified ScrumMaster"


@pytest.mark.parametrize("text,value,intent,says", [
    ("how do I renew my nursing license?", "nursing", "ask_expiry", "whether one expires"),
    ("how long does a law licence take", "law", "ask_duration", "how long one takes"),
])
def test_a_professional_licence_is_not_answered_as_a_micro_credential(text, value, intent, says):
    """A licence in a regulated field is not a micro-credential: no general micro-credential
    expiry or duration, but what the article says of entering that field, and whom to ask."""
    out, buttons, _ = run(A.ActionAnswerAttribute(), text, intent, [entity("field", value, text)])
    assert out.startswith("The article doesn't cover professional licences in") and says in out
    assert "2 to 3 years" not in out and "hours to days" not in out
    assert "check with" in out
    assert [b["payload"] for b in buttons] == ["/faq_regulated_professions"]
