"""The sweep: every page a student, an assistant and an instructor reach in a played demo
game, in English and Chinese, on a 1366x768 desktop and a 390x844 phone.

Pages are found, not listed: starting from each role's dashboard, the crawler follows
same-origin GET links (``<a href>``), one URL per pattern (numbers in the path count as one
pattern, a scenario's name too), at most ``MAX_PAGES`` per role. Every page then fails the
test on any of:

- a response >= 400 (every page was reached by following the role's own links);
- horizontal overflow of the page (``scrollWidth > innerWidth``): wide tables must scroll in
  their own box;
- two overlapping text labels in one SVG chart;
- on Chinese pages, a Latin-script word of four or more letters outside ``ALLOWED_LATIN``
  (proper names and codes that stay in Latin letters in Chinese practice);
- a console error or an uncaught script error.

Every page's screenshot goes to test-artifacts/sweep/ (a CI artifact), with its load time
by navigation timing (``responseEnd - startTime``) in ``timings.tsv`` of the folder, slowest
first. The time is reported, never asserted: tests do not judge wall-clock time (on a
2-core CI machine busy with two test workers, ``/dashboard`` once took 1.15 s; a local run
of the suite took 0.04-0.5 s); ``bench/`` measures speed. All problems of a role, locale
and size are reported together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select

from simshop.cli.games import seed_demo_game
from simshop.db import db
from simshop.models import Game, Team, User
from simshop.services import membership as membership_service
from simshop.services import round_state
from tests.browser.conftest import ARTIFACTS
from tests.reliability.gamekit import PASSWORD, make_user

SWEEP_DIR = ARTIFACTS / "sweep"
MAX_PAGES = 45
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Never followed: files (downloads), JSON/fragments polled by scripts, and leaving.
SKIP = re.compile(r"(\.csv|\.xlsx|\.json|\.toml|/download|/state|/live)(\?|$)|/logout")

# Latin words that stay Latin on a Chinese page: brands, platforms, codes and units.
ALLOWED_LATIN = {
    "SimShop",
    "Listing",
    "ACoS",
    "TACoS",  # total ACoS, kept Latin like ACoS (the scorecard metric)
    "Temu",
    "Shein",
    "TikTok",
    "Shop",
    "Shopee",
    "Lazada",
    "Ozon",
    "Wildberries",
    "Noon",
    "Mercado",
    "Libre",
    "Amazon",
    "SHA",
    "JSON",
    "Excel",
    "XLSX",
    "TOML",
    "UKCA",
    "Asia",
    "Shanghai",
    "Europe",
    "America",
    "York",
    "Angeles",
    "Berlin",
    "London",
    "Tokyo",
    "Hong",
    "Kong",
    "Singapore",
    "minimis",
    "toml",  # the scenario file extension
    "English",  # the language switch names each language in itself
    "LATAM",
    "EAEU",
    "IEEPA",
    # codes of the quiz bank's questions (questions/*.toml) kept in Latin in Chinese practice
    "IOSS",
    "GPSR",
    "DIVID",
    "ROAS",
}
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")

TEXT_OVERLAPS_JS = """
() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg')) {
    const boxes = [...svg.querySelectorAll('text')]
      .filter(t => t.textContent.trim() !== '')
      .map(t => ({text: t.textContent.trim(), r: t.getBoundingClientRect()}))
      .filter(b => b.r.width > 0 && b.r.height > 0);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r, b = boxes[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) out.push(boxes[i].text + ' / ' + boxes[j].text);
      }
    }
  }
  return out;
}
"""

# Text a reader sees, leaving out codes (``<code>``, ``<kbd>``, ``<samp>``) and what the page
# marks as not to be translated (``translate="no"``: names people typed, join codes).
PAGE_WORDS_JS = """
() => {
  const skip = 'code,kbd,samp,script,style,noscript,[translate="no"]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) parts.push(node.textContent);
  }
  return parts.join(' ');
}
"""

NAV_MS_JS = """
() => { const n = performance.getEntriesByType('navigation')[0];
        return n ? n.responseEnd - n.startTime : 0; }
"""


@dataclass
class Role:
    name: str
    login: str
    password: str


@pytest.fixture(scope="module")
def demo(live_server) -> dict[str, Role]:
    """The demo game (two student teams, three bots, two rounds published, the third
    open), its instructor, one of its students and an assistant."""
    with live_server.app.app_context():
        session = db.session
        seeded = seed_demo_game(session, rounds_played=2)
        assert seeded is not None
        game, issued = seeded
        passwords = dict(issued)
        assistant = make_user(session, "sweep-assistant@example.edu", "instructor", "Assistant")
        assistant_login = assistant.login
        membership_service.add_assistant(session, game, assistant_login)
        assert round_state.last_published(session, game).number == 2
        instructor = game.owner.login
        student = next(login for login in passwords if "@" not in login)
    return {
        "student": Role("student", student, passwords[student]),
        "assistant": Role("assistant", assistant_login, PASSWORD),
        "instructor": Role("instructor", instructor, passwords[instructor]),
    }


@pytest.fixture(scope="module")
def demo_names(live_server, demo) -> set[str]:
    """Latin words of what people typed into the demo: names, logins, team names, titles
    and join codes stay as typed on a Chinese page."""
    with live_server.app.app_context():
        typed = [
            *db.session.scalars(select(User.display_name)),
            *db.session.scalars(select(User.login)),
            *db.session.scalars(select(Team.name).where(Team.is_bot.is_(False))),
            *db.session.scalars(select(Game.title)),
            *db.session.scalars(select(Game.join_code)),
        ]
    return {word for text in typed for word in LATIN_WORD.findall(text)}


@pytest.fixture(scope="module")
def sessions(browser, live_server, demo) -> dict[str, dict]:
    """Each role logged in once (the login rate limit stays far away); its cookies."""
    states = {}
    for name, role in demo.items():
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.goto("/login")
        page.locator("input[name=login]").fill(role.login)
        page.locator("input[name=password]").fill(role.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        if "/password" in page.url:  # a first login may ask for a new password
            raise AssertionError(f"{name} must change the password first")
        assert "/login" not in page.url, f"{name} could not log in"
        states[name] = context.storage_state()
        context.close()
    return states


def pattern(url: str) -> str:
    """One URL per pattern: numbers and scenario names in the path are placeholders."""
    path = urlsplit(url).path
    path = re.sub(r"/library/[^/]+", "/library/{name}", path)
    return re.sub(r"/\d+", "/{n}", path)


def crawl(browser, live_server, state) -> list[str]:
    """Same-origin GET links reachable from the dashboard, one per pattern, breadth first."""
    context = browser.new_context(base_url=live_server.url, storage_state=state)
    page = context.new_page()
    origin = live_server.url
    queue, seen, found = [origin + "/dashboard"], set(), []
    try:
        while queue and len(found) < MAX_PAGES:
            url = queue.pop(0)
            key = pattern(url)
            if key in seen:
                continue
            seen.add(key)
            response = page.goto(url)
            found.append(url)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                target = urljoin(url, href).split("#")[0]
                same_site = target.startswith(origin) and not SKIP.search(target)
                if same_site and pattern(target) not in seen:
                    queue.append(target)
    finally:
        context.close()
    return found


@pytest.fixture(scope="module")
def site(browser, live_server, sessions) -> dict[str, list[str]]:
    return {name: crawl(browser, live_server, state) for name, state in sessions.items()}


def slug(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", urlsplit(url).path).strip("-") or "root"


# All the checks of a loaded page in one round trip to the browser.
PAGE_CHECKS_JS = f"""
(chinese) => ({{
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  overlaps: ({TEXT_OVERLAPS_JS})(),
  text: chinese ? ({PAGE_WORDS_JS})() : "",
  elapsed: ({NAV_MS_JS})(),
}})
"""


def page_problems(
    page, url: str, chinese: bool, names: set[str], errors: list[str], timings: dict[str, float]
) -> Iterator[str]:
    """Load ``url`` in ``page`` and report what is wrong with it. ``errors``: the page's
    console and script errors, collected by listeners the caller installed (emptied here);
    ``timings`` receives the page's load time in milliseconds."""
    errors.clear()
    try:
        response = page.goto(url)
    except PlaywrightError as exc:
        yield f"could not load: {exc.message.splitlines()[0]}"
        return
    page.wait_for_load_state("load")
    if response is None or response.status >= 400:
        yield f"HTTP {response.status if response else '?'}"
        return
    checks = page.evaluate(PAGE_CHECKS_JS, chinese)
    if checks["overflow"] > 0:
        yield f"page scrolls sideways by {checks['overflow']}px"
    for pair in checks["overlaps"]:
        yield f"chart labels overlap: {pair}"
    if chinese:
        words = sorted(set(LATIN_WORD.findall(checks["text"])) - ALLOWED_LATIN - names)
        if words:
            yield f"Latin words on a Chinese page: {', '.join(words[:12])}"
    timings[urlsplit(url).path] = checks["elapsed"]
    for error in errors:
        yield f"console: {error}"


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("role", ["student", "assistant", "instructor"])
def test_every_reachable_page_is_sound(
    browser, live_server, sessions, site, demo_names, role, locale, size
):
    urls = site[role]
    assert len(urls) >= 5, urls  # the crawl found the role's pages
    context = browser.new_context(
        base_url=live_server.url,
        storage_state=sessions[role],
        viewport=DESKTOP if size == "desktop" else PHONE,
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
    )
    folder = SWEEP_DIR / f"{role}-{locale}-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    chinese = locale.startswith("zh")
    # One tab visits every page (each visit is a full navigation to a new document): a new
    # tab per page cost a renderer start each, about a quarter of the sweep's time.
    page = context.new_page()
    errors: list[str] = []
    timings: dict[str, float] = {}
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for url in urls:
            for problem in page_problems(page, url, chinese, demo_names, errors, timings):
                problems.append(f"{urlsplit(url).path}: {problem}")
            # JPEG: a quarter of the sweep's time went to encoding PNGs; 70 reads fine.
            page.screenshot(path=str(Path(folder) / f"{slug(url)}.jpg"), type="jpeg", quality=70)
    finally:
        context.close()
        slowest = sorted(timings.items(), key=lambda item: -item[1])
        (folder / "timings.tsv").write_text(
            "".join(f"{ms:.0f}\t{path}\n" for path, ms in slowest), encoding="utf-8"
        )
    assert problems == [], "\n".join(problems)
