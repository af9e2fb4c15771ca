"""The project's spaCy pipeline (built from the knowledge file) and the
lookup helpers that resolve what it finds."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from actions.knowledge import load_knowledge
from actions.lookup import mentions_from_entities, resolve
from actions.patterns import build_pipeline, typo_variants
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def nlp(kb):
    return build_pipeline(kb)


def ents(nlp, text) -> List[Tuple[str, str, str]]:
    return [(e.text, e.label_, e.ent_id_) for e in nlp(text).ents]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Does the PMP expire?", [("PMP", "credential", "pmp")]),
        ("does the pmp expire", [("pmp", "credential", "pmp")]),
        ("tell me about Project Management Professional", [("Project Management Professional", "credential", "pmp")]),
        ("how long does python for data analysis take?",
         [("python for data analysis", "credential", "python_for_data_analysis")]),
        ("who issues cloud security", [("cloud security", "credential", "cloud_security_fundamentals")]),
        ("is the CPA a micro-credential?",
         [("CPA", "credential", "cpa"), ("micro-credential", "kind", "micro_credential")]),
        ("do microcredentials expire", [("microcredentials", "kind", "micro_credential")]),
        ("any micro creds for marketing",
         [("micro creds", "kind", "micro_credential"), ("marketing", "field", "marketing")]),
        ("does kubernets expire", [("kubernets", "credential", "kubernetes")]),
        ("does kubernetis expire", [("kubernetis", "credential", "kubernetes")]),
        ("pyhton for data analysis", [("pyhton for data analysis", "credential", "python_for_data_analysis")]),
        ("Graduate Certificate in Cybersecurity",
         [("Graduate Certificate in Cybersecurity", "credential", "cybersecurity_graduate_certificate")]),
        ("Cloud Security Fundamentals vs a certificate",
         [("Cloud Security Fundamentals", "credential", "cloud_security_fundamentals"),
          ("certificate", "kind", "certificate")]),
        ("jobs in IT", [("IT", "field", "tech")]),
        ("is it worth it", []),
        ("how do employers react to this", []),
        ("what about React", [("React", "credential", "react")]),
    ],
)
def test_entity_ruler(nlp, text, expected):
    assert ents(nlp, text) == expected


def test_typo_variants_cover_drop_double_swap():
    v = typo_variants("expire")
    assert {"expire", "expre", "expiire", "exipre"} <= v
    assert typo_variants("data") == {"data"}  # short words are matched exactly


def test_resolve(kb):
    assert resolve(kb, "credential", "pmp") == "pmp"
    assert resolve(kb, "credential", "the PMP") == "pmp"
    assert resolve(kb, "credential", "Project-Management Professional") == "pmp"
    assert resolve(kb, "credential", "Kubernetis") == "kubernetes"
    assert resolve(kb, "credential", "AWS Solutions Architect") is None
    assert resolve(kb, "field", "it") is None  # the pronoun is not the field IT
    assert resolve(kb, "field", "IT") == "tech"
    assert resolve(kb, "credential", "python_for_data_analysis") == "python_for_data_analysis"
    assert resolve(kb, "kind", "micro_credential") == "micro_credential"
    assert resolve(kb, "kind", "pmp") is None
    assert resolve(kb, "credential", "") is None
    assert resolve(kb, "credential", None) is None


def test_mentions_group_and_deduplicate(kb):
    m = mentions_from_entities(kb, [
        {"entity": "credential", "value": "PMP", "start": 0},
        {"entity": "credential", "value": "pmp", "start": 10},
        {"entity": "kind", "value": "badges", "start": 20},
        {"entity": "credential", "value": "Nonexistent Cert", "start": 30},
        {"entity": "other", "value": "x"},
        "not a dict",
    ])
    assert m.credentials == ("pmp",) and m.kinds == ("micro_credential",)
    assert m.unknown == ("Nonexistent Cert",)


@pytest.fixture(scope="module")
def finder(kb):
    from actions.actions import FINDER
    return FINDER


@pytest.mark.parametrize(
    "text,expected",
    [
        ("does the AWS Solutions Architect expire?", "AWS Solutions Architect"),
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


# ---------------------------------------------------------------------------
# the held-out file's entity annotations, found by the pipeline


def test_heldout_entity_f1(nlp):
    from evaluation.entities import entity_scores

    scores = entity_scores(nlp, ROOT / "tests" / "nlu_heldout.yml")
    print(scores)
    assert scores["credential"]["support"] >= 50
    assert scores["credential"]["f1"] >= 0.95, scores["credential"]
    assert scores["kind"]["f1"] >= 0.95, scores["kind"]
    assert scores["field"]["f1"] >= 0.85, scores["field"]
