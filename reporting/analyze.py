"""Turn the tracker store's event rows into the report's numbers. Pure: rows in
(sender_id, type_name, timestamp, intent_name, action_name, data JSON), a
:class:`Report` out; no database and no Rasa here."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from reporting.grouping import SIMILARITY, Group, group_questions, index_by_text, normalise

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
DID_YOU_MEAN_TOPIC = "fallback/did_you_mean"
LOW_CONFIDENCE = 0.6  # below this top confidence a question is listed as low-confidence
COMMENT_ACTION = "action_feedback_comment"
HANDOFF_SLOT = "handoff"  # set by action_handoff: "slack", "email", "slack+email", "failed" or "none"
HANDOFF_INTENT = "human_handoff"

Row = Tuple[str, str, Optional[float], Optional[str], Optional[str], Optional[str]]


def day_of(ts: Optional[float]) -> str:
    if ts is None:
        return "unknown"
    return datetime.fromtimestamp(float(ts), tz=timezone.utc).date().isoformat()


@dataclass
class Day:
    senders: Set[str] = field(default_factory=set)
    messages: int = 0
    fallbacks: int = 0
    did_you_mean: int = 0
    handoffs: int = 0  # passed to a person (Slack and/or e-mail)
    handoffs_missed: int = 0  # asked for a person, but none was set up or the note didn't go through

    @property
    def conversations(self) -> int:
        return len(self.senders)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.messages if self.messages else 0.0

    @property
    def did_you_mean_rate(self) -> float:
        return self.did_you_mean / self.messages if self.messages else 0.0


@dataclass
class Question:
    text: str
    sender: str
    timestamp: Optional[float]
    intent: str
    confidence: float
    guesses: Tuple[Tuple[str, float], ...]  # the model's two best guesses (nlu_fallback left out)
    reason: str  # "not understood", "out of scope" or "low confidence"


@dataclass
class Downvote:
    sender: str
    timestamp: Optional[float]
    topic: Optional[str]
    question: Optional[str]  # the user's question the rated answer replied to
    comments: List[str] = field(default_factory=list)


@dataclass
class Handoff:
    sender: str
    timestamp: Optional[float]
    outcome: str  # how it went (HANDOFF_SLOT's value)
    question: Optional[str]  # the last question typed before asking for a person

    @property
    def delivered(self) -> bool:
        return self.outcome not in ("failed", "none")


@dataclass
class Unknown:
    name: str
    count: int = 0
    senders: Set[str] = field(default_factory=set)
    examples: List[str] = field(default_factory=list)


@dataclass
class QuestionGroup:
    group: Group
    questions: List[Question]  # every occurrence
    guesses: Tuple[Tuple[str, float], ...]  # the two intents guessed most, with mean confidence

    @property
    def count(self) -> int:
        return self.group.count


@dataclass
class Report:
    events: int = 0
    days: Dict[str, Day] = field(default_factory=lambda: defaultdict(Day))
    senders: Set[str] = field(default_factory=set)
    questions: List[Question] = field(default_factory=list)
    groups: List[QuestionGroup] = field(default_factory=list)
    ungrouped: int = 0
    downvotes: List[Downvote] = field(default_factory=list)
    ratings: Counter = field(default_factory=Counter)  # ("up"|"down", topic) -> n
    unknown: Dict[str, Unknown] = field(default_factory=dict)
    handoffs: List[Handoff] = field(default_factory=list)  # newest first
    threshold: float = LOW_CONFIDENCE
    similarity: float = SIMILARITY

    @property
    def messages(self) -> int:
        return sum(d.messages for d in self.days.values())

    @property
    def fallbacks(self) -> int:
        return sum(d.fallbacks for d in self.days.values())

    @property
    def did_you_mean(self) -> int:
        return sum(d.did_you_mean for d in self.days.values())

    @property
    def empty(self) -> bool:
        return self.messages == 0

    def unknown_sorted(self) -> List[Unknown]:
        return sorted(self.unknown.values(), key=lambda u: (-u.count, u.name.lower()))


def guesses_of(parse: Dict[str, Any], n: int = 2) -> Tuple[Tuple[str, float], ...]:
    ranking = parse.get("intent_ranking") or []
    out = []
    for r in ranking:
        if isinstance(r, dict) and r.get("name") and r.get("name") != "nlu_fallback":
            out.append((str(r["name"]), float(r.get("confidence") or 0.0)))
    out.sort(key=lambda x: -x[1])
    return tuple(out[:n])


def _top_confidence(parse: Dict[str, Any]) -> float:
    intent = parse.get("intent") or {}
    try:
        return float(intent.get("confidence") or 0.0)
    except (TypeError, ValueError):
        return 0.0


@dataclass
class _State:
    """Per conversation, while reading its events in order."""
    last_text: Optional[str] = None
    asked: Optional[str] = None  # the last typed message that wasn't a request for a person
    last_question: Optional[Question] = None  # an unanswered question, until the next user message
    last_fallback_day: Optional[str] = None  # the day of the last user message if it was a fallback
    answered: Optional[str] = None  # the question the last answer replied to
    feedback_topic: Optional[str] = None
    downvote: Optional[Downvote] = None


class Analyzer:
    """Feed rows in store order (`add`), then `finish`."""

    def __init__(self, threshold: float = LOW_CONFIDENCE, similarity: float = SIMILARITY):
        self.report = Report(threshold=threshold, similarity=similarity)
        self.state: Dict[str, _State] = defaultdict(_State)
        self._comments: Set[int] = set()  # ids of questions that were feedback comments

    def add(self, row: Row) -> None:
        sender, type_name, ts, intent_name, action_name, data = row
        rep = self.report
        rep.events += 1
        if type_name == "user":
            self._user(sender, ts, intent_name, data)
        elif type_name == "slot":
            self._slot(sender, ts, data)
        elif type_name == "action" and action_name == COMMENT_ACTION:
            st = self.state[sender]  # the last user message was a comment after a 👎, not a fallback
            if st.last_fallback_day is not None:
                self.report.days[st.last_fallback_day].fallbacks -= 1
                st.last_fallback_day = None

    def _user(self, sender: str, ts: Optional[float], intent_name: Optional[str], data: Optional[str]) -> None:
        rep = self.report
        st = self.state[sender]
        day = rep.days[day_of(ts)]
        day.messages += 1
        day.senders.add(sender)
        rep.senders.add(sender)
        st.last_fallback_day = None
        if intent_name in FALLBACK_INTENTS:
            day.fallbacks += 1
            st.last_fallback_day = day_of(ts)
        try:
            event = json.loads(data) if data else {}
        except ValueError:
            event = {}
        text = event.get("text") or ""
        parse = event.get("parse_data") or {}
        intent = intent_name or (parse.get("intent") or {}).get("name") or ""
        st.last_text = text
        st.last_question = None
        if not text.strip() or text.lstrip().startswith("/"):
            return  # a button click, not typed words
        if intent != HANDOFF_INTENT:
            st.asked = text.strip()
        conf = _top_confidence(parse)
        if intent == "nlu_fallback":
            reason = "not understood"
        elif intent == "out_of_scope":
            reason = "out of scope"
        elif conf < rep.threshold:
            reason = "low confidence"
        else:
            return
        q = Question(text.strip(), sender, ts, intent, conf, guesses_of(parse), reason)
        rep.questions.append(q)
        st.last_question = q

    def _slot(self, sender: str, ts: Optional[float], data: Optional[str]) -> None:
        try:
            event = json.loads(data) if data else {}
        except ValueError:
            return
        name, value = event.get("name"), event.get("value")
        rep = self.report
        st = self.state[sender]
        if name == "last_topic":
            if value == DID_YOU_MEAN_TOPIC:
                rep.days[day_of(ts)].did_you_mean += 1
            if isinstance(value, str) and not value.startswith("fallback/"):
                st.answered = st.last_text
        elif name == "feedback_topic":
            st.feedback_topic = value if isinstance(value, str) else None
        elif name == "feedback_value" and value in ("up", "down"):
            rep.ratings[(value, st.feedback_topic)] += 1
            if value == "down":
                st.downvote = Downvote(sender, ts, st.feedback_topic, st.answered)
                rep.downvotes.append(st.downvote)
        elif name == "feedback_comment" and isinstance(value, str) and value.strip():
            if st.last_question is not None:  # a comment, not an unanswered question
                self._comments.add(id(st.last_question))
                st.last_question = None
            if st.downvote is None:
                st.downvote = Downvote(sender, ts, st.feedback_topic, st.answered)
                rep.downvotes.append(st.downvote)
            st.downvote.comments.append(value.strip())
        elif name == HANDOFF_SLOT and isinstance(value, str) and value:
            h = Handoff(sender, ts, value, st.asked)
            rep.handoffs.append(h)
            if h.delivered:
                rep.days[day_of(ts)].handoffs += 1
            else:
                rep.days[day_of(ts)].handoffs_missed += 1
        elif name == "unknown_credential" and isinstance(value, str) and value.strip():
            key = normalise(value)
            u = rep.unknown.setdefault(key, Unknown(value.strip()))
            u.count += 1
            u.senders.add(sender)
            if st.last_text and len(u.examples) < 3 and st.last_text not in u.examples:
                u.examples.append(st.last_text)

    def finish(self) -> Report:
        rep = self.report
        rep.questions = [q for q in rep.questions if id(q) not in self._comments]
        groups, rep.ungrouped = group_questions([q.text for q in rep.questions], rep.similarity)
        where = index_by_text(groups)
        members: Dict[int, List[Question]] = defaultdict(list)
        for q in rep.questions:
            gi = where.get(normalise(q.text))
            if gi is not None:
                members[gi].append(q)
        rep.groups = [QuestionGroup(g, members[i], _group_guesses(members[i])) for i, g in enumerate(groups)]
        rep.downvotes.sort(key=lambda d: d.timestamp or 0.0, reverse=True)
        rep.handoffs.sort(key=lambda h: h.timestamp or 0.0, reverse=True)
        return rep


def _group_guesses(questions: Sequence[Question]) -> Tuple[Tuple[str, float], ...]:
    total: Dict[str, float] = defaultdict(float)
    seen: Counter = Counter()
    for q in questions:
        for name, conf in q.guesses:
            total[name] += conf
            seen[name] += 1
    n = max(1, len(questions))
    ranked = sorted(total, key=lambda k: (-total[k], k))[:2]
    return tuple((k, total[k] / n) for k in ranked)


def analyze(rows: Iterable[Row], threshold: float = LOW_CONFIDENCE, similarity: float = SIMILARITY) -> Report:
    a = Analyzer(threshold, similarity)
    for row in rows:
        a.add(row)
    return a.finish()
