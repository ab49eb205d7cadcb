"""Certificates in Chromium: a team of a catalogue game with compliance rules researches two
markets, picks a toy and a gadget and a supplier, buys the toy's certificate (not the
gadget's), lists both in the US, the instructor processes the round, and the team reads its
per-product report: no incident for the certified toy, one for the uncertified gadget (found
for sure: its rule finds every listing lacking it). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import tomllib

import pytest
from playwright.sync_api import expect

from simshop.db import db
from simshop.services import games as games_service
from simshop.services import schedule as schedule_service
from simshop.services.scenario_toml import dumps
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, log_in, process_round_now
from tests.catalogue_kit import catalogue_toml
from tests.reliability.gamekit import enrol, make_user, round_no

FILE_NAME = "certified-catalogue.toml"
RULES = [
    {
        "id": "us-cpc",
        "name": "Children's Product Certificate (CPC)",
        "name_zh": "儿童产品证书（CPC）",
        "market": "US",
        "categories": ["toys"],
        "cost_cny": 8000.0,
        "rounds_to_obtain": 0,
        "yearly_fee_cny": 3600.0,
        "detection_per_round": 1.0,
        "fine_cny": 10000.0,
        "removal_cny_per_unit": 7.0,
    },
    {
        "id": "us-fcc",
        "name": "FCC equipment authorization",
        "name_zh": "FCC 认证",
        "market": "US",
        "categories": ["electronics"],
        "cost_cny": 25000.0,
        "rounds_to_obtain": 0,
        "detection_per_round": 1.0,
        "fine_cny": 15000.0,
        "removal_cny_per_unit": 7.0,
    },
]


@pytest.fixture(scope="module")
def certified_game(live_server, tmp_path_factory):
    """The 30-product catalogue game with two US certificates, one team, round 1 open."""
    data = tomllib.loads(catalogue_toml())
    data["meta"]["id"] = "certified-catalogue"
    data["compliance"] = RULES
    folder = tmp_path_factory.mktemp("certified")
    (folder / FILE_NAME).write_text(dumps(data))
    with live_server.app.app_context():
        s = db.session
        teacher = make_user(s, "cert-teacher@example.edu", "instructor")
        spec = games_service.GameSpec(
            title="Certified selection",
            scenario_file=FILE_NAME,
            scored_rounds=3,
            practice_rounds=0,
            bot_count=0,
            seed=20260202,
        )
        game = games_service.create_game(s, teacher, spec, scenarios_dir=folder)
        enrol(s, game, make_user(s, "s3016002"), "Certifiers")
        schedule_service.open_round(s, game, round_no(s, game, 1))
        game_id = game.id
        s.remove()
    return game_id


def shoot(page, name, section=None):
    """A full-page screenshot, or of one ``section`` (the decision page is very long)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = str(ARTIFACTS / f"certificates-{name}.png")
    if section is None:
        page.screenshot(path=path, full_page=True)
    else:
        page.locator(section).screenshot(path=path)


def list_in_us(page, pid, price):
    page.get_by_label(f"Supplier of {pid.replace('item-', 'Item ')}").select_option("fast")
    page.locator(f"#d-factory_orders-{pid}").fill("600")
    page.locator(f"#d-offers-US-{pid}-listed").check()
    page.locator(f"#d-offers-US-{pid}-price_local").fill(price)
    page.locator(f"#d-offers-US-{pid}-channel").select_option("parcel")


def test_a_team_buys_a_certificate_lists_and_reads_its_incidents_per_product(
    page, page_problems, certified_game
):
    game = f"/games/{certified_game}"
    log_in(page, "s3016002")
    page.goto(game + "/decisions")
    expect(page.locator("#compliance-table tbody tr")).to_have_count(2)

    # research two markets
    page.locator("#d-research-0-market").select_option("US")
    page.locator("#d-research-0-category").select_option("toys")
    page.locator("#d-research-0-budget_cny").fill("5000")
    page.locator("#d-research-1-market").select_option("EU")
    page.locator("#d-research-1-category").select_option("electronics")
    page.locator("#d-research-1-budget_cny").fill("3000")
    # pick a toy (item 03) and a gadget (item 04)
    page.get_by_label("Carry Item 03").check()
    page.get_by_label("Carry Item 04").check()
    page.get_by_role("button", name="Show the chosen products").click()
    expect(page.locator("#d-offers-US-item-03-price_local")).to_be_visible()

    # enter the US, a supplier for both, list both, buy only the toy's certificate
    page.locator("#d-market-US").check()
    list_in_us(page, "item-03", "34.99")
    list_in_us(page, "item-04", "29.99")
    page.locator("#d-certificates-us-cpc").check()
    page.get_by_role("button", name="Save decisions").click()
    expect(page.locator(".flash--success")).to_contain_text("Decisions saved")
    # the page warns about the gadget only: the toy's certificate covers this round
    warnings = page.locator("#compliance-warnings")
    expect(warnings).to_contain_text("Item 04")
    expect(warnings).not_to_contain_text("Item 03")
    expect(page.locator("#d-certificates-us-cpc")).to_be_checked()
    expect(page.locator("#d-certificates-us-fcc")).not_to_be_checked()
    shoot(page, "decisions-desktop", "#compliance")
    page.set_viewport_size(PHONE)
    shoot(page, "decisions-phone", "#compliance")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Log out").click()

    # the instructor processes the round
    log_in(page, "cert-teacher@example.edu")
    process_round_now(page, certified_game, "Round 1")
    page.get_by_role("button", name="Log out").click()

    # the team reads its per-product report: the certified toy has no incident
    log_in(page, "s3016002")
    page.goto(game + "/lab/products")
    table = page.locator("#product-table")
    toy = table.locator("tbody tr", has_text="Item 03")
    gadget = table.locator("tbody tr", has_text="Item 04")
    expect(toy.locator("td[data-incidents]")).to_have_attribute("data-incidents", "0")
    expect(gadget.locator("td[data-incidents]")).to_have_attribute("data-incidents", "1")
    shoot(page, "products-desktop")
    page.goto(game + "/lab/compliance")
    expect(page.locator("#incident-count")).to_have_text("1")
    incidents = page.locator("#incidents tbody")
    expect(incidents).to_contain_text("Item 04")
    expect(incidents).to_contain_text("FCC equipment authorization")
    expect(incidents).not_to_contain_text("Item 03")
    expect(page.locator("#certificates")).to_contain_text("Children's Product Certificate")
    shoot(page, "compliance-desktop")
    page.set_viewport_size(PHONE)
    page.goto(game + "/lab/products")
    shoot(page, "products-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the products page scrolls sideways on a phone"
    page.goto(game + "/lab/compliance")
    shoot(page, "compliance-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the compliance page scrolls sideways on a phone"
    assert page_problems.blocked_requests == []
    assert page_problems.console_errors == []
