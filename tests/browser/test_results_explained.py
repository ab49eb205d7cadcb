"""Results explained and the season review in Chromium, in English and Chinese, on a laptop
(1366x768) and a phone (390x844): after processing, a student sees the waterfall of why the
profit changed; after the last round, the season page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from simshop.db import db
from simshop.models import User
from simshop.services import decisions as decisions_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.browser.conftest import PHONE
from tests.reliability.gamekit import (
    PASSWORD,
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

LAPTOP = {"width": 1366, "height": 768}
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
TEXT = {
    "en": {
        "why": "Why your profit changed",
        "log_in": "Log in",
        "login": "Student number or email",
        "password": "Password",
        "season": "Season review",
        "ended": "The game has ended",
        "standings": "Final standings",
    },
    "zh-CN": {
        "why": "你的利润为什么变化",
        "log_in": "登录",
        "login": "学号或邮箱",
        "password": "密码",
        "season": "赛季回顾",
        "ended": "游戏已结束",
        "standings": "最终排名",
    },
}


def played_game(app, login: str) -> int:
    """A two-round game of one student team and a bot, both rounds processed."""
    with app.app_context():
        teacher = make_user(db.session, f"{login}-t@example.edu", "instructor")
        game = make_game(db.session, teacher, bot_count=1, scored_rounds=2)
        enrol(db.session, game, make_user(db.session, login), "Explained")
        student = db.session.scalar(select(User).filter_by(login=login))
        team = team_named(db.session, game, "Explained")
        for number, price in ((1, 34.99), (2, 31.99)):
            rnd = round_no(db.session, game, number)
            schedule_service.open_round(db.session, game, rnd)
            sheet = tutorial_decisions(price_us=price)
            if number == 2:
                sheet.pop("enter_markets")
            decisions_service.submit_decision(db.session, student, team, rnd, sheet)
            schedule_service.close_round(db.session, rnd)
            assert rounds_service.process_round(db.session, rnd.id).published
        return game.id


@pytest.mark.parametrize("size", ["laptop", "phone"])
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_student_sees_the_waterfall_and_the_season_review(browser, live_server, locale, size):
    login = f"explained-{locale}-{size}".lower()
    game_id = played_game(live_server.app, login)
    words = TEXT[locale]
    context = browser.new_context(
        base_url=live_server.url,
        viewport=LAPTOP if size == "laptop" else PHONE,
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
        service_workers="block",
    )
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto("/login")
        page.get_by_label(words["login"]).fill(login)
        page.get_by_label(words["password"]).fill(PASSWORD)
        page.get_by_role("button", name=words["log_in"]).click()
        page.wait_for_url("**/dashboard")

        page.goto(f"/games/{game_id}/results/2")
        section = page.locator("#explanation")
        expect(section.get_by_role("heading", name=words["why"])).to_be_visible()
        chart = section.locator("svg.chart")
        expect(chart).to_be_visible()
        assert chart.locator("rect.f-total").count() == 2  # round 1 and round 2
        assert chart.locator("rect.f-rise, rect.f-fall").count() == 8  # one bar per cause
        assert section.locator(".explanation__sentences li").count() >= 1
        assert "¥" in section.inner_text()
        assert page.evaluate(OVERFLOW_JS) <= 0

        page.goto(f"/games/{game_id}/season")
        expect(page.get_by_role("heading", name=words["season"], exact=True)).to_be_visible()
        expect(page.locator("#final-result")).to_contain_text(words["ended"])
        assert page.locator("#trajectory tbody tr").count() == 2
        expect(page.locator("#final-standings")).to_contain_text(words["standings"])
        assert page.locator("#final-standings tbody tr").count() == 2
        assert page.evaluate(OVERFLOW_JS) <= 0
    finally:
        context.close()
    assert errors == []
