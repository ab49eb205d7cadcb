"""Product selection in Chromium: a team researches two markets, picks two products of a
30-product catalogue and a supplier, lists one, the instructor processes the round, and the
team reads its research and per-product report. Screenshots at desktop and phone width go
to test-artifacts/ (looked at by whoever changes these pages).

This flow buys no certificates (its scenario has no compliance rules); buying them, and the
incidents of an uncertified listing in the per-product report, are in
test_certificates_browser.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from simshop.db import db
from simshop.services import games as games_service
from simshop.services import schedule as schedule_service
from tests.browser.conftest import ARTIFACTS, PHONE, log_in, process_round_now
from tests.catalogue_kit import FILE_NAME, catalogue_dir
from tests.reliability.gamekit import enrol, make_user, round_no


@pytest.fixture(scope="module")
def catalogue_game(live_server, tmp_path_factory):
    """A catalogue game (30 products) with one student team, round 1 open."""
    with live_server.app.app_context():
        s = db.session
        teacher = make_user(s, "pick-teacher@example.edu", "instructor")
        spec = games_service.GameSpec(
            title="Product selection",
            scenario_file=FILE_NAME,
            scored_rounds=3,
            practice_rounds=0,
            bot_count=0,
            seed=20260101,
        )
        folder = catalogue_dir(tmp_path_factory.mktemp("catalogue"))
        game = games_service.create_game(s, teacher, spec, scenarios_dir=folder)
        enrol(s, game, make_user(s, "s3016001"), "Pickers")
        schedule_service.open_round(s, game, round_no(s, game, 1))
        game_id = game.id
        s.remove()
    return game_id


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"product-selection-{name}.png"), full_page=True)


def test_a_team_researches_picks_lists_and_reads_its_product_report(
    page, page_problems, catalogue_game
):
    game = f"/games/{catalogue_game}"
    log_in(page, "s3016001")
    page.goto(game + "/decisions")
    expect(page.locator(".catalogue-table tbody tr")).to_have_count(30)
    assert page.locator("#d-offers-US-item-03-price_local").count() == 0

    # research two markets
    page.locator("#d-research-0-market").select_option("US")
    page.locator("#d-research-0-category").select_option("toys")
    page.locator("#d-research-0-budget_cny").fill("5000")
    page.locator("#d-research-1-market").select_option("EU")
    page.locator("#d-research-1-category").select_option("electronics")
    page.locator("#d-research-1-budget_cny").fill("3000")
    # pick two products, then show their fields
    page.get_by_label("Carry Item 03").check()
    page.get_by_label("Carry Item 04").check()
    page.get_by_role("button", name="Show the chosen products").click()
    expect(page.locator("#d-offers-US-item-03-price_local")).to_be_visible()
    assert page.locator("#d-offers-US-item-05-price_local").count() == 0
    # the typed studies survived the round trip
    expect(page.locator("#d-research-1-budget_cny")).to_have_value("3,000")

    # a supplier, an order below its MOQ (refused on the field), then a good one
    page.get_by_label("Supplier of Item 03").select_option("cheap")
    page.locator("#d-factory_orders-item-03").fill("300")
    page.locator("#d-market-US").check()
    page.locator("#d-offers-US-item-03-listed").check()
    page.locator("#d-offers-US-item-03-price_local").fill("34.99")
    page.locator("#d-offers-US-item-03-channel").select_option("parcel")
    page.get_by_role("button", name="Save decisions").click()
    expect(page.locator("#d-factory_orders-item-03-errors")).to_contain_text(
        "minimum order quantity (MOQ) is 500 units"
    )
    # the refused save answered 422 on purpose; Chromium logs that as a console error
    assert page_problems.console_errors == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    ]
    page_problems.console_errors.clear()
    # the fast factory (MOQ 200, 10 lead days): the goods reach China within the round
    page.get_by_label("Supplier of Item 03").select_option("fast")
    page.locator("#d-factory_orders-item-03").fill("600")
    page.locator("#d-samples-item-03-fast").check()
    shoot(page, "decisions-desktop")
    page.get_by_role("button", name="Save decisions").click()
    expect(page.locator(".flash--success")).to_contain_text("Decisions saved")
    page.set_viewport_size(PHONE)
    shoot(page, "decisions-phone")
    page.get_by_role("button", name="Log out").click()

    # the instructor processes the round
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "pick-teacher@example.edu")
    process_round_now(page, catalogue_game, "Round 1")
    page.get_by_role("button", name="Log out").click()

    # the team reads its research and the per-product report
    log_in(page, "s3016001")
    page.goto(game + "/lab/studies")
    expect(page.get_by_role("heading", name="United States · Toys")).to_be_visible()
    expect(page.get_by_role("heading", name="European Union · Electronics")).to_be_visible()
    expect(page.locator("#samples")).to_contain_text("Shenzhen Quick Works")
    shoot(page, "studies-desktop")
    page.goto(game + "/lab/products")
    expect(page.locator("#product-table")).to_contain_text("Item 03")
    revenue = page.locator("#product-table tbody tr td").nth(1).inner_text()
    assert revenue != "CN¥0", "sold nothing: the report has nothing to show"
    assert page.locator("svg.chart").count() == 1
    shoot(page, "products-desktop")
    page.set_viewport_size(PHONE)
    page.goto(game + "/lab/studies")
    shoot(page, "studies-phone")
    page.goto(game + "/lab/products")
    shoot(page, "products-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"

    # the same pages in Chinese
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="简体中文").click()
    page.goto(game + "/lab/studies")
    expect(page.get_by_role("heading", name="我的市场调研 · Pickers")).to_be_visible()
    shoot(page, "studies-zh")
