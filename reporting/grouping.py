"""Group similar questions: TF-IDF over character n-grams (robust to typos and
word order), cosine similarity, and greedy "leader" grouping: the most frequent
question not yet grouped starts a group and takes every ungrouped question at
least `threshold` similar to it. Most frequent groups first."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

SIMILARITY = 0.5      # cosine similarity for two questions to share a group
MAX_GROUPED = 5000    # distinct questions grouped at most (the most frequent); the rest are counted
_CHUNK = 1000

_SPACES = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[\s?!.,;:¿¡]+|[\s?!.,;:]+$")


def normalise(text: str) -> str:
    """The form questions are compared in: lower case, single spaces, no edge punctuation."""
    text = _SPACES.sub(" ", (text or "").lower()).strip()
    return _EDGE_PUNCT.sub("", text) or text


@dataclass
class Group:
    texts: List[Tuple[str, int]]  # (normalised question, occurrences), most frequent first

    @property
    def count(self) -> int:
        return sum(n for _, n in self.texts)

    @property
    def label(self) -> str:
        return self.texts[0][0]


def neighbours(texts: Sequence[str], threshold: float) -> List[np.ndarray]:
    """For each text, the indices of the texts at least `threshold` cosine-similar."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts:
        return []
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
    x = vec.fit_transform(texts)  # rows are L2-normalised: dot product = cosine
    xt = x.T.tocsc()
    out: List[np.ndarray] = []
    for start in range(0, x.shape[0], _CHUNK):
        sims = (x[start:start + _CHUNK] @ xt).toarray()
        for row in sims:
            out.append(np.flatnonzero(row >= threshold))
    return out


def group_questions(texts: Sequence[str], threshold: float = SIMILARITY,
                    max_grouped: int = MAX_GROUPED) -> Tuple[List[Group], int]:
    """Group raw question texts. Returns (groups, number of distinct questions left ungrouped)."""
    counts = Counter(t for t in (normalise(t) for t in texts) if t)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    left_out = max(0, len(ranked) - max_grouped)
    ranked = ranked[:max_grouped]
    uniq = [t for t, _ in ranked]
    nbrs = neighbours(uniq, threshold)
    assigned = np.zeros(len(uniq), dtype=bool)
    groups: List[Group] = []
    for i in range(len(uniq)):  # most frequent first: each ungrouped question leads a group
        if assigned[i]:
            continue
        members = [j for j in nbrs[i] if not assigned[j]]
        if i not in members:
            members.append(i)
        assigned[members] = True
        members.sort(key=lambda j: (-ranked[j][1], ranked[j][0]))
        groups.append(Group([ranked[j] for j in members]))
    groups.sort(key=lambda g: (-g.count, g.label))
    return groups, left_out


def index_by_text(groups: Sequence[Group]) -> Dict[str, int]:
    return {t: gi for gi, g in enumerate(groups) for t, _ in g.texts}
