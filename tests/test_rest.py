"""End to end over Rasa's REST channel: the real Rasa server and the real
action server, started as `make run` starts them."""

from __future__ import annotations

import pytest
import requests

from actions.knowledge import load_knowledge

KB = load_knowledge()


def _opening(topic: str) -> str:
    """The first words of a FAQ answer, as the knowledge file writes them."""
    return " ".join(KB.faq[topic].short.split()[:6])


@pytest.mark.parametrize(
    "question,needles",
    [
        ("do employers care about micro-credentials?", [_opening("employers_care"), "digital marketing"]),
        ("is a micro credential the same as a certification", [_opening("same_as_certification")]),
        ("do microcredentials expire?", ["2 to 3 years", "issuer"]),
        ("how much does a certificate program cost compared to a micro-credential?",
         ["hundreds to thousands", "few hundred"]),
        ("will micro-credentials replace degrees?", [_opening("replace_degrees")]),
        ("what does the NEA say about micro-credentials for teachers?", ["NEA"]),
        ("how are micro-credentials changing universities?", [_opening("higher_education")]),
        ("what's the weather in Paris tomorrow?", ["outside what I know", "micro-credentials"]),
    ],
)
def test_answers_over_rest(chat, question, needles):
    text = chat.text(question)
    for n in needles:
        assert n in text, (question, text)


def test_follow_up_keeps_the_credential(chat):
    first = chat.text("tell me about the PMP")
    assert "Project Management Professional (PMP) is a professional certification" in first
    follow = chat.text("does it expire?")
    assert "PMP" in follow and "60 professional development units" in follow
    other = chat.text("what does the CPA cost?")
    assert "CPA" in other and "PMP" not in other
    again = chat.text("and how long does it take?")
    assert "CPA" in again and "PMP" not in again


def test_buttons_come_back_and_work(chat):
    replies = chat.say("tell me about Cloud Security Fundamentals")
    buttons = [b for m in replies for b in m.get("buttons", [])]
    expiry = next(b for b in buttons if b["title"] == "Does it expire?")
    text = chat.text(expiry["payload"])
    assert "Cloud Security Fundamentals" in text and "2 to 3 years" in text


def test_unknown_credential_is_admitted(chat):
    text = chat.text("does the AWS Solutions Architect expire?")
    assert "no facts on" in text and "AWS Solutions Architect" in text


def test_greeting_offers_the_menu(chat):
    replies = chat.say("hi")
    assert any(m.get("buttons") for m in replies)


def test_action_server_health(servers):
    assert requests.get(f"{servers.action_url}/health", timeout=5).json()["status"] == "ok"


def test_advice_form_over_rest(chat):
    first = chat.text("I'm switching into data analytics")
    # goal and field from the first message: advice at once, no questions
    assert first.startswith("For moving into data and analytics, I'd suggest a traditional certificate programme")
    assert "Certificate in Data Analytics" in first and "?" not in first.split("Source:")[0]
    assert "2 to 3 years" in chat.text("do micro-credentials expire?")  # any question is answered
    refined = chat.text("I only have a couple of weeks")  # refines the advice given
    assert refined.startswith("For moving into data and analytics, I'd suggest micro-credentials"), refined
    assert "Python for Data Analysis" in refined


def test_advice_form_can_be_stopped(chat):
    assert "What is your goal?" in chat.text("should I get a certificate or micro-credentials?")
    assert "stopped" in chat.text("stop")
    assert "Employers" in chat.text("do employers care about micro-credentials?")
