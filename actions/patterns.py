"""Build the project's spaCy pipeline from the knowledge file.

`spacy.blank("en")` + an `entity_ruler` whose token patterns come from the
names and aliases of credentials, kinds and fields. Matching is
case-insensitive (except for aliases marked case-sensitive, such as "IT" and
"React"), tolerant of hyphens and spaces ("micro-credential", "micro
credential", "microcredential") and of one slip per word of five letters or
more (a dropped, doubled or swapped letter: "kubernets", "pyhton"; a
replaced one in words of seven letters or more: "kubernetis").

Run `python -m actions.patterns OUT_DIR` to write the pipeline (Rasa's
`SpacyNLP` loads it with `model: OUT_DIR`), from the knowledge file
`load_knowledge()` reads: $KNOWLEDGE_FILE, else knowledge/credentials.yml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set

from actions.knowledge import Knowledge, KnowledgeError, load_knowledge, normalise

MIN_TYPO_LEN = 5
MIN_SUBSTITUTION_LEN = 7
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Words that a slip of another word must never turn into.
_NEVER_VARIANTS = {"loud", "clod", "bade", "date", "ate", "sing", "teachin"}


def typo_variants(word: str) -> Set[str]:
    """The word plus every form with one letter dropped, doubled or swapped
    (and, for words of seven letters or more, one letter replaced)."""
    word = word.lower()
    out = {word}
    if len(word) < MIN_TYPO_LEN or not word.isalpha():
        return out
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1:])  # dropped
        out.add(word[:i] + word[i] + word[i:])  # doubled
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2:])  # swapped
        if len(word) >= MIN_SUBSTITUTION_LEN:
            out.update(word[:i] + c + word[i + 1:] for c in _LETTERS)  # replaced
    return {w for w in out if w not in _NEVER_VARIANTS}


def spelling_variants(alias: str) -> Set[str]:
    """Hyphen and space variants of an alias, and the plural of an acronym ("CPAs")."""
    forms = {alias, alias.replace("-", " "), alias.replace("-", "")}
    if alias.isupper() and alias.isalpha() and len(alias) <= 5:
        forms |= {alias + "s", alias + "'s", alias + "’s"}
    return {" ".join(f.split()) for f in forms if f.strip()}


def _tokens(nlp, text: str) -> List[str]:
    return [t.text for t in nlp.make_doc(text)]


def alias_patterns(nlp, alias: str, case_sensitive: bool) -> List[List[Dict[str, object]]]:
    patterns = []
    for form in sorted(spelling_variants(alias)):
        toks = _tokens(nlp, form)
        if case_sensitive:
            patterns.append([{"ORTH": t} for t in toks])
        else:
            pattern: List[Dict[str, object]] = []
            for t in toks:
                variants = typo_variants(t)
                if len(variants) == 1:
                    pattern.append({"LOWER": t.lower()})
                else:
                    pattern.append({"LOWER": {"IN": sorted(variants)}})
            patterns.append(pattern)
    return patterns


def ruler_patterns(kb: Knowledge, nlp) -> List[Dict[str, object]]:
    """Entity-ruler patterns (label, pattern, id) for every name and alias."""
    out: List[Dict[str, object]] = []
    seen: Set[str] = set()

    def emit(label: str, oid: str, names: Iterable[str], case_sensitive: Iterable[str]) -> None:
        cs = set(case_sensitive)
        for name in names:
            for pattern in alias_patterns(nlp, name, name in cs):
                key = json.dumps([label, pattern], sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    out.append({"label": label, "pattern": pattern, "id": oid})

    for kid, kind in kb.kinds.items():
        emit("kind", kid, kind.aliases, ())
    for fid, fld in kb.fields.items():
        emit("field", fid, fld.aliases, fld.case_sensitive_aliases)
    for cid, cred in kb.credentials.items():
        emit("credential", cid, (cred.name,) + cred.aliases, cred.case_sensitive_aliases)
    for tid, topic in kb.topics.items():
        emit("topic", tid, (topic.name,) + topic.aliases, topic.case_sensitive_aliases)
    # names the article doesn't cover: no typo variants; a short or all-capitals name ("MIT",
    # "Meta", "edX") only in its own case, so German "mit" or the word "meta" is no product
    for name in kb.unknown_names:
        exact = len(name) <= 4 or name.isupper()
        pattern = [{"ORTH": t} if exact else {"LOWER": t.lower()} for t in _tokens(nlp, name)]
        out.append({"label": "product", "pattern": pattern, "id": normalise(name)})
    return out


def build_pipeline(kb: Knowledge):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True, "validate": True})
    ruler.add_patterns(ruler_patterns(kb, nlp))
    return nlp


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m actions.patterns OUT_DIR  (the knowledge file: $KNOWLEDGE_FILE, "
              "else knowledge/credentials.yml)", file=sys.stderr)
        return 2
    try:
        kb = load_knowledge()
    except KnowledgeError as exc:
        print(f"knowledge error: {exc}", file=sys.stderr)
        return 1
    nlp = build_pipeline(kb)
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    n = len(nlp.get_pipe("entity_ruler").patterns)
    print(f"spaCy pipeline with {n} entity patterns from {kb.path} written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
