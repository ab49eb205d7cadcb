"""Browser fixtures: a live SimShop server and headless Debian Chromium via Playwright.

- ``live_server``: the app served by werkzeug in a thread on a free loopback port, with its
  own temporary database (one per test session; use unique logins in each test).
- ``browser``: headless /usr/bin/chromium (never ``playwright install``).
- ``page``: a fresh browser context and page per test; ``open_page()`` opens more, each in
  a context of its own (several people at once). Requests to anything but loopback are
  aborted and recorded, console errors are recorded, and both must stay empty. When a test
  fails, a full-page screenshot of each page goes to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import make_server

from simshop import create_app
from simshop.db import db, init_db
from tests.reliability.gamekit import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class LiveServer:
    url: str
    app: Flask


@dataclass
class PageProblems:
    console_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            # Under xdist the browser modules run on one worker (tests/scheduling.py): one
            # Chromium and one live server; the sweep module is a second group.


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def static_read_whole(app):
    """Serve ``/static/`` responses as one buffered body, their file closed before sending.

    Werkzeug's development server closes a response only after draining the socket; when
    the browser has already dropped the connection (it often abandons a stylesheet it has
    cached), that read raises ``ConnectionResetError`` first, the file Flask opened for
    ``send_file`` is never closed, and its ``ResourceWarning`` at garbage collection fails
    whichever test runs then (warnings are errors here). Buffering the few small static
    files leaves werkzeug a list to send, with nothing to leak."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith("/static/"):
            return body
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("live") / "simshop.sqlite"
    app = create_app(
        {
            "SECRET_KEY": "live-server-test-secret-key-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )
    with app.app_context():
        init_db()
    server = make_server("127.0.0.1", 0, static_read_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run should have installed it")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """The page size; override in a test module or parametrize indirectly."""
    return DESKTOP


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def open_page(browser, live_server, viewport, page_problems, request):
    """Opens a page in a browser context of its own (its own cookies: one person each), as
    many as a test needs. Requests to anything but loopback are aborted and recorded, console
    errors are recorded, and both must stay empty on every page. When the test fails, each
    page's full-page screenshot goes to test-artifacts/."""
    contexts = []

    def only_loopback(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK_HOSTS:
            route.continue_()
        else:
            page_problems.blocked_requests.append(url)
            route.abort()

    def opened():
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="en-US", service_workers="block"
        )
        contexts.append(context)
        context.route("**/*", only_loopback)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda message: (
                page_problems.console_errors.append(message.text)
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: page_problems.console_errors.append(str(error)))
        return page

    try:
        yield opened
    finally:
        report = getattr(request.node, "rep_call", None)
        for number, context in enumerate(contexts):
            if report is not None and report.failed:
                ARTIFACTS.mkdir(exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
                suffix = f"-{number}" if number else ""
                context.pages[0].screenshot(
                    path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True
                )
            context.close()
    assert page_problems.blocked_requests == [], "the page tried to reach the network"
    assert page_problems.console_errors == [], "the page logged errors to the console"


@pytest.fixture
def page(open_page):
    """One page in a fresh browser context (:func:`open_page`)."""
    return open_page()


PROCESS_TIMEOUT_MS = 120_000
"""How long "Process now" may take before a test gives up: a hang guard, not a judgement.
The round is explained in the same request (services/schedule.py, inline_explain_teams):
3-6 s for a small game on an idle machine here, and more than the 10 s default on a 2-core
CI machine that runs the other test worker and Chromium at the same time."""


def process_round_now(page, game_id, round_label: str) -> None:
    """The instructor's "Process now" on the round row named ``round_label``, from the game
    page, waiting (up to :data:`PROCESS_TIMEOUT_MS`) for the page that says it is done."""
    page.goto(f"/instructor/games/{game_id}")
    row = page.locator("tr", has_text=round_label).first
    row.get_by_role("button", name="Process now").click(timeout=PROCESS_TIMEOUT_MS)
    expect(page.locator(".flash--success")).to_contain_text(
        "Round processed and published", timeout=PROCESS_TIMEOUT_MS
    )


def log_in(page, login: str) -> None:
    """Sign in through the login form (the gamekit's password) and land on the dashboard."""
    page.goto("/login")
    page.get_by_label("Student number or email").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")


def log_out(page) -> None:
    """The header's "Log out" button, landing on the login page."""
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
