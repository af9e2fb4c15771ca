"""The long tail: a question no written answer covers, answered with the
article's own passage on it ("Here is what the article says about that: …").

The knowledge file's `passages` (the article, section by section, in the
project's words) are ranked with scikit-learn's TF-IDF and cosine similarity,
over word stems (Snowball's English stemmer) and pairs of stems.
A passage is offered only above SIMILARITY_THRESHOLD, chosen from the
measured curve in docs/EVALUATION.md (`make eval`); below it the assistant
gives its honest fallback. Pure: knowledge in, hits out; no Rasa here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence

import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from actions.knowledge import Knowledge, Passage

# Chosen from the curve of in-scope long-tail questions against out-of-scope
# ones (evaluation/run.py writes it to docs/EVALUATION.md).
SIMILARITY_THRESHOLD = 0.35
# a second passage of the same section is added when it is nearly as close
SECOND_RATIO = 0.8
# words that say nothing about what is asked (every passage is about micro-credentials)
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"article", "say", "says", "microcredential", "microcredentials"}
_STEMMER = snowballstemmer.stemmer("english")


def stems(text: str) -> List[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("micro-credential", "microcredential"))
    return _STEMMER.stemWords([w for w in words if w not in _STOP and len(w) > 1])


def analyse(text: str) -> List[str]:
    """Stems and pairs of neighbouring stems."""
    s = stems(text)
    return s + [f"{a} {b}" for a, b in zip(s, s[1:])]


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


class PassageIndex:
    """TF-IDF over the passages, with the section's heading as part of each."""

    def __init__(self, kb: Knowledge, passages: Optional[Sequence[Passage]] = None):
        self.passages = list(passages if passages is not None else kb.passages)
        sections = kb.sources["article"].sections
        docs = [f"{p.text} {sections[p.section]}" for p in self.passages]
        self.vectorizer = TfidfVectorizer(analyzer=analyse, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(docs)

    def rank(self, text: str, n: int = 3) -> List[Hit]:
        if not isinstance(text, str) or not text.strip() or not self.passages:
            return []
        scores = linear_kernel(self.vectorizer.transform([text[:1000]]), self.matrix)[0]
        order = scores.argsort()[::-1][:n]
        return [Hit(self.passages[i], float(scores[i])) for i in order if scores[i] > 0]

    def answer(self, text: str, threshold: float = SIMILARITY_THRESHOLD) -> List[Hit]:
        """The best passage (and a close second from the same section), or [] below the threshold."""
        hits = self.rank(text)
        if not hits or hits[0].score < threshold:
            return []
        out = [hits[0]]
        for h in hits[1:]:
            if h.passage.section == hits[0].passage.section and h.score >= SECOND_RATIO * hits[0].score:
                out.append(h)
                break
        return out
