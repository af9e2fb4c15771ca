"""Read Rasa NLU YAML files into (text, intent) pairs, annotations stripped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, List, Tuple, Union

import yaml

ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def strip_annotations(text: str) -> str:
    return ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text)


def read_examples(paths: Iterable[Union[str, Path]], keep_annotations: bool = False) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    for path in paths:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu", []) or []:
            if not isinstance(block, dict) or "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = line[2:].strip()
                    out.append((text if keep_annotations else strip_annotations(text), block["intent"]))
    return out


def training_files(root: Path) -> List[Path]:
    return sorted(p for p in (root / "data").glob("nlu*.yml"))


def write_examples(path: Path, examples: List[Tuple[str, str]], header: str = "") -> None:
    by_intent: dict = {}
    for text, intent in examples:
        by_intent.setdefault(intent, []).append(text)
    lines = [f"# {header}"] if header else []
    lines += ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {t}" for t in texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
