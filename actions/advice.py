"""Tailored advice: what to pursue for a goal, a field, the time and the budget
someone has. Plain, typed, pure functions, tested without Rasa.

The reasoning follows the article's "which to use" section and comparison
table: broad foundations or a career transition point to a traditional
certificate (weeks to months, hundreds to thousands of dollars); a targeted
skill gap, speed or a low budget point to micro-credentials (hours to days,
free to a few hundred dollars); several related micro-credentials can stack
into a certificate or degree credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from actions.answers import Button, Reply, payload
from actions.knowledge import Credential, Knowledge

GOALS: Tuple[str, ...] = ("career_change", "upskill", "advance", "stay_current")
TIMES: Tuple[str, ...] = ("short", "long")  # short: days to a few weeks; long: months or more
BUDGETS: Tuple[str, ...] = ("low", "high")  # low: up to a few hundred dollars; high: more

GOAL_LABELS = {
    "career_change": "changing career",
    "upskill": "upskilling in your current role",
    "advance": "moving up in your career",
    "stay_current": "staying current in your field",
}

# Cost band edge from the article's table: micro-credentials "free to a few
# hundred dollars", certificates "hundreds to thousands".
LOW_BUDGET_MAX_DOLLARS = 300

_GOAL_PATTERNS: Sequence[Tuple[str, str]] = (
    ("career_change", r"\b(switch\w*|chang\w* (my )?(career|job|field)s?|career (change|switch|transition)|transition\w*|break(ing)? into|get(ting)? into|new (career|field)|move into|moving into|pivot\w*|retrain\w*|reskill\w*)\b"),
    ("advance", r"\b(promot\w*|advanc\w*|move up|moving up|climb\w*|get ahead|raise|senior|leadership|step up|next level)\b"),
    ("stay_current", r"\b(stay\w* (current|up[- ]to[- ]date|relevant|sharp)|keep\w* up|up[- ]to[- ]date|refresh\w*|continuing education|cpd|ceu)\b"),
    ("upskill", r"\b(upskill\w*|(for|in|at) (my|our) (job|work|role|team)|current (job|role|position)|skill gap|learn (a|one|some) (skill|tool)|need \w+ for (my )?(job|work)|at work|better at)\b"),
)


def parse_goal(text: str) -> Optional[str]:
    """The goal a message states, or None. Earlier patterns win."""
    t = (text or "").lower()
    for goal, pattern in _GOAL_PATTERNS:
        if re.search(pattern, t):
            return goal
    for goal in GOALS:  # button payload values and bare ids
        if t.strip() == goal or t.strip() == goal.replace("_", " "):
            return goal
    return None


_NUM = r"(\d+(?:[.,]\d+)?|a|an|one|two|three|four|five|six|few|couple of|several|a few|a couple of)"
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "few": 3, "a few": 3, "couple of": 2, "a couple of": 2, "several": 4}


def _number(token: str) -> float:
    token = token.strip().lower()
    if token in _WORDS:
        return float(_WORDS[token])
    return float(token.replace(",", ""))


def parse_time(text: str) -> Optional[str]:
    """'short' (hours, days, a few weeks, soon) or 'long' (months, a year), or None."""
    t = (text or "").lower()
    if t.strip() in TIMES:
        return t.strip()
    if re.search(r"\b(no rush|plenty of time|lots of time|long term|long-term|whatever it takes|a year|years?)\b", t):
        return "long"
    if re.search(r"\b(not much time|little time|no time|busy|asap|quickly|fast|soon|next (week|month)|this (week|month)|by (next|the end))\b", t):
        return "short"
    m = re.search(_NUM + r"\s*(hours?|hrs?|days?|weeks?|months?|years?)\b", t)
    if m:
        n, unit = _number(m.group(1)), m.group(2)
        if unit.startswith(("hour", "hr")):
            # hours a week are a pace, not a deadline: a few hours a week is short on time
            return "short" if n <= 5 or "week" not in t else "long"
        if unit.startswith("day"):
            return "short"
        if unit.startswith("week"):
            return "short" if n <= 6 else "long"
        return "long" if unit.startswith(("month", "year")) and n >= 2 or unit.startswith("year") else "short"
    if re.search(r"\b(hours?|days?|weekend)\b", t):
        return "short"
    if re.search(r"\b(months?|semester|term)\b", t):
        return "long"
    return None


def parse_budget(text: str) -> Optional[str]:
    """'low' (free up to a few hundred dollars) or 'high', or None."""
    t = (text or "").lower()
    if t.strip() in BUDGETS:
        return t.strip()
    if re.search(r"\b(money is no object|no limit|whatever it costs|not an issue|employer pays|company pays|company will pay|expensive is fine|thousands)\b", t):
        return "high"
    if re.search(r"\b(free|no budget|zero|nothing|broke|cheap\w*|low budget|tight|no money|little money|not much( money)?|limited)\b", t):
        return "low"
    m = re.search(r"(?:\$|usd|£|€)\s*(\d[\d,]*(?:\.\d+)?)\s*(k)?|(\d[\d,]*(?:\.\d+)?)\s*(k)?\s*(?:\$|dollars?|bucks|usd|pounds?|euros?|£|€)", t)
    if m:
        amount = float((m.group(1) or m.group(3)).replace(",", ""))
        if m.group(2) or m.group(4):
            amount *= 1000
        return "low" if amount <= LOW_BUDGET_MAX_DOLLARS else "high"
    m = re.search(r"\b(under|below|less than|up to|max(imum)?|around|about)\s+(\d[\d,]*)\b", t)
    if m:
        return "low" if float(m.group(3).replace(",", "")) <= LOW_BUDGET_MAX_DOLLARS else "high"
    if re.search(r"\b(few hundred|couple hundred|hundred)\b", t):
        return "low"
    return None


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "certificate" or "micro_credential"
    stack: bool  # suggest stacking micro-credentials towards a certificate
    credentials: Tuple[str, ...]  # ids, best first, at most three
    reason: str


def choose_kind(goal: str, time: Optional[str], budget: Optional[str]) -> Tuple[str, bool, str]:
    """The article's reasoning: which kind fits, whether to stack, and why."""
    constrained = time == "short" or budget == "low"
    if goal == "career_change":
        if constrained:
            return ("micro_credential", True,
                    "A career change usually calls for the broad foundations of a certificate, but with "
                    f"{'little time' if time == 'short' else 'a small budget'} the quicker, cheaper route is a series of "
                    "related micro-credentials, which some institutions let you stack towards a certificate later.")
        return ("certificate", False,
                "For a career change the article points to a traditional certificate: it goes deeper and gives the broad, "
                "recognised grounding a new field expects.")
    if goal == "advance":
        if constrained:
            return ("micro_credential", True,
                    "To move up with limited time or money, micro-credentials show the specific skills a next role needs, "
                    "and several related ones can add up to a larger credential.")
        return ("certificate", False,
                "Career advancement and specialised knowledge are what the article credits traditional certificates with, "
                "and you have the time and budget for one.")
    if goal == "upskill":
        return ("micro_credential", False,
                "For a targeted skill gap the article recommends micro-credentials: hours to days, often free to a few "
                "hundred dollars, and immediately applicable.")
    return ("micro_credential", False,
            "To stay current the article recommends micro-credentials: they are the efficient way to keep skills up to "
            "date throughout a career.")


def _pick(kb: Knowledge, field: Optional[str], kind: str, named: Sequence[str]) -> Tuple[str, ...]:
    picked: List[str] = [c for c in named if c in kb.credentials]
    in_field = [c for c in kb.credentials.values() if field and field in c.fields]
    ranked = sorted(in_field, key=lambda c: (c.kind != kind, c.id))
    for c in ranked:
        if c.id not in picked:
            picked.append(c.id)
    return tuple(picked[:3])


def recommend(
    kb: Knowledge,
    goal: str,
    field: Optional[str],
    time: Optional[str] = None,
    budget: Optional[str] = None,
    named: Sequence[str] = (),
) -> Recommendation:
    """Pure recommendation: goal x field x constraints -> kind, credentials, reason."""
    if goal not in GOALS:
        raise ValueError(f"unknown goal {goal!r}")
    kind, stack, reason = choose_kind(goal, time, budget)
    return Recommendation(kind, stack, _pick(kb, field if field in kb.fields else None, kind, named), reason)


def advice_reply(
    kb: Knowledge,
    goal: str,
    field: Optional[str],
    time: Optional[str] = None,
    budget: Optional[str] = None,
    named: Sequence[str] = (),
    field_text: Optional[str] = None,
) -> Reply:
    rec = recommend(kb, goal, field, time, budget, named)
    kind_word = "a traditional certificate" if rec.kind == "certificate" else "micro-credentials"
    lines = [f"For {GOAL_LABELS[goal]}, I'd suggest {kind_word}" + (", stacked towards a certificate." if rec.stack else ".")]
    lines.append(rec.reason)
    if rec.credentials:
        where = kb.fields[field].label if field in kb.fields else "what you named"
        lines.append(f"From the article, for {where}:")
        for cid in rec.credentials:
            c: Credential = kb.credentials[cid]
            lines.append(f"• {c.name} ({kb.kinds[c.kind].label})")
        if all(kb.credentials[c].kind != rec.kind for c in rec.credentials):
            lines.append(f"(The article names no {kb.kinds[rec.kind].plural} in this field, so these are the closest it mentions.)")
    else:
        what = field_text or (kb.fields[field].label if field in kb.fields else "your field")
        lines.append(f"The article names no specific credentials for {what}, so I can't name one without guessing. "
                     "Look for ones from a university, a professional body or a recognised platform, and check their "
                     "duration, cost and whether they expire with the issuer.")
    lines.append("Source: the article, sections \"Certificates vs. Micro-Credentials and Which to Use\" and its comparison table.")
    buttons = [Button(f"About {kb.credentials[c].name}", payload("ask_overview", credential=c)) for c in rec.credentials[:2]]
    buttons.append(Button("Certificate vs micro-credential", payload("compare")))
    return Reply("\n".join(lines), tuple(buttons), topic="advice")
