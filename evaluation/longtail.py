"""The long-tail passage search (actions/retrieval.py) measured: for each
similarity threshold, how many out-of-scope messages would get a passage
(they must not), how many in-scope questions would, and how often the passage
comes from the article section a truth case rests on. `make eval` writes the
table to docs/EVALUATION.md; the threshold in actions/retrieval.py is chosen
from it."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from actions.knowledge import Knowledge
from actions.retrieval import PassageIndex

THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 13)]


def curve(kb: Knowledge, inscope: Sequence[str], out_of_scope: Sequence[str],
          sectioned: Sequence[Tuple[str, str]]) -> List[Dict[str, float]]:
    """sectioned: (question, article section it rests on) pairs."""
    index = PassageIndex(kb)

    def best(text: str) -> Tuple[float, str]:
        hits = index.rank(text, n=1)
        return (hits[0].score, hits[0].passage.section) if hits else (0.0, "")

    ins = [best(t)[0] for t in inscope]
    oos = [best(t)[0] for t in out_of_scope]
    sec = [(best(q), s) for q, s in sectioned]
    rows = []
    for t in THRESHOLDS:
        answered = [(b, s) for b, s in sec if b[0] >= t]
        rows.append({
            "threshold": t,
            "oos_given_passage": sum(x >= t for x in oos) / max(1, len(oos)),
            "inscope_given_passage": sum(x >= t for x in ins) / max(1, len(ins)),
            "right_section": sum(b[1] == s for b, s in answered) / max(1, len(answered)),
            "n_sectioned_answered": len(answered),
        })
    return rows


def choose(rows: Sequence[Dict[str, float]], max_oos: float = 0.02) -> float:
    """The lowest threshold at which at most `max_oos` of out-of-scope messages get a passage."""
    return next(r["threshold"] for r in rows if r["oos_given_passage"] <= max_oos)
