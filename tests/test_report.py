"""`make report` (reporting/): the grouping, the counts, the page, an empty
store, and a store of 100,000 events (generated here with SQLAlchemy in Rasa's
SQLTrackerStore schema) read in well under a minute."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from reporting.analyze import analyze
from reporting.grouping import group_questions, normalise
from reporting.render import render
from reporting.store import read_events, resolve_url, url_from_endpoints
from tests.helpers import ROOT

DAY = 86400.0
T0 = 1_780_000_000.0  # a fixed start (2026-05-28 UTC)


# --- rows in the tracker store's schema -------------------------------------------

def create_store(url: str) -> sa.engine.Engine:
    """An `events` table exactly like rasa.core.tracker_store.SQLTrackerStore.SQLEvent."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    sa.Table("events", meta,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("sender_id", sa.String(255), nullable=False, index=True),
             sa.Column("type_name", sa.String(255), nullable=False),
             sa.Column("timestamp", sa.Float),
             sa.Column("intent_name", sa.String(255)),
             sa.Column("action_name", sa.String(255)),
             sa.Column("data", sa.Text))
    meta.create_all(engine)
    return engine


@dataclass
class Log:
    """Builds event rows the way Rasa stores them, and counts what it wrote."""
    rows: List[Dict[str, Any]] = field(default_factory=list)
    ts: float = T0

    def _add(self, sender: str, type_name: str, data: Dict[str, Any], intent: Optional[str] = None,
             action: Optional[str] = None) -> None:
        self.ts += 1.0
        data = {"event": type_name, "timestamp": self.ts, **data}
        self.rows.append(dict(sender_id=sender, type_name=type_name, timestamp=self.ts,
                              intent_name=intent, action_name=action, data=json.dumps(data)))

    def user(self, sender: str, text: str, intent: str, conf: float = 0.95,
             ranking: Optional[List[Tuple[str, float]]] = None) -> None:
        ranking = ranking or [(intent, conf), ("faq_what_is", round((1 - conf) / 2, 3))]
        parse = {"text": text, "intent": {"name": intent, "confidence": conf}, "entities": [],
                 "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}
        self._add(sender, "user", {"text": text, "parse_data": parse, "input_channel": "rest"}, intent=intent)

    def action(self, sender: str, name: str) -> None:
        self._add(sender, "action", {"name": name, "policy": "RulePolicy", "confidence": 1.0}, action=name)

    def bot(self, sender: str, text: str) -> None:
        self._add(sender, "bot", {"text": text, "data": {}, "metadata": {}})

    def slot(self, sender: str, name: str, value: Any) -> None:
        self._add(sender, "slot", {"name": name, "value": value})

    # whole turns
    def answered(self, sender: str, text: str, intent: str = "faq_employers_care",
                 topic: str = "faq/employers_care") -> None:
        self.user(sender, text, intent)
        self.action(sender, "action_answer_faq")
        self.bot(sender, "an answer")
        self.slot(sender, "last_topic", topic)
        self.action(sender, "action_listen")

    def fallback(self, sender: str, text: str, decision: str = "out_of_scope",
                 ranking: Optional[List[Tuple[str, float]]] = None) -> None:
        self.user(sender, text, "nlu_fallback", 0.3,
                  ranking or [("nlu_fallback", 0.5), ("out_of_scope", 0.3), ("faq_trends", 0.2)])
        self.action(sender, "action_disambiguate")
        self.bot(sender, "did you mean?" if decision == "did_you_mean" else "sorry")
        self.slot(sender, "last_topic", f"fallback/{decision}")
        self.action(sender, "action_listen")

    def out_of_scope(self, sender: str, text: str) -> None:
        self.user(sender, text, "out_of_scope", 0.9, [("out_of_scope", 0.9), ("faq_trends", 0.05)])
        self.action(sender, "utter_out_of_scope")
        self.bot(sender, "outside what I know")
        self.action(sender, "action_listen")

    def thumbs(self, sender: str, value: str, topic: str, comment: Optional[str] = None) -> None:
        self.user(sender, f'/feedback{{"rating":"{value}"}}', "feedback", 1.0)
        self.action(sender, "action_feedback")
        self.slot(sender, "feedback_topic", topic)
        self.slot(sender, "feedback_value", value)
        self.action(sender, "action_listen")
        if comment is not None:
            self.user(sender, comment, "nlu_fallback", 0.2, [("nlu_fallback", 0.5), ("faq_trends", 0.2)])
            self.action(sender, "action_feedback_comment")
            self.slot(sender, "feedback_comment", comment)
            self.slot(sender, "awaiting_comment", None)
            self.action(sender, "action_listen")

    def unknown(self, sender: str, text: str, name: str) -> None:
        self.user(sender, text, "ask_expiry")
        self.action(sender, "action_answer_attribute")
        self.slot(sender, "last_topic", "unknown_credential")
        self.slot(sender, "unknown_credential", name)
        self.action(sender, "action_listen")

    def tuples(self):
        return [(r["sender_id"], r["type_name"], r["timestamp"], r["intent_name"], r["action_name"], r["data"])
                for r in self.rows]

    def write(self, url: str) -> None:
        engine = create_store(url)
        table = sa.Table("events", sa.MetaData(), autoload_with=engine)
        with engine.begin() as conn:
            for i in range(0, len(self.rows), 20000):
                conn.execute(table.insert(), self.rows[i:i + 20000])
        engine.dispose()


# --- grouping -------------------------------------------------------------------

def test_similar_questions_share_a_group_most_frequent_first():
    texts = (["how do I renew my nursing license?"] * 3 + ["how do i renew my nursing licence"]
             + ["how to renew a nursing license"] + ["what's the weather tomorrow"] * 2
             + ["whats the weather like tomorrow?", "can you book me a flight"])
    groups, left = group_questions(texts)
    assert left == 0
    assert [g.count for g in groups] == [5, 3, 1]
    assert groups[0].label == "how do i renew my nursing license"
    assert {t for t, _ in groups[0].texts} == {"how do i renew my nursing license", "how do i renew my nursing licence",
                                               "how to renew a nursing license"}
    assert groups[1].label == "what's the weather tomorrow"
    assert groups[2].texts == [("can you book me a flight", 1)]


def test_grouping_edge_cases():
    assert group_questions([]) == ([], 0)
    assert normalise("  Hello,   World?! ") == "hello, world"
    assert normalise("<b>Hi</b>?") == "<b>hi</b>"
    groups, left = group_questions([f"question number {i} about topic {i * 7919 % 1000}" for i in range(30)],
                                   max_grouped=10)
    assert left == 20 and sum(g.count for g in groups) == 10


# --- counts from rows -------------------------------------------------------------

def small_log() -> Log:
    log = Log()
    log.answered("a", "do employers care?")
    log.fallback("a", "how do I renew my nursing license?")
    log.fallback("a", "how do I renew my nursing licence", "did_you_mean",
                 [("nlu_fallback", 0.5), ("ask_expiry", 0.42), ("ask_cost", 0.1)])
    log.out_of_scope("a", "what's the weather tomorrow")
    log.user("a", "what does a badge prove", "faq_what_is", 0.55, [("faq_what_is", 0.55), ("ask_scope", 0.3)])
    log.action("a", "action_answer_faq")
    log.slot("a", "last_topic", "faq/what_is")
    log.thumbs("a", "down", "faq/what_is", comment="nothing about nursing")
    log.ts += DAY
    log.answered("b", "do they expire", "ask_expiry", "attribute/expiry")
    log.thumbs("b", "up", "attribute/expiry")
    log.unknown("b", "does the AWS Solutions Architect expire?", "AWS Solutions Architect")
    log.unknown("b", "and the aws solutions architect cost?", "aws solutions architect")
    log.user("b", "/faq_trends", "faq_trends", 0.2)  # a button: never an "unanswered question"
    return log


def test_counts_groups_feedback_and_unknown_credentials():
    rep = analyze(small_log().tuples())
    days = sorted(rep.days)
    assert len(days) == 2
    a, b = rep.days[days[0]], rep.days[days[1]]
    assert (a.conversations, a.messages, a.fallbacks, a.did_you_mean) == (1, 7, 3, 1)  # the comment isn't one
    assert (b.conversations, b.messages, b.fallbacks, b.did_you_mean) == (1, 5, 0, 0)
    assert len(rep.senders) == 2
    # the comment after 👎 is not an unanswered question; the button click isn't either
    texts = sorted(q.text for q in rep.questions)
    assert texts == ["how do I renew my nursing licence", "how do I renew my nursing license?",
                     "what does a badge prove", "what's the weather tomorrow"]
    assert rep.groups[0].count == 2 and rep.groups[0].group.label.startswith("how do i renew my nursing")
    assert rep.groups[0].guesses[0][0] in ("out_of_scope", "ask_expiry")
    low = next(q for q in rep.questions if q.text == "what does a badge prove")
    assert low.reason == "low confidence" and low.guesses == (("faq_what_is", 0.55), ("ask_scope", 0.3))
    assert len(rep.downvotes) == 1
    dv = rep.downvotes[0]
    assert (dv.topic, dv.question, dv.comments) == ("faq/what_is", "what does a badge prove", ["nothing about nursing"])
    assert rep.ratings[("up", "attribute/expiry")] == 1
    [u] = rep.unknown_sorted()
    assert u.count == 2 and len(u.senders) == 1 and u.examples[0] == "does the AWS Solutions Architect expire?"


def test_the_page_is_self_contained_and_escapes_user_text():
    log = small_log()
    log.fallback("c", "<script>alert(1)</script> nursing?")
    page = render(analyze(log.tuples()), "sqlite:///x.db")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no external resources"
    assert "@import" not in page and "<link" not in page
    for section in ("activity", "rates", "unanswered", "downvotes", "unknown"):
        assert f'id="{section}"' in page
    assert page.count("<svg") == 2
    assert "nothing about nursing" in page and "AWS Solutions Architect" in page


# --- the store, the command ----------------------------------------------------

def run_report(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reporting", "--quiet", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_empty_store_says_so(tmp_path):
    out = tmp_path / "r.html"
    for db, create in ((f"sqlite:///{tmp_path / 'missing.db'}", False), (f"sqlite:///{tmp_path / 'empty.db'}", True)):
        if create:
            create_store(db).dispose()
        r = run_report("--db", db, "--out", str(out))
        assert r.returncode == 0, r.stderr
        assert "no conversations yet" in r.stdout
        assert 'id="empty"' in out.read_text()
    assert not (tmp_path / "missing.db").exists(), "reading must not create the store"


def test_database_url_from_endpoints(tmp_path, monkeypatch):
    ep = tmp_path / "endpoints.yml"
    ep.write_text("tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: var/t.db\n")
    assert url_from_endpoints(ep) == f"sqlite:///{tmp_path / 'var' / 't.db'}"
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    ep.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: db.example\n  port: 5432\n"
                  "  db: rasa\n  username: bot\n  password: ${DB_PASSWORD}\n")
    assert url_from_endpoints(ep) == "postgresql://bot:s3cret@db.example:5432/rasa"
    assert resolve_url("sqlite:///a.db") == "sqlite:///a.db"
    assert resolve_url(None, tmp_path / "none.yml").endswith("var/trackers.db")
    for not_sql in ("redis", "addons.lock_store.AtomicRedisLockStore"):
        ep.write_text(f"tracker_store:\n  type: {not_sql}\n")
        r = run_report("--endpoints", str(ep), "--out", str(tmp_path / "r.html"))
        assert r.returncode == 2 and "SQL tracker stores only" in r.stderr, r.stderr
    ep.write_text("tracker_store:\n  type: addons.nope.Store\n")
    r = run_report("--endpoints", str(ep), "--out", str(tmp_path / "r.html"))
    assert r.returncode == 2 and "cannot load the tracker store class 'addons.nope.Store'" in r.stderr, r.stderr


def test_the_projects_own_endpoints_files_are_read(tmp_path, monkeypatch):
    """endpoints.yml as committed (the WAL add-on's class path) names var/trackers.db;
    endpoints.cluster.yml (`type: SQL`) names the cluster's PostgreSQL."""
    assert url_from_endpoints(ROOT / "endpoints.yml") == f"sqlite:///{ROOT / 'var' / 'trackers.db'}"
    for var, value in {"TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5433", "TRACKER_DB_NAME": "rasa",
                       "TRACKER_DB_USER": "rasa", "TRACKER_DB_PASSWORD": "pw"}.items():
        monkeypatch.setenv(var, value)
    assert url_from_endpoints(ROOT / "endpoints.cluster.yml") == "postgresql://rasa:pw@127.0.0.1:5433/rasa"
    # `make report` on the real endpoints.yml, its store in a folder of its own
    ep = tmp_path / "endpoints.yml"
    ep.write_text((ROOT / "endpoints.yml").read_text())
    (tmp_path / "var").mkdir()
    small_log().write(f"sqlite:///{tmp_path / 'var' / 'trackers.db'}")
    r = run_report("--endpoints", str(ep), "--out", str(tmp_path / "r.html"))
    assert r.returncode == 0, r.stderr
    assert "trackers.db" in r.stdout and "conversations" in r.stdout


def big_log(target: int = 100_000, seed: int = 7) -> Tuple[Log, Dict[str, Any]]:
    """About `target` events over 30 days, with known numbers of each kind of turn."""
    rnd = random.Random(seed)
    log = Log()
    expect: Dict[str, Any] = {"fallback": 0, "did_you_mean": 0, "out_of_scope": 0, "down": 0, "comments": 0,
                              "nursing": 0, "weather": 0, "unknown": 0, "senders": set()}
    nursing = ["how do I renew my nursing license", "how do i renew my nursing licence?", "renew nursing license how",
               "how to renew my nursing license"]
    weather = ["what's the weather tomorrow", "whats the weather like tomorrow", "weather tomorrow?"]
    start = T0
    conv = 0
    while len(log.rows) < target:
        conv += 1
        sender = f"user-{conv}"
        expect["senders"].add(sender)
        log.ts = start + (conv % 30) * DAY + rnd.random() * 3600
        log.action(sender, "action_session_start")
        log.slot(sender, "answers_since_feedback", None)
        for _ in range(rnd.randint(2, 6)):
            r = rnd.random()
            if r < 0.6:
                log.answered(sender, rnd.choice(["do employers care?", "does the PMP expire",
                                                 "what is a micro-credential"]))
            elif r < 0.75:
                expect["fallback"] += 1
                expect["nursing"] += 1
                dym = rnd.random() < 0.4
                expect["did_you_mean"] += dym
                log.fallback(sender, rnd.choice(nursing), "did_you_mean" if dym else "out_of_scope")
            elif r < 0.85:
                expect["out_of_scope"] += 1
                expect["weather"] += 1
                log.out_of_scope(sender, rnd.choice(weather))
            elif r < 0.93:
                expect["unknown"] += 1
                log.unknown(sender, "does the AWS Solutions Architect expire?", "AWS Solutions Architect")
            else:
                comment = rnd.choice([None, "it didn't say the price in euros"])
                expect["down"] += 1
                expect["comments"] += comment is not None
                log.thumbs(sender, "down", "faq/employers_care", comment)
    return log, expect


def test_a_store_of_100000_events_in_under_a_minute(tmp_path):
    log, exp = big_log()
    db = f"sqlite:///{tmp_path / 'big.db'}"
    log.write(db)
    assert len(log.rows) >= 100_000
    out = tmp_path / "report.html"
    started = time.monotonic()
    r = run_report("--db", db, "--out", str(out))
    took = time.monotonic() - started
    assert r.returncode == 0, r.stderr
    print(f"report on {len(log.rows):,} events: {took:.1f} s")
    assert took < 60, f"{took:.1f} s"
    assert f"Read {len(log.rows):,} events" in r.stdout
    assert f"{len(exp['senders']):,} conversations" in r.stdout

    # the same numbers in process (rows streamed from the store)
    rep = analyze(read_events(db, progress=False))
    assert rep.events == len(log.rows)
    assert len(rep.senders) == len(exp["senders"])
    assert rep.fallbacks == exp["fallback"] + exp["out_of_scope"]
    assert rep.did_you_mean == exp["did_you_mean"]
    assert len(rep.downvotes) == exp["down"]
    assert sum(len(d.comments) for d in rep.downvotes) == exp["comments"]
    assert len(rep.questions) == exp["nursing"] + exp["weather"]  # comments are not questions
    counts = sorted([g.count for g in rep.groups], reverse=True)
    assert counts == sorted([exp["nursing"], exp["weather"]], reverse=True), [g.group.texts for g in rep.groups]
    [u] = rep.unknown_sorted()
    assert u.count == exp["unknown"]
    page = out.read_text()
    assert "how do I renew my nursing license" in page and "AWS Solutions Architect" in page
    assert "it didn&#x27;t say the price in euros" in page


def test_a_comment_answered_as_a_question_is_not_listed_as_unanswered():
    log = Log()
    log.answered("a", "do employers care?")
    log.thumbs("a", "down", "faq/employers_care")
    log.user("a", "it said nothing about salaries", "faq_employers_care", 0.52)
    log.action("a", "action_answer_faq")
    log.slot("a", "awaiting_comment", None)
    log.slot("a", "feedback_comment", "it said nothing about salaries")
    rep = analyze(log.tuples())
    assert rep.questions == [] and rep.downvotes[0].comments == ["it said nothing about salaries"]


def test_handoffs_are_counted_per_day_and_listed_with_their_conversation_and_question():
    log = Log()
    log.fallback("a", "can my employer claim my course fees back?")
    log.user("a", "/human_handoff", "human_handoff", 1.0)
    log.action("a", "action_handoff")
    log.slot("a", "handoff", "slack+email")
    log.ts += DAY
    log.answered("b", "do micro-credentials expire?")
    log.user("b", "talk to a person", "human_handoff", 0.97)
    log.action("b", "action_handoff")
    log.slot("b", "handoff", "none")
    log.user("c", "get me a human", "human_handoff", 0.9)
    log.slot("c", "handoff", "failed")
    rep = analyze(log.tuples())
    days = sorted(rep.days)
    assert [rep.days[d].handoffs for d in days] == [1, 0]
    assert [rep.days[d].handoffs_missed for d in days] == [0, 2]
    assert [(h.sender, h.outcome, h.question) for h in rep.handoffs] == [
        ("c", "failed", None), ("b", "none", "do micro-credentials expire?"),
        ("a", "slack+email", "can my employer claim my course fees back?")]
    page = render(rep, "sqlite:///x.db")
    assert '<section id="handoffs">' in page and page.count('<tr class="handoff">') == 3
    assert "<b>1 / 2</b><span>passed to a person / asked, no one</span>" in page
