"""Assessment in Chromium: the instructor attaches a quiz to a round and sets the gradebook's
weights; a student answers a parametric question from their own team's results; after the
next round is processed, the gradebook shows the grade and the CSV downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from simshop.db import db
from simshop.models import Game, RoundResult
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import gradebook
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.quiz_bank import evaluate, shipped_bank
from tests.browser.conftest import log_in, log_out
from tests.browser.test_game_flow import process
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)


def played_game(app) -> dict:
    """A tutorial game whose round 1 is published (one team of one student) and round 2 open."""
    with app.app_context():
        session = db.session
        teacher = make_user(session, "quiz-teacher@example.edu", "instructor", "Quiz Teacher")
        student = make_user(session, "quiz-s1", name="Quiz Student")
        game = make_game(session, teacher, title="Quiz class", bot_count=1)
        enrol(session, game, student, "Gold")
        team = team_named(session, game, "Gold")
        first = round_no(session, game, 1)
        schedule_service.open_round(session, game, first)
        decisions_service.submit_decision(session, student, team, first, tutorial_decisions())
        schedule_service.close_round(session, first)
        rounds_service.process_round(session, first.id)
        schedule_service.open_round(session, game, round_no(session, game, 2))
        result = session.scalar(
            select(RoundResult.result).where(
                RoundResult.round_id == first.id, RoundResult.team_id == team.id
            )
        )
        bank = shipped_bank(app.config["QUESTIONS_DIR"])
        revenue = evaluate(bank.questions["own-revenue"], result).value
        return {"game": game.id, "round": first.id, "revenue": revenue}


def test_quiz_weights_answer_and_gradebook(page, live_server):
    ids = played_game(live_server.app)
    now = utcnow()
    log_in(page, "quiz-teacher@example.edu")
    page.goto(f"/instructor/games/{ids['game']}/quizzes")
    page.get_by_label("Title").fill("Your own numbers")
    page.get_by_label("Round", exact=True).select_option(str(ids["round"]))
    page.get_by_label("Opens").fill(f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M}")
    page.get_by_label("Closes").fill(f"{now + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.locator('input[name="question_ids"][value="own-revenue"]').check()
    page.get_by_role("button", name="Attach quiz").click()
    expect(page.locator(".flash--success")).to_contain_text("Quiz attached.")
    expect(page.locator("#quizzes")).to_contain_text("Your own numbers")

    page.get_by_role("link", name="Gradebook").click()
    page.get_by_label("Game score percentile").fill("50")
    page.get_by_label("Quizzes").fill("50")
    page.get_by_label("Forecast accuracy").fill("0")
    page.get_by_label("Memos").fill("0")
    page.get_by_role("button", name="Save weights").click()
    expect(page.locator(".flash--success")).to_contain_text("Weights saved.")
    log_out(page)

    log_in(page, "quiz-s1")
    page.goto(f"/games/{ids['game']}")
    page.get_by_role("link", name="Quizzes").click()
    page.get_by_role("link", name="Your own numbers").click()
    question = page.locator("#question-own-revenue")
    expect(question).to_contain_text("revenue in round 1")
    question.get_by_role("textbox").fill(f"{ids['revenue']:.2f}")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator(".flash--success")).to_contain_text("Your score is final.")
    expect(page.locator("#quiz-result")).to_contain_text("Your score: 100.0 / 100")
    log_out(page)

    log_in(page, "quiz-teacher@example.edu")
    process(page, str(ids["game"]), "Round 2")
    page.goto(f"/instructor/games/{ids['game']}/gradebook")
    with live_server.app.app_context():
        book = gradebook.compute(db.session, db.session.get(Game, ids["game"]))
        [row] = book.rows
    assert row.components["quiz"] == 100.0
    assert row.grade == round(0.5 * row.components["game"] + 0.5 * 100.0, 2)
    expect(page.locator('#gradebook tr[data-login="quiz-s1"] .grade')).to_have_text(
        f"{row.grade:.2f}"
    )
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download CSV").click()
    data = caught.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    [exported] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert (exported["username"], float(exported["grade"])) == ("quiz-s1", row.grade)
