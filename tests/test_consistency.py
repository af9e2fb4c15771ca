"""Every fact is where it says it is: each number, duration, price, issuer and
named credential that a fact states appears in the article section it cites
(read from ../shared/source-article.txt here), or the fact cites a public
source with a URL and an "as of" date."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from actions.knowledge import Fact, all_facts, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT.parent / "shared" / "source-article.txt"
KB = load_knowledge()

NUMBER_WORDS = ("two", "three", "four", "five", "six", "ten", "hundred", "hundreds", "thousand", "thousands")
UNITS = ("hour", "day", "week", "month", "year")
ORGANISATIONS = ("NEA", "National Education Association", "PMI", "Project Management Institute", "AICPA",
                 "NASBA", "state board", "medical degree", "engineering degree", "licensure")


def _norm(text: str) -> str:
    text = text.lower().replace("‑", "-").replace("–", "-").replace("—", "-")
    return re.sub(r"micro[- ]?credential", "microcredential", text)


def article_sections() -> Dict[str, str]:
    """The article's text per section anchor of the knowledge file."""
    lines = ARTICLE.read_text(encoding="utf-8").splitlines()
    titles = KB.sources["article"].sections
    starts: List[Tuple[int, str]] = []
    for anchor, title in titles.items():
        if anchor in ("intro", "table"):
            continue
        probe = title.replace("FAQ: ", "").rstrip(".")
        hit = next((i for i, ln in enumerate(lines) if ln.strip().rstrip(".").startswith(probe)), None)
        assert hit is not None, f"section '{anchor}' heading not found in the article: {title!r}"
        starts.append((hit, anchor))
    starts.sort()
    out: Dict[str, str] = {}
    for n, (i, anchor) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        out[anchor] = "\n".join(lines[i:end])
    out["intro"] = "\n".join(lines[: starts[0][0]])
    out["table"] = "\n".join(ln for ln in lines if ln.startswith("|"))
    return out


# sentences that say what the article lacks, or whom to ask, claim nothing of it
_REFERRAL = re.compile(r"^(the article doesn.t|(so )?check|ask|confirm)", re.IGNORECASE)


def claims(text: str) -> List[str]:
    """What a fact states that a reader would check: numbers, units of time,
    organisations and named credentials or subjects."""
    text = " ".join(s for s in re.split(r"(?<=[.;])\s+", text) if not _REFERRAL.match(s.strip()))
    text = re.sub(r"[,;]?\s*\b(so )?(check|ask|confirm)\b[^.;]*", "", text, flags=re.IGNORECASE)
    found: List[str] = re.findall(r"\d+(?:[.,]\d+)?", text)
    low = _norm(text)
    found += [w for w in NUMBER_WORDS if re.search(rf"\b{w}\b", low)]
    found += [u for u in UNITS if re.search(rf"\b{u}s?\b", low)]
    found += [o for o in ORGANISATIONS if re.search(rf"\b{re.escape(o.lower())}\b", low)]
    named_things = [(c, (c.name,) + tuple(c.aliases)) for c in KB.credentials.values()]
    named_things += [(t, (t.name,)) for t in KB.topics.values()]
    for named, names in named_things:
        for name in names:
            if len(name) >= 3 and re.search(rf"(?<!\w){re.escape(_norm(name))}(?!\w)", low):
                found.append(f"name:{named.id}")
                break
    return found


def _present(claim: str, section: str) -> bool:
    sec = _norm(section)
    if claim.startswith("name:"):
        oid = claim[5:]
        named = KB.credentials.get(oid) or KB.topics[oid]
        return any(_norm(n) in sec for n in (named.name,) + tuple(named.aliases))
    if claim in UNITS:
        return re.search(rf"\b{claim}s?\b", sec) is not None
    return re.search(rf"(?<![\w]){re.escape(_norm(claim))}(?![\d])", sec) is not None


def _article_facts() -> List[Tuple[str, str, Tuple[str, ...]]]:
    """(name, text, cited sections): a FAQ answer citing several sections is
    checked against all of them together."""
    out: Dict[str, Tuple[str, List[str]]] = {}
    for name, f in all_facts(KB):
        if f.source.startswith("article#"):
            text, secs = out.setdefault(name, (f.text, []))
            secs.append(f.source.partition("#")[2])
    return [(name, text, tuple(secs)) for name, (text, secs) in out.items()]


ARTICLE_FACTS = _article_facts()
PUBLIC_FACTS = [(name, f) for name, f in all_facts(KB) if not f.source.startswith("article")]


@pytest.fixture(scope="module")
def sections() -> Dict[str, str]:
    if not ARTICLE.exists():
        pytest.skip("../shared/source-article.txt is not beside the checkout")
    return article_sections()


def test_every_section_is_found(sections):
    assert set(sections) == set(KB.sources["article"].sections)
    assert all(len(t) > 100 for t in sections.values())


@pytest.mark.parametrize("name,text,cited", ARTICLE_FACTS, ids=[n for n, _, _ in ARTICLE_FACTS])
def test_article_fact_claims_are_in_its_section(sections, name, text, cited):
    section = "\n".join(sections[s] for s in cited)
    absent = [c for c in claims(text) if not _present(c, section)]
    assert not absent, f"{name} cites {', '.join(cited)} but they do not contain {absent}: {text!r}"


@pytest.mark.parametrize("name,fact", PUBLIC_FACTS, ids=[n for n, _ in PUBLIC_FACTS])
def test_public_fact_has_url_and_date(name, fact: Fact):
    source = KB.sources[fact.source.partition("#")[0]]
    assert source.url and source.url.startswith("http"), f"{name}: public source without a URL"
    assert fact.as_of and re.fullmatch(r"\d{4}(-\d{2}){0,2}", fact.as_of), f"{name}: no 'as of' date"


def test_the_check_can_fail(sections):
    """An invented figure or a credential the section doesn't name is caught."""
    section = sections["faq-expire"]
    assert not _present("5", section)
    assert _present("2", section) and _present("3", section)
    assert not _present("name:pmp", section)
    assert "name:pmp" in claims("The PMP takes 5 weeks.") and "week" in claims("The PMP takes 5 weeks.")
