"""End to end in a real browser: the web chat page (rasa-webchat, served by
`python -m stack web` as `make run` serves it) talking socket.io to the real Rasa
server and action server (conftest's `servers`, started from credentials.yml).

Headless Debian Chromium (/usr/bin/chromium, installed by `make test`; another
path in $CHROMIUM) driven by the PyPI `playwright` package: Playwright's own
browser download is never used. Every request that is not to localhost or
127.0.0.1 is aborted and recorded, and each test asserts there was none: the
page works offline, with no CDN and no font service.

The Rasa server allows cross-origin requests from pages on localhost/127.0.0.1
(Stack's default `--cors`, as in `make run`), so the page server can take any
free port here.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Callable, Iterator, List

import playwright.sync_api as playwright_api  # requirements.txt; its browser download is never used
import pytest
import requests

from stack.net import free_port
from stack.process import Stack
from tests.helpers import ROOT

expect = playwright_api.expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "webchat.png"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
WAIT_MS = 30_000  # an answer normally shows in about 1 s (the widget's typing delay included)

# rasa-webchat's markup
INPUT = ".rw-new-message"
BOT = ".rw-response .rw-message-text"
USER = ".rw-client .rw-message-text"
BUTTON = ".rw-replies .rw-reply"
TYPING = ".rw-typing-indication"
SEND = "button.rw-send"

WELCOME = "Hi! I answer questions about micro-credentials"


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
    """The bot message containing `needle`, once the widget shows it and every
    other part of that answer (the widget shows one part per typing delay, the
    indicator staying on until the last)."""
    message = page.locator(BOT).filter(has_text=needle)
    expect(message.last).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(TYPING)).to_have_count(0, timeout=WAIT_MS)
    return message.last


def ask(page, text: str, answer: str, tap_send: bool = False):
    """Type `text` and send it (Enter, or a tap on the send button), see it as
    the user's message, see the typing indicator, then the answer."""
    field = page.locator(INPUT)
    field.fill(text)
    if tap_send:
        send = page.locator(SEND)
        expect(send).to_be_in_viewport()
        send.tap()
    else:
        field.press("Enter")
    expect(page.locator(USER).last).to_have_text(text)
    page.locator(TYPING).wait_for(state="visible", timeout=WAIT_MS)
    return bot_says(page, answer)


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
        ".rw-message",
        """els => els.filter(e => !e.classList.contains('rw-typing-indication')).map(e =>
              (e.querySelector('.rw-client') ? 'user: ' : 'bot: ') +
              (e.querySelector('.rw-message-text') || e).innerText.trim())""",
    )


def test_conversation_buttons_links_and_reload(browser, web):
    context, page, watch = open_page(browser, web, viewport={"width": 1000, "height": 820})
    try:
        # Opening: the welcome (initPayload /greet -> utter_greet) and its buttons.
        bot_says(page, WELCOME)
        expect(page.locator(BUTTON).filter(has_text="What can I ask?")).to_be_visible()
        # socket.io really runs against the pinned python-socketio / python-engineio (requirements.txt):
        # the first requests are cross-origin polling (CORS), then the websocket upgrade.
        assert any(f":{web.rasa_port}/socket.io/" in u and "transport=polling" in u for u in watch.requests)
        wait_until(page, lambda: any(f":{web.rasa_port}/socket.io/" in u for u in watch.websockets),
                   "the socket.io websocket upgrade")

        # A question typed by hand gets the right answer, after the typing indicator;
        # the answer came over the upgraded websocket (socket.io event bot_uttered).
        ask(page, "do micro-credentials expire?", "2 to 3 years")
        assert any(f.startswith('42["bot_uttered"') and "2 to 3 years" in f for f in watch.frames), watch.frames

        # The answer's follow-up buttons work: the title is shown as the user's turn.
        follow_up = page.locator(BUTTON).filter(has_text="Which should I choose?")
        expect(follow_up).to_be_visible()
        follow_up.click()
        expect(page.locator(USER).last).to_have_text("Which should I choose?")
        bot_says(page, "depends on your goal")

        # Links in answers are links (opening in a new tab, without the opener).
        ask(page, "how much does the PMP cost?", "US$405")
        link = page.locator(f"{BOT} a[href='https://www.pmi.org/certifications/project-management-pmp']")
        expect(link.last).to_be_visible()
        assert link.last.get_attribute("target") == "_blank"
        assert "noopener" in (link.last.get_attribute("rel") or "")

        # A reload keeps the conversation: the same messages, no second welcome ...
        before = transcript(page)
        assert sum(WELCOME in line for line in before) == 1, before
        page.reload()
        bot_says(page, "US$405")
        expect(page.locator(".rw-message:not(.rw-typing-indication)")).to_have_count(len(before))
        assert transcript(page) == before
        # ... and the same conversation on the server: "it" is still the PMP.
        ask(page, "does it expire?", "60 professional development units")
        assert "PMP" in page.locator(BOT).last.inner_text()

        # The README's picture: the whole conversation, welcome included.
        page.set_viewport_size({"width": 1000, "height": 1400})
        page.locator(".rw-messages-container").evaluate("el => el.scrollTo(0, el.scrollHeight)")
        page.screenshot(path=str(SCREENSHOT))
        watch.check()
    finally:
        context.close()


def test_user_text_is_shown_as_text_never_as_html(browser, web):
    context, page, watch = open_page(browser, web, viewport={"width": 1000, "height": 820})
    try:
        bot_says(page, WELCOME)
        attack = "<img src=x onerror=alert(1)>"
        ask(page, attack, "outside what I know")
        user = page.locator(USER).filter(has_text=attack)
        expect(user).to_have_count(1)
        assert user.inner_text() == attack
        assert page.locator(".rw-messages-container img").count() == 0
        assert not any(urllib.parse.urlsplit(u).path == "/x" for u in watch.requests), watch.requests
        bold = "**not bold** <b>nor this</b>"
        ask(page, bold, "outside what I know")
        assert page.locator(USER).last.inner_text() == bold
        assert page.locator(".rw-client b, .rw-client strong").count() == 0
        watch.check()
    finally:
        context.close()


def test_usable_on_a_phone(browser, web):
    phone = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                 is_mobile=True, has_touch=True)
    context, page, watch = open_page(browser, web, **phone)
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
        field.tap()
        ask(page, "do micro-credentials expire?", "2 to 3 years", tap_send=True)
        expect(page.locator(BOT).last).to_be_in_viewport()
        expect(field).to_be_in_viewport()
        button = page.locator(BUTTON).first
        expect(button).to_be_in_viewport()
        button.tap()
        expect(page.locator(USER)).to_have_count(2)
        watch.check()
    finally:
        context.close()


def test_page_server_and_cors(servers, web):
    """The page's config points at Rasa; Rasa answers the page's origin and no other."""
    base = f"http://127.0.0.1:{web.web_port}"
    config = requests.get(f"{base}/config.js", timeout=5).text
    assert f'"rasaPort": {servers.rasa_port}' in config
    page = requests.get(base + "/", timeout=5)
    assert page.status_code == 200 and "rasa-webchat.js" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and f"ws://127.0.0.1:{servers.rasa_port}" in csp
    for bad in ("/../Makefile", "/%2e%2e/Makefile", "/stack/web.py", "/nope.js"):
        assert requests.get(base + bad, timeout=5).status_code == 404, bad

    poll = f"{servers.rasa_url}/socket.io/?EIO=4&transport=polling"
    origin = f"http://localhost:{web.web_port}"
    ok = requests.get(poll, headers={"Origin": origin}, timeout=5)
    assert ok.status_code == 200 and ok.text.startswith("0{"), ok.text  # engine.io v4 open packet
    assert ok.headers.get("Access-Control-Allow-Origin") == origin
    for foreign in ("http://evil.example", "http://localhost.evil.example:8080", "https://example.org"):
        r = requests.get(poll, headers={"Origin": foreign}, timeout=5)
        assert "Access-Control-Allow-Origin" not in r.headers, (foreign, r.headers)
