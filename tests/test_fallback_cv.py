"""evaluation/fallback_cv.py: the folds and the fallback rule it replays (no training here),
and docs/EVALUATION.md keeping its result when `make eval` rewrites the page."""

from collections import Counter
from pathlib import Path

from evaluation.fallback_cv import OOS, falls_back, outcome, stratified_folds
from evaluation.run import kept_sections

ROOT = Path(__file__).resolve().parent.parent


def test_folds_are_stratified_disjoint_complete_and_seeded():
    examples = [(f"{intent} {i}", intent) for intent, n in (("a", 9), ("b", 4), ("c", 1)) for i in range(n)]
    folds = stratified_folds(examples, k=3, seed=13)
    flat = [e for f in folds for e in f]
    assert sorted(flat) == sorted(examples)  # every example once
    for intent, n in (("a", 9), ("b", 4)):
        per_fold = [sum(1 for _, i in f if i == intent) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1, (intent, per_fold)
    assert stratified_folds(examples, k=3, seed=13) == folds
    assert stratified_folds(examples, k=3, seed=14) != folds


def test_the_fallback_rule_is_rasas_threshold_and_ambiguity():
    assert falls_back([("x", 0.29), ("y", 0.1)], 0.3, 0.05)  # below the threshold
    assert not falls_back([("x", 0.31), ("y", 0.1)], 0.3, 0.05)
    assert falls_back([("x", 0.5), ("y", 0.46)], 0.3, 0.05)  # the top two too close
    assert not falls_back([("x", 0.5), ("y", 0.46)], 0.3, 0.02)
    assert not falls_back([("x", 0.5)], 0.3, 0.05)  # nothing second
    assert falls_back([], 0.3, 0.05)


def test_outcome_counts_right_wrong_fallback_and_out_of_scope_caught():
    rows = [
        ("a", [("a", 0.9), ("b", 0.05)]),  # right
        ("a", [("b", 0.8), ("a", 0.1)]),  # wrong
        ("a", [("a", 0.5), ("b", 0.48)]),  # ambiguous: fallback
        ("b", [("b", 0.2), ("a", 0.1)]),  # unsure: fallback
        (OOS, [(OOS, 0.9), ("a", 0.05)]),  # caught by its intent
        (OOS, [("a", 0.25), ("b", 0.2)]),  # caught by the fallback
        (OOS, [("a", 0.9), ("b", 0.05)]),  # missed
    ]
    o = outcome(rows, 0.3, 0.05)
    assert (o.right, o.wrong, o.fallback, o.oos_caught, o.n_oos, o.n_inscope) == (1, 1, 2, 2, 3, 4)
    loose = outcome(rows, 0.1, 0.0)
    assert (loose.right, loose.wrong, loose.fallback, loose.oos_caught) == (3, 1, 0, 1)


def test_the_page_keeps_the_cross_validated_thresholds_when_make_eval_rewrites_it():
    kept = kept_sections(ROOT / "docs" / "EVALUATION.md")
    headings = [line for line in kept.splitlines() if line.startswith("## ")]
    assert Counter(h.split(",")[0].split(" (")[0] for h in headings) == Counter(
        ["## Classifier variants", "## Fallback thresholds", "## History"]), headings
    assert "python -m evaluation.fallback_cv" in kept
