"""Deterministic perturbations of test messages, the way people really type:
typos (a letter swapped, dropped or doubled), lower case, "micro-credential"
without its hyphen or space, British/American spellings and contractions.

`perturb(text, seed)` always gives the same output for the same input and seed.
"""

from __future__ import annotations

import random
import re
from typing import Callable, List, Tuple

SPELLINGS: List[Tuple[str, str]] = [
    ("programme", "program"), ("licence", "license"), ("specialise", "specialize"),
    ("specialised", "specialized"), ("organisation", "organization"), ("analyse", "analyze"),
    ("recognise", "recognize"), ("recognised", "recognized"), ("optimisation", "optimization"),
    ("enrol", "enroll"), ("centre", "center"), ("colour", "color"), ("judgement", "judgment"),
    ("practise", "practice"), ("cheque", "check"), ("favourite", "favorite"),
]
CONTRACTIONS: List[Tuple[str, str]] = [
    ("do not", "don't"), ("does not", "doesn't"), ("is not", "isn't"), ("are not", "aren't"),
    ("i am", "i'm"), ("it is", "it's"), ("what is", "what's"), ("that is", "that's"),
    ("cannot", "can't"), ("will not", "won't"), ("i would", "i'd"), ("you are", "you're"),
    ("i have", "i've"), ("there is", "there's"), ("how is", "how's"),
]
_MICRO = re.compile(r"\bmicro[- ]?(credential|cred|certification)(s?)\b", re.IGNORECASE)


def typo(text: str, rng: random.Random) -> str:
    words = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]{4,}", text)]
    if not words:
        return text
    start, end = rng.choice(words)
    w = text[start:end]
    i = rng.randrange(1, len(w) - 1)
    op = rng.choice(("swap", "drop", "double"))
    if op == "swap":
        w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    elif op == "drop":
        w = w[:i] + w[i + 1:]
    else:
        w = w[:i] + w[i] + w[i:]
    return text[:start] + w + text[end:]


def lower(text: str, rng: random.Random) -> str:
    return text.lower()


def micro_variant(text: str, rng: random.Random) -> str:
    joiner = rng.choice(("", " "))
    return _MICRO.sub(lambda m: f"micro{joiner}{m.group(1)}{m.group(2)}", text)


def _swap_pairs(text: str, pairs: List[Tuple[str, str]], rng: random.Random) -> str:
    present = []
    for a, b in pairs:
        for src, dst in ((a, b), (b, a)):
            if re.search(rf"\b{re.escape(src)}\b", text, re.IGNORECASE):
                present.append((src, dst))
    if not present:
        return text
    src, dst = rng.choice(present)
    return re.sub(rf"\b{re.escape(src)}\b", dst, text, count=1, flags=re.IGNORECASE)


def spelling(text: str, rng: random.Random) -> str:
    return _swap_pairs(text, SPELLINGS, rng)


def contraction(text: str, rng: random.Random) -> str:
    return _swap_pairs(text, CONTRACTIONS, rng)


OPERATIONS: List[Callable[[str, random.Random], str]] = [typo, lower, micro_variant, spelling, contraction]


def perturb(text: str, seed: int) -> str:
    """Apply two or three perturbations, chosen by a seeded generator."""
    rng = random.Random(seed)
    out = text
    for op in rng.sample(OPERATIONS, k=rng.choice((2, 3))):
        out = op(out, rng)
    # always at least one typo: the point is robustness to slips
    if out == text or rng.random() < 0.5:
        out = typo(out, rng)
    return out


def perturb_all(examples: List[Tuple[str, str]], seed: int = 13) -> List[Tuple[str, str]]:
    return [(perturb(text, seed * 100003 + i), intent) for i, (text, intent) in enumerate(examples)]
