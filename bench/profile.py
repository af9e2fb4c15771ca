"""Where the servers' CPU time goes: py-spy attached to the running Rasa
server and action server while the benchmark drives a single user through the
mix, summarised from py-spy's collapsed stacks into buckets.

Buckets are inclusive (a sample counts in every bucket one of its frames
matches), so they overlap and need not add up to 100%. Shares are of the busy
samples: those whose innermost frame is the event loop waiting are left out.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

# (bucket, substrings any of which must appear in a frame "func (file:line)")
RASA_BUCKETS: List[Tuple[str, Sequence[str]]] = [
    ("REST handler (whole message)", ("channels/rest.py",)),
    ("NLU: parse_message", ("parse_message (rasa/core/processor.py",)),
    ("NLU: spaCy", ("spacy/", "rasa/nlu/utils/spacy_utils.py", "spacy_tokenizer.py", "spacy_entity_extractor.py")),
    ("NLU: CountVectorsFeaturizer", ("count_vectors_featurizer.py",)),
    ("NLU: LexicalSyntacticFeaturizer", ("lexical_syntactic_featurizer.py",)),
    ("NLU: DIETClassifier", ("diet_classifier.py",)),
    ("NLU: intent classifier (TF-IDF + logistic regression)",
     ("logistic_regression_classifier.py", "addons/intent_classifier.py", "sklearn/")),
    ("NLU: language identification (LanguageFilter, Lingua)", ("addons/language_filter.py", "lingua")),
    ("policies: predict next action", ("_predict_next_with_tracker",)),
    ("policy: RulePolicy", ("rule_policy.py",)),
    ("policy: MemoizationPolicy", ("memoization.py",)),
    ("policy: TEDPolicy", ("ted_policy.py",)),
    ("policy: UnexpecTEDIntentPolicy", ("unexpected_intent_policy.py",)),
    ("running actions (_run_action)", ("_run_action (rasa/core/processor.py",)),
    ("action server call (RemoteAction.run)",
     ("run (rasa/core/actions/action.py:7", "run (rasa/core/actions/action.py:8")),
    ("jsonschema: validating action server responses", ("_validate_action_result",)),
    ("forms (FormAction)", ("rasa/core/actions/forms.py",)),
    ("tracker store: retrieve", ("get_tracker (rasa/core/processor.py",)),
    ("tracker store: save", ("save_tracker (rasa/core/processor.py",)),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("TensorFlow", ("tensorflow/", "keras/")),
    ("json / ujson", ("json/", "ujson")),
]

ACTIONS_BUCKETS: List[Tuple[str, Sequence[str]]] = [
    ("rasa_sdk webhook (whole request)", ("webhook (rasa_sdk/endpoint.py",)),
    ("rasa_sdk executor.run", ("rasa_sdk/executor.py",)),
    ("Tracker.from_dict", ("from_dict (rasa_sdk/interfaces.py",)),
    ("project actions (actions/)", ("actions/actions.py",)),
    ("UnknownFinder.find", ("find (actions/lookup.py",)),
    ("difflib", ("difflib.py",)),
    ("lookup.resolve", ("resolve (actions/lookup.py",)),
    ("answers (compose)", ("actions/answers.py",)),
    ("retrieval (actions/retrieval.py, scikit-learn)", ("actions/retrieval.py", "sklearn/")),
    ("language identification (actions/language.py, Lingua)", ("actions/language.py", "lingua")),
    ("advice form validation", ("rasa_sdk/forms.py", "actions/advice.py")),
    ("json / ujson", ("json/", "ujson")),
]

# A sample whose innermost frame is one of these is the event loop waiting
# for work (py-spy does not always see a thread blocked in epoll as idle).
IDLE_LEAVES = ("serve (sanic/server/runners.py", "select (selectors.py", "_run_once (asyncio/base_events.py",
               "run_forever (asyncio/base_events.py")


def py_spy() -> Optional[str]:
    exe = Path(sys.executable).with_name("py-spy")
    return str(exe) if exe.exists() else shutil.which("py-spy")


class Recorder:
    """py-spy record --format raw on one pid until stop()."""

    def __init__(self, name: str, pid: int, out_dir: Path, rate: int = 200):
        self.name = name
        self.pid = pid
        self.out = out_dir / f"{name}.collapsed.txt"
        self.log = out_dir / f"{name}.py-spy.log"
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (pip install -c constraints.txt py-spy)")
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [exe, "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate),
             "--subprocesses", "--duration", "600", "--output", str(self.out)],
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def stop(self) -> Path:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        return self.out


def read_collapsed(path: Path) -> Counter:
    stacks: Counter = Counter()
    if not path.exists():
        return stacks
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def _frames(stack: str) -> List[str]:
    return [f for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]


def summarize(stacks: Counter, buckets: Sequence[Tuple[str, Sequence[str]]], top: int = 15) -> Dict[str, object]:
    """Shares of the busy samples (the idle event loop left out)."""
    all_samples = sum(stacks.values())
    stacks = Counter({k: n for k, n in stacks.items() if not (_frames(k) or [""])[-1].startswith(IDLE_LEAVES)})
    total = sum(stacks.values())
    if not total:
        return {"samples": 0, "all_samples": all_samples}
    inclusive: Counter = Counter()
    self_time: Counter = Counter()
    func_incl: Counter = Counter()
    for stack, n in stacks.items():
        frames = _frames(stack)
        if frames:
            self_time[frames[-1]] += n
        for f in set(frames):
            func_incl[f] += n
        for name, needles in buckets:
            if any(any(nd in f for nd in needles) for f in frames):
                inclusive[name] += n

    def pct(n: int) -> float:
        return round(100.0 * n / total, 1)

    return {
        "samples": total,
        "all_samples": all_samples,
        "buckets_pct": {name: pct(inclusive[name]) for name, _ in buckets},
        "top_self_pct": [[f, pct(n)] for f, n in self_time.most_common(top)],
        "top_inclusive_pct": [[f, pct(n)] for f, n in func_incl.most_common(top * 3)
                              if not any(x in f for x in ("asyncio/", "<module>", "runpy.py", "_run_module"))][:top],
    }


def available() -> bool:
    return py_spy() is not None and os.path.exists("/proc/self/status")
