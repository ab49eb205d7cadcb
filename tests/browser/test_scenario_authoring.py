"""An instructor authors a scenario in Chromium: copy, add a tariff event, preview, download."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from simshop.db import db
from simshop.engine.scenario_errors import load_scenario_bytes
from tests.browser.conftest import log_in
from tests.reliability.gamekit import make_user

SERIAL = itertools.count(1)


@pytest.fixture
def instructor(live_server):
    """A new instructor for each test (the live server's database lives for the session)."""
    login = f"author-{next(SERIAL)}@example.edu"
    with live_server.app.app_context():
        make_user(db.session, login, "instructor", "Ada Author")
    return login


def test_copy_add_a_tariff_event_preview_and_download(page, instructor, tmp_path):
    log_in(page, instructor)
    page.get_by_role("link", name="Scenarios").click()
    row = page.get_by_role("row").filter(has_text="First steps: selling earbuds")
    row.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Copy of First steps: selling earbuds and toys to the US and Europe"
    )

    page.get_by_role("link", name="Events").click()
    page.get_by_role("link", name="Tariff change").click()
    page.get_by_label("Event id").fill("us-tariff-hike")
    page.get_by_label("Takes effect in round").fill("4")
    page.get_by_label("Headline", exact=True).fill("US duties on toys rise 20 points")
    page.get_by_label("Market", exact=True).select_option("US")
    page.get_by_label("toys").check()
    page.get_by_label("Add percentage points").fill("0.2")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".flash--success")).to_have_text("Saved.")
    expect(page.locator(".timeline")).to_contain_text("Round 4")
    expect(page.locator(".timeline")).to_contain_text("US duties on toys rise 20 points")

    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_role("heading", name="Final standings")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("Bot 1 · cost plus")  # bot01-cost_plus
    charts = page.locator("figure.chart-figure svg")
    expect(charts).to_have_count(3)
    for i in range(3):
        charts.nth(i).scroll_into_view_if_needed()
        expect(charts.nth(i)).to_be_visible()
        assert charts.nth(i).bounding_box()["width"] > 200

    page.get_by_role("link", name="Overview").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download TOML").click()
    download = info.value
    assert download.suggested_filename == "copy-of-tutorial.toml"
    path = tmp_path / "scenario.toml"
    download.save_as(path)
    scenario = load_scenario_bytes(path.read_bytes(), "scenario.toml").scenario
    [event] = scenario.events
    assert (event.kind, event.id, event.round, event.market) == (
        "tariff_change",
        "us-tariff-hike",
        4,
        "US",
    )
    assert (event.categories, event.add_points) == (["toys"], 0.2)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_the_authoring_pages_fit_a_phone(page, instructor, viewport):
    log_in(page, instructor)
    page.goto("/scenarios/")
    page.get_by_role("row").filter(has_text="First steps").get_by_role(
        "button", name="Copy"
    ).click()
    page.wait_for_url("**/scenarios/*")
    base = page.url
    for path in ("", "/settings", "/markets/0", "/events/new?kind=shipping_disruption", "/preview"):
        page.goto(base + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, path
