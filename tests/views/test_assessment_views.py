"""Assessment pages through the test client: attaching a quiz, answering it (no correct
value in any response before the submission is final and the quiz closed), located number
errors in the student's language, idempotent double submission, the window enforced on the
server, forecasts beside the actuals, the gradebook, its CSV and a student's own grade."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from simshop.db import db
from simshop.models import RoundResult
from simshop.models.assessment import Forecast, Quiz, QuizSubmission
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import gradebook, quizzes
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.quiz_bank import evaluate, shipped_bank
from tests.reliability.gamekit import (
    PASSWORD,
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

BANK = shipped_bank(Path(__file__).resolve().parents[2] / "questions")
QUESTIONS = ["own-tacos", "own-units-market", "fob-risk-transfer", "eu-duty-on-cif"]


def play(session, game, number, sheets):
    rnd = round_no(session, game, number)
    schedule_service.open_round(session, game, rnd)
    for student, team, sheet in sheets:
        decisions_service.submit_decision(session, student, team, rnd, sheet)
    schedule_service.close_round(session, rnd)
    rounds_service.process_round(session, rnd.id)
    return rnd


@pytest.fixture
def ids(app):
    with app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        game = make_game(session, teacher)
        alice, bob = make_user(session, "s001", name="Alice"), make_user(session, "s002")
        enrol(session, game, alice, "Alpha")
        enrol(session, game, bob, "Beta")
        alpha, beta = team_named(session, game, "Alpha"), team_named(session, game, "Beta")
        first = play(
            session,
            game,
            1,
            [
                (alice, alpha, tutorial_decisions(price_us=29.99, ad_cny=6000)),
                (bob, beta, tutorial_decisions(price_us=39.99, ad_cny=2000)),
            ],
        )
        now = utcnow()
        spec = quizzes.QuizSpec(
            first.id, "Round 1 check", QUESTIONS, now - timedelta(hours=1), now + timedelta(hours=1)
        )
        quiz = quizzes.create_quiz(session, game, teacher, spec, BANK)
        result = session.scalar(
            select(RoundResult.result).where(
                RoundResult.round_id == first.id, RoundResult.team_id == alpha.id
            )
        )
        return {
            "game": game.id,
            "quiz": quiz.id,
            "round": first.id,
            "acos": evaluate(BANK.questions["own-tacos"], result).value,
            "units": evaluate(BANK.questions["own-units-market"], result).value,
        }


def login(client, name: str) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"login": name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def post(client, url, data, **kwargs):
    token = csrf_from(client.get(url, **kwargs).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def quiz_url(ids) -> str:
    return f"/games/{ids['game']}/quizzes/{ids['quiz']}"


def value_forms(value: float) -> list[str]:
    """The ways a page could print a value (the tests look for each)."""
    return [f"{value:.2f}", f"{value:,.2f}", f"{value:g}"]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def right_answers(ids) -> dict[str, str]:
    return {
        "q-own-tacos": f"{ids['acos']}",
        "q-own-units-market": f"{ids['units']:g}",
        "q-fob-risk-transfer": "0",
        "q-eu-duty-on-cif": "46.4",
    }


def test_the_instructor_attaches_a_quiz_with_a_window(app, client, ids):
    login(client, "teacher@example.edu")
    url = f"/instructor/games/{ids['game']}/quizzes"
    form = {
        "title": "Incoterms sprint",
        "round_id": str(ids["round"]),
        "opens_at": "2030-01-01T09:00",
        "question_ids": ["fob-risk-transfer", "exw-export-clearance"],
    }
    backwards = post(client, url, {**form, "closes_at": "2030-01-01T08:00"})
    assert backwards.status_code == 422
    assert "The quiz must close after it opens." in backwards.get_data(as_text=True)
    assert count(app, Quiz) == 1
    response = post(client, url, {**form, "closes_at": "2030-01-01T09:30"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Incoterms sprint" in page and "2030-01-01 09:30 UTC" in page
    assert count(app, Quiz) == 2


def test_no_correct_value_appears_before_the_submission_is_final(app, client, ids):
    login(client, "s001")
    secrets = value_forms(ids["acos"]) + ["46.4", "46.40"]
    page = client.get(quiz_url(ids)).get_data(as_text=True)
    assert 'name="q-own-tacos"' in page
    assert not [s for s in secrets if s in page]
    wrong = {**right_answers(ids), "q-eu-duty-on-cif": "abc"}
    refused = post(client, quiz_url(ids), wrong)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert not [s for s in value_forms(ids["acos"]) if s in body.replace(str(ids["acos"]), "")]
    answers = {**right_answers(ids), "q-own-tacos": "0.01", "q-eu-duty-on-cif": "40"}
    submitted = post(client, quiz_url(ids), answers)
    assert submitted.status_code == 302
    after = client.get(quiz_url(ids)).get_data(as_text=True)
    assert "Your score: 50.0 / 100" in after
    assert not [s for s in secrets if s in after]  # final, but the quiz is still open
    with app.app_context():
        db.session.execute(update(Quiz).values(closes_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    closed = client.get(quiz_url(ids)).get_data(as_text=True)
    assert "Correct answer:" in closed and f"{ids['acos']:.2f}" in closed and "46.40" in closed


def test_a_non_number_is_a_located_error_in_the_students_language(app, client, ids):
    login(client, "s001")
    chinese = {"headers": {"Accept-Language": "zh-CN"}}
    response = post(
        client, quiz_url(ids), {**right_answers(ids), "q-eu-duty-on-cif": "四十六"}, **chinese
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    located = page.split('id="question-eu-duty-on-cif"')[1].split("</li>")[0]
    assert 'id="q-eu-duty-on-cif-errors"' in located and "请输入数字。" in located
    assert 'value="四十六"' in located  # what the student typed is kept
    assert count(app, QuizSubmission) == 0


def test_a_double_submission_keeps_the_first(app, client, ids):
    login(client, "s001")
    first = post(client, quiz_url(ids), right_answers(ids))
    again = post(client, quiz_url(ids), {**right_answers(ids), "q-fob-risk-transfer": "2"})
    assert (first.status_code, again.status_code) == (302, 302)
    assert count(app, QuizSubmission) == 1
    with app.app_context():
        sub = db.session.scalars(select(QuizSubmission)).one()
        assert (sub.score, sub.answers["fob-risk-transfer"]) == (100.0, 0)


def test_the_window_is_enforced_on_the_server(app, client, ids):
    with app.app_context():
        db.session.execute(update(Quiz).values(closes_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    login(client, "s001")
    token = csrf_from(client.get(f"/games/{ids['game']}").get_data(as_text=True))
    response = client.post(quiz_url(ids), data={"csrf_token": token, **right_answers(ids)})
    assert response.status_code == 409
    assert "This quiz has closed: answers are no longer accepted." in response.get_data(
        as_text=True
    )
    assert count(app, QuizSubmission) == 0


def test_a_student_never_sees_another_students_answers_or_grade(app, client, ids):
    login(client, "s001")
    post(client, quiz_url(ids), right_answers(ids))
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/dashboard").text)})
    login(client, "s002")
    page = client.get(quiz_url(ids)).get_data(as_text=True)
    assert "Your score" not in page and 'name="q-own-tacos"' in page
    assert client.get(f"/instructor/games/{ids['game']}/quizzes/{ids['quiz']}").status_code == 403
    assert client.get(f"/instructor/games/{ids['game']}/gradebook.csv").status_code == 403
    assert "not published grades yet" in client.get(f"/games/{ids['game']}/grade").text


def test_forecasts_are_scored_beside_the_actuals(app, client, ids):
    with app.app_context():
        game = db.session.get(Quiz, ids["quiz"]).round.game
        schedule_service.open_round(db.session, game, round_no(db.session, game, 2))
    login(client, "s001")
    assert 'id="forecast-closed"' not in client.get(f"/games/{ids['game']}/forecast").text
    url = f"/games/{ids['game']}/forecast"
    bad = post(client, url, {"units-US": "lots"})
    assert bad.status_code == 422 and "Enter a number." in bad.text
    bad = post(client, url, {"profit-US": "a lot"})
    assert bad.status_code == 422 and "Enter a number." in bad.text
    form = {"units-US": "250", "profit-US": "-300.5", "profit_cny": "-1000"}
    assert post(client, url, form).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'name="profit-US"' in page and 'value="-300.5"' in page
    with app.app_context():
        forecast = db.session.scalars(select(Forecast)).one()
        assert (forecast.units, forecast.profit_by_market, forecast.profit_cny) == (
            {"US": 250},
            {"US": -300.5},
            -1000.0,
        )
        game = db.session.get(Quiz, ids["quiz"]).round.game
        second = round_no(db.session, game, 2)
        schedule_service.close_round(db.session, second)
        rounds_service.process_round(db.session, second.id)
    results = client.get(f"/games/{ids['game']}/results/2").get_data(as_text=True)
    assert 'id="forecast-vs-actual"' in results and "Forecast accuracy:" in results
    assert "Units sold in United States" in results
    assert "Profit in United States" in results
    assert 'id="profit-by-market"' in results and "Not allocated to a market" in results


def test_the_gradebook_publishes_and_exports(app, client, ids):
    login(client, "teacher@example.edu")
    url = f"/instructor/games/{ids['game']}/gradebook"
    weights = {"weight_game": "50", "weight_quiz": "50", "weight_forecast": "0"}
    refused = post(client, url, {**weights, "weight_memo": "-1"})
    assert refused.status_code == 422 and "Enter a weight from 0 to 100." in refused.text
    assert post(client, url, {**weights, "weight_memo": "0", "curve_target": ""}).status_code == 302
    assert (
        post(
            client,
            f"{url}/publish",
            {},
        ).status_code
        == 302
    )
    data = client.get(f"/instructor/games/{ids['game']}/gradebook.csv").data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["username"] for r in rows] == ["s001", "s002"]
    with app.app_context():
        game = db.session.get(Quiz, ids["quiz"]).round.game
        published = gradebook.published_grades(db.session, game)
    assert {r["username"]: float(r["grade"]) for r in rows} == {
        "s001": published[min(published)],
        "s002": published[max(published)],
    }
    xlsx = client.get(f"/instructor/games/{ids['game']}/gradebook.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/dashboard").text)})
    login(client, "s001")
    mine = client.get(f"/games/{ids['game']}/grade").get_data(as_text=True)
    assert f"{published[min(published)]:.2f}" in mine and "Game score percentile" in mine


def test_staff_see_each_submission_and_can_delete_a_quiz(app, client, ids):
    login(client, "s001")
    post(client, quiz_url(ids), right_answers(ids))
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/dashboard").text)})
    login(client, "teacher@example.edu")
    detail = client.get(f"/instructor/games/{ids['game']}/quizzes/{ids['quiz']}").text
    row = detail.split('id="submissions"')[1].split("</tbody>")[0]
    assert "Alice" in row and "100.0" in row and "s002" not in row
    stats = detail.split('id="question-stats"')[1].split("</ol>")[0]
    assert stats.count("right: 1 of 1") == 4
    admin = f"/instructor/games/{ids['game']}/quizzes"
    token = csrf_from(client.get(admin).text)
    deleted = client.post(f"{admin}/{ids['quiz']}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert (count(app, Quiz), count(app, QuizSubmission)) == (0, 0)
