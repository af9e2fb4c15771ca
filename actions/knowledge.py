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

from actions.vocabulary import ATTRIBUTES, BUTTON_INTENTS

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

KINDS: Tuple[str, ...] = ("micro_credential", "certificate", "certification")
GENERAL = "general"
VERSION = 2
# chat-sized FAQ answers: `short` first (the reply adds a one-line source),
# `more` on request
FAQ_SHORT_MAX = 300
FAQ_MORE_MAX = 700
CELL_MAX = 90
# an "as of" date: a year, a month or a day
_AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


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
    says nothing about this credential and the text is its kind's general rule.
    ``as_of`` dates a fact taken from a public source ("2024", "2025-06")."""

    text: str
    source: str
    specific: bool = True
    as_of: Optional[str] = None
    cell: Optional[str] = None  # a few words for a comparison table ("hours to days")


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    plural: str
    article: str  # "a" or "an"
    aliases: Tuple[str, ...]

    @property
    def with_article(self) -> str:
        return f"{self.article} {self.label}"


@dataclass(frozen=True)
class Attribute:
    id: str
    label: str  # a noun phrase: "cost", "who issues it"
    asks: str  # the question about {name}: "what {name} costs"
    question: str  # a button title: "How much does it cost?"
    cues: Tuple[str, ...]  # lower-case words that show a message asks this


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    aliases: Tuple[str, ...]
    case_sensitive_aliases: Tuple[str, ...] = ()
    regulated: bool = False  # entry needs a full degree and often a licence (article#compete)
    entry: Optional[Fact] = None  # how one enters a regulated field, as far as the article says


@dataclass(frozen=True)
class FaqTopic:
    id: str
    label: str
    short: str
    more: str
    sources: Tuple[str, ...]
    follow_ups: Tuple[str, ...]
    silent: bool = False  # the article doesn't answer this; the text says so

    @property
    def source(self) -> str:
        return self.sources[0]

    @property
    def text(self) -> str:
        return f"{self.short} {self.more}".strip()


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
class Topic:
    """A subject the article names as something micro-credentials are earned
    in (React, agile methods): not a credential itself."""

    id: str
    name: str
    aliases: Tuple[str, ...]
    fields: Tuple[str, ...]
    fact: Fact
    case_sensitive_aliases: Tuple[str, ...] = ()
    # an idea the article explains (just-in-time learning, unbundling) rather than a
    # subject to earn a micro-credential in; `faq` is the answer it belongs to
    concept: bool = False
    faq: Optional[str] = None


@dataclass(frozen=True)
class Passage:
    """A few sentences of the article in the project's words, for the long-tail search."""

    section: str
    text: str

    @property
    def source(self) -> str:
        return f"article#{self.section}"


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
    attributes: Mapping[str, Attribute]
    general: Mapping[str, Mapping[str, Fact]]  # attribute -> kind -> fact
    fields: Mapping[str, Field]
    faq: Mapping[str, FaqTopic]
    credentials: Mapping[str, Credential]
    topics: Mapping[str, Topic] = field(default_factory=dict)
    passages: Tuple[Passage, ...] = ()
    # names of credentials and providers the article doesn't cover, recognised so
    # that the assistant says it has no facts on them instead of guessing
    unknown_names: Tuple[str, ...] = ()
    alias_index: Mapping[str, Tuple[str, str]] = field(default_factory=dict)
    # normalised alias -> (label, id); label is "credential", "kind", "field" or "topic".
    # Case-sensitive aliases ("IT") are only in exact_index, so that the
    # pronoun "it" never looks like a name.
    exact_index: Mapping[str, Tuple[str, str]] = field(default_factory=dict)

    def describe_source(self, ref: str) -> str:
        """A human-readable citation for a source reference."""
        src_id, _, section = ref.partition("#")
        source = self.sources[src_id]
        if section:
            return f"\"{source.title}\", section \"{source.sections[section]}\""
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
                raise self.fail(entry, str(key),
                                f"is not a known field (expected one of: {', '.join(sorted(allowed))})")


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise KnowledgeError(path, "(file)", "(file)", "file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", exc)
        raise KnowledgeError(path, "(file)", "(syntax)", f"invalid YAML at {where}: {problem}") from exc
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
    c.keys(value, f"{entry}.{field_name}", ["text", "source"], ["as_of", "cell"])
    ref = _check_source_ref(c, sources, value["source"], entry, f"{field_name}.source")
    as_of = value.get("as_of")
    if ref.partition("#")[0] != "article":
        # a public fact is shown with the date it holds for
        if as_of is None:
            raise c.fail(entry, f"{field_name}.as_of",
                         "is missing (a fact from a public source needs the date it holds for)")
        if not _AS_OF.match(str(as_of)):
            raise c.fail(entry, f"{field_name}.as_of", f"'{as_of}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        if not sources[ref.partition("#")[0]].url:
            raise c.fail(entry, f"{field_name}.source", f"source '{ref}' needs a url")
    cell = c.text(value["cell"], entry, f"{field_name}.cell") if "cell" in value else None
    if cell is not None and len(cell) > CELL_MAX:
        raise c.fail(entry, f"{field_name}.cell", f"is {len(cell)} characters; at most {CELL_MAX}")
    return Fact(
        text=c.text(value["text"], entry, f"{field_name}.text"),
        source=ref,
        as_of=str(as_of) if as_of is not None else None,
        cell=cell,
    )


def _aliases(c: _Checker, raw: Dict[str, Any], entry: str) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """`aliases` and `case_sensitive_aliases` (each of which must be an alias)."""
    aliases = c.text_list(raw["aliases"], entry, "aliases")
    cs = c.text_list(raw.get("case_sensitive_aliases"), entry, "case_sensitive_aliases", allow_empty=True)
    for alias in cs:
        if alias not in aliases:
            raise c.fail(entry, "case_sensitive_aliases", f"'{alias}' is not one of the aliases")
    return aliases, cs


def _ids_in(c: _Checker, value: Any, entry: str, field_name: str, known: Mapping[str, Any],
           what: str) -> Tuple[str, ...]:
    ids = c.text_list(value, entry, field_name)
    for i, oid in enumerate(ids):
        if oid not in known:
            raise c.fail(entry, f"{field_name}[{i}]", f"unknown {what} '{oid}' (known: {', '.join(sorted(known))})")
    return ids


def _flag(c: _Checker, raw: Dict[str, Any], key: str, entry: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise c.fail(entry, key, "must be true or false")
    return value


# --------------------------------------------------------------------------
# one function per section of the file


def _load_sources(c: _Checker, raw: Any) -> Dict[str, Source]:
    sources: Dict[str, Source] = {}
    for sid, s in c.mapping(raw, "sources", "sources").items():
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
    if "article" not in sources:
        raise c.fail("sources.article", "(entry)", "is missing (the article the assistant is about)")
    return sources


def _load_kinds(c: _Checker, raw: Any) -> Dict[str, Kind]:
    raw_kinds = c.mapping(raw, "kinds", "kinds")
    for kid in KINDS:
        if kid not in raw_kinds:
            raise c.fail(f"kinds.{kid}", "(entry)", "is missing")
    kinds: Dict[str, Kind] = {}
    for kid, k in raw_kinds.items():
        entry = f"kinds.{kid}"
        if kid not in KINDS:
            raise c.fail(entry, "(entry)", f"unknown kind (expected: {', '.join(KINDS)})")
        k = c.mapping(k, entry, "(entry)")
        c.keys(k, entry, ["label", "plural", "article", "aliases"])
        article = c.text(k["article"], entry, "article")
        if article not in ("a", "an"):
            raise c.fail(entry, "article", "must be 'a' or 'an'")
        kinds[kid] = Kind(kid, c.text(k["label"], entry, "label"), c.text(k["plural"], entry, "plural"),
                          article, c.text_list(k["aliases"], entry, "aliases"))
    return kinds


def _load_attributes(c: _Checker, raw: Any) -> Dict[str, Attribute]:
    raw_attrs = c.mapping(raw, "attributes", "attributes")
    for aid in ATTRIBUTES:
        if aid not in raw_attrs:
            raise c.fail(f"attributes.{aid}", "(entry)", "is missing")
    attributes: Dict[str, Attribute] = {}
    for aid, a in raw_attrs.items():
        entry = f"attributes.{aid}"
        if aid not in ATTRIBUTES:
            raise c.fail(entry, "(entry)", f"unknown attribute (expected: {', '.join(ATTRIBUTES)})")
        a = c.mapping(a, entry, "(entry)")
        c.keys(a, entry, ["label", "asks", "question", "cues"])
        asks = c.text(a["asks"], entry, "asks")
        if "{name}" not in asks:
            raise c.fail(entry, "asks", "must contain {name}")
        cues = tuple(x.lower() for x in c.text_list(a["cues"], entry, "cues"))
        attributes[aid] = Attribute(aid, c.text(a["label"], entry, "label"), asks,
                                    c.text(a["question"], entry, "question"), cues)
    return attributes


def _load_general(c: _Checker, raw: Any, sources: Mapping[str, Source]) -> Dict[str, Dict[str, Fact]]:
    raw_general = c.mapping(raw, "general", "general")
    for aid in raw_general:
        if aid not in ATTRIBUTES:
            raise c.fail(f"general.{aid}", "(entry)", "unknown attribute")
    general: Dict[str, Dict[str, Fact]] = {}
    for aid in ATTRIBUTES:
        entry = f"general.{aid}"
        per_kind = c.mapping(raw_general.get(aid), entry, "(entry)")
        for kid in per_kind:
            if kid not in KINDS:
                raise c.fail(entry, str(kid), f"unknown kind (expected: {', '.join(KINDS)})")
        general[aid] = {kid: _fact(c, sources, per_kind.get(kid), entry, kid) for kid in KINDS}
    return general


def _load_fields(c: _Checker, raw: Any, sources: Mapping[str, Source]) -> Dict[str, Field]:
    fields: Dict[str, Field] = {}
    for fid, f in c.mapping(raw, "fields", "fields").items():
        entry = f"fields.{fid}"
        f = c.mapping(f, entry, "(entry)")
        c.keys(f, entry, ["label", "aliases"], ["case_sensitive_aliases", "regulated", "entry"])
        aliases, cs = _aliases(c, f, entry)
        regulated = _flag(c, f, "regulated", entry)
        if regulated and "entry" not in f:
            raise c.fail(entry, "entry", "is missing (a regulated field says how one enters it, with its source)")
        how = _fact(c, sources, f["entry"], entry, "entry") if "entry" in f else None
        fields[fid] = Field(fid, c.text(f["label"], entry, "label"), aliases, cs, regulated, how)
    return fields


def _load_faq(c: _Checker, raw: Any, sources: Mapping[str, Source]) -> Dict[str, FaqTopic]:
    faq: Dict[str, FaqTopic] = {}
    for tid, t in c.mapping(raw, "faq", "faq").items():
        entry = f"faq.{tid}"
        t = c.mapping(t, entry, "(entry)")
        c.keys(t, entry, ["label", "short", "more", "source", "follow_ups"], ["silent"])
        follow = c.text_list(t["follow_ups"], entry, "follow_ups")
        for i, intent in enumerate(follow):
            if intent not in BUTTON_INTENTS:
                raise c.fail(entry, f"follow_ups[{i}]",
                             f"unknown intent '{intent}' (known: {', '.join(BUTTON_INTENTS)})")
        refs = t["source"] if isinstance(t["source"], list) else [t["source"]]
        if not refs:
            raise c.fail(entry, "source", "must name at least one source")
        srcs = tuple(_check_source_ref(c, sources, r, entry, "source") for r in refs)
        short = c.text(t["short"], entry, "short")
        if len(short) > FAQ_SHORT_MAX:
            raise c.fail(entry, "short",
                         f"is {len(short)} characters; at most {FAQ_SHORT_MAX} (put the rest in `more`)")
        more = c.text(t["more"], entry, "more")
        if len(more) > FAQ_MORE_MAX:
            raise c.fail(entry, "more", f"is {len(more)} characters; at most {FAQ_MORE_MAX}")
        faq[tid] = FaqTopic(tid, c.text(t["label"], entry, "label"), short, more, srcs, follow,
                            _flag(c, t, "silent", entry))
    return faq


def _load_credentials(c: _Checker, raw: Any, sources: Mapping[str, Source], fields: Mapping[str, Field],
                      general: Mapping[str, Mapping[str, Fact]]) -> Dict[str, Credential]:
    credentials: Dict[str, Credential] = {}
    for cid, cr in c.mapping(raw, "credentials", "credentials").items():
        entry = f"credentials.{cid}"
        cr = c.mapping(cr, entry, "(entry)")
        c.keys(cr, entry, ["name", "kind", "fields", "aliases", "facts"], ["case_sensitive_aliases"])
        kind = c.text(cr["kind"], entry, "kind")
        if kind not in KINDS:
            raise c.fail(entry, "kind", f"unknown kind '{kind}' (expected: {', '.join(KINDS)})")
        cfields = _ids_in(c, cr["fields"], entry, "fields", fields, "field")
        aliases, cs = _aliases(c, cr, entry)
        raw_facts = c.mapping(cr["facts"], entry, "facts")
        for aid in raw_facts:
            if aid not in ATTRIBUTES:
                raise c.fail(entry, f"facts.{aid}", f"unknown attribute (expected: {', '.join(ATTRIBUTES)})")
        facts: Dict[str, Fact] = {}
        for aid in ATTRIBUTES:
            if aid not in raw_facts:
                raise c.fail(entry, f"facts.{aid}", "is missing (write the fact with its source, or `general`)")
            value = raw_facts[aid]
            if value == GENERAL:
                g = general[aid][kind]
                facts[aid] = Fact(g.text, g.source, specific=False, as_of=g.as_of, cell=g.cell)
            else:
                facts[aid] = _fact(c, sources, value, entry, f"facts.{aid}")
        credentials[cid] = Credential(cid, c.text(cr["name"], entry, "name"), kind, cfields, aliases, facts, cs)
    return credentials


def _load_topics(c: _Checker, raw: Any, sources: Mapping[str, Source], fields: Mapping[str, Field],
                 faq: Mapping[str, FaqTopic]) -> Dict[str, Topic]:
    topics: Dict[str, Topic] = {}
    for tid, t in c.mapping(raw, "topics", "topics").items():
        entry = f"topics.{tid}"
        t = c.mapping(t, entry, "(entry)")
        c.keys(t, entry, ["name", "aliases", "text", "source"],
               ["fields", "case_sensitive_aliases", "as_of", "concept", "faq"])
        aliases, cs = _aliases(c, t, entry)
        fact = _fact(c, sources, {k: t[k] for k in ("text", "source", "as_of") if k in t}, entry, "text")
        concept = _flag(c, t, "concept", entry)
        if not concept and "fields" not in t:
            raise c.fail(entry, "fields", "is missing (a subject belongs to at least one field)")
        topic_fields = _ids_in(c, t["fields"], entry, "fields", fields, "field") if "fields" in t else ()
        faq_id = c.text(t["faq"], entry, "faq") if "faq" in t else None
        if faq_id is not None and faq_id not in faq:
            raise c.fail(entry, "faq", f"unknown FAQ topic '{faq_id}'")
        topics[tid] = Topic(tid, c.text(t["name"], entry, "name"), aliases, topic_fields, fact, cs, concept, faq_id)
    return topics


def _load_passages(c: _Checker, raw: Any, sources: Mapping[str, Source]) -> Tuple[Passage, ...]:
    if not isinstance(raw, list) or not raw:
        raise c.fail("passages", "passages", "must be a non-empty list of {section, text}")
    sections = sources["article"].sections
    out: List[Passage] = []
    for i, p in enumerate(raw):
        entry = f"passages[{i}]"
        p = c.mapping(p, entry, "(entry)")
        c.keys(p, entry, ["section", "text"])
        section = c.text(p["section"], entry, "section")
        if section not in sections:
            raise c.fail(entry, "section", f"unknown section '{section}' of the article (known: {', '.join(sections)})")
        out.append(Passage(section, c.text(p["text"], entry, "text")))
    return tuple(out)


def _load_unknown_names(c: _Checker, raw: Any, index: Mapping[str, Tuple[str, str]],
                        exact: Mapping[str, Tuple[str, str]]) -> Tuple[str, ...]:
    names = c.text_list(raw, "unknown_names", "unknown_names")
    for i, name in enumerate(names):
        if normalise(name) in index or name in exact:
            raise c.fail("unknown_names", f"unknown_names[{i}]", f"'{name}' is a name the file knows")
    return names


def _build_indexes(c: _Checker, kinds: Mapping[str, Kind], fields: Mapping[str, Field],
                   credentials: Mapping[str, Credential], topics: Mapping[str, Topic]
                   ) -> Tuple[Dict[str, Tuple[str, str]], Dict[str, Tuple[str, str]]]:
    """One alias, one meaning: normalised index and exact (case-sensitive) index."""
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
    for label, named in (("credential", credentials), ("topic", topics)):
        for oid, obj in named.items():
            cs = obj.case_sensitive_aliases
            add(obj.name, label, oid, f"{label}s.{oid}", obj.name in cs)
            for a in obj.aliases:
                add(a, label, oid, f"{label}s.{oid}", a in cs)
    return index, exact


SECTIONS = ("version", "sources", "kinds", "attributes", "general", "fields", "faq", "credentials", "topics",
            "passages",
            "unknown_names")


def load_knowledge(path: Union[str, Path, None] = None) -> Knowledge:
    """Read and validate the knowledge file (see knowledge_path); raise KnowledgeError if it is broken."""
    path = knowledge_path(path)
    c = _Checker(path)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise c.fail("(file)", "(top level)", f"must be a mapping with sections {', '.join(SECTIONS[1:])}")
    c.keys(raw, "(top level)", SECTIONS)
    if raw["version"] != VERSION:
        raise c.fail("(top level)", "version", f"must be {VERSION} (see docs/KNOWLEDGE.md)")
    sources = _load_sources(c, raw["sources"])
    kinds = _load_kinds(c, raw["kinds"])
    attributes = _load_attributes(c, raw["attributes"])
    general = _load_general(c, raw["general"], sources)
    fields = _load_fields(c, raw["fields"], sources)
    faq = _load_faq(c, raw["faq"], sources)
    credentials = _load_credentials(c, raw["credentials"], sources, fields, general)
    topics = _load_topics(c, raw["topics"], sources, fields, faq)
    passages = _load_passages(c, raw["passages"], sources)
    index, exact = _build_indexes(c, kinds, fields, credentials, topics)
    unknown_names = _load_unknown_names(c, raw["unknown_names"], index, exact)
    return Knowledge(
        path=str(path),
        sources=sources,
        kinds=kinds,
        attributes=attributes,
        general=general,
        fields=fields,
        faq=faq,
        credentials=credentials,
        topics=topics,
        passages=passages,
        unknown_names=unknown_names,
        alias_index=index,
        exact_index=exact,
    )


def all_facts(kb: Knowledge) -> List[Tuple[str, Fact]]:
    """Every fact in the file with a dotted name, for source audits (a FAQ
    answer with several sources is listed once per source)."""
    out: List[Tuple[str, Fact]] = []
    for aid, per_kind in kb.general.items():
        for kid, fact in per_kind.items():
            out.append((f"general.{aid}.{kid}", fact))
    for tid, topic in kb.faq.items():
        for ref in topic.sources:
            out.append((f"faq.{tid}", Fact(topic.text, ref)))
    for cid, cr in kb.credentials.items():
        for aid, fact in cr.facts.items():
            if fact.specific:
                out.append((f"credentials.{cid}.facts.{aid}", fact))
    for tid, t in kb.topics.items():
        out.append((f"topics.{tid}", t.fact))
    for fid, f in kb.fields.items():
        if f.entry is not None:
            out.append((f"fields.{fid}.entry", f.entry))
    for i, p in enumerate(kb.passages):
        out.append((f"passages[{i}]", Fact(p.text, p.source)))
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
        f"{kb.path}: OK ({len(kb.credentials)} credentials, {len(kb.faq)} FAQ topics, {len(kb.topics)} subjects, "
        f"{len(kb.fields)} fields, {len(kb.passages)} passages, {len(all_facts(kb))} facts with sources)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
