"""Entity precision/recall/F1 of the project's spaCy pipeline on an annotated
NLU file (Rasa's own `rasa test nlu` skips SpacyEntityExtractor, treating it
as pretrained, so the project measures it here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import yaml

LABELS = ("credential", "kind", "field", "topic")
_ANNOT = re.compile(r"\[([^\]]+)\]\((credential|kind|field)\)")


def gold_mentions(path: Path) -> List[Tuple[str, Set[Tuple[int, int, str]]]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            raw, plain, gold, pos = line[2:], "", set(), 0
            for m in _ANNOT.finditer(raw):
                plain += raw[pos:m.start()]
                gold.add((len(plain), len(plain) + len(m.group(1)), m.group(2)))
                plain += m.group(1)
                pos = m.end()
            plain += raw[pos:]
            out.append((plain, gold))
    return out


def entity_scores(nlp, path: Path) -> Dict[str, Dict[str, float]]:
    mentions = gold_mentions(path)
    docs = [(nlp(text), gold) for text, gold in mentions]
    scores = {}
    for label in LABELS:
        tp = fp = fn = 0
        for doc, gold in docs:
            g = {x for x in gold if x[2] == label}
            p = {(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ == label}
            tp += len(g & p)
            fp += len(p - g)
            fn += len(g - p)
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        scores[label] = {"precision": prec, "recall": rec,
                         "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "support": tp + fn}
    return scores
