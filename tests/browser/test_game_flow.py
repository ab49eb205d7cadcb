"""A whole class in Chromium: the instructor creates a game, two students in two teams join
and decide for two rounds, the instructor processes them, each student sees results and rank."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from simshop.db import db
from tests.browser.conftest import log_in, process_round_now
from tests.reliability.gamekit import make_user


def decide(page, game_url: str, price: str, qty: str, first_round: bool) -> None:
    page.goto(game_url + "/decisions")
    if first_round:
        page.locator("#d-market-US").check()
        page.locator("#d-offers-US-earbuds-listed").check()
    page.locator("#d-offers-US-earbuds-price_local").fill(price)
    page.locator("#d-offers-US-earbuds-ad_budget_cny").fill("4000")
    page.locator("#d-factory_orders-earbuds").fill(qty)
    page.locator("#d-ship-US-earbuds-air").fill(qty)
    page.get_by_role("button", name="Save decisions").click()
    expect(page.locator(".flash--success")).to_contain_text("Decisions saved")
    expect(page.locator("#last-saved")).to_contain_text("Last saved by")


def process(page, game_id: str, round_label: str) -> None:
    process_round_now(page, game_id, round_label)


def open_round(page, game_id: str, round_label: str) -> None:
    page.goto(f"/instructor/games/{game_id}")
    page.locator("tr", has_text=round_label).first.get_by_role("button", name="Open").click()
    expect(page.locator(".flash--success")).to_contain_text("Round opened.")


def test_a_class_plays_two_rounds(open_page, live_server):
    with live_server.app.app_context():
        make_user(db.session, "flow-teacher@example.edu", "instructor", "Flow Teacher")
        make_user(db.session, "flow-s1", name="Flow Student One")
        make_user(db.session, "flow-s2", name="Flow Student Two")
    # each person in a browser of their own, signed in once, as in a classroom
    teacher = open_page()
    log_in(teacher, "flow-teacher@example.edu")
    teacher.get_by_role("link", name="Games").click()
    teacher.get_by_role("link", name="New game").click()
    teacher.get_by_label("Title").fill("Browser class")
    teacher.get_by_label("Scored rounds").fill("2")
    teacher.get_by_label("Bot teams").fill("1")
    teacher.get_by_role("button", name="Create game").click()
    expect(teacher.locator(".flash--success")).to_contain_text("Game created")
    game_id = re.search(r"/instructor/games/(\d+)", teacher.url).group(1)
    code = teacher.locator(".join-code").inner_text().strip()
    open_round(teacher, game_id, "Round 1")

    game_url = f"/games/{game_id}"
    students = {}
    for login, team, price in (("flow-s1", "Red", "29.99"), ("flow-s2", "Blue", "36.50")):
        page = students[team] = open_page()
        log_in(page, login)
        page.get_by_role("link", name="My games").click()
        page.get_by_label("Join code").fill(code.lower())
        page.get_by_role("button", name="Join").click()
        page.get_by_label("Team name").fill(team)
        page.get_by_role("button", name="Create team").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(team)
        expect(page.locator(".countdown, .round-box")).to_contain_text("Round 1")
        decide(page, game_url, price, "600", first_round=True)

    process(teacher, game_id, "Round 1")
    open_round(teacher, game_id, "Round 2")

    for team, price in (("Red", "31"), ("Blue", "35")):
        page = students[team]
        page.goto(game_url)
        expect(page.locator(".kpi__value").nth(2)).to_contain_text("/ 3")
        decide(page, game_url, price, "300", first_round=False)

    process(teacher, game_id, "Round 2")
    expect(teacher.locator(".standings tbody tr")).to_have_count(3)

    for team, page in students.items():
        page.goto(game_url)
        page.get_by_role("link", name="Round 2").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Results")
        expect(page.locator("#rank .kpi__value")).to_have_text(re.compile(r"^[123]\s*/ 3$"))
        expect(page.locator(".pnl")).to_contain_text("Net profit")
        expect(page.locator(".standings tr.is-self")).to_contain_text(team)
