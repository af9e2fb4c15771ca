"""End to end over Rasa's REST channel: the real Rasa server and the real
action server, started as `make run` starts them."""

from __future__ import annotations

import pytest
import requests


@pytest.mark.parametrize(
    "question,needles",
    [
        ("do employers care about micro-credentials?", ["Employers value micro-credentials", "digital marketing"]),
        ("is a micro credential the same as a certification", ["No. They are related but different"]),
        ("do microcredentials expire?", ["2 to 3 years", "check the issuer"]),
        ("how much does a certificate program cost compared to a micro-credential?",
         ["hundreds to thousands", "free up to a few hundred"]),
        ("will micro-credentials replace degrees?", ["medical degree"]),
        ("what does the NEA say about micro-credentials for teachers?", ["National Education Association"]),
        ("how are micro-credentials changing universities?", ["Unbundling"]),
        ("what's the weather in Paris tomorrow?", ["outside what I know", "micro-credentials"]),
    ],
)
def test_answers_over_rest(chat, question, needles):
    text = chat.text(question)
    for n in needles:
        assert n in text, (question, text)


def test_follow_up_keeps_the_credential(chat):
    first = chat.text("tell me about the PMP")
    assert "Project Management Professional (PMP) is a traditional certificate" in first
    follow = chat.text("does it expire?")
    assert "Project Management Professional (PMP)" in follow and "60 professional development units" in follow
    other = chat.text("how long does Kubernetes take?")
    assert "Kubernetes" in other and "PMP" not in other
    again = chat.text("and how much is it?")
    assert "Kubernetes" in again


def test_buttons_come_back_and_work(chat):
    replies = chat.say("tell me about Cloud Security Fundamentals")
    buttons = [b for m in replies for b in m.get("buttons", [])]
    expiry = next(b for b in buttons if b["title"] == "Does it expire?")
    text = chat.text(expiry["payload"])
    assert "Cloud Security Fundamentals" in text and "validity period" in text


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
    assert "How much time" in first  # goal and field were taken from the first message
    middle = chat.text("do micro-credentials expire?")
    assert "2 to 3 years" in middle and "How much time" in middle  # answered, then the form asks again
    assert "budget" in chat.text("several months")
    advice = chat.text("money is no object")
    assert "For changing career, I'd suggest a traditional certificate." in advice
    assert "Certificate in Data Analytics" in advice


def test_advice_form_can_be_stopped(chat):
    assert "What is your goal?" in chat.text("should I get a certificate or micro-credentials?")
    assert "stopped" in chat.text("stop")
    assert "Employers" in chat.text("do employers care about micro-credentials?")
