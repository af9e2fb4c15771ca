"""The truth suite through the real Rasa and action servers: every careful
question gets a reply that makes the claims it must and none it must not
(tests/truth/cases.yml, evaluation/truth.py)."""

from __future__ import annotations

import re

import pytest

from evaluation.truth import VOICES, load_cases, play

CASES = load_cases()


def test_the_suite_is_what_the_issue_asks_for():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert {c.voice for c in CASES} == set(VOICES)
    for c in CASES:
        assert c.must, f"{c.id}: a case must state at least one claim"
        for p in list(c.must) + list(c.must_not):
            re.compile(p)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reply_is_true_to_the_article(servers, case):
    verdict = play(servers.rasa_url, case)
    assert verdict.passed, verdict.explain()
