"""What to do with each group of the report (`make report`, `make review`).
Pure: a :class:`~reporting.analyze.Report` in, :class:`Suggestion` objects out.

The rule, per group of unanswered or unsure questions:

1. **out of scope** when most of its questions were classified `out_of_scope`,
   or `out_of_scope` is the group's best guess: add them to `out_of_scope` so
   the assistant says so confidently;
2. **add examples** when the group's best guess (mean confidence over its
   questions) is at least ``ADD_MIN_CONFIDENCE``: the model nearly knew, so the
   questions become examples of that intent;
3. otherwise **a missing topic**: no intent is close; a new intent is a
   developer's change (docs/REPORT.md), so this is only noted.

A 👎 answer says the answer was not helpful, not which intent should have
answered: each rated question is a **missing topic** suggestion with its topic
and comments, which the content owner can change into examples of an intent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

from reporting.analyze import QuestionGroup, Report
from reporting.grouping import normalise

ADD_EXAMPLES = "add_examples"
OUT_OF_SCOPE = "out_of_scope"
MISSING_TOPIC = "missing_topic"
OOS_INTENT = "out_of_scope"
ADD_MIN_CONFIDENCE = 0.2  # a group's best guess at least this sure: propose adding to it
MAX_QUESTIONS = 8  # wordings of a group proposed at most (the most frequent)


@dataclass(frozen=True)
class Suggestion:
    kind: str  # ADD_EXAMPLES, OUT_OF_SCOPE or MISSING_TOPIC
    questions: Tuple[str, ...]  # distinct wordings, as first typed, most frequent first
    source: str  # where it comes from: "unanswered group 2 (3×)", "👎 on faq/pay"
    intent: Optional[str] = None  # the intent to add to (ADD_EXAMPLES; OUT_OF_SCOPE: out_of_scope)
    confidence: float = 0.0  # the model's mean confidence in that intent over the questions
    guesses: Tuple[Tuple[str, float], ...] = ()  # the group's usual guesses
    count: int = 0  # how often they were asked
    note: str = ""  # comments after a 👎, the topic rated
    chosen: bool = False  # the intent is the content owner's choice, not the model's best guess

    def describe(self) -> str:
        """The proposal in one line."""
        n = len(self.questions)
        what = f"{n} question{'s' if n != 1 else ''}"
        if self.kind == ADD_EXAMPLES:
            why = "chosen; the model gave it" if self.chosen else "best guess,"
            return f"add the {what} as examples of {self.intent} ({why} {100 * self.confidence:.0f}%)"
        if self.kind == OUT_OF_SCOPE:
            return f"add the {what} to out_of_scope (the assistant then says so confidently)"
        return "a missing topic: no intent is close enough (a new intent is a developer's change)"

    def with_intent(self, intent: str) -> "Suggestion":
        """The same questions, as examples of `intent` (the content owner's choice)."""
        kind = OUT_OF_SCOPE if intent == OOS_INTENT else ADD_EXAMPLES
        conf = dict(self.guesses).get(intent, 0.0)
        return replace(self, kind=kind, intent=intent, confidence=conf, chosen=True)


def _wordings(group: QuestionGroup) -> Tuple[str, ...]:
    first: Dict[str, str] = {}
    for q in group.questions:
        first.setdefault(normalise(q.text), q.text)
    return tuple(first.get(t, t) for t, _ in group.group.texts[:MAX_QUESTIONS])


def suggest_group(group: QuestionGroup, source: str) -> Suggestion:
    words = _wordings(group)
    classified = Counter(q.intent for q in group.questions)
    guesses = tuple(group.guesses)
    base = Suggestion(MISSING_TOPIC, words, source, guesses=guesses, count=group.count)
    best = next(((n, c) for n, c in guesses), None)
    if classified[OOS_INTENT] * 2 > len(group.questions) or (best and best[0] == OOS_INTENT):
        conf = dict(guesses).get(OOS_INTENT, 0.0)
        return replace(base, kind=OUT_OF_SCOPE, intent=OOS_INTENT, confidence=conf)
    if best and best[1] >= ADD_MIN_CONFIDENCE:
        return replace(base, kind=ADD_EXAMPLES, intent=best[0], confidence=best[1])
    return base


def suggest(report: Report) -> List[Suggestion]:
    """One suggestion per group of unanswered questions (biggest first), then one per 👎'd question."""
    out = [suggest_group(g, f"unanswered group {i} ({g.count}×)") for i, g in enumerate(report.groups, 1)]
    rated: Dict[str, List] = {}
    for dv in report.downvotes:
        if dv.question and dv.question.strip():
            rated.setdefault(normalise(dv.question), []).append(dv)
    for votes in rated.values():
        topics = sorted({v.topic or "unknown" for v in votes})
        comments = [c for v in votes for c in v.comments]
        note = f"answered as {', '.join(topics)}" + (f"; comments: {' | '.join(comments)}" if comments else "")
        out.append(Suggestion(MISSING_TOPIC, (votes[0].question.strip(),), f"👎 on {', '.join(topics)} ({len(votes)}×)",
                              count=len(votes), note=note))
    return out


def summary(suggestions: Sequence[Suggestion]) -> str:
    c = Counter(s.kind for s in suggestions)
    return (f"{len(suggestions)} suggestions: {c[ADD_EXAMPLES]} add examples, {c[OUT_OF_SCOPE]} out of scope, "
            f"{c[MISSING_TOPIC]} missing topics")
