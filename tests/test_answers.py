"""The composed answers (actions/answers.py, actions/advice.py), without Rasa:
short enough for a chat bubble with more on request, never a bare yes or no,
honest where the article is silent, sources named by title and date."""

from __future__ import annotations

import itertools
import re

import pytest

from actions import answers as A
from actions import feedback
from actions import vocabulary as v
from actions.advice import BUDGETS, GOALS, TIMES, advice_reply
from actions.knowledge import ATTRIBUTES, KINDS, load_knowledge

KB = load_knowledge()
CREDS = list(KB.credentials)
TITLE = KB.sources["article"].title
BARE_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE | re.MULTILINE)


def _with_prompt(reply: A.Reply) -> str:
    """The longest the bubble gets: with "Was this helpful?" added."""
    return feedback.with_prompt(reply, "rest").text


# --------------------------------------------------------------------------
# short first


@pytest.mark.parametrize("topic", list(KB.faq))
def test_faq_answer_fits_a_bubble_and_offers_more(topic):
    reply = A.faq_answer(KB, topic)
    assert len(_with_prompt(reply)) <= A.FAQ_MAX_CHARS, (len(_with_prompt(reply)), reply.text)
    assert reply.buttons[0].title == A.MORE_DETAIL_TITLE
    more = A.more_detail(KB, reply.more)
    assert more is not None and KB.faq[topic].more in more.text
    assert KB.faq[topic].short not in more.text  # the rest, not the same again


@pytest.mark.parametrize("a,b", list(itertools.combinations(CREDS, 2)))
def test_comparison_of_two_credentials_fits(a, b):
    reply = A.compare(KB, [a, b])
    assert len(_with_prompt(reply)) <= A.COMPARE_MAX_CHARS, (len(reply.text), reply.text)
    sides = [ln for ln in reply.text.splitlines() if ln.startswith("• ")]
    labels = [a.label for a in KB.attributes.values()]
    shown = {sum(f"{lab}: " in ln for lab in labels) for ln in sides}
    assert len(sides) == 2 and len(shown) == 1 and shown.pop() in (A.SHORT_ROWS, A.SHORT_ROWS - 1), reply.text
    assert reply.buttons[0].title == A.FULL_COMPARISON_TITLE
    full = A.more_detail(KB, reply.more)
    assert full is not None
    labels = [a.label for a in KB.attributes.values()]
    assert all(sum(f"{lab}: " in ln for lab in labels) == len(A.COMPARE_ROWS)
               for ln in full.text.splitlines() if ln.startswith("• ")), full.text


@pytest.mark.parametrize("cred,kind", list(itertools.product(CREDS, KINDS)))
def test_comparison_of_a_credential_and_a_kind_fits(cred, kind):
    reply = A.compare(KB, [cred], [kind])
    assert len(_with_prompt(reply)) <= A.COMPARE_MAX_CHARS, (len(reply.text), reply.text)


@pytest.mark.parametrize("kinds", list(itertools.combinations(KINDS, 2)))
def test_comparison_of_kinds_fits(kinds):
    reply = A.compare(KB, [], kinds)
    assert len(_with_prompt(reply)) <= A.COMPARE_MAX_CHARS, reply.text


@pytest.mark.parametrize("goal,field,time,budget",
                         list(itertools.product(GOALS, list(KB.fields) + [None], TIMES + (None,), BUDGETS + (None,))))
def test_advice_fits(goal, field, time, budget):
    reply = advice_reply(KB, goal, field, time, budget)
    assert len(_with_prompt(reply)) <= A.ADVICE_MAX_CHARS, (len(reply.text), reply.text)
    assert not BARE_YES_NO.search(reply.text)


# --------------------------------------------------------------------------
# true under a near miss: no bare yes/no, silence said as such


def _every_reply():
    for topic in KB.faq:
        yield f"faq/{topic}", A.faq_answer(KB, topic)
        yield f"faq-more/{topic}", A.faq_more(KB, topic)
    for cred, attr in itertools.product(CREDS, ATTRIBUTES):
        yield f"{cred}/{attr}", A.attribute_answer(KB, attr, [cred])
    for attr in ATTRIBUTES:
        for kind in KINDS:
            yield f"{kind}/{attr}", A.attribute_answer(KB, attr, [], [kind])
        yield f"general/{attr}", A.attribute_answer(KB, attr)
    for cred in CREDS:
        yield f"overview/{cred}", A.overview(KB, cred)
        yield f"more/{cred}", A.overview_more(KB, cred)
        for kind in KINDS:
            yield f"kind/{cred}/{kind}", A.kind_answer(KB, cred, [kind])
    for topic in KB.topics:
        yield f"topic/{topic}", A.topic_answer(KB, topic)
        yield f"topic-kind/{topic}", A.topic_kind_answer(KB, topic)
        for attr in ATTRIBUTES:
            yield f"topic/{topic}/{attr}", A.topic_answer(KB, topic, attr)


EVERY_REPLY = list(_every_reply())


@pytest.mark.parametrize("name,reply", EVERY_REPLY, ids=[n for n, _ in EVERY_REPLY])
def test_no_reply_opens_with_a_bare_yes_or_no(name, reply):
    assert not BARE_YES_NO.search(reply.text), reply.text


@pytest.mark.parametrize("name,reply", EVERY_REPLY, ids=[n for n, _ in EVERY_REPLY])
def test_every_reply_names_its_source(name, reply):
    assert "Source: " in reply.text
    if "article" in reply.text.split("Source: ", 1)[1] or '"' in reply.text.split("Source: ", 1)[1]:
        assert f'"{TITLE}"' in reply.text or "Source: " + KB.sources["pmi"].title in reply.text, reply.text


@pytest.mark.parametrize("name,reply", EVERY_REPLY, ids=[n for n, _ in EVERY_REPLY])
def test_templates_read_as_sentences(name, reply):
    """No database-like fragments ("cost: …", "the who validates it of React")."""
    for label in (a.label for a in KB.attributes.values()):
        for named in list(KB.credentials.values()) + list(KB.topics.values()):
            assert f"the {label} of {named.name}" not in reply.text, reply.text
    assert not re.search(r"\b(\w+), (cost|duration|scope|issuer|format|expiry|stacking): ", reply.text), reply.text
    assert "  " not in reply.text.replace("\n", " ").strip()


@pytest.mark.parametrize("cred,attr", [(c, a) for c in CREDS for a in ATTRIBUTES
                                       if not KB.credentials[c].facts[a].specific])
def test_a_fact_the_article_lacks_is_said_to_be_missing(cred, attr):
    text = A.attribute_answer(KB, attr, [cred]).text
    assert text.startswith(A.SILENT_PREFIX), text
    assert "check with" in text.lower()


@pytest.mark.parametrize("topic", [t for t, f in KB.faq.items() if f.silent])
def test_silent_topics_say_the_article_is_silent(topic):
    assert "The article doesn't" in KB.faq[topic].short


def test_public_facts_show_their_date():
    text = A.attribute_answer(KB, "cost", ["pmp"]).text
    fact = KB.credentials["pmp"].facts["cost"]
    assert fact.as_of and f"as of {fact.as_of}" in text and KB.sources["pmi"].url in text


def test_the_article_is_cited_by_title_and_section():
    text = A.faq_answer(KB, "employers_care").text
    section = KB.sources["article"].sections["faq-employers"]
    assert f'Source: "{TITLE}", section "{section}".' in text


# --------------------------------------------------------------------------
# the kinds and subjects the article distinguishes


def test_the_pmp_is_a_certification_not_a_certificate_programme():
    text = A.kind_answer(KB, "pmp", ["certificate"]).text
    assert text.startswith("Project Management Professional (PMP) is a professional certification, not a certificate")
    assert "weeks to months" not in A.attribute_answer(KB, "duration", [], ["certification"]).text


def test_react_is_a_subject_not_a_credential():
    assert "react" not in KB.credentials and "react" in KB.topics
    text = A.topic_kind_answer(KB, "react").text
    assert text.startswith("React is not a credential itself.")
    expiry = A.topic_answer(KB, "react", "expiry").text
    assert "React" in expiry and "check with the provider" in expiry.lower()


def test_unknown_product_is_not_answered_as_the_articles_example():
    text = A.unknown_answer(KB, "Google Data Analytics Certificate", "expiry").text
    assert text.startswith('I have no facts on "Google Data Analytics Certificate"')
    assert "Certificate in Data Analytics" not in text
    assert "issuer" in text


def test_certificate_stacking_is_not_argued_from_silence():
    text = A.attribute_answer(KB, "stackable", [], ["certificate"]).text
    assert "the stacking is" not in text
    assert re.search(r"doesn't say|does not say", text), text


# --------------------------------------------------------------------------
# "tell me more" continues whatever the last answer was


def test_more_detail_follows_each_kind_of_answer():
    assert A.more_detail(KB, A.overview(KB, "pmp").more).text.count("• ") >= 3
    kinds = A.attribute_answer(KB, "cost", [], ["certificate", "micro_credential"])
    full = A.more_detail(KB, kinds.more).text
    assert all(sum(f"{a.label}: " in ln for a in KB.attributes.values()) == len(A.COMPARE_ROWS)
               for ln in full.splitlines() if ln.startswith("• ")), full
    assert A.more_detail(KB, None) is None
    assert A.more_detail(KB, "faq:no_such_topic") is None


def test_button_payloads_name_known_intents():
    for _, reply in EVERY_REPLY:
        for b in reply.buttons:
            intent = re.match(r"/(\w+)", b.payload).group(1)
            assert intent in v.INTENTS, b
