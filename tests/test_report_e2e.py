"""End to end: conversations through the real Rasa and action servers (REST,
a fresh SQLite tracker store), including a 👎 with a comment, unanswered and
unknown-credential questions; then `python -m reporting` on that store, its
numbers and groups; then the page in headless Chromium (Debian's, as in
test_webchat.py), which shows the questions sent. Saves docs/report.png.

The model is models/assistant.tar.gz (REPORT_TEST_MODEL to use another, e.g.
one trained into a temporary directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from reporting.analyze import analyze
from reporting.store import read_events
from stack.net import free_port
from stack.process import Stack
from tests.helpers import MODEL, ROOT
from tests.helpers.servers import Chat

TEST_MODEL = Path(os.environ.get("REPORT_TEST_MODEL") or MODEL)
SCREENSHOT = ROOT / "docs" / "report.png"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

UNANSWERED = {  # group -> the wordings sent, each by a different user
    "passport": ["how do I renew my passport?", "how do i renew my passport", "renewing my passport, how?"],
    "weather": ["what's the weather in Paris tomorrow?", "whats the weather like in paris tomorrow"],
}
UNKNOWN = "does the AWS Solutions Architect expire?"
COMMENT = "I wanted salaries in Germany"

FALLBACK_REPLIES = ("outside what I know", "not sure I understood", "Did you mean")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Dict[str, object]]:
    """Talk to the real servers; yield what was said and the store's URL."""
    if not TEST_MODEL.exists():
        pytest.fail(f"{TEST_MODEL} is missing: run the tests through `make test`, which trains it")
    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "trackers.db"
    action_port, rasa_port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: \"http://127.0.0.1:{action_port}/webhook\"\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: \"{db}\"\n")
    stack = Stack(rasa_port=rasa_port, action_port=action_port, endpoints=str(endpoints),
                  model=str(TEST_MODEL), log_dir=tmp / "logs")
    said: Dict[str, object] = {"messages": 0, "fallbacks": 0, "did_you_mean": 0, "senders": 0}

    def turn(chat: Chat, message: str) -> List[Dict]:
        replies = chat.say(message)
        said["messages"] += 1
        text = "\n".join(r.get("text", "") for r in replies)
        if any(f in text for f in FALLBACK_REPLIES):
            said["fallbacks"] += 1
            said["did_you_mean"] += "Did you mean" in text
        return replies

    try:
        stack.start()
        # 1. three answers, the third with "Was this helpful?"; 👎; the comment
        rater = Chat(stack.rasa_url)
        said["senders"] += 1
        turn(rater, "do micro-credentials expire?")
        turn(rater, "how much does the PMP cost?")
        replies = turn(rater, "do employers care about micro-credentials?")
        prompt = replies[-1]  # "Was this helpful?" ends the third answer, with 👍/👎 after its own buttons
        assert prompt.get("text", "").endswith("Was this helpful?"), replies
        down = next(b for b in prompt["buttons"] if b["title"] == "👎")
        replies = turn(rater, down["payload"])
        assert "What was missing" in replies[0]["text"], replies
        replies = rater.say(COMMENT)  # not a question the bot answers: stored as the comment
        said["messages"] += 1
        assert replies, "no reply to the comment"
        texts = [r.get("text", "") for r in replies]
        assert not any("not sure I understood" in t for t in texts), texts  # the rule ends, Rasa listens
        # ... and the next question is answered normally
        assert "2 to 3 years" in rater.text("do micro-credentials expire?")
        said["messages"] += 1
        # 2. unanswered questions, each from its own user; a credential the knowledge file lacks
        for wordings in UNANSWERED.values():
            for w in wordings:
                chat = Chat(stack.rasa_url)
                said["senders"] += 1
                replies = turn(chat, w)
                assert any(f in r.get("text", "") for r in replies for f in FALLBACK_REPLIES), (w, replies)
        chat = Chat(stack.rasa_url)
        said["senders"] += 1
        assert "I have no facts on" in "\n".join(r.get("text", "") for r in turn(chat, UNKNOWN))
        # 3. asking for a person (none is set up here)
        assert "no person is available" in "\n".join(r.get("text", "") for r in turn(chat, "can I talk to a person?"))
    except Exception:
        for log in sorted((tmp / "logs").glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        raise
    finally:
        stack.stop()
    said["url"] = f"sqlite:///{db}"
    said["out"] = tmp / "report.html"
    yield said


def test_report_counts_and_groups_from_real_conversations(store):
    r = subprocess.run([sys.executable, "-m", "reporting", "--db", store["url"], "--out", str(store["out"])],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Reading the tracker store" in r.stderr  # the progress bar
    rep = analyze(read_events(store["url"], progress=False))
    assert len(rep.senders) == store["senders"]
    assert rep.messages == store["messages"]
    assert rep.fallbacks == store["fallbacks"]
    assert rep.did_you_mean == store["did_you_mean"]
    # the unanswered questions, grouped: both groups, biggest first; the comment is not among them
    sent = {w for ws in UNANSWERED.values() for w in ws}
    assert {q.text for q in rep.questions} >= sent
    assert COMMENT not in {q.text for q in rep.questions}
    groups = {g.group.label: g for g in rep.groups}
    passport = next(g for g in rep.groups if "passport" in g.group.label)
    weather = next(g for g in rep.groups if "weather" in g.group.label)
    assert passport.count == 3 and weather.count == 2, groups.keys()
    assert rep.groups.index(passport) < rep.groups.index(weather)
    assert all(len(q.guesses) == 2 for q in passport.questions)
    # 👎 with its topic, the question it answered, and the comment
    [dv] = rep.downvotes
    assert (dv.topic, dv.question, dv.comments) == (
        "faq/employers_care", "do employers care about micro-credentials?", [COMMENT])
    # the credential the knowledge file doesn't know
    assert [u.name for u in rep.unknown_sorted()] == ["AWS Solutions Architect"]
    assert [(h.outcome, h.question) for h in rep.handoffs] == [("none", UNKNOWN)]
    assert sum(d.handoffs_missed for d in rep.days.values()) == 1


def test_report_page_in_a_browser_shows_the_unanswered_questions(store):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (target `chromium`)")
    out: Path = store["out"]
    if not out.exists():
        subprocess.run([sys.executable, "-m", "reporting", "--quiet", "--db", store["url"], "--out", str(out)],
                       cwd=ROOT, check=True, timeout=120)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: List[str] = []
            page.on("request", lambda req: requests.append(req.url))
            page.goto(out.as_uri())
            expect = playwright_api.expect
            section = page.locator("#unanswered")
            for wordings in UNANSWERED.values():
                for w in wordings:
                    expect(section.locator(".question .text").filter(has_text=w)).to_have_count(1)
            expect(page.locator("#unanswered .group").first).to_contain_text("passport")
            expect(page.locator("#downvotes .comment")).to_contain_text(COMMENT)
            expect(page.locator("#unknown")).to_contain_text("AWS Solutions Architect")
            expect(page.locator("#rates svg")).to_be_visible()
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == [], requests
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
