"""The search funnel in Chromium: a student writes a listing (a search term added to the
title with the keyword picker), sees its score and reasons, bids on two search terms, the
instructor processes the round, and the student reads the search-term report. Screenshots
of the pages at desktop and phone widths go to test-artifacts/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from simshop.db import db
from simshop.services import schedule as schedule_service
from tests.browser.conftest import ARTIFACTS, PHONE, log_in, log_out
from tests.browser.test_game_flow import open_round, process
from tests.reliability.gamekit import enrol, make_game, make_user, round_no


def build_game(app) -> int:
    with app.app_context():
        session = db.session
        teacher = make_user(session, "funnel-teacher@example.edu", "instructor", "Funnel Teacher")
        student = make_user(session, "funnel-s1", name="Funnel Student")
        game = make_game(session, teacher, scored_rounds=2)  # the tutorial's search terms
        enrol(session, game, student, "Funnel team")
        schedule_service.open_round(session, game, round_no(session, game, 1))
        return game.id


def shoot(page, name: str, selector: str | None = None) -> None:
    """A screenshot of the page (or of one element) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = str(ARTIFACTS / f"search-funnel-{name}.png")
    if selector:
        page.locator(selector).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def test_a_student_writes_a_listing_bids_and_reads_the_search_report(page, live_server):
    game_id = build_game(live_server.app)
    game_url = f"/games/{game_id}"

    log_in(page, "funnel-s1")
    page.goto(game_url + "/decisions")
    page.locator("#d-market-US").check()
    page.locator("#d-offers-US-earbuds-listed").check()
    page.locator("#d-offers-US-earbuds-price_local").fill("29.99")
    page.locator("#d-factory_orders-earbuds").fill("600")
    page.locator("#d-ship-US-earbuds-air").fill("600")

    page.locator("#listings-US > summary").click()  # a market entered this round opens
    listing = page.locator("#listing-US-earbuds")
    title = listing.locator("#d-offers-US-earbuds-listing-title")
    title.fill("Bluetooth 5.3")
    listing.get_by_role("button", name="Add to title").first.click()
    expect(title).to_have_value("Bluetooth 5.3 wireless earbuds")
    expect(listing.locator(".listing-count").first).to_have_text("30 / 200")
    listing.locator("#d-offers-US-earbuds-listing-bullets-0").fill("30 h battery <b>life</b>")
    listing.locator("#d-offers-US-earbuds-listing-bullets-1").fill("Great earbuds for running")
    listing.locator("#d-offers-US-earbuds-listing-description").fill("Line one\nLine two")
    listing.locator("#d-offers-US-earbuds-listing-images").fill("4")
    for term, bid, budget in (
        ("wireless-earbuds", "0.90", "20"),
        ("earbuds-for-running", "0.5", "8"),
    ):
        listing.locator(f"#d-offers-US-earbuds-campaigns-{term}-bid_local").fill(bid)
        listing.locator(f"#d-offers-US-earbuds-campaigns-{term}-daily_budget_local").fill(budget)
    page.get_by_role("button", name="Save decisions").click()
    expect(page.locator(".flash--success")).to_contain_text("Decisions saved")

    score = page.locator("#listing-score-US-earbuds")
    expect(score).to_contain_text(re.compile(r"Listing score \d+(\.\d)? / 100"))
    expect(score).to_contain_text("2 of 5 bullet points used.")
    expect(score).to_contain_text("4 images; shoppers expect 7.")
    expect(score).to_contain_text("“earbuds for running” is only in the bullet points")
    expect(title).to_have_value("Bluetooth 5.3 wireless earbuds")
    expect(listing.locator("#d-offers-US-earbuds-listing-bullets-0")).to_have_value(
        "30 h battery <b>life</b>"
    )
    shoot(page, "listing-desktop", "#listing-US-earbuds")
    page.set_viewport_size(PHONE)
    shoot(page, "listing-phone", "#listing-US-earbuds")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_out(page)

    log_in(page, "funnel-teacher@example.edu")
    process(page, str(game_id), "Round 1")
    open_round(page, str(game_id), "Round 2")
    page.goto(game_url + "/lab/search-terms")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search terms")
    shoot(page, "report-staff")
    log_out(page)

    log_in(page, "funnel-s1")
    page.goto(game_url + "/lab")
    page.get_by_role("link", name="Search terms").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search terms")
    expect(page.locator("nav.subnav a[aria-current=page]").last).to_have_text("Round 1")
    expect(page.locator("#offers h2")).to_contain_text("Funnel by offer and search term")
    expect(page.locator("#research h2")).to_contain_text("Market research")
    offer = page.locator("section.search-offer").first
    expect(offer).to_contain_text("wireless earbuds")
    expect(offer).to_contain_text("earbuds for running")
    expect(offer.locator("svg")).to_have_count(2)
    expect(page.locator("#research-US-earbuds tbody tr")).to_have_count(4)  # 4 terms, 1 round
    shoot(page, "report-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, "report-phone")

    # Round 2's form: the campaign table has round 1's results beside the bids.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(game_url + "/decisions")
    campaigns = page.locator("#campaigns-US-earbuds")
    expect(campaigns.locator("thead")).to_contain_text("Last round")
    head = campaigns.locator("tbody tr").first
    expect(head).to_contain_text("wireless earbuds")
    expect(head.locator("td").nth(4)).to_have_text(re.compile(r"^\d{1,3}(,\d{3})*$"))
    expect(page.locator("#d-offers-US-earbuds-campaigns-wireless-earbuds-bid_local")).to_have_value(
        "0.9"
    )
    shoot(page, "campaigns-round-2", "#campaigns-US-earbuds")
