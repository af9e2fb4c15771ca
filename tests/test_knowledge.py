"""The knowledge module: the real file (version 2) loads; every kind of broken
file is refused with an error naming file, entry and field."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions.knowledge import (
    ATTRIBUTES,
    DEFAULT_PATH,
    FAQ_MORE_MAX,
    FAQ_SHORT_MAX,
    KINDS,
    VERSION,
    KnowledgeError,
    all_facts,
    load_knowledge,
    normalise,
)
from actions.vocabulary import FAQ_TOPICS
from tests.helpers import ROOT

RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))

# The credentials the article names; each must be in the file as a credential.
ARTICLE_CREDENTIALS = [
    "PMP", "CPA", "Certificate in Data Analytics", "Graduate Certificate in Cybersecurity",
    "Python for Data Analysis", "Advanced Excel Functions", "Advanced Excel Formulas", "Introduction to Python",
    "Cloud Security Fundamentals", "Machine Learning Ethics", "Social Media Analytics", "SEO Best Practices",
    "Content Strategy", "Differentiated Instruction", "Integrating Technology in the Classroom",
    "Trauma-Informed Practices",
]
# Subjects the article names as things micro-credentials are earned in: topics, never credentials.
ARTICLE_TOPICS = [
    "React", "Kubernetes", "agile methodologies", "stakeholder communication", "risk assessment",
    "blended learning", "social-emotional learning", "digital tools", "cybersecurity protocol",
]
# The kind each of the article's examples is (certificate = certificate programme,
# certification = PMP/CPA).
KIND_OF = {"pmp": "certification", "cpa": "certification", "data_analytics_certificate": "certificate",
           "cybersecurity_graduate_certificate": "certificate", "python_for_data_analysis": "micro_credential",
           "cloud_security_fundamentals": "micro_credential"}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def _hit(kb, name):
    return kb.exact_index.get(name) or kb.alias_index.get(normalise(name))


def test_real_file_loads(kb):
    assert RAW["version"] == VERSION == 2
    assert len(kb.credentials) >= len(ARTICLE_CREDENTIALS) - 1  # two names of one credential (Excel)
    assert set(kb.kinds) == set(KINDS) == {"micro_credential", "certificate", "certification"}
    assert set(kb.general) == set(ATTRIBUTES)
    assert all(set(per_kind) == set(KINDS) for per_kind in kb.general.values())
    assert list(kb.faq) == list(FAQ_TOPICS)  # one entry per FAQ intent, same order
    assert kb.topics and kb.passages and kb.unknown_names


@pytest.mark.parametrize("name", ARTICLE_CREDENTIALS)
def test_every_article_credential_is_known(kb, name):
    hit = _hit(kb, name)
    assert hit and hit[0] == "credential", name


@pytest.mark.parametrize("name", ARTICLE_TOPICS)
def test_article_subjects_are_topics_not_credentials(kb, name):
    hit = _hit(kb, name)
    assert hit and hit[0] == "topic", (name, hit)
    assert hit[1] not in kb.credentials


@pytest.mark.parametrize("cid,kind", sorted(KIND_OF.items()))
def test_the_three_kinds_are_told_apart(kb, cid, kind):
    assert kb.credentials[cid].kind == kind


@pytest.mark.parametrize("name", ["Google", "AWS", "Coursera", "LinkedIn Learning", "CompTIA", "Scrum Master"])
def test_unknown_names_are_listed_and_mean_nothing_known(kb, name):
    assert name in kb.unknown_names
    assert _hit(kb, name) is None


def test_every_fact_has_a_resolvable_source(kb):
    facts = all_facts(kb)
    assert len(facts) > 100
    for name, fact in facts:
        assert fact.source, name
        assert kb.describe_source(fact.source), name
        src = fact.source.split("#")[0]
        if src != "article":
            assert kb.sources[src].url, f"{name}: a public source needs a URL"
            assert fact.as_of, f"{name}: a public fact needs the date it holds for (as_of)"


def test_regulated_fields_say_how_one_enters_them(kb):
    regulated = {fid for fid, f in kb.fields.items() if f.regulated}
    assert {"healthcare", "engineering", "accounting", "law", "teaching"} <= regulated
    for fid in regulated:
        entry = kb.fields[fid].entry
        assert entry is not None and entry.text and entry.source, fid


def test_faq_answers_are_short_first(kb):
    for tid, topic in kb.faq.items():
        assert len(topic.short) <= FAQ_SHORT_MAX, tid
        assert len(topic.more) <= FAQ_MORE_MAX, tid
        assert topic.more and topic.more not in topic.short, tid


def test_no_text_opens_with_a_bare_yes_or_no(kb):
    texts = [(name, f.text) for name, f in all_facts(kb)] + [(f"faq.{t}.short", f.short) for t, f in kb.faq.items()]
    for name, text in texts:
        first = text.split()[0].strip(",.!;:").lower()
        assert first not in ("yes", "no"), (name, text)


def test_article_sections_exist_in_the_article(kb):
    article = (ROOT.parent / "shared" / "source-article.txt")
    if not article.exists():
        pytest.skip("shared/source-article.txt is not beside the checkout")
    text = article.read_text(encoding="utf-8")
    for anchor, title in kb.sources["article"].sections.items():
        if anchor == "intro":  # the opening paragraph sits under the article's own title
            assert kb.sources["article"].title.split(":")[0] in text
            continue
        probe = title.replace("FAQ: ", "").replace(": comparison table", "")
        assert probe in text, (anchor, probe)


def test_passages_cover_every_section_of_the_article(kb):
    assert {p.section for p in kb.passages} == set(kb.sources["article"].sections)


def test_table_rows_match_the_article(kb):
    """Spot-check that the comparison facts carry the article's figures."""
    g = kb.general
    assert "weeks to months" in g["duration"]["certificate"].text
    assert "hours to days" in g["duration"]["micro_credential"].text
    assert "hundreds to thousands" in g["cost"]["certificate"].text
    assert "2 to 3 years" in g["expiry"]["micro_credential"].text
    # the article gives no figures for certifications: the rule says so instead of borrowing the table's
    assert g["duration"]["certification"].text.startswith("The article doesn't")
    assert g["cost"]["certification"].text.startswith("The article doesn't")


def _write(tmp_path: Path, data) -> Path:
    p = tmp_path / "broken.yml"
    p.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data, encoding="utf-8")
    return p


def _broken(mutate):
    data = copy.deepcopy(RAW)
    mutate(data)
    return data


def _set(*path_and_value):
    """A mutation that sets data[a][b]...[z] = value."""
    *path, key, value = path_and_value

    def mutate(d):
        for p in path:
            d = d[p]
        d[key] = value
    return mutate


def _pop(*path):
    def mutate(d):
        for p in path[:-1]:
            d = d[p]
        d.pop(path[-1])
    return mutate


N_UNKNOWN = len(RAW["unknown_names"])

CASES = [
    ("missing fact", _pop("credentials", "pmp", "facts", "expiry"), "credentials.pmp", "facts.expiry", "is missing"),
    ("missing name", _pop("credentials", "cpa", "name"), "credentials.cpa", "name", "is missing"),
    ("unknown kind", _set("credentials", "introduction_to_python", "kind", "diploma"),
     "credentials.introduction_to_python", "kind", "unknown kind 'diploma'"),
    ("unknown field", _set("credentials", "introduction_to_python", "fields", ["astrology"]),
     "credentials.introduction_to_python", "fields[0]", "unknown field"),
    ("duplicate alias", lambda d: d["credentials"]["content_strategy"]["aliases"].append("pmp"),
     "credentials.content_strategy", "aliases", "duplicate alias"),
    ("alias clashes with a kind", lambda d: d["credentials"]["cpa"]["aliases"].append("Micro Credential"),
     "credentials.cpa", "aliases", "duplicate alias"),
    ("topic alias clashes with a credential", lambda d: d["topics"]["react"]["aliases"].append("PMP"),
     "topics.react", "aliases", "duplicate alias"),
    ("topic with an unknown field", _set("topics", "kubernetes", "fields", ["astrology"]),
     "topics.kubernetes", "fields[0]", "unknown field"),
    ("unknown source", _set("credentials", "pmp", "facts", "cost", "source", "wikipedia"),
     "credentials.pmp", "facts.cost.source", "unknown source"),
    ("unknown section", _set("faq", "what_is", "source", "article#nowhere"), "faq.what_is", "source",
     "unknown section"),
    ("public fact without as_of", _pop("credentials", "pmp", "facts", "cost", "as_of"), "credentials.pmp",
     "facts.cost.as_of", "is missing"),
    ("as_of that is not a date", _set("credentials", "cpa", "facts", "issuer", "as_of", "recently"),
     "credentials.cpa", "facts.issuer.as_of", "is not a date"),
    ("regulated field without entry", _pop("fields", "healthcare", "entry"), "fields.healthcare", "entry",
     "is missing"),
    ("FAQ short over 300 characters", _set("faq", "employers_care", "short", "Employers care. " * 20),
     "faq.employers_care", "short", f"at most {FAQ_SHORT_MAX}"),
    ("FAQ more over 700 characters", _set("faq", "trends", "more", "More on trends. " * 50),
     "faq.trends", "more", f"at most {FAQ_MORE_MAX}"),
    ("empty short", _set("faq", "teachers", "short", "  "), "faq.teachers", "short", "non-empty text"),
    ("FAQ still in version 1 form (text)", _set("faq", "teachers", "text", "An answer."), "faq.teachers", "text",
     "not a known field"),
    ("unknown follow-up", lambda d: d["faq"]["teachers"]["follow_ups"].append("ask_horoscope"), "faq.teachers",
     "follow_ups[3]", "unknown intent"),
    ("unknown name that is a known alias", lambda d: d["unknown_names"].append("PMP"), "unknown_names",
     f"unknown_names[{N_UNKNOWN}]", "is a name the file knows"),
    ("unknown name that is a case-sensitive alias", lambda d: d["unknown_names"].append("IT"), "unknown_names",
     f"unknown_names[{N_UNKNOWN}]", "is a name the file knows"),
    ("passage with an unknown section", _set("passages", 0, "section", "nowhere"), "passages[0]", "section",
     "unknown section 'nowhere'"),
    ("cell too long", _set("credentials", "pmp", "facts", "cost", "cell", "x" * 100), "credentials.pmp",
     "facts.cost.cell", "at most 90"),
    ("missing kind", _pop("kinds", "certification"), "kinds.certification", "(entry)", "is missing"),
    ("version 1", _set("version", 1), "(top level)", "version", "must be 2"),
    ("typo in a field name", _set("credentials", "pmp", "alises", ["x"]), "credentials.pmp", "alises",
     "not a known field"),
    ("general rule missing a kind", _pop("general", "cost", "certificate"), "general.cost", "certificate",
     "non-empty mapping"),
    ("case-sensitive alias not an alias", _set("fields", "tech", "case_sensitive_aliases", ["ZZ"]),
     "fields.tech", "case_sensitive_aliases", "not one of the aliases"),
]


@pytest.mark.parametrize("label,mutate,entry,field,problem", CASES, ids=[c[0] for c in CASES])
def test_broken_file_names_file_entry_and_field(tmp_path, label, mutate, entry, field, problem):
    path = _write(tmp_path, _broken(mutate))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(path)
    e = err.value
    assert e.path == str(path)
    assert (e.entry, e.field) == (entry, field), str(e)
    assert problem in e.problem, str(e)
    assert str(path) in str(e) and entry.split(".")[0] in str(e)


def test_missing_file(tmp_path):
    with pytest.raises(KnowledgeError, match="file not found") as err:
        load_knowledge(tmp_path / "nope.yml")
    assert "nope.yml" in str(err.value)


def test_invalid_yaml_reports_line(tmp_path):
    path = _write(tmp_path, "version: 2\ncredentials: [unclosed\n")
    with pytest.raises(KnowledgeError, match="invalid YAML at line"):
        load_knowledge(path)


def test_not_a_mapping(tmp_path):
    with pytest.raises(KnowledgeError, match="must be a mapping"):
        load_knowledge(_write(tmp_path, "- just\n- a list\n"))


def test_cli_exits_non_zero_and_names_the_entry(tmp_path):
    path = _write(tmp_path, _broken(_pop("credentials", "pmp", "facts", "cost")))
    proc = subprocess.run([sys.executable, "-m", "actions.knowledge", str(path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "credentials.pmp" in proc.stderr and "facts.cost" in proc.stderr and str(path) in proc.stderr


def test_cli_summarises_the_real_file():
    proc = subprocess.run([sys.executable, "-m", "actions.knowledge"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert ": OK (" in proc.stdout and "subjects" in proc.stdout and "passages" in proc.stdout


def test_action_server_refuses_to_start_on_a_broken_file(tmp_path):
    """Importing the actions (what `rasa run actions` does) fails on a broken file."""
    path = _write(tmp_path, _broken(_set("credentials", "cpa", "kind", "degree")))
    proc = subprocess.run([sys.executable, "-c", "import actions.actions"], cwd=ROOT, capture_output=True,
                          text=True, env={"KNOWLEDGE_FILE": str(path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "credentials.cpa" in proc.stderr and "'kind'" in proc.stderr
