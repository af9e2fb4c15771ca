"""Load and validate the knowledge file: the single source of facts.

Everything here is plain, typed and free of Rasa, so it can be used by the
action server, by the build step that generates the spaCy entity patterns, and
by tests. A broken file raises :class:`KnowledgeError`, whose message names the
file, the entry and the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "credentials.yml"
# The one setting that chooses another knowledge file. Read by knowledge_path()
# each time it is called, so the build, the actions, the evaluation and the
# report all honour it alike.
KNOWLEDGE_FILE_ENV = "KNOWLEDGE_FILE"


def knowledge_path(path: Union[str, Path, None] = None) -> Path:
    """The knowledge file to use: `path` if given, else $KNOWLEDGE_FILE, else the default."""
    import os

    if path is not None and str(path).strip():
        return Path(path)
    env = (os.environ.get(KNOWLEDGE_FILE_ENV) or "").strip()
    return Path(env) if env else DEFAULT_PATH

KINDS: Tuple[str, ...] = ("micro_credential", "certificate")
ATTRIBUTES: Tuple[str, ...] = (
    "scope",
    "duration",
    "cost",
    "issuer",
    "format",
    "career_impact",
    "expiry",
    "stackable",
)
# Intents a follow-up button may point to (must exist in the domain).
BUTTON_INTENTS: Tuple[str, ...] = (
    "faq_employers_care",
    "faq_same_as_certification",
    "faq_what_is",
    "faq_which_to_choose",
    "faq_higher_education",
    "faq_trends",
    "faq_replace_degrees",
    "faq_teachers",
    "ask_scope",
    "ask_duration",
    "ask_cost",
    "ask_issuer",
    "ask_format",
    "ask_career_impact",
    "ask_expiry",
    "ask_stackable",
    "compare",
    "list_credentials",
    "get_advice",
)
GENERAL = "general"


class KnowledgeError(ValueError):
    """The knowledge file is missing, unreadable or fails validation."""

    def __init__(self, path: Union[str, Path], entry: str, field_name: str, problem: str):
        self.path = str(path)
        self.entry = entry
        self.field = field_name
        self.problem = problem
        super().__init__(
            f"{self.path}: entry '{entry}', field '{field_name}': {problem}"
        )


@dataclass(frozen=True)
class Fact:
    """One statement with its source. ``specific`` is False when the article
    says nothing about this credential and the text is its kind's general rule."""

    text: str
    source: str
    specific: bool = True


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    plural: str
    aliases: Tuple[str, ...]


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    aliases: Tuple[str, ...]
    case_sensitive_aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class FaqTopic:
    id: str
    label: str
    text: str
    source: str
    follow_ups: Tuple[str, ...]


@dataclass(frozen=True)
class Credential:
    id: str
    name: str
    kind: str
    fields: Tuple[str, ...]
    aliases: Tuple[str, ...]
    facts: Mapping[str, Fact]
    case_sensitive_aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: Optional[str]
    sections: Mapping[str, str]


@dataclass(frozen=True)
class Knowledge:
    path: str
    sources: Mapping[str, Source]
    kinds: Mapping[str, Kind]
    attributes: Mapping[str, str]  # id -> label
    general: Mapping[str, Mapping[str, Fact]]  # attribute -> kind -> fact
    fields: Mapping[str, Field]
    faq: Mapping[str, FaqTopic]
    credentials: Mapping[str, Credential]
    alias_index: Mapping[str, Tuple[str, str]] = field(default_factory=dict)
    # normalised alias -> (label, id); label is "credential", "kind" or "field".
    # Case-sensitive aliases ("IT", "React") are only in exact_index, so that
    # the pronoun "it" or the verb "react" never look like a name.
    exact_index: Mapping[str, Tuple[str, str]] = field(default_factory=dict)

    def describe_source(self, ref: str) -> str:
        """A human-readable citation for a source reference."""
        src_id, _, section = ref.partition("#")
        source = self.sources[src_id]
        if section:
            return f"{source.title}, section \"{source.sections[section]}\""
        return source.title if not source.url else f"{source.title} ({source.url})"


def normalise(text: str) -> str:
    """Case-, accent-, hyphen- and punctuation-insensitive form of a name."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^\w+#]+", " ", text)
    return " ".join(text.split())


# --------------------------------------------------------------------------
# validation helpers


class _Checker:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, entry: str, field_name: str, problem: str) -> KnowledgeError:
        return KnowledgeError(self.path, entry, field_name, problem)

    def mapping(self, value: Any, entry: str, field_name: str) -> Dict[str, Any]:
        if not isinstance(value, dict) or not value:
            raise self.fail(entry, field_name, "must be a non-empty mapping")
        return value

    def text(self, value: Any, entry: str, field_name: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, field_name, "must be a non-empty text")
        return " ".join(value.split())

    def text_list(self, value: Any, entry: str, field_name: str, allow_empty: bool = False) -> Tuple[str, ...]:
        if value is None and allow_empty:
            return ()
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(entry, field_name, "must be a non-empty list of texts")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, (str, int, float)) or not str(item).strip():
                raise self.fail(entry, f"{field_name}[{i}]", "must be a non-empty text")
            out.append(str(item).strip())
        return tuple(out)

    def keys(self, value: Dict[str, Any], entry: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        required = list(required)
        for key in required:
            if key not in value:
                raise self.fail(entry, key, "is missing")
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                raise self.fail(entry, str(key), f"is not a known field (expected one of: {', '.join(sorted(allowed))})")


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise KnowledgeError(path, "(file)", "(file)", "file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise KnowledgeError(path, "(file)", "(syntax)", f"invalid YAML at {where}: {getattr(exc, 'problem', exc)}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, "(file)", "(file)", f"cannot be read: {exc}") from exc


def _check_source_ref(c: _Checker, sources: Mapping[str, Source], ref: Any, entry: str, field_name: str) -> str:
    ref = c.text(ref, entry, field_name)
    src_id, hash_, section = ref.partition("#")
    if src_id not in sources:
        raise c.fail(entry, field_name, f"unknown source '{src_id}' (known: {', '.join(sorted(sources))})")
    if hash_ and section not in sources[src_id].sections:
        raise c.fail(entry, field_name, f"unknown section '{section}' of source '{src_id}'")
    return ref


def _fact(c: _Checker, sources: Mapping[str, Source], value: Any, entry: str, field_name: str) -> Fact:
    value = c.mapping(value, entry, field_name)
    c.keys(value, f"{entry}.{field_name}", ["text", "source"])
    return Fact(
        text=c.text(value["text"], entry, f"{field_name}.text"),
        source=_check_source_ref(c, sources, value["source"], entry, f"{field_name}.source"),
    )


def load_knowledge(path: Union[str, Path, None] = None) -> Knowledge:
    """Read and validate the knowledge file (see knowledge_path); raise KnowledgeError if it is broken."""
    path = knowledge_path(path)
    c = _Checker(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise c.fail("(file)", "(top level)", "must be a mapping with sections sources, kinds, attributes, general, fields, faq, credentials")
    c.keys(raw, "(top level)", ["version", "sources", "kinds", "attributes", "general", "fields", "faq", "credentials"])
    if raw["version"] != 1:
        raise c.fail("(top level)", "version", "must be 1")

    # sources
    sources: Dict[str, Source] = {}
    for sid, s in c.mapping(raw["sources"], "sources", "sources").items():
        entry = f"sources.{sid}"
        s = c.mapping(s, entry, "(entry)")
        c.keys(s, entry, ["title"], ["url", "note", "sections"])
        sections = s.get("sections") or {}
        if not isinstance(sections, dict):
            raise c.fail(entry, "sections", "must be a mapping of anchor: title")
        sources[sid] = Source(
            id=sid,
            title=c.text(s["title"], entry, "title"),
            url=c.text(s["url"], entry, "url") if "url" in s else None,
            sections={str(k): c.text(v, entry, f"sections.{k}") for k, v in sections.items()},
        )

    # kinds
    kinds: Dict[str, Kind] = {}
    raw_kinds = c.mapping(raw["kinds"], "kinds", "kinds")
    for kid in KINDS:
        if kid not in raw_kinds:
            raise c.fail(f"kinds.{kid}", "(entry)", "is missing")
    for kid, k in raw_kinds.items():
        entry = f"kinds.{kid}"
        if kid not in KINDS:
            raise c.fail(entry, "(entry)", f"unknown kind (expected: {', '.join(KINDS)})")
        k = c.mapping(k, entry, "(entry)")
        c.keys(k, entry, ["label", "plural", "aliases"])
        kinds[kid] = Kind(kid, c.text(k["label"], entry, "label"), c.text(k["plural"], entry, "plural"),
                          c.text_list(k["aliases"], entry, "aliases"))

    # attributes
    raw_attrs = c.mapping(raw["attributes"], "attributes", "attributes")
    attributes: Dict[str, str] = {}
    for aid in ATTRIBUTES:
        if aid not in raw_attrs:
            raise c.fail(f"attributes.{aid}", "(entry)", "is missing")
    for aid, a in raw_attrs.items():
        entry = f"attributes.{aid}"
        if aid not in ATTRIBUTES:
            raise c.fail(entry, "(entry)", f"unknown attribute (expected: {', '.join(ATTRIBUTES)})")
        a = c.mapping(a, entry, "(entry)")
        c.keys(a, entry, ["label", "question"])
        attributes[aid] = c.text(a["label"], entry, "label")
        c.text(a["question"], entry, "question")

    # general rules per attribute and kind
    raw_general = c.mapping(raw["general"], "general", "general")
    general: Dict[str, Dict[str, Fact]] = {}
    for aid in ATTRIBUTES:
        entry = f"general.{aid}"
        per_kind = c.mapping(raw_general.get(aid), entry, "(entry)")
        for kid in per_kind:
            if kid not in KINDS:
                raise c.fail(entry, str(kid), f"unknown kind (expected: {', '.join(KINDS)})")
        general[aid] = {kid: _fact(c, sources, per_kind.get(kid), entry, kid) for kid in KINDS}
    for aid in raw_general:
        if aid not in ATTRIBUTES:
            raise c.fail(f"general.{aid}", "(entry)", "unknown attribute")

    # fields
    fields: Dict[str, Field] = {}
    for fid, f in c.mapping(raw["fields"], "fields", "fields").items():
        entry = f"fields.{fid}"
        f = c.mapping(f, entry, "(entry)")
        c.keys(f, entry, ["label", "aliases"], ["case_sensitive_aliases"])
        aliases = c.text_list(f["aliases"], entry, "aliases")
        cs = c.text_list(f.get("case_sensitive_aliases"), entry, "case_sensitive_aliases", allow_empty=True)
        for alias in cs:
            if alias not in aliases:
                raise c.fail(entry, "case_sensitive_aliases", f"'{alias}' is not one of the aliases")
        fields[fid] = Field(fid, c.text(f["label"], entry, "label"), aliases, cs)

    # faq
    faq: Dict[str, FaqTopic] = {}
    for tid, t in c.mapping(raw["faq"], "faq", "faq").items():
        entry = f"faq.{tid}"
        t = c.mapping(t, entry, "(entry)")
        c.keys(t, entry, ["label", "text", "source", "follow_ups"])
        follow = c.text_list(t["follow_ups"], entry, "follow_ups")
        for i, intent in enumerate(follow):
            if intent not in BUTTON_INTENTS:
                raise c.fail(entry, f"follow_ups[{i}]", f"unknown intent '{intent}'")
        faq[tid] = FaqTopic(tid, c.text(t["label"], entry, "label"), c.text(t["text"], entry, "text"),
                            _check_source_ref(c, sources, t["source"], entry, "source"), follow)

    # credentials
    credentials: Dict[str, Credential] = {}
    for cid, cr in c.mapping(raw["credentials"], "credentials", "credentials").items():
        entry = f"credentials.{cid}"
        cr = c.mapping(cr, entry, "(entry)")
        c.keys(cr, entry, ["name", "kind", "fields", "aliases", "facts"], ["case_sensitive_aliases"])
        kind = c.text(cr["kind"], entry, "kind")
        if kind not in KINDS:
            raise c.fail(entry, "kind", f"unknown kind '{kind}' (expected: {', '.join(KINDS)})")
        cfields = c.text_list(cr["fields"], entry, "fields")
        for i, fid in enumerate(cfields):
            if fid not in fields:
                raise c.fail(entry, f"fields[{i}]", f"unknown field '{fid}' (known: {', '.join(sorted(fields))})")
        aliases = c.text_list(cr["aliases"], entry, "aliases")
        cs = c.text_list(cr.get("case_sensitive_aliases"), entry, "case_sensitive_aliases", allow_empty=True)
        for alias in cs:
            if alias not in aliases:
                raise c.fail(entry, "case_sensitive_aliases", f"'{alias}' is not one of the aliases")
        raw_facts = c.mapping(cr["facts"], entry, "facts")
        facts: Dict[str, Fact] = {}
        for aid in ATTRIBUTES:
            if aid not in raw_facts:
                raise c.fail(entry, f"facts.{aid}", "is missing (write the fact with its source, or `general`)")
            value = raw_facts[aid]
            if value == GENERAL:
                g = general[aid][kind]
                facts[aid] = Fact(g.text, g.source, specific=False)
            else:
                facts[aid] = _fact(c, sources, value, entry, f"facts.{aid}")
        for aid in raw_facts:
            if aid not in ATTRIBUTES:
                raise c.fail(entry, f"facts.{aid}", f"unknown attribute (expected: {', '.join(ATTRIBUTES)})")
        credentials[cid] = Credential(cid, c.text(cr["name"], entry, "name"), kind, cfields, aliases, facts, cs)

    # one alias, one meaning
    index: Dict[str, Tuple[str, str]] = {}
    exact: Dict[str, Tuple[str, str]] = {}
    owners: Dict[str, Tuple[Tuple[str, str], str]] = {}

    def add(alias: str, label: str, oid: str, entry: str, case_sensitive: bool) -> None:
        key = normalise(alias)
        if not key:
            raise c.fail(entry, "aliases", f"alias '{alias}' has no letters or digits")
        if key in owners and owners[key][0] != (label, oid):
            raise c.fail(entry, "aliases", f"duplicate alias '{alias}' (already used by {owners[key][1]})")
        owners[key] = ((label, oid), entry)
        if case_sensitive:
            exact[alias] = (label, oid)
        else:
            index[key] = (label, oid)

    for kid, k in kinds.items():
        for a in k.aliases:
            add(a, "kind", kid, f"kinds.{kid}", False)
    for fid, f in fields.items():
        for a in f.aliases:
            add(a, "field", fid, f"fields.{fid}", a in f.case_sensitive_aliases)
    for cid, cr in credentials.items():
        add(cr.name, "credential", cid, f"credentials.{cid}", cr.name in cr.case_sensitive_aliases)
        for a in cr.aliases:
            add(a, "credential", cid, f"credentials.{cid}", a in cr.case_sensitive_aliases)

    return Knowledge(
        path=str(path),
        sources=sources,
        kinds=kinds,
        attributes=attributes,
        general=general,
        fields=fields,
        faq=faq,
        credentials=credentials,
        alias_index=index,
        exact_index=exact,
    )


def all_facts(kb: Knowledge) -> List[Tuple[str, Fact]]:
    """Every fact in the file with a dotted name, for source audits."""
    out: List[Tuple[str, Fact]] = []
    for aid, per_kind in kb.general.items():
        for kid, fact in per_kind.items():
            out.append((f"general.{aid}.{kid}", fact))
    for tid, topic in kb.faq.items():
        out.append((f"faq.{tid}", Fact(topic.text, topic.source)))
    for cid, cr in kb.credentials.items():
        for aid, fact in cr.facts.items():
            out.append((f"credentials.{cid}.facts.{aid}", fact))
    return out


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m actions.knowledge [FILE]`: validate and summarise."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    try:
        kb = load_knowledge(args[0] if args else None)
    except KnowledgeError as exc:
        print(f"knowledge error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{kb.path}: OK ({len(kb.credentials)} credentials, {len(kb.faq)} FAQ topics, "
        f"{len(kb.fields)} fields, {len(all_facts(kb))} facts with sources)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
