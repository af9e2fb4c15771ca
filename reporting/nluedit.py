"""Write accepted questions into the NLU training files, textually.

Every other byte of a file is kept: the new examples are appended to the file
that holds the intent, as a block of their own under that intent, after a
YAML comment line that says when and from which report they were added:

    # added 2026-11-30 from make review (report of 2026-11-30/sqlite:///var/trackers.db)
    - intent: ask_expiry
      examples: |
        - how long is the cpa valid

The comment cannot go inside the intent's existing `examples: |` block: a line
there is part of the block's text, and Rasa's reader skips a line that does not
start with "- " with a warning (which `rasa data validate --fail-on-warning`
turns into a failure). Rasa merges every block of an intent, in one file or
several.

An example is never written twice: a question already in any `data/*.yml`
file, in the held-out file, or earlier in the same batch (compared
normalised: case, spaces, edge punctuation, entity annotations) is skipped.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set, Tuple

import yaml

from evaluation.nludata import strip_annotations
from reporting.grouping import normalise

HELDOUT = Path("tests") / "nlu_heldout.yml"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def nlu_files(root: Path) -> List[Path]:
    return sorted((root / "data").glob("nlu*.yml"))


def intent_files(root: Path) -> Dict[str, Path]:
    """Each intent with training examples -> the first data/nlu*.yml file that holds it."""
    out: Dict[str, Path] = {}
    for path in nlu_files(root):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu") or []:
            if isinstance(block, dict) and "intent" in block and "examples" in block:
                out.setdefault(str(block["intent"]), path)
    return out


def key(text: str) -> str:
    """The form examples are compared in."""
    return normalise(strip_annotations(text))


def known_examples(root: Path) -> Dict[str, str]:
    """Normalised example -> where it is (file relative to root), over data/*.yml and the held-out file."""
    out: Dict[str, str] = {}
    for path in [*sorted((root / "data").glob("*.yml")), root / HELDOUT]:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if s.startswith("- ") and not s.startswith(("- intent:", "- synonym:", "- regex:", "- lookup:",
                                                         "- rule:", "- story:")):
                out.setdefault(key(s[2:]), str(path.relative_to(root)))
    return out


def clean(text: str) -> str:
    """One line, safe inside a block scalar and for Rasa's annotation syntax."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    if re.search(r"\]\s*[({]", text):  # would read as an entity annotation: [x](y) / [x]{...}
        text = text.replace("[", "(").replace("]", ")")
    return text


@dataclass
class Addition:
    intent: str
    path: Path
    examples: List[str] = field(default_factory=list)  # to write
    skipped: List[Tuple[str, str]] = field(default_factory=list)  # (question, where it already is)


@dataclass
class Plan:
    root: Path
    comment: str
    additions: List[Addition] = field(default_factory=list)

    @property
    def examples(self) -> int:
        return sum(len(a.examples) for a in self.additions)

    def new_texts(self) -> Dict[Path, str]:
        """Each file to change -> its whole new text (the old bytes, then the appended blocks)."""
        out: Dict[Path, str] = {}
        for a in self.additions:
            if not a.examples:
                continue
            old = out.get(a.path)
            if old is None:
                old = a.path.read_text(encoding="utf-8")
            sep = "" if old.endswith("\n\n") or not old else ("\n" if old.endswith("\n") else "\n\n")
            block = [f"# {self.comment}", f"- intent: {a.intent}", "  examples: |"]
            block += [f"    - {e}" for e in a.examples]
            out[a.path] = old + sep + "\n".join(block) + "\n"
        return out

    def diff(self) -> str:
        """A unified diff (git's a/ b/ form) of the change."""
        chunks = []
        for path, new in self.new_texts().items():
            rel = path.relative_to(self.root).as_posix()
            old = path.read_text(encoding="utf-8")
            chunks.append("".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                       f"a/{rel}", f"b/{rel}")))
        return "".join(chunks)


def plan(root: Path, accepted: Iterable[Tuple[str, Sequence[str]]], comment: str) -> Plan:
    """What writing each (intent, questions) would add, in order, without touching any file."""
    files = intent_files(root)
    known = known_examples(root)
    p = Plan(root, comment)
    by_intent: Dict[str, Addition] = {}
    batch: Set[str] = set()
    for intent, questions in accepted:
        if intent not in files:
            raise ValueError(f"the intent {intent!r} has no training examples in data/nlu*.yml")
        add = by_intent.get(intent)
        if add is None:
            add = by_intent[intent] = Addition(intent, files[intent])
            p.additions.append(add)
        for q in questions:
            text = clean(q)
            k = key(text)
            if not k:
                continue
            if k in known:
                add.skipped.append((q, known[k]))
            elif k in batch:
                add.skipped.append((q, "accepted twice"))
            else:
                batch.add(k)
                add.examples.append(text)
    return p


@dataclass(frozen=True)
class Saved:
    """A file's bytes and times before the plan was written (restored exactly if refused)."""
    data: bytes
    atime_ns: int
    mtime_ns: int


def write(p: Plan) -> Dict[Path, Saved]:
    """Write the plan; returns each changed file's previous bytes and times (to restore)."""
    before: Dict[Path, Saved] = {}
    for path, text in p.new_texts().items():
        st = path.stat()
        before[path] = Saved(path.read_bytes(), st.st_atime_ns, st.st_mtime_ns)
        path.write_text(text, encoding="utf-8")
    return before


def restore(before: Dict[Path, Saved]) -> None:
    """Put the files back as they were, modification time included: a refused change leaves
    the model no older than data/ (else the next `make review` or `make run` would ask for
    a full retrain of data that did not change)."""
    for path, saved in before.items():
        path.write_bytes(saved.data)
        os.utime(path, ns=(saved.atime_ns, saved.mtime_ns))
