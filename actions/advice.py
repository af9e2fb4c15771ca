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

from actions.answers import Button, Reply, cite, label_name, payload
from actions.knowledge import Credential, Fact, Field, Knowledge

GOALS: Tuple[str, ...] = ("career_change", "upskill", "advance", "stay_current")
TIMES: Tuple[str, ...] = ("short", "long")  # short: days to a few weeks; long: months or more
BUDGETS: Tuple[str, ...] = ("low", "high")  # low: up to a few hundred dollars; high: more

GOAL_LABELS = {
    "career_change": "changing career",
    "upskill": "upskilling in your current role",
    "advance": "moving up in your career",
    "stay_current": "staying current in your field",
}

# The article's table: micro-credentials cost "free to a few hundred dollars",
# certificates "hundreds to thousands". An amount in the hundreds is the first
# band; thousands are the second. The reply never names a cut-off of its own.
LOW_BUDGET_MAX_DOLLARS = 999

_GOAL_PATTERNS: Sequence[Tuple[str, str]] = (
    ("career_change", r"\b(switch\w*|chang\w* (my )?(career|job|field)s?|career (change|switch|transition)"
                      r"|transition\w*|break(ing)? into|get(ting)? into|new (career|field)|move into|moving into"
                      r"|pivot\w*|retrain\w*|reskill\w*|becom\w* (a|an) \w+|want to be (a|an) \w+"
                      r"|enter(ing)? (the )?\w+ (field|profession)|start(ing)? (a )?career)\b"),
    ("advance", r"\b(promot\w*|advancement|advanc(e|ing) (my|in|at)\b|move up|moving up|climb\w*|get ahead|raise|salary"
                r"|pay (rise|increase|bump)"
                r"|earn more|senior|leadership|step up|next level)\b"),
    ("stay_current", r"\b(stay\w* (current|up[- ]to[- ]date|relevant|sharp)|keep\w* up|up[- ]to[- ]date|refresh\w*"
                     r"|continuing education|cpd|ceu)\b"),
    ("upskill", r"\b(upskill\w*|(for|in|at) (my|our) (job|work|role|team)|current (job|role|position)|skill gap"
                r"|learn (a|one|some) (skill|tool)|need \w+ for (my )?(job|work)|at work|better at|deadline"
                r"|for a project|new tool)\b"),
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
    if re.search(r"\b(not much time|little time|no time|busy|asap|quickly|fast|soon|next (week|month)"
                 r"|this (week|month)|by (next|the end))\b", t):
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
    if re.search(r"\b(money is no object|no limit|whatever it costs|not an issue|employer pays|company pays"
                 r"|company will pay|expensive is fine|thousands)\b", t):
        return "high"
    if re.search(r"\b(free|no budget|zero|nothing|broke|cheap\w*|low budget|tight|no money|little money"
                 r"|not much( money)?|limited)\b", t):
        return "low"
    m = re.search(r"(?:\$|usd|£|€)\s*(\d[\d,]*(?:\.\d+)?)\s*(k)?"
                  r"|(\d[\d,]*(?:\.\d+)?)\s*(k)?\s*(?:\$|dollars?|bucks|usd|pounds?|euros?|£|€)", t)
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


# a certificate programme or a certification: the article's "traditional" credentials
TRADITIONAL = ("certificate", "certification")


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "certificate", "micro_credential", or "degree" (a regulated profession: degree and licence first)
    stack: bool  # suggest stacking micro-credentials towards a certificate
    credentials: Tuple[str, ...]  # ids, best fit first, at most three
    reason: str
    sources: Tuple[str, ...] = ("article#choose",)


def _constraint(time: Optional[str], budget: Optional[str]) -> str:
    if time == "short" and budget == "low":
        return "little time and a small budget"
    return "little time" if time == "short" else "a small budget"


def choose_kind(goal: str, time: Optional[str], budget: Optional[str],
                field: Optional[Field] = None) -> Tuple[str, bool, str, Tuple[str, ...]]:
    """The article's reasoning: which kind fits, whether to stack, why, and the sections it rests on."""
    constrained = time == "short" or budget == "low"
    fid = field.id if field else None
    if field is not None and field.regulated and goal == "career_change" and field.entry is not None:
        # a licensed profession: its own entry route, never micro-credentials as the way in
        return ("degree", False, field.entry.text, (field.entry.source,))
    if fid == "teaching":
        return ("micro_credential", False,
                "The NEA, as the article reports it, sees micro-credentials as teachers' flexible professional "
                "development: they show the learning behind promotion, pay rises and leadership roles.",
                ("article#nea",))
    if field is not None and field.regulated:
        return ("micro_credential", False,
                "Alongside the degree and licence your field requires, micro-credentials keep your skills "
                "current, which the article calls important in fields like healthcare and engineering.",
                ("article#changing",))
    if goal == "career_change" and fid == "tech":
        return ("micro_credential", True,
                "For web and software work, the article says well-regarded micro-credentials might get you in "
                "faster than a four-year degree, especially with a strong portfolio.",
                ("article#compete",))
    if goal == "career_change":
        if constrained:
            return ("micro_credential", True,
                    f"A career change usually calls for a certificate programme's broad grounding, but with "
                    f"{_constraint(time, budget)}, related micro-credentials (often free to a few hundred dollars) "
                    "are the quicker route.", ("article#choose", "article#table"))
        return ("certificate", False,
                "For a career change the article points to a certificate programme: weeks to months of "
                "structured study giving broad grounding.", ("article#choose", "article#table"))
    if goal == "advance":
        if constrained:
            return ("micro_credential", True,
                    f"To move up with {_constraint(time, budget)}, micro-credentials show the specific skills a "
                    "next role needs; related ones can add up to a larger credential.",
                    ("article#choose", "article#table"))
        return ("certificate", False,
                "The article credits certificate programmes with career advancement and specialised knowledge.",
                ("article#table",))
    if goal == "upskill":
        return ("micro_credential", False,
                "For a targeted skill gap the article recommends micro-credentials: hours to days, often free to "
                "a few hundred dollars, usable straight away.", ("article#choose", "article#table"))
    return ("micro_credential", False,
            "To stay current the article recommends micro-credentials: short (hours to days), targeted at one "
            "skill or a new tool.", ("article#choose", "article#table"))


def _fit(cred: Credential, field: Optional[str], kind: str, order: int) -> Tuple[int, int, int]:
    """Lower is better: the field is the credential's main one, then any of its fields; the
    recommended kind first; then the article's order (never the name)."""
    if field and cred.fields and cred.fields[0] == field:
        field_rank = 0
    elif field and field in cred.fields:
        field_rank = 1
    else:
        field_rank = 2
    return (field_rank, 0 if cred.kind == kind else 1, order)


def _pick(kb: Knowledge, field: Optional[str], kind: str, named: Sequence[str]) -> Tuple[str, ...]:
    picked: List[str] = [c for c in named if c in kb.credentials]
    if field is None:
        return tuple(picked[:3])
    order = {cid: i for i, cid in enumerate(kb.credentials)}
    candidates = [c for c in kb.credentials.values() if field in c.fields]
    if kind == "degree":
        # only the profession's own certification (e.g. the CPA), never a micro-credential as a way in
        candidates = [c for c in candidates if c.kind == "certification"]
    else:
        # the kind suggested only ("a certificate programme" takes in certifications, its traditional
        # cousins; micro-credentials are never listed under one, nor the reverse)
        kinds = TRADITIONAL if kind == "certificate" else (kind,)
        same_kind = [c for c in candidates if c.kind in kinds]
        # a credential whose main field is another one (a classroom course for a developer) only
        # when nothing of the field itself is there
        main = [c for c in same_kind if c.fields[0] == field]
        candidates = main or same_kind
    for c in sorted(candidates, key=lambda c: _fit(c, field, kind, order[c.id])):
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
    field_id = field if field in kb.fields else None
    kind, stack, reason, sources = choose_kind(goal, time, budget, kb.fields[field_id] if field_id else None)
    return Recommendation(kind, stack, _pick(kb, field_id, kind, named), reason, sources)


def _sentence_of(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _headline(kb: Knowledge, rec: Recommendation, goal: str, field_label: Optional[str]) -> str:
    goal_words = GOAL_LABELS[goal] + (f" in {field_label}" if field_label and goal != "career_change" else "")
    if goal == "career_change" and field_label:
        goal_words = f"moving into {field_label}"
    if rec.kind == "degree":
        return f"For {goal_words}: the profession's own degree and licence first; micro-credentials are not the way in."
    if rec.kind == "certificate":
        kinds = {kb.credentials[c].kind for c in rec.credentials}
        what = ("a traditional certification" if kinds == {"certification"}
                else "a traditional certificate programme or certification" if len(kinds) > 1
                else "a traditional certificate programme")
    else:
        what = "micro-credentials"
    return f"For {goal_words}, I'd suggest {what}" + (", which can stack towards a certificate." if rec.stack else ".")


def advice_reply(
    kb: Knowledge,
    goal: str,
    field: Optional[str],
    time: Optional[str] = None,
    budget: Optional[str] = None,
    named: Sequence[str] = (),
    field_text: Optional[str] = None,
) -> Reply:
    """The recommendation in at most 700 characters, with buttons to refine it."""
    rec = recommend(kb, goal, field, time, budget, named)
    facts: List[Fact] = [Fact("", r) for r in rec.sources]
    field_label = kb.fields[field].label if field in kb.fields else field_text
    lines = [_headline(kb, rec, goal, field_label), rec.reason]
    if rec.credentials and rec.kind == "degree":
        # the profession's own certification, with what it takes (e.g. the CPA's education rule)
        c = kb.credentials[rec.credentials[0]]
        lines.append(f"{c.name}: {c.facts['duration'].cell or c.facts['duration'].text}.")
    elif rec.credentials:
        names = ", ".join(kb.credentials[c].name for c in rec.credentials)
        lines.append(f"The article names: {names}.")
        certification = next((kb.credentials[c] for c in rec.credentials
                              if kb.credentials[c].kind == "certification"), None)
        if certification is not None:  # what a certification asks before you can hold it
            lines.append(f"{label_name(certification)} requires {certification.facts['duration'].cell}.")
            facts.append(certification.facts["duration"])
    elif field_label and rec.kind != "degree":
        lines.append(f"The article doesn't name {kb.kinds[rec.kind].plural if rec.kind in kb.kinds else 'one'} "
                     f"for {field_label}; compare the issuer, duration, cost and expiry before you choose.")
    missing = [w for w, value in (("field", field_label), ("time", time), ("budget", budget)) if not value]
    if missing and rec.kind != "degree":
        lines.append(f"Tell me your {' or '.join(missing)} and I'll refine this.")
    if rec.credentials and rec.kind == "degree":
        facts.append(kb.credentials[rec.credentials[0]].facts["duration"])
    lines.append(cite(kb, *facts, links=False))
    buttons: List[Button] = [Button(f"About {kb.credentials[c].name}", payload("ask_overview", credential=c))
                             for c in rec.credentials[:2]]
    if rec.kind != "degree":
        if not time:
            buttons.append(Button("I have little time", payload("get_advice", time_available="short")))
        if not budget:
            buttons.append(Button("My budget is small", payload("get_advice", budget="low")))
    else:
        buttons.append(Button("Doctors, engineers, licensed jobs", payload("faq_regulated_professions")))
    buttons.append(Button("Certificate vs micro-credential", payload("compare")))
    return Reply("\n".join(lines), tuple(buttons), topic="advice", more="faq:which_to_choose")
