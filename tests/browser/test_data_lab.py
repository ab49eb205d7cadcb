"""A student's data lab in Chromium: research, dashboard, a "what if" with a lower price,
and a CSV download (BOM and header checked). Charts are inline SVG and must render."""

from __future__ import annotations

import pytest

from simshop.db import db
from simshop.services import decisions as decisions_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.browser.conftest import log_in
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)


@pytest.fixture(scope="module")
def lab_game(live_server):
    """A game with a student team (login s3011001) and two bots, two rounds published."""
    with live_server.app.app_context():
        s = db.session
        teacher = make_user(s, "lab-teacher@example.edu", "instructor")
        game = make_game(
            s, teacher, scenario_file="us-tariffs-2025.toml", bot_count=2, show_rival_names=False
        )
        student = make_user(s, "s3011001")
        enrol(s, game, student, "Lab Rats")
        team = team_named(s, game, "Lab Rats")
        for n in (1, 2):
            rnd = round_no(s, game, n)
            schedule_service.open_round(s, game, rnd)
            sheet = tutorial_decisions()
            if n > 1:
                sheet.pop("enter_markets")
            decisions_service.submit_decision(s, student, team, rnd, sheet)
            schedule_service.close_round(s, rnd)
            rounds_service.process_round(s, rnd.id, explain=False)
        game_id = game.id
        s.remove()
    return game_id


def chart_sizes(page):
    return page.eval_on_selector_all(
        "svg.chart",
        "els => els.map(e => [e.getBoundingClientRect().width, "
        "e.getBoundingClientRect().height, e.querySelectorAll('rect,polyline,line').length])",
    )


def test_a_student_researches_replays_and_downloads(page, lab_game, tmp_path):
    log_in(page, "s3011001")

    page.goto(f"/games/{lab_game}/lab/research?market=US")
    assert page.get_by_role("heading", name="Market research · United States").is_visible()
    sizes = chart_sizes(page)
    assert len(sizes) >= 8
    assert all(w > 250 and h > 60 and shapes >= 2 for w, h, shapes in sizes), sizes
    assert page.get_by_text("Rival A").first.is_visible()
    assert page.get_by_text("Bot 1").count() == 0

    page.goto(f"/games/{lab_game}/lab/dashboard")
    assert page.get_by_role("heading", name="Where the money went").is_visible()
    assert len(chart_sizes(page)) >= 5

    page.goto(f"/games/{lab_game}/lab/whatif/2")
    price = page.locator("#d-offers-US-earbuds-price_local")
    assert price.input_value() == "34.99"
    price.fill("22.99")
    page.get_by_role("button", name="Replay this round").click()
    result = page.locator("#whatif-result")
    result.wait_for()
    assert page.locator("#compare-profit").is_visible()
    assert price.input_value() == "22.99"

    page.goto(f"/games/{lab_game}/lab")
    with page.expect_download() as info:
        page.get_by_role("link", name="results.csv").click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert download.suggested_filename.endswith("-results.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("round_number,scenario_round,is_practice,team_id,team_name,")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_charts_stay_legible_on_a_phone(page, lab_game, viewport):
    log_in(page, "s3011001")
    for path in ("research?market=US", "dashboard"):
        page.goto(f"/games/{lab_game}/lab/{path}")
        # charts scroll inside their own box; they never shrink below ~300 px nor widen the page
        assert all(w >= 300 for w, _, _ in chart_sizes(page))
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
