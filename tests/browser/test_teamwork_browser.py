"""Memos and peer evaluation in Chromium: a student writes the team's strategy memo and the
instructor scores it with a rubric they define; after round 1 the instructor opens a peer
evaluation, every student rates their teammates (and themselves), and the instructor sees the
clipped factors and the flags (self-inflation, an outlier). Screenshots go to test-artifacts/."""

from __future__ import annotations

from playwright.sync_api import expect

from simshop.db import db
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.browser.conftest import ARTIFACTS, log_in, log_out
from tests.reliability.gamekit import enrol, make_game, make_user, round_no

STUDENTS = {"ann": "Ann", "ben": "Ben", "cai": "Cai", "dan": "Dan"}
ITEMS = ("Contribution", "Reliability", "Communication")
MEMO = "Enter the US first with earbuds at $29.99 <b>not bold</b>\n  and keep 30 days of stock."
# rater -> ratee -> the rating on every item. Ann inflates her own rating (5 against the 3
# her teammates give) and rates Dan 1 where the others give him 4.
RATINGS = {
    "Ann": {"Ann": 5, "Ben": 4, "Cai": 4, "Dan": 1},
    "Ben": {"Ann": 3, "Ben": 4, "Cai": 4, "Dan": 4},
    "Cai": {"Ann": 3, "Ben": 4, "Cai": 4, "Dan": 4},
    "Dan": {"Ann": 3, "Ben": 4, "Cai": 4, "Dan": 3},
}


def team_game(app, prefix: str) -> dict:
    """A tutorial game with one team of four and round 1 open; logins start with ``prefix``
    (the live server's database is shared by the session's tests)."""
    with app.app_context():
        session = db.session
        teacher = make_user(session, f"{prefix}-teacher@example.edu", "instructor", "Teacher")
        game = make_game(session, teacher, title="Teamwork class")
        for login, name in STUDENTS.items():
            enrol(session, game, make_user(session, f"{prefix}-{login}", name=name), "Gold")
        schedule_service.open_round(session, game, round_no(session, game, 1))
        return {"game": game.id}


def publish_round_one(app, game_id: int) -> None:
    with app.app_context():
        from simshop.models import Game

        game = db.session.get(Game, game_id)
        first = round_no(db.session, game, 1)
        schedule_service.close_round(db.session, first)
        rounds_service.process_round(db.session, first.id)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"teamwork-{name}.png"), full_page=True)


def test_a_memo_is_written_then_scored_with_the_rubric(page, live_server):
    ids = team_game(live_server.app, "memo")
    game = ids["game"]
    log_in(page, "memo-ann")
    page.goto(f"/games/{game}/memos")
    page.locator("#memo-strategy").get_by_label("Memo").fill(MEMO)
    page.locator("#memo-strategy").get_by_role("button", name="Save the memo").click()
    expect(page.locator(".flash--success")).to_contain_text("Memo saved.")
    expect(page.locator("#memo-strategy textarea")).to_have_value(MEMO)
    shot(page, "memo-student")
    log_out(page)

    log_in(page, "memo-teacher@example.edu")
    page.goto(f"/games/{game}/assessment")
    rubric = page.locator("#rubric")
    for label, points in (("Analysis", "10"), ("Clarity", "5")):
        rubric.get_by_label("Criterion").fill(label)
        rubric.get_by_label("Maximum points").fill(points)
        rubric.get_by_role("button", name="Add the criterion").click()
        expect(page.locator("#rubric li", has_text=label)).to_be_visible()
    expect(page.locator("#rubric li")).to_have_text(
        ["Analysis · 10 points Remove", "Clarity · 5 points Remove"]
    )
    memo = page.locator("#memos article.memo-review")
    expect(memo.locator("h3")).to_have_text("Gold · Strategy memo · score —")
    expect(memo.locator("pre")).to_have_text(MEMO)  # stored exactly, shown as text
    memo.get_by_label("Analysis (0–10)").fill("8")
    memo.get_by_label("Clarity (0–5)").fill("4")
    memo.get_by_role("button", name="Save the score").click()
    expect(page.locator(".flash--success")).to_contain_text("Score saved.")
    expect(page.locator("#memos article.memo-review h3")).to_have_text(
        "Gold · Strategy memo · score 80.0"  # (8 + 4) of 15 points
    )
    scored = page.locator("#memos article.memo-review")
    expect(scored.get_by_label("Analysis (0–10)")).to_have_value("8")  # the points given
    expect(scored.get_by_label("Clarity (0–5)")).to_have_value("4")
    shot(page, "memo-scored")


def test_students_rate_teammates_and_the_instructor_sees_factors_and_flags(page, live_server):
    ids = team_game(live_server.app, "peer")
    game = ids["game"]
    publish_round_one(live_server.app, game)
    log_in(page, "peer-teacher@example.edu")
    page.goto(f"/games/{game}/assessment")
    evaluations = page.locator("#peer-evaluations")
    evaluations.get_by_label("After round").fill("1")
    evaluations.get_by_label("Students also rate themselves (flagged if inflated)").check()
    evaluations.get_by_role("button", name="Add a peer evaluation").click()
    expect(page.locator("#peer-evaluations li").first).to_contain_text(
        "After round 1: Contribution, Reliability, Communication · open"
    )
    log_out(page)

    for login, rater in STUDENTS.items():
        log_in(page, f"peer-{login}")
        page.goto(f"/games/{game}/peer")
        section = page.locator("section[id^=evaluation-]")
        for ratee, value in RATINGS[rater].items():
            for item in ITEMS:
                section.get_by_label(f"{ratee} · {item}").select_option(str(value))
        if rater == "Ann":
            shot(page, "peer-student")
        section.get_by_role("button", name="Submit the ratings").click()
        expect(page.locator(".flash--success")).to_contain_text(
            "Ratings saved. Nobody but your instructor sees them."
        )
        log_out(page)

    log_in(page, "peer-teacher@example.edu")
    page.goto(f"/games/{game}/assessment")
    rows = page.locator("#peer-factors tbody tr")
    expect(rows).to_have_count(4)
    table = {
        cells[1]: (cells[3], cells[4])
        for cells in (rows.nth(i).locator("td").all_inner_texts() for i in range(4))
    }
    # Own means 3, 4, 4, 3 (self-ratings left out); team mean 3.5; factors clipped to 0.8–1.1.
    assert table == {
        "Ann": ("3.00", "0.86"),
        "Ben": ("4.00", "1.10"),
        "Cai": ("4.00", "1.10"),
        "Dan": ("3.00", "0.86"),
    }
    expect(page.locator("#peer-flags li")).to_have_text(
        [
            "Ann rated themselves 5.0; teammates gave 3.0.",
            "Ann rated Dan 1.0; the other teammates gave 4.0.",
        ]
    )
    page.locator("#peer-evaluations").scroll_into_view_if_needed()
    shot(page, "peer-instructor")
