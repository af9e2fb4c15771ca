"""`make review`: the report's suggestions, one at a time, in the terminal.

For each group of unanswered questions (and each question rated 👎) it shows
the questions, the model's guesses and the proposal (reporting/suggest.py);
the content owner types a key: [a]ccept, [c]hange the intent, [o]ut of scope,
[r]eject or [q]uit (stop here; what was accepted so far goes on). Accepted
questions are then written into data/ (reporting/nluedit.py) and the change
goes through the gate (reporting/gate.py): retrain, held-out set, truth
suite; it is kept only if nothing got worse, else data/ is restored.

    python -m reporting.review [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import yaml

from reporting import gate, nluedit
from reporting.analyze import LOW_CONFIDENCE, Analyzer
from reporting.grouping import SIMILARITY
from reporting.store import ROOT, StoreError, display_url, read_events, resolve_url
from reporting.suggest import ADD_EXAMPLES, MISSING_TOPIC, OOS_INTENT, OUT_OF_SCOPE, Suggestion, suggest, summary

KEYS = "[a]ccept  [c]hange intent  [o]ut of scope  [r]eject  [q]uit"
Ask = Callable[[str], str]


def intents_in_order(root: Path) -> List[str]:
    """The domain's intents that have training examples (where examples can go), in domain order."""
    have = nluedit.intent_files(root)
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    names = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []]
    return [n for n in names if n in have]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def show(s: Suggestion, i: int, n: int, out: Callable[[str], None]) -> None:
    out("")
    out(f"[{i}/{n}] {s.source}")
    for q in s.questions:
        out(f"    - {q}")
    if s.guesses:
        out("  Usual guesses: " + ", ".join(f"{name} {_pct(c)}" for name, c in s.guesses))
    if s.note:
        out(f"  {s.note}")
    out(f"  Suggested: {s.describe()}")


def choose_intent(intents: Sequence[str], ask: Ask, out: Callable[[str], None]) -> Optional[str]:
    width = max(len(x) for x in intents) + 6
    cols = max(1, 78 // width)
    rows = [intents[k:k + cols] for k in range(0, len(intents), cols)]
    start = 1
    for row in rows:
        out("  " + "".join(f"{start + j:>3} {name:<{width - 4}}" for j, name in enumerate(row)).rstrip())
        start += len(row)
    while True:
        answer = ask("  intent (number or name; Enter to go back) > ").strip()
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(intents):
            return intents[int(answer) - 1]
        if answer in intents:
            return answer
        out(f"  no intent {answer!r}")


def walk(suggestions: Sequence[Suggestion], intents: Sequence[str], ask: Ask,
         out: Callable[[str], None]) -> Tuple[List[Suggestion], List[Suggestion]]:
    """The walk-through: (accepted suggestions to write, missing topics noted)."""
    accepted: List[Suggestion] = []
    noted: List[Suggestion] = []
    for i, s in enumerate(suggestions, 1):
        show(s, i, len(suggestions), out)
        while True:
            try:
                key = ask(f"  {KEYS} > ").strip().lower()[:1]
            except EOFError:
                key = "q"
            if key == "a":
                if s.kind == MISSING_TOPIC:
                    noted.append(s)
                    out("  → noted (listed at the end)")
                else:
                    accepted.append(s)
                    out(f"  → accepted: {s.describe()}")
                break
            if key == "c":
                intent = choose_intent(intents, ask, out)
                if intent is None:
                    continue
                s = s.with_intent(intent)
                accepted.append(s)
                out(f"  → accepted: {s.describe()}")
                break
            if key == "o":
                s = s.with_intent(OOS_INTENT)
                accepted.append(s)
                out(f"  → accepted: {s.describe()}")
                break
            if key == "r":
                out("  → rejected")
                break
            if key == "q":
                out(f"  → stopped; {len(suggestions) - i + 1} suggestions left for another time")
                return accepted, noted
            out(f"  please type one of: {KEYS}")
    return accepted, noted


def store_name(url: str, root: Path) -> str:
    shown = display_url(url)
    prefix = "sqlite:///"
    if shown.startswith(prefix):
        try:
            return prefix + Path(shown[len(prefix):]).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return shown


def main(argv: Optional[List[str]] = None, ask: Ask = input, out: Callable[[str], None] = print) -> int:
    ap = argparse.ArgumentParser(prog="python -m reporting.review", description=(
        "Walk through the report's suggestions; write the accepted questions into data/, retrain, and keep "
        "the change only if the held-out accuracy and the truth suite did not get worse."))
    ap.add_argument("--db", help="SQLAlchemy URL of the tracker store, or an SQLite file (default: as make report)")
    ap.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml", help="default: endpoints.yml")
    ap.add_argument("--root", type=Path, default=ROOT, help="the project whose data/ and model are changed "
                                                           "(default: this one)")
    ap.add_argument("--threshold", type=float, default=LOW_CONFIDENCE)
    ap.add_argument("--similarity", type=float, default=SIMILARITY)
    args = ap.parse_args(argv)
    root = args.root.resolve()

    try:
        url = resolve_url(args.db, args.endpoints)
        analyzer = Analyzer(args.threshold, args.similarity)
        for row in read_events(url, progress=False):
            analyzer.add(row)
    except StoreError as exc:
        out(f"error: {exc}")
        return 2
    rep = analyzer.finish()
    store = store_name(url, root)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    known = nluedit.known_examples(root)
    todo = [s for s in suggest(rep)
            if not (s.kind != MISSING_TOPIC and all(nluedit.key(q) in known for q in s.questions))]
    out(f"make review: the report of {today} from {store}: {rep.messages:,} user messages, "
        f"{summary(todo)}.")
    if not todo:
        out("Nothing to review.")
        return 0
    stale = gate.stale_inputs(root)
    if stale:
        out(f"error: the model is older than {', '.join(stale)}: run `make train` first")
        return 2
    out(f"For each: {KEYS}. Accepted questions are written into data/, then checked by retraining "
        "(held-out set and truth suite); nothing is kept if they make it worse.")
    accepted, noted = walk(todo, intents_in_order(root), ask, out)

    comment = f"added {today} from make review (report of {today}/{store})"
    pairs = [(s.intent or "", s.questions) for s in accepted if s.kind in (ADD_EXAMPLES, OUT_OF_SCOPE)]
    plan = nluedit.plan(root, pairs, comment)
    out("")
    for s in noted:
        out(f"Missing topic (for a developer: a new intent, docs/REPORT.md): {s.questions[0]!r} ({s.source})")
    for a in plan.additions:
        for q, where in a.skipped:
            out(f"Not added to {a.intent}: {q!r} is already in {where}")
    if not plan.examples:
        out("Nothing to write into data/.")
        return 0
    for a in plan.additions:
        if a.examples:
            out(f"To add: {len(a.examples)} example(s) of {a.intent} in {a.path.relative_to(root).as_posix()}")
    try:
        result = gate.run(root, plan, say=out)
    except RuntimeError as exc:
        out(f"error: {exc}")
        return 2
    out("")
    if result.kept:
        out(f"KEPT ({result.seconds / 60:.1f} min): held-out {result.before.heldout_text()} → "
            f"{result.after.heldout_text()}, original part {result.before.original_text()} → "
            f"{result.after.original_text()}, truth suite {result.before.truth_text()} → "
            f"{result.after.truth_text()}. The new model is models/assistant.tar.gz; "
            f"a row was added to {gate.HISTORY.as_posix()}'s History. The change (commit it with git):")
        out(result.diff.rstrip("\n"))
        return 0
    out(f"REFUSED ({result.seconds / 60:.1f} min): " + "; ".join(result.reasons) + ".")
    out("data/ and the model are as they were. The change that was refused:")
    out(result.diff.rstrip("\n"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
