"""The project's spaCy pipeline (built from the knowledge file) and the
lookup helpers that resolve what it finds."""

from __future__ import annotations

import re
from typing import List, Set, Tuple

import pytest
import yaml

from actions.knowledge import load_knowledge
from actions.lookup import mentions_from_entities, resolve
from actions.patterns import build_pipeline, typo_variants
from actions.subject import subject_of
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def nlp(kb):
    return build_pipeline(kb)


def ents(nlp, text) -> List[Tuple[str, str, str]]:
    return [(e.text, e.label_, e.ent_id_) for e in nlp(text).ents]


def rasa_entities(nlp, text):
    """The entities as Rasa's SpacyEntityExtractor hands them to the actions."""
    return [{"entity": e.label_, "value": e.text, "start": e.start_char, "end": e.end_char} for e in nlp(text).ents]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Does the PMP expire?", [("PMP", "credential", "pmp")]),
        ("does the pmp expire", [("pmp", "credential", "pmp")]),
        ("tell me about Project Management Professional", [("Project Management Professional", "credential", "pmp")]),
        ("how long does python for data analysis take?",
         [("python for data analysis", "credential", "python_for_data_analysis")]),
        ("who issues Cloud Security Fundamentals",
         [("Cloud Security Fundamentals", "credential", "cloud_security_fundamentals")]),
        ("is the CPA a micro-credential?",
         [("CPA", "credential", "cpa"), ("micro-credential", "kind", "micro_credential")]),
        ("do microcredentials expire", [("microcredentials", "kind", "micro_credential")]),
        ("any micro creds for marketing",
         [("micro creds", "kind", "micro_credential"), ("marketing", "field", "marketing")]),
        ("pyhton for data analysis", [("pyhton for data analysis", "credential", "python_for_data_analysis")]),
        ("Graduate Certificate in Cybersecurity",
         [("Graduate Certificate in Cybersecurity", "credential", "cybersecurity_graduate_certificate")]),
        ("Cloud Security Fundamentals vs a certificate",
         [("Cloud Security Fundamentals", "credential", "cloud_security_fundamentals"),
          ("certificate", "kind", "certificate")]),
        ("jobs in IT", [("IT", "field", "tech")]),
        ("is it worth it", []),
        # three kinds: a certificate programme is not a certification
        ("certificate or certification?",
         [("certificate", "kind", "certificate"), ("certification", "kind", "certification")]),
        # React and Kubernetes are subjects the article names, not credentials (typos too)
        ("what about React", [("React", "topic", "react")]),
        ("does kubernets expire", [("kubernets", "topic", "kubernetes")]),
        ("does kubernetis expire", [("kubernetis", "topic", "kubernetes")]),
        ("a micro-credential in agile methods",
         [("micro-credential", "kind", "micro_credential"), ("agile methods", "topic", "agile_methods")]),
        # products the article doesn't cover (knowledge `unknown_names`)
        ("does the Google Data Analytics Certificate expire?",
         [("Google", "product", "google"), ("Data Analytics", "field", "data"),
          ("Certificate", "kind", "certificate")]),
        ("Do LinkedIn Learning badges count?",
         [("LinkedIn Learning", "product", "linkedin learning"), ("badges", "kind", "micro_credential")]),
        # regulated fields
        ("I want to become a nurse", [("nurse", "field", "healthcare")]),
        ("could I be a lawyer", [("lawyer", "field", "law")]),
    ],
)
def test_entity_ruler(nlp, text, expected):
    assert ents(nlp, text) == expected


@pytest.mark.parametrize("text", [
    "who issues cloud security",  # not "Cloud Security Fundamentals": vendors sell cloud security credentials too
    "is the data analytics certificate worth it",
    "can i combine my excel and python basics badges",
    "how much is python",
])
def test_generic_names_are_not_the_articles_credentials(nlp, text):
    assert [e for e in ents(nlp, text) if e[1] == "credential"] == []


def test_react_the_verb_is_not_the_framework(kb, nlp):
    """The ruler matches lower-case "react"; what a question is about drops it after a verb-like word."""
    text = "how do employers react to this"
    assert subject_of(kb, text, rasa_entities(nlp, text), None).topics == ()
    text = "is a react micro-credential worth it"
    assert subject_of(kb, text, rasa_entities(nlp, text), None).topics == ("react",)


def test_typo_variants_cover_drop_double_swap():
    v = typo_variants("expire")
    assert {"expire", "expre", "expiire", "exipre"} <= v
    assert typo_variants("data") == {"data"}  # short words are matched exactly


def test_resolve(kb):
    assert resolve(kb, "credential", "pmp") == "pmp"
    assert resolve(kb, "credential", "the PMP") == "pmp"
    assert resolve(kb, "credential", "Project-Management Professional") == "pmp"
    assert resolve(kb, "credential", "Advanced Excel Formulas") == "advanced_excel_functions"
    assert resolve(kb, "topic", "Kubernetis") == "kubernetes"
    assert resolve(kb, "credential", "Kubernetes") is None  # a subject, not a credential
    assert resolve(kb, None, "React") == "react" and "react" in kb.topics
    assert resolve(kb, "credential", "AWS Solutions Architect") is None
    assert resolve(kb, None, "Google") is None  # an unknown name resolves to nothing
    assert resolve(kb, "field", "it") is None  # the pronoun is not the field IT
    assert resolve(kb, "field", "IT") == "tech"
    assert resolve(kb, "field", "nurse") == "healthcare"
    assert resolve(kb, "credential", "python_for_data_analysis") == "python_for_data_analysis"
    assert resolve(kb, "kind", "micro_credential") == "micro_credential"
    assert resolve(kb, "kind", "certification") == "certification"
    assert resolve(kb, "kind", "pmp") is None
    assert resolve(kb, "credential", "") is None
    assert resolve(kb, "credential", None) is None


def test_mentions_group_and_deduplicate(kb):
    m = mentions_from_entities(kb, [
        {"entity": "credential", "value": "PMP", "start": 0},
        {"entity": "credential", "value": "pmp", "start": 10},
        {"entity": "kind", "value": "badges", "start": 20},
        {"entity": "credential", "value": "Nonexistent Cert", "start": 30},
        {"entity": "topic", "value": "ReactJS", "start": 40},
        {"entity": "credential", "value": "React", "start": 50},  # filed under its own label
        {"entity": "product", "value": "Google", "start": 60},  # not a knowledge entity
        {"entity": "other", "value": "x"},
        "not a dict",
    ])
    assert m.credentials == ("pmp",) and m.kinds == ("micro_credential",)
    assert m.topics == ("react",)
    assert m.unknown == ("Nonexistent Cert",)


@pytest.fixture(scope="module")
def finder(kb):
    from actions.actions import FINDER
    return FINDER


@pytest.mark.parametrize(
    "text,expected",
    [
        ("how long does the Zorblax Pro take?", "Zorblax Pro"),
        ("how much is CompTIA A+", "CompTIA A+"),
        ("does it expire?", None),
        ("and how much is it?", None),
        ("does it expier", None),
        ("how long does that one take", None),
        ("do micro-credentials expire", None),
    ],
)
def test_unknown_finder(finder, text, expected):
    assert finder.find(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("does the AWS Solutions Architect expire?", "AWS Solutions Architect"),
        ("does the Google Data Analytics Certificate expire?", "Google Data Analytics Certificate"),
        ("Do LinkedIn Learning badges count when we hire?", "LinkedIn Learning badges"),
    ],
)
def test_a_listed_product_is_named_in_full(kb, nlp, finder, text, expected):
    """A name from `unknown_names` (entity `product`) is reported whole, never as the article's example."""
    subject = subject_of(kb, text, rasa_entities(nlp, text), "Project Management Professional (PMP)", finder)
    assert subject.unknown == expected and subject.surely_unknown
    assert subject.credentials == ()


# ---------------------------------------------------------------------------
# the held-out file's entity annotations, found by the pipeline

_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def _gold(label: str) -> List[Tuple[str, Set[Tuple[int, int]]]]:
    """(plain text, spans annotated with `label`) for every held-out example."""
    data = yaml.safe_load((ROOT / "tests" / "nlu_heldout.yml").read_text(encoding="utf-8"))
    out = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            raw = line.strip()[2:] if line.strip().startswith("- ") else None
            if raw is None:
                continue
            plain, spans, pos = "", set(), 0
            for m in _ANNOTATION.finditer(raw):
                plain += raw[pos:m.start()]
                if m.group(2) == label:
                    spans.add((len(plain), len(plain) + len(m.group(1))))
                plain += m.group(1)
                pos = m.end()
            out.append((plain + raw[pos:], spans))
    return out


def test_heldout_entity_f1(nlp):
    from evaluation.entities import entity_scores

    scores = entity_scores(nlp, ROOT / "tests" / "nlu_heldout.yml")
    print(scores)
    assert scores["credential"]["support"] >= 50
    assert scores["credential"]["f1"] >= 0.95, scores["credential"]
    assert scores["kind"]["f1"] >= 0.95, scores["kind"]
    assert scores["field"]["f1"] >= 0.85, scores["field"]


def test_heldout_topics_are_found_as_topics(nlp):
    """The subjects the article names (React, Kubernetes, agile ...) as annotated in the held-out file."""
    tp = fp = fn = 0
    for text, gold in _gold("topic"):
        found = {(e.start_char, e.end_char) for e in nlp(text).ents if e.label_ == "topic"}
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    assert tp + fn >= 10
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.95, (tp, fp, fn)
