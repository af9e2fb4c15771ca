"""The gate `make review` puts an accepted change through: write the examples,
retrain, measure, and keep the change only if understanding did not get worse.

- **Before**: the current model's held-out accuracy (`rasa test nlu` on
  tests/nlu_heldout.yml, the measurement of tests/test_rasa_cli.py: the whole
  file, and its original part counting an intent split off from the label as
  right) and the truth suite's verdicts through the real servers
  (evaluation.run.run_truth_suite). Reused from results/review-baseline.json
  when nothing it depends on changed (the model, the held-out file, the truth
  cases, the knowledge file, the actions' code).
- **Train** a candidate into models/.review/: a full `rasa train`, the model
  `make train` would make (about a minute: the intent classifier is a logistic
  regression, addons/intent_classifier.py). Training is deterministic, so the
  candidate differs from the current model by the change alone, not by a
  training's random draw.
- **After**: the same measurements on the candidate; the held-out file first,
  and the truth suite only if the held-out figures pass.
- **Refused** if either held-out figure drops by more than half a point
  (``MAX_DROP``), or a truth case that passed before fails (with the committed
  model every case passes, so: if any case fails). The data files are then
  restored byte for byte and the candidate deleted: the model was never
  touched. **Kept** otherwise: the candidate replaces models/assistant.tar.gz
  and a row is added to the "History" table of docs/EVALUATION.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from evaluation.nludata import read_examples
from evaluation.run import HISTORY_HEADING, original_heldout_count, right_under_first_intents, run_truth_suite
from reporting import nluedit
from stack.env import ROOT, base_env, rasa_bin

MODEL = Path("models") / "assistant.tar.gz"
HELDOUT = Path("tests") / "nlu_heldout.yml"
BASELINE = Path("results") / "review-baseline.json"
HISTORY = Path("docs") / "EVALUATION.md"
TRAIN_LOG = Path("var") / "log" / "review-train.log"
MAX_DROP = 0.005  # half a point of held-out accuracy
TRAIN_INPUTS = ("config.yml", "domain.yml")

Say = Callable[[str], None]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(root: Path) -> str:
    """What a measurement depends on: the model, the held-out file, the truth cases,
    the knowledge file and the actions' code (which compose the answers judged)."""
    from actions.knowledge import knowledge_path
    from evaluation.truth import CASES_FILE

    h = hashlib.sha256()
    files = [root / MODEL, root / HELDOUT, CASES_FILE, knowledge_path(), *sorted((ROOT / "actions").glob("*.py"))]
    for p in files:
        h.update(str(p.name).encode() + b"\0" + sha256(p).encode())
    return h.hexdigest()


@dataclass
class Measure:
    heldout: float  # accuracy on the whole held-out file (after the fallback)
    original: float  # on its original part, an intent split off from the label counted right
    n: int
    n_original: int
    truth_passed: Optional[int] = None
    truth_total: Optional[int] = None
    truth_failed: List[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def has_truth(self) -> bool:
        return self.truth_total is not None

    def heldout_text(self) -> str:
        return f"{100 * self.heldout:.1f}% of {self.n}"

    def original_text(self) -> str:
        return f"{100 * self.original:.1f}% of {self.n_original}"

    def truth_text(self) -> str:
        return f"{self.truth_passed}/{self.truth_total}" if self.has_truth else "not run"


def load_baseline(root: Path) -> Optional[Measure]:
    """The stored measurement of the current model, if it still applies."""
    try:
        m = Measure(**json.loads((root / BASELINE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return m if m.has_truth and m.fingerprint == fingerprint(root) else None


def save_baseline(root: Path, m: Measure) -> None:
    path = root / BASELINE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(m), indent=2), encoding="utf-8")


def measure_heldout(root: Path, model: Path, out: Path) -> Measure:
    """`rasa test nlu` on the held-out file, scored as tests/test_rasa_cli.py scores it."""
    shutil.rmtree(out, ignore_errors=True)
    heldout = root / HELDOUT
    proc = subprocess.run([rasa_bin(), "test", "nlu", "--no-plot", "--nlu", str(heldout), "--model", str(model),
                           "--out", str(out)], cwd=root, env=base_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"rasa test nlu failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    report = json.loads((out / "intent_report.json").read_text())
    held = read_examples([heldout])
    original = dict(held[:original_heldout_count(heldout)])
    wrong = [e for e in json.loads((out / "intent_errors.json").read_text())
             if e["text"] in original and not right_under_first_intents(original[e["text"]],
                                                                         e["intent_prediction"]["name"])]
    return Measure(heldout=report["accuracy"], original=1 - len(wrong) / len(original),
                   n=int(report["weighted avg"]["support"]), n_original=len(original))


def add_truth(m: Measure, model: Path) -> Measure:
    t = run_truth_suite(model)
    m.truth_passed, m.truth_total, m.truth_failed = t["passed"], t["total"], list(t["failed"])
    return m


def measure(root: Path, model: Path, out: Path, say: Say = print, truth: bool = True) -> Measure:
    say("  held-out file (rasa test nlu) ...")
    m = measure_heldout(root, model, out)
    say(f"  held-out: {m.heldout_text()}, original part {m.original_text()}")
    if truth:
        say("  truth suite through the servers ...")
        add_truth(m, model)
        say(f"  truth suite: {m.truth_text()}")
    return m


def baseline(root: Path, say: Say = print, truth: bool = True) -> Measure:
    """What a candidate is compared with, stored or measured now (and stored): the current
    model. Without ``truth`` the truth suite is left out and nothing is stored (enough to
    refuse on held-out figures)."""
    m = load_baseline(root) if truth else None
    if m is not None:
        say(f"Before (the current model, measured earlier): held-out {m.heldout_text()}, "
            f"original part {m.original_text()}, truth suite {m.truth_text()}")
        return m
    say("Measuring the current model" + (f" (once; stored in {BASELINE.as_posix()})" if truth else "") + " ...")
    m = measure(root, root / MODEL, root / "results" / "review-before", say, truth)
    if truth:
        m.fingerprint = fingerprint(root)
        save_baseline(root, m)
    return m


def heldout_reasons(before: Measure, after: Measure) -> List[str]:
    out = []
    if before.heldout - after.heldout > MAX_DROP + 1e-12:
        out.append(f"held-out accuracy dropped {100 * (before.heldout - after.heldout):.1f} points "
                   f"({before.heldout_text()} → {after.heldout_text()}; at most {100 * MAX_DROP:.1f} allowed)")
    if before.original - after.original > MAX_DROP + 1e-12:
        out.append(f"held-out accuracy on the original part dropped {100 * (before.original - after.original):.1f}"
                   f" points ({before.original_text()} → {after.original_text()})")
    return out


def truth_reasons(before: Measure, after: Measure) -> List[str]:
    newly = sorted(set(after.truth_failed) - set(before.truth_failed))
    return [f"truth case {c} passed before and fails now" for c in newly]


def stale_inputs(root: Path) -> List[str]:
    """Training inputs newer than the model (the model would not be what they make)."""
    model = root / MODEL
    if not model.exists():
        return ["models/assistant.tar.gz is missing"]
    t = model.stat().st_mtime
    files = [root / f for f in TRAIN_INPUTS] + sorted((root / "data").glob("*.yml"))
    return [str(p.relative_to(root)) for p in files if p.stat().st_mtime > t]


def train(root: Path, out_dir: Path, log: Path) -> Path:
    cmd = [rasa_bin(), "train", "--fixed-model-name", "candidate", "--out", str(out_dir)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as f:
        proc = subprocess.run(cmd, cwd=root, env=base_env(), stdout=f, stderr=subprocess.STDOUT)
    model = out_dir / "candidate.tar.gz"
    if proc.returncode != 0 or not model.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise RuntimeError(f"rasa train failed (exit {proc.returncode}); the end of {log}:\n{tail}")
    return model


@dataclass
class Result:
    kept: bool
    reasons: List[str]
    before: Measure
    after: Optional[Measure]
    diff: str
    seconds: float = 0.0


def history_row(plan: nluedit.Plan, before: Measure, after: Measure, when: dt.datetime, training: str) -> str:
    added = "; ".join(f"{len(a.examples)} example{'s' if len(a.examples) != 1 else ''} → `{a.intent}` "
                      f"({a.path.relative_to(plan.root).as_posix()}: \"{a.examples[0]}\""
                      f"{' …' if len(a.examples) > 1 else ''})" for a in plan.additions if a.examples)
    return (f"| {when:%Y-%m-%d %H:%M} | {added.replace('|', '/')} | {before.heldout_text()} → {after.heldout_text()} "
            f"| {before.original_text()} → {after.original_text()} | {before.truth_text()} → {after.truth_text()} "
            f"| {training} |")


HISTORY_INTRO = (f"\n{HISTORY_HEADING}\n\n"
                 "Training examples added by `make review` (docs/REPORT.md), each kept only after the gate: "
                 "retrained, held-out accuracy (whole file; original part) not down by more than half a point "
                 "and no truth case newly failing.\n\n"
                 "| date (UTC) | added | held-out | held-out, original part | truth suite | training |\n"
                 "|---|---|---|---|---|---|\n")


def append_history(path: Path, row: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Evaluation\n"
    if f"\n{HISTORY_HEADING}\n" not in text:
        text = text.rstrip("\n") + "\n" + HISTORY_INTRO
    start = text.index(f"\n{HISTORY_HEADING}\n")
    nxt = text.find("\n## ", start + 1)
    end = len(text) if nxt < 0 else nxt + 1
    section = text[start:end].rstrip("\n") + "\n" + row + "\n"
    path.write_text(text[:start] + section + ("\n" + text[end:] if nxt >= 0 else ""), encoding="utf-8")


def run(root: Path, plan: nluedit.Plan, before: Optional[Measure] = None, say: Say = print) -> Result:
    """Write `plan`, retrain, measure, keep or restore (see the module's docstring)."""
    import time

    started = time.monotonic()
    stale = stale_inputs(root)
    if stale:
        raise RuntimeError(f"the model is older than {', '.join(stale)}: run `make train` first, "
                           "so that the gate compares with a model of the current data")
    before = before or baseline(root, say)
    diff = plan.diff()
    model = root / MODEL
    model_sha = sha256(model)
    work = root / "models" / ".review"
    shutil.rmtree(work, ignore_errors=True)
    written = nluedit.write(plan)
    kept = False
    reasons: List[str] = []
    after: Optional[Measure] = None
    try:
        say(f"Training a candidate model (a full rasa train, about a minute); log: {TRAIN_LOG} ...")
        started_training = time.monotonic()
        candidate = train(root, work, root / TRAIN_LOG)
        training = f"full ({time.monotonic() - started_training:.0f} s)"
        say("Measuring the candidate:")
        say("  held-out file (rasa test nlu) ...")
        after = measure_heldout(root, candidate, root / "results" / "review-after")
        say(f"  held-out: {after.heldout_text()}, original part {after.original_text()}")
        reasons = heldout_reasons(before, after)
        if not reasons:
            say("  truth suite through the servers ...")
            add_truth(after, candidate)
            say(f"  truth suite: {after.truth_text()}")
            reasons = truth_reasons(before, after)
        if not reasons:
            when = dt.datetime.now(dt.timezone.utc)
            append_history(root / HISTORY, history_row(plan, before, after, when, training))
            candidate.replace(model)
            kept = True
            after.fingerprint = fingerprint(root)  # the new model's own measurement
            save_baseline(root, after)
    except Exception as exc:  # training or a measurement failed: refused, restored below
        reasons = [f"the gate could not finish: {exc}"]
    finally:  # also on Ctrl-C
        if not kept:
            nluedit.restore(written)
        shutil.rmtree(work, ignore_errors=True)
    if not kept:
        assert sha256(model) == model_sha, "the model changed although the change was refused"
    return Result(kept, reasons, before, after, diff, time.monotonic() - started)


def changed_files(plan: nluedit.Plan) -> List[Tuple[str, int]]:
    return [(a.path.relative_to(plan.root).as_posix(), len(a.examples)) for a in plan.additions if a.examples]


def as_dict(r: Result) -> Dict[str, Any]:
    return {"kept": r.kept, "reasons": r.reasons, "before": asdict(r.before),
            "after": asdict(r.after) if r.after else None, "seconds": r.seconds}
