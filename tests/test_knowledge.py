"""The knowledge module: the real file loads; every kind of broken file is
refused with an error naming file, entry and field."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions.knowledge import ATTRIBUTES, DEFAULT_PATH, KnowledgeError, all_facts, load_knowledge, normalise
from tests.helpers import ROOT

RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))

# The credentials the article names (issue 2); each must be in the file.
ARTICLE_CREDENTIALS = [
    "PMP", "CPA", "Certificate in Data Analytics", "Graduate Certificate in Cybersecurity",
    "Python for Data Analysis", "Advanced Excel Functions", "Cloud Security Fundamentals",
    "Machine Learning Ethics", "Social Media Analytics", "SEO Best Practices", "Content Strategy",
    "Differentiated Instruction", "Integrating Technology in the Classroom",
    "Trauma-Informed Practices", "React", "Kubernetes",
]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_real_file_loads(kb):
    assert len(kb.credentials) >= len(ARTICLE_CREDENTIALS)
    assert set(kb.kinds) == {"micro_credential", "certificate"}
    assert set(kb.general) == set(ATTRIBUTES)


@pytest.mark.parametrize("name", ARTICLE_CREDENTIALS)
def test_every_article_credential_is_known(kb, name):
    hit = kb.exact_index.get(name) or kb.alias_index.get(normalise(name))
    assert hit and hit[0] == "credential", name


def test_every_fact_has_a_resolvable_source(kb):
    facts = all_facts(kb)
    assert len(facts) > 100
    for name, fact in facts:
        assert fact.source, name
        assert kb.describe_source(fact.source), name
        src = fact.source.split("#")[0]
        if src != "article":
            assert kb.sources[src].url, f"{name}: a public source needs a URL"


def test_article_sections_exist_in_the_article(kb):
    article = (ROOT.parent / "shared" / "source-article.txt")
    if not article.exists():
        pytest.skip("shared/source-article.txt is not beside the checkout")
    text = article.read_text(encoding="utf-8")
    for anchor, title in kb.sources["article"].sections.items():
        probe = title.replace("FAQ: ", "").replace(": comparison table", "")
        assert probe in text, (anchor, probe)


def test_table_rows_match_the_article(kb):
    """Spot-check that the comparison facts carry the article's figures."""
    g = kb.general
    assert "weeks to months" in g["duration"]["certificate"].text
    assert "hours to days" in g["duration"]["micro_credential"].text
    assert "hundreds to thousands" in g["cost"]["certificate"].text
    assert "2 to 3 years" in g["expiry"]["micro_credential"].text


def _write(tmp_path: Path, data) -> Path:
    p = tmp_path / "broken.yml"
    p.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data, encoding="utf-8")
    return p


def _broken(mutate):
    data = copy.deepcopy(RAW)
    mutate(data)
    return data


CASES = [
    ("missing fact", lambda d: d["credentials"]["pmp"]["facts"].pop("expiry"), "credentials.pmp", "facts.expiry",
     "is missing"),
    ("missing name", lambda d: d["credentials"]["cpa"].pop("name"), "credentials.cpa", "name", "is missing"),
    ("unknown kind", lambda d: d["credentials"]["react"].__setitem__("kind", "diploma"), "credentials.react", "kind",
     "unknown kind 'diploma'"),
    ("unknown field", lambda d: d["credentials"]["react"].__setitem__("fields", ["astrology"]), "credentials.react",
     "fields[0]", "unknown field"),
    ("duplicate alias", lambda d: d["credentials"]["kubernetes"]["aliases"].append("pmp"), "credentials.pmp", "aliases",
     "duplicate alias"),
    ("alias clashes with a kind", lambda d: d["credentials"]["cpa"]["aliases"].append("Micro Credential"),
     "credentials.cpa", "aliases", "duplicate alias"),
    ("unknown source", lambda d: d["credentials"]["pmp"]["facts"]["cost"].__setitem__("source", "wikipedia"),
     "credentials.pmp", "facts.cost.source", "unknown source"),
    ("unknown section", lambda d: d["faq"]["what_is"].__setitem__("source", "article#nowhere"), "faq.what_is", "source",
     "unknown section"),
    ("empty text", lambda d: d["faq"]["teachers"].__setitem__("text", "  "), "faq.teachers", "text", "non-empty text"),
    ("unknown follow-up", lambda d: d["faq"]["teachers"]["follow_ups"].append("ask_horoscope"), "faq.teachers",
     "follow_ups[3]", "unknown intent"),
    ("typo in a field name", lambda d: d["credentials"]["pmp"].__setitem__("alises", ["x"]), "credentials.pmp",
     "alises", "not a known field"),
    ("general rule missing a kind", lambda d: d["general"]["cost"].pop("certificate"), "general.cost", "certificate",
     "non-empty mapping"),
    ("case-sensitive alias not an alias", lambda d: d["fields"]["tech"].__setitem__("case_sensitive_aliases", ["ZZ"]),
     "fields.tech", "case_sensitive_aliases", "not one of the aliases"),
]


@pytest.mark.parametrize("label,mutate,entry,field,problem", CASES, ids=[c[0] for c in CASES])
def test_broken_file_names_file_entry_and_field(tmp_path, label, mutate, entry, field, problem):
    path = _write(tmp_path, _broken(mutate))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(path)
    e = err.value
    assert e.path == str(path)
    assert (e.entry, e.field) in {(entry, field), (entry.replace("pmp", "kubernetes"), field)}, str(e)
    assert problem in e.problem
    assert str(path) in str(e) and entry.split(".")[0] in str(e)


def test_missing_file(tmp_path):
    with pytest.raises(KnowledgeError, match="file not found") as err:
        load_knowledge(tmp_path / "nope.yml")
    assert "nope.yml" in str(err.value)


def test_invalid_yaml_reports_line(tmp_path):
    path = _write(tmp_path, "version: 1\ncredentials: [unclosed\n")
    with pytest.raises(KnowledgeError, match="invalid YAML at line"):
        load_knowledge(path)


def test_not_a_mapping(tmp_path):
    with pytest.raises(KnowledgeError, match="must be a mapping"):
        load_knowledge(_write(tmp_path, "- just\n- a list\n"))


def test_cli_exits_non_zero_and_names_the_entry(tmp_path):
    path = _write(tmp_path, _broken(lambda d: d["credentials"]["pmp"]["facts"].pop("cost")))
    proc = subprocess.run([sys.executable, "-m", "actions.knowledge", str(path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "credentials.pmp" in proc.stderr and "facts.cost" in proc.stderr and str(path) in proc.stderr


def test_action_server_refuses_to_start_on_a_broken_file(tmp_path):
    """Importing the actions (what `rasa run actions` does) fails on a broken file."""
    path = _write(tmp_path, _broken(lambda d: d["credentials"]["cpa"].__setitem__("kind", "degree")))
    proc = subprocess.run([sys.executable, "-c", "import actions.actions"], cwd=ROOT, capture_output=True,
                          text=True, env={"KNOWLEDGE_FILE": str(path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "credentials.cpa" in proc.stderr and "'kind'" in proc.stderr
