"""End to end in a real browser: the web chat page (web/, served by
`python -m stack web` as `make run` serves it) talking socket.io to the real Rasa
server and action server (conftest's `servers`, started from credentials.yml).

Headless Debian Chromium (/usr/bin/chromium, installed by `make test`; another
path in $CHROMIUM) driven by the PyPI `playwright` package: Playwright's own
browser download is never used. Every request that is not to localhost or
127.0.0.1 is aborted and recorded, and each test asserts there was none: the
page works offline, with no CDN and no font service.

Accessibility (WCAG 2.1 AA): axe-core (tests/helpers/a11y.py) audits a page
holding a whole conversation on a desktop and a phone screen, light and dark;
one conversation is held with the keyboard alone; text at 200% and reduced
motion are checked. See docs/WEBCHAT.md.

The Rasa server allows cross-origin requests from pages on localhost/127.0.0.1
(Stack's default `--cors`, as in `make run`), so the page server can take any
free port here.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import urllib.parse
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import playwright.sync_api as playwright_api  # requirements.txt; its browser download is never used
import pytest
import requests

from stack.net import free_port
from stack.process import Stack
from tests.helpers import ROOT
from tests.helpers.a11y import BLOCKING, audit, axe_version, by_impact, describe
from tests.helpers.servers import Chat

expect = playwright_api.expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "webchat.png"
AUDIT_RECORD = ROOT / "results" / "webchat-axe.json"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
WAIT_MS = 30_000  # an answer normally shows in well under a second

# the page's markup (web/index.html, web/chat.js)
INPUT = "#chat-input"
LOG = "#chat-log"
BOT = "#chat-log .msg-bot .text"
USER = "#chat-log .msg-user .text"
BUTTON = "#chat-log button.reply"
TYPING = ".typing"
SEND = "#chat-send"

WELCOME = "Hi! I answer questions about micro-credentials"
DESKTOP = {"width": 1000, "height": 820}
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
# questions the model is unsure about: "Did you mean …?" (the first that gets one is used)
UNSURE = [
    "and the other one?",
    "and the next one?",
    "what is the intro to python one",
    "who's allowed to award micro-credentials - anyone at all?",
    "how do they asess people for micro-credentials",
    "Is it normal to list a PMP alongside a few digital badges?",
    "credibility of badges",
    "what does the assesment look like for k8s",
    "whats a nanodegree?",  # the logistic regression (2026-12-01) is unsure of these two
    "will my badge be accepted in other countries?",
]

# Every node added inside the conversation's live region, as a screen reader
# would be told of it (installed before the page's own script runs).
LIVE_LOG_RECORDER = """
window.__liveAdded = [];
new MutationObserver(records => {
  for (const r of records) {
    if (!(r.target instanceof Element) || !r.target.closest('[role=log]')) continue;
    for (const n of r.addedNodes) window.__liveAdded.push((n.textContent || '').trim());
  }
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def web(servers: Stack, tmp_path_factory) -> Iterator[Stack]:
    """The page server on a free port, pointing at the test Rasa server."""
    web = Stack(rasa_port=servers.rasa_port, web_port=free_port(),
                log_dir=tmp_path_factory.mktemp("web") / "logs")
    try:
        web.start_web()
    except Exception:
        web.stop()
        raise
    yield web
    web.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (target `chromium`)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Watch:
    """What a page did that it must not: leave the machine, break CSP, throw, alert."""

    def __init__(self) -> None:
        self.external: List[str] = []
        self.requests: List[str] = []
        self.problems: List[str] = []
        self.dialogs: List[str] = []
        self.websockets: List[str] = []
        self.frames: List[str] = []  # received over the websocket

    def route(self, route) -> None:
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if url.startswith("data:") or host in LOCAL_HOSTS:
            self.requests.append(url)
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def console(self, msg) -> None:
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.problems.append(f"console {msg.type}: {msg.text}")

    def check(self) -> None:
        assert self.external == [], f"the page asked for something outside this machine: {self.external}"
        assert self.problems == [], self.problems
        assert self.dialogs == [], f"the page opened dialogs: {self.dialogs}"


def open_page(browser, web: Stack, **context_args):
    watch = Watch()
    context = browser.new_context(**context_args)
    context.route("**/*", watch.route)
    context.add_init_script(LIVE_LOG_RECORDER)
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", lambda exc: watch.problems.append(f"page error: {exc}"))

    def on_websocket(ws) -> None:
        watch.websockets.append(ws.url)
        ws.on("framereceived", lambda payload: watch.frames.append(str(payload)))

    page.on("websocket", on_websocket)

    def on_dialog(dialog) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(WAIT_MS)
    page.goto(f"http://localhost:{web.web_port}/")
    return context, page, watch


def bot_says(page, needle: str):
    """The bot message containing `needle`, once it shows and the typing indicator is gone."""
    message = page.locator(BOT).filter(has_text=needle)
    expect(message.last).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(TYPING)).to_be_hidden(timeout=WAIT_MS)
    return message.last


def ask(page, text: str, answer: str, tap_send: bool = False):
    """Type `text` and send it (Enter, or a tap on the send button), see it as
    the user's message, then the answer."""
    field = page.locator(INPUT)
    field.fill(text)
    if tap_send:
        send = page.locator(SEND)
        expect(send).to_be_in_viewport()
        send.tap()
    else:
        field.press("Enter")
    expect(page.locator(USER).last).to_have_text(text)
    return bot_says(page, answer)


def reply_button(page, title: str):
    return page.locator(BUTTON).filter(has_text=title).last


def wait_until(page, condition: Callable[[], bool], what: str, timeout_ms: int = WAIT_MS) -> None:
    """Poll a condition on what the page reported (events arrive while Playwright waits)."""
    waited = 0
    while not condition():
        if waited >= timeout_ms:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)
        waited += 100


def transcript(page) -> List[str]:
    """Every message on screen, in order, as 'bot: …' / 'user: …'."""
    return page.eval_on_selector_all(
        f"{LOG} .msg",
        """els => els.map(e => (e.classList.contains('msg-user') ? 'user: ' : 'bot: ') +
                               e.querySelector('.text').innerText.trim())""",
    )


def focused(page) -> Dict[str, str]:
    """The element with the focus: tag, id, text, and how its focus is drawn."""
    return page.evaluate("""() => {
      const e = document.activeElement, s = getComputedStyle(e);
      return {tag: e.tagName.toLowerCase(), id: e.id || '', text: (e.innerText || '').trim(),
              role: e.getAttribute('role') || '', outline: s.outlineStyle + ' ' + s.outlineWidth};
    }""")


def tab_to(page, matches: Callable[[Dict[str, str]], bool], what: str, key: str = "Tab",
           limit: int = 25) -> List[Dict[str, str]]:
    """Press Tab (or Shift+Tab) until the focus is on what `matches`; every
    element passed on the way must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        seen.append(now)
        assert not now["outline"].startswith("none"), f"no visible focus on {now}"
        if matches(now):
            return seen
    raise AssertionError(f"{key} never reached {what}; focus went through {seen}")


def find_unsure_question(servers: Stack) -> str:
    """A question this model answers with "Did you mean …?" (asked over REST first)."""
    for question in UNSURE:
        if "Did you mean" in Chat(servers.rasa_url).text(question):
            return question
    pytest.fail(f"none of {UNSURE} gets a 'Did you mean' from this model: add one that does")


# --------------------------------------------------------------------------
# the conversation


def test_conversation_buttons_links_and_reload(browser, web):
    context, page, watch = open_page(browser, web, viewport=DESKTOP)
    try:
        # Opening: the welcome (/greet -> utter_greet) and its buttons; nothing took the focus.
        bot_says(page, WELCOME)
        expect(reply_button(page, "What can I ask?")).to_be_visible()
        assert focused(page)["tag"] == "body"
        # socket.io really runs against python-socketio / python-engineio:
        # the first requests are cross-origin polling (CORS), then the websocket upgrade.
        assert any(f":{web.rasa_port}/socket.io/" in u and "transport=polling" in u for u in watch.requests)
        wait_until(page, lambda: any(f":{web.rasa_port}/socket.io/" in u for u in watch.websockets),
                   "the socket.io websocket upgrade")

        # A question typed by hand gets the right answer, over the upgraded websocket.
        ask(page, "do micro-credentials expire?", "2 to 3 years")
        assert any(f.startswith('42["bot_uttered"') and "2 to 3 years" in f for f in watch.frames), watch.frames

        # The answer's follow-up buttons work: the title is shown as the user's turn,
        # and the group cannot be used again.
        follow_up = reply_button(page, "Which should I choose?")
        follow_up.click()
        expect(page.locator(USER).last).to_have_text("Which should I choose?")
        expect(follow_up).to_be_disabled()
        expect(follow_up).to_have_attribute("aria-pressed", "true")
        bot_says(page, "depends on your goal")

        # Links in answers are links (opening in a new tab, without the opener).
        ask(page, "how much does the PMP cost?", "US$405")
        link = page.locator(f"{BOT} a[href='https://www.pmi.org/certifications/project-management-pmp']")
        expect(link.last).to_be_visible()
        assert link.last.get_attribute("target") == "_blank"
        assert "noopener" in (link.last.get_attribute("rel") or "")
        # the third answer asks for feedback: 👍 / 👎 buttons
        expect(reply_button(page, "👍")).to_be_enabled()

        # A reload keeps the conversation: the same messages, no second welcome,
        # and none of it is announced again (the live region arrives filled) ...
        before = transcript(page)
        assert sum(WELCOME in line for line in before) == 1, before
        page.reload()
        bot_says(page, "US$405")
        expect(page.locator(f"{LOG} .msg")).to_have_count(len(before))
        assert transcript(page) == before
        assert page.evaluate("window.__liveAdded") == []
        # ... and the same conversation on the server: "it" is still the PMP.
        ask(page, "does it expire?", "60 professional development units")
        assert "PMP" in page.locator(BOT).last.inner_text()

        # The README's picture: the conversation, with the feedback buttons' emoji.
        page.emulate_media(reduced_motion="reduce")  # no message caught fading in
        page.set_viewport_size({"width": 1000, "height": 1500})
        page.locator(LOG).evaluate("el => el.scrollTo(0, el.scrollHeight)")
        page.screenshot(path=str(SCREENSHOT))
        watch.check()
    finally:
        context.close()


def test_user_text_is_shown_as_text_never_as_html(browser, web):
    context, page, watch = open_page(browser, web, viewport=DESKTOP)
    try:
        bot_says(page, WELCOME)
        attack = "<img src=x onerror=alert(1)>"
        ask(page, attack, "outside what I know")
        user = page.locator(USER).filter(has_text=attack)
        expect(user).to_have_count(1)
        assert user.inner_text() == attack
        assert page.locator(f"{LOG} img").count() == 0
        assert not any(urllib.parse.urlsplit(u).path == "/x" for u in watch.requests), watch.requests
        bold = "**not bold** <b>nor this</b>"
        ask(page, bold, "outside what I know")
        assert page.locator(USER).last.inner_text() == bold
        assert page.locator(".msg-user b, .msg-user strong").count() == 0
        watch.check()
    finally:
        context.close()


def test_usable_on_a_phone(browser, web):
    context, page, watch = open_page(browser, web, **PHONE)
    try:
        assert "width=device-width" in page.locator("meta[name=viewport]").get_attribute("content")
        bot_says(page, WELCOME)
        field = page.locator(INPUT)
        expect(field).to_be_visible()
        expect(field).to_be_in_viewport()
        box = field.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
        # nothing wider than the screen: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # what the assistant is, that it is automated, and what is stored: on the phone too
        expect(page.locator(".about")).to_be_in_viewport()
        field.tap()
        ask(page, "do micro-credentials expire?", "2 to 3 years", tap_send=True)
        expect(page.locator(BOT).last).to_be_in_viewport()
        expect(field).to_be_in_viewport()
        button = page.locator(f"{BUTTON}:enabled").first
        expect(button).to_be_in_viewport()
        tall = button.bounding_box()
        assert tall and tall["height"] >= 44, tall  # a finger-sized target
        button.tap()
        expect(page.locator(USER)).to_have_count(2)
        watch.check()
    finally:
        context.close()


# --------------------------------------------------------------------------
# accessibility


def test_accessibility_audit_finds_nothing_serious(browser, web, servers):
    """axe-core on a page holding a whole conversation (the welcome, an answer
    with buttons, a "did you mean", the feedback buttons, an error message),
    on a desktop and a phone screen, in the light and the dark colours."""
    unsure = find_unsure_question(servers)
    context, page, watch = open_page(browser, web, viewport=DESKTOP)
    results: Dict[str, Dict[str, int]] = {}
    try:
        bot_says(page, WELCOME)
        ask(page, "tell me about the PMP", "Project Management Professional")
        expect(reply_button(page, "Does it expire?")).to_be_visible()
        ask(page, unsure, "Did you mean")
        expect(reply_button(page, "Something else")).to_be_visible()
        # the feedback prompt comes with every third answer
        for question, answer in (("do employers care about micro-credentials?", "Employers"),
                                 ("does the PMP expire?", "60 professional development units"),
                                 ("how long does the Kubernetes one take?", "Kubernetes")):
            ask(page, question, answer)
            if page.locator(BOT).filter(has_text="Was this helpful?").count():
                break
        expect(reply_button(page, "👎")).to_be_visible()
        page.locator(INPUT).fill("x" * 2001)  # over MAX_MESSAGE_CHARS: the channel's error message
        page.locator(INPUT).press("Enter")
        bot_says(page, "too long")

        failures = []
        for screen, size in (("desktop", DESKTOP), ("phone", PHONE["viewport"])):
            page.set_viewport_size(size)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                violations = audit(page)
                results[f"{screen}/{scheme}"] = by_impact(violations)
                if any(v.get("impact") in BLOCKING for v in violations):
                    failures.append(f"{screen}/{scheme}:\n{describe(violations)}")
        AUDIT_RECORD.parent.mkdir(exist_ok=True)
        AUDIT_RECORD.write_text(json.dumps({"axe": axe_version(), "violations_by_impact": results}, indent=2))
        print(f"axe-core {axe_version()}: {results}")
        assert not failures, "\n".join(failures)
        watch.check()
    finally:
        context.close()


def test_one_conversation_by_keyboard_alone(browser, web):
    """Tab to the input, Enter to send, Tab through the answer's buttons,
    Space/Enter to press one; the focus is always visible and never taken;
    the conversation is a polite live region told of each message once; a
    chosen quick reply shows as the user's message and cannot be sent twice."""
    context, page, watch = open_page(browser, web, viewport=DESKTOP)
    try:
        log = page.locator(LOG)
        expect(log).to_have_attribute("role", "log")
        expect(log).to_have_attribute("aria-live", "polite")
        bot_says(page, WELCOME)
        assert focused(page)["tag"] == "body"  # the page takes no focus on its own

        tab_to(page, lambda f: f["id"] == "chat-input", "the input")
        page.keyboard.type("do micro-credentials expire?")
        page.keyboard.press("Enter")
        bot_says(page, "2 to 3 years")
        assert focused(page)["id"] == "chat-input"  # the answer did not move the focus

        # back to the answer's buttons, and press one with Space
        tab_to(page, lambda f: f["text"] == "Which should I choose?", "the follow-up button", key="Shift+Tab")
        page.keyboard.press("Space")
        expect(page.locator(USER).last).to_have_text("Which should I choose?")
        bot_says(page, "depends on your goal")
        chosen = reply_button(page, "Which should I choose?")
        expect(chosen).to_be_disabled()
        expect(chosen).to_have_attribute("aria-pressed", "true")
        assert focused(page)["id"] == "chat-input"  # handed back to the input, not lost

        # a chosen reply cannot be sent twice, even if its button were enabled again
        users = page.locator(USER).count()
        chosen.evaluate("b => { b.disabled = false; b.click(); }")
        page.wait_for_timeout(500)
        assert page.locator(USER).count() == users

        # the third answer asks for feedback; 👍 pressed with Enter
        page.keyboard.type("how much does the PMP cost?")
        page.keyboard.press("Enter")
        bot_says(page, "Was this helpful?")
        answers = page.locator(BOT).count()
        tab_to(page, lambda f: f["text"] == "👍", "the 👍 button", key="Shift+Tab")
        page.keyboard.press("Enter")
        expect(page.locator(USER).last).to_have_text("👍")
        expect(page.locator(BOT)).to_have_count(answers + 1)
        expect(page.locator(TYPING)).to_be_hidden()

        # each answer was added to the live region once (so announced once)
        added = page.evaluate("window.__liveAdded")
        for line in transcript(page):
            if line.startswith("bot: "):
                text = line[len("bot: "):][:60]
                assert sum(1 for a in added if text in a) == 1, (text, added)
        watch.check()
    finally:
        context.close()


def test_text_at_200_percent_and_reduced_motion(browser, web):
    for name, args in (("desktop", {"viewport": {"width": 1280, "height": 900}}), ("phone", PHONE)):
        context, page, watch = open_page(browser, web, reduced_motion="reduce", **args)
        try:
            bot_says(page, WELCOME)
            ask(page, "tell me about the PMP", "Project Management Professional")
            # reduced motion: nothing animates (with no preference, messages do)
            animations = page.evaluate("""() => [...document.querySelectorAll('.msg, .typing .dot')]
                .map(e => getComputedStyle(e).animationName)""")
            assert set(animations) == {"none"}, animations

            size = page.locator(BOT).last.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            doubled = page.locator(BOT).last.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            assert doubled == pytest.approx(2 * size, rel=0.05), (size, doubled)
            width = args.get("viewport", {}).get("width")
            # nothing scrolls sideways, nothing is cut off, the input is still there
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            clipped = page.evaluate("""() => [...document.querySelectorAll(
                    '.bubble, .reply, .composer-input, .composer-send, .about, h1')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className)""")
            assert clipped == [], (name, clipped)
            page.locator(INPUT).scroll_into_view_if_needed()
            expect(page.locator(INPUT)).to_be_in_viewport()
            expect(page.locator(SEND)).to_be_in_viewport()
            ask(page, "does it expire?", "60 professional development units")
            watch.check()
        finally:
            context.close()
    context, page, _ = open_page(browser, web, viewport=DESKTOP)  # no preference: messages fade in
    try:
        bot_says(page, WELCOME)
        assert page.locator(f"{LOG} .msg").first.evaluate("e => getComputedStyle(e).animationName") != "none"
    finally:
        context.close()


def test_emoji_render_in_colour():
    """The feedback buttons' 👍/👎 need a colour emoji font (`make test` installs one)."""
    fonts = subprocess.run(["fc-list", ":charset=1f44d", "family"], capture_output=True, text=True).stdout
    assert "Noto Color Emoji" in fonts, f"no colour emoji font: {fonts!r} (make chromium installs one)"
    from PIL import Image  # a dependency of Rasa's (matplotlib)
    if not SCREENSHOT.exists():
        pytest.skip("docs/webchat.png is made by test_conversation_buttons_links_and_reload")
    pixels = Image.open(io.BytesIO(SCREENSHOT.read_bytes())).convert("RGB").getdata()
    # the thumbs are yellow: red and green high, blue low; the page has no such colour otherwise
    yellow = sum(1 for r, g, b in pixels if r > 200 and 150 < g < 235 and b < 120)
    assert yellow > 50, "docs/webchat.png shows no colour emoji"


# --------------------------------------------------------------------------
# the page server


def test_page_server_and_cors(servers, web):
    """The page's config points at Rasa; Rasa answers the page's origin and no other."""
    base = f"http://127.0.0.1:{web.web_port}"
    config = requests.get(f"{base}/config.js", timeout=5).text
    assert f'"rasaPort": {servers.rasa_port}' in config
    page = requests.get(base + "/", timeout=5)
    assert page.status_code == 200 and "socket.io.min.js" in page.text
    assert "automated" in page.text and "RELIABILITY.md" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and f"ws://127.0.0.1:{servers.rasa_port}" in csp
    assert "unsafe-inline" not in csp
    retention = requests.get(base + "/RELIABILITY.md", timeout=5)
    assert retention.status_code == 200 and retention.headers["Content-Type"].startswith("text/plain")
    assert "What is stored" in retention.text
    for bad in ("/../Makefile", "/%2e%2e/Makefile", "/stack/web.py", "/nope.js", "/docs/RELIABILITY.md"):
        assert requests.get(base + bad, timeout=5).status_code == 404, bad

    poll = f"{servers.rasa_url}/socket.io/?EIO=4&transport=polling"
    origin = f"http://localhost:{web.web_port}"
    ok = requests.get(poll, headers={"Origin": origin}, timeout=5)
    assert ok.status_code == 200 and ok.text.startswith("0{"), ok.text  # engine.io v4 open packet
    assert ok.headers.get("Access-Control-Allow-Origin") == origin
    for foreign in ("http://evil.example", "http://localhost.evil.example:8080", "https://example.org"):
        r = requests.get(poll, headers={"Origin": foreign}, timeout=5)
        assert "Access-Control-Allow-Origin" not in r.headers, (foreign, r.headers)
