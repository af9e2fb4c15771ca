"""The truth suite (tests/truth/cases.yml): careful questions in five users'
voices, each with the claims its reply must make and must not make, judged
against the article. Played through the real servers over REST by
tests/test_truth.py (`make test`) and by `make eval`, which reports the score.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

CASES_FILE = Path(__file__).resolve().parent.parent / "tests" / "truth" / "cases.yml"
VOICES = ("career_changer", "hr", "teacher", "student", "project_manager")


@dataclass(frozen=True)
class Case:
    id: str
    voice: str
    ask: str
    must: Sequence[str]
    must_not: Sequence[str]
    section: str
    context: Sequence[str] = ()


@dataclass
class Verdict:
    case: Case
    reply: str
    missing: List[str] = field(default_factory=list)  # must-patterns that did not match
    forbidden: List[str] = field(default_factory=list)  # must_not-patterns that matched

    @property
    def passed(self) -> bool:
        return not self.missing and not self.forbidden

    def explain(self) -> str:
        lines = [f"{self.case.id} ({self.case.voice}): {self.case.ask!r}"]
        lines += [f"  missing claim: /{p}/" for p in self.missing]
        lines += [f"  forbidden claim: /{p}/" for p in self.forbidden]
        lines.append("  reply: " + self.reply.replace("\n", "\n         "))
        return "\n".join(lines)


def load_cases(path: Path = CASES_FILE) -> List[Case]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for raw in doc["cases"]:
        out.append(Case(raw["id"], raw["voice"], raw["ask"], tuple(raw.get("must") or ()),
                        tuple(raw.get("must_not") or ()), raw.get("section", ""), tuple(raw.get("context") or ())))
    return out


def judge(case: Case, reply: str) -> Verdict:
    flags = re.IGNORECASE | re.MULTILINE
    return Verdict(
        case, reply,
        missing=[p for p in case.must if not re.search(p, reply, flags)],
        forbidden=[p for p in case.must_not if re.search(p, reply, flags)],
    )


def say(base_url: str, sender: str, message: str, timeout: float = 30) -> List[Dict[str, Any]]:
    req = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode("utf-8"))


def play(base_url: str, case: Case) -> Verdict:
    """One conversation: the context turns, then the question; the reply is the last turn's texts."""
    sender = f"truth-{case.id}-{uuid.uuid4().hex[:6]}"
    for turn in case.context:
        say(base_url, sender, turn)
    messages = say(base_url, sender, case.ask)
    return judge(case, "\n".join(m.get("text") or "" for m in messages))


def score(verdicts: Sequence[Verdict]) -> Dict[str, Any]:
    by_voice: Dict[str, List[int]] = {}
    for v in verdicts:
        by_voice.setdefault(v.case.voice, [0, 0])
        by_voice[v.case.voice][0] += int(v.passed)
        by_voice[v.case.voice][1] += 1
    passed = sum(v.passed for v in verdicts)
    return {"passed": passed, "total": len(verdicts),
            "by_voice": {k: {"passed": a, "total": b} for k, (a, b) in sorted(by_voice.items())},
            "failed": [v.case.id for v in verdicts if not v.passed]}


def run_all(base_url: str, cases: Optional[Sequence[Case]] = None) -> List[Verdict]:
    return [play(base_url, c) for c in (cases if cases is not None else load_cases())]
