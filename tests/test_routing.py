"""A correct, classified answer is never replaced by another (actions/routing.py),
proved on the held-out set with the trained model; and the cases where it is
replaced on purpose."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest

from actions.knowledge import load_knowledge
from actions.routing import ATTRIBUTE_ALONE_MIN, FAQ_SURE, Route, reroute
from actions.subject import Subject, subject_of
from evaluation.nludata import read_examples

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
KB = load_knowledge()


@pytest.fixture(scope="module")
def heldout_parses() -> List[Dict[str, Any]]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests through `make test`, which trains it")
    from rasa.core.agent import Agent

    async def parse_all(texts):
        agent = Agent.load(str(MODEL))
        return [await agent.parse_message(t) for t in texts]

    held = read_examples([ROOT / "tests" / "nlu_heldout.yml"])
    return list(zip(held, asyncio.run(parse_all([t for t, _ in held]))))


def test_no_confident_correct_held_out_answer_is_replaced(heldout_parses):
    """A held-out message classified right with confidence (ATTRIBUTE_ALONE_MIN or more:
    an unsure attribute question about nothing goes to the fallback on purpose, e.g.
    "how do I renew my nursing licence?") keeps its answer."""
    right, replaced = 0, []
    for (text, gold), parse in heldout_parses:
        intent = parse["intent"]["name"]
        if intent != gold or intent in ("nlu_fallback", "out_of_scope"):
            continue
        if float(parse["intent"]["confidence"]) < ATTRIBUTE_ALONE_MIN:
            continue
        right += 1
        subject = subject_of(KB, text, parse.get("entities") or [], None)
        route = reroute(KB, intent, float(parse["intent"]["confidence"]), text, subject)
        if route is not None:
            replaced.append((text, intent, round(parse["intent"]["confidence"], 2), route))
    assert right > 300
    assert not replaced, replaced


def test_reroutes_on_purpose():
    cpa = Subject(credentials=("cpa",))
    assert reroute(KB, "faq_hiring", FAQ_SURE - 0.3, "Who licenses CPAs?", cpa) == Route("attributes", ("issuer",))
    assert reroute(KB, "faq_hiring", FAQ_SURE + 0.05, "Who licenses CPAs?", cpa) is None  # sure: the FAQ
    concept = Subject(topics=("just_in_time_learning",))
    assert reroute(KB, "faq_what_is", 0.95, "what is just-in-time learning?", concept) == Route(
        "concept", topic="just_in_time_learning")
    remembered = Subject(topics=("just_in_time_learning",), from_context=True)
    assert reroute(KB, "faq_what_is", 0.95, "what is it?", remembered) is None
    assert reroute(KB, "ask_format", ATTRIBUTE_ALONE_MIN - 0.1, "grade my essays", Subject()) == Route("fallback")
    assert reroute(KB, "ask_format", ATTRIBUTE_ALONE_MIN + 0.1, "how are they assessed?", Subject()) is None
    kind = Subject(kinds=("micro_credential",))
    assert reroute(KB, "ask_format", 0.3, "how are micro-credentials assessed?", kind) is None


def test_the_fallback_threshold_is_the_configs():
    import yaml

    from actions.routing import FALLBACK_THRESHOLD

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert fallback["threshold"] == FALLBACK_THRESHOLD


def test_two_equally_likely_answers_answer_the_first():
    from actions.routing import FALLBACK_THRESHOLD as T
    from actions.routing import ambiguous_but_answerable

    answerable = {"faq_replace_degrees", "faq_higher_education"}
    assert ambiguous_but_answerable([("faq_replace_degrees", 0.51), ("faq_higher_education", 0.46)],
                                    answerable) == "faq_replace_degrees"
    assert ambiguous_but_answerable([("faq_replace_degrees", T + 0.02), ("faq_higher_education", T)],
                                    answerable) == "faq_replace_degrees"  # both at the threshold or above
    assert ambiguous_but_answerable([("faq_replace_degrees", T - 0.02), ("faq_higher_education", T - 0.05)],
                                    answerable) is None  # not sure at all: ask
    assert ambiguous_but_answerable([("greet", 0.5), ("faq_higher_education", 0.45)], answerable) is None


def test_product_mention_ends_on_entities_that_do_not_move_forward():
    """An entity that ends where the name already ends (or before it starts, as a
    malformed one from a client can) must not keep the rightward scan in place
    (it once looped for ever); run in a thread so that a regression fails, not hangs."""
    import threading

    from actions.subject import product_mention

    text = "is the Google Data Analytics Certificate any good"
    product = {"entity": "product", "start": 7, "end": 13}
    stuck = {"entity": "kind", "start": 13, "end": 13}
    backwards = {"entity": "field", "start": 14, "end": 3}
    found = []
    worker = threading.Thread(target=lambda: found.append(product_mention(text, [product, stuck, backwards])),
                              daemon=True)
    worker.start()
    worker.join(10)
    assert found == ["Google Data Analytics Certificate"], "product_mention did not return within 10 s"


def test_a_choice_a_field_question_and_a_named_credential_reach_the_answer_that_fits():
    two_kinds = Subject(kinds=("certificate", "micro_credential"))
    choice = "For broad foundations, is a certificate programme or a micro-credential the better fit?"
    assert reroute(KB, "ask_scope", 0.65, choice, two_kinds) == Route("intent", intent="faq_which_to_choose")
    assert reroute(KB, "ask_scope", FAQ_SURE + 0.05, choice, two_kinds) is None  # sure: its own answer
    assert reroute(KB, "faq_which_to_choose", 0.5, choice, two_kinds) is None
    # an attribute asked in words stays that attribute ("which is better value: cost?")
    assert reroute(KB, "ask_cost", 0.5, "which costs less, a certificate or a micro-credential, and which is better?",
                   two_kinds) is None
    tech = Subject(kinds=("micro_credential",), fields=("tech",))
    only = "Are micro-credentials only for tech people?"
    assert reroute(KB, "faq_trends", 0.36, only, tech) == Route("intent", intent="faq_fields")
    assert reroute(KB, "faq_trends", 0.36, "how is tech hiring changing with micro-credentials?", tech) is None
    assert reroute(KB, "faq_fields", 0.36, only, tech) is None
    named = Subject(credentials=("cybersecurity_graduate_certificate",), kinds=("micro_credential",))
    ask = "What's a Graduate Certificate in Cybersecurity, is it a micro-credential?"
    assert reroute(KB, "faq_what_is", 0.42, ask, named) == Route("intent", intent="ask_kind")
    alone = Subject(credentials=("cybersecurity_graduate_certificate",))
    assert reroute(KB, "faq_what_is", 0.42, "what is the Graduate Certificate in Cybersecurity?",
                   alone) == Route("intent", intent="ask_overview")
    remembered = Subject(credentials=("cybersecurity_graduate_certificate",), from_context=True)
    assert reroute(KB, "faq_what_is", 0.42, "what is a micro-credential?", remembered) is None
