"""Quizzes, forecasts and the gradebook as services: windows enforced, parametric answers
from each team's own result, final and idempotent submissions, forecast accuracy by
1 − MAPE, weighted grades with the peer factor and the curve, publishing and the export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from simshop.engine.conditions import conditions_for_round
from simshop.engine.logistics import landed_cost_cny
from simshop.models import RoundResult
from simshop.models.assessment import Forecast, PublishedGrade, QuizSubmission
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import exports, forecasts, gradebook, quizzes
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.games import game_scenario
from simshop.services.quiz_bank import bank_files, evaluate, load_bank
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

BANK = load_bank(bank_files(Path(__file__).resolve().parents[2] / "questions"))


def play_round(session, game, number, sheets):
    rnd = round_no(session, game, number)
    schedule_service.open_round(session, game, rnd)
    for student, team, sheet in sheets:
        decisions_service.submit_decision(session, student, team, rnd, sheet)
    schedule_service.close_round(session, rnd)
    assert rounds_service.process_round(session, rnd.id, explain=False).published
    session.refresh(rnd)
    return rnd


@pytest.fixture
def world(session):
    """Tutorial game: Alpha (alice, carol) and Beta (bob) play round 1 at different prices."""
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, teacher)
    alice, bob, carol = (make_user(session, s) for s in ("s001", "s002", "s003"))
    players = {
        "alice": enrol(session, game, alice, "Alpha"),
        "bob": enrol(session, game, bob, "Beta"),
        "carol": enrol(session, game, carol, "Alpha"),
    }
    alpha, beta = team_named(session, game, "Alpha"), team_named(session, game, "Beta")
    first = play_round(
        session,
        game,
        1,
        [
            (alice, alpha, tutorial_decisions(price_us=29.99, ad_cny=6000)),
            (bob, beta, tutorial_decisions(price_us=39.99, ad_cny=2000)),
        ],
    )
    return SimpleNamespace(
        game=game,
        teacher=teacher,
        alice=alice,
        bob=bob,
        carol=carol,
        players=players,
        alpha=alpha,
        beta=beta,
        first=first,
    )


def make_quiz(session, w, ids, *, rnd=None, opens=-60, closes=60):
    now = utcnow()
    spec = quizzes.QuizSpec(
        round_id=(rnd or w.first).id,
        title="Round 1 check",
        question_ids=ids,
        opens_at=now + timedelta(minutes=opens),
        closes_at=now + timedelta(minutes=closes),
    )
    return quizzes.create_quiz(session, w.game, w.teacher, spec, BANK)


def true_value(session, team, rnd, qid):
    result = session.scalar(
        select(RoundResult.result).where(
            RoundResult.round_id == rnd.id, RoundResult.team_id == team.id
        )
    )
    return evaluate(BANK.questions[qid], result).value


# --------------------------------------------------------------------------- quizzes


def test_creating_a_quiz_refuses_unknown_questions_and_a_backwards_window(session, world):
    with pytest.raises(quizzes.QuizError) as caught:
        make_quiz(session, world, ["own-tacos", "no-such-question"])
    assert (caught.value.code, caught.value.field, caught.value.params) == (
        "question_unknown",
        "question_ids",
        {"ids": ["no-such-question"]},
    )
    with pytest.raises(quizzes.QuizError) as caught:
        make_quiz(session, world, ["own-tacos"], opens=60, closes=30)
    assert (caught.value.code, caught.value.field) == ("window_order", "closes_at")
    assert quizzes.quizzes_of(session, world.game) == []


def test_parametric_answers_come_from_each_teams_own_result(session, world):
    quiz = make_quiz(session, world, ["own-tacos", "own-revenue"])
    alpha_tacos = true_value(session, world.alpha, world.first, "own-tacos")
    beta_tacos = true_value(session, world.beta, world.first, "own-tacos")
    alpha_revenue = true_value(session, world.alpha, world.first, "own-revenue")
    assert alpha_tacos != beta_tacos and alpha_tacos > 0 and beta_tacos > 0

    right = quizzes.submit(
        session,
        quiz,
        world.players["alice"],
        world.alice,
        {"own-tacos": alpha_tacos, "own-revenue": alpha_revenue},
        BANK,
    )
    assert (right.earned, right.possible, right.score) == (2.0, 2.0, 100.0)
    # Alpha's numbers are wrong for Beta: sharing answers does not help.
    shared = quizzes.submit(
        session,
        quiz,
        world.players["bob"],
        world.bob,
        {"own-tacos": alpha_tacos, "own-revenue": alpha_revenue},
        BANK,
    )
    assert (shared.earned, shared.score) == (0.0, 0.0)
    assert shared.marks["own-tacos"]["correct"] == beta_tacos


def test_the_parametric_tolerance_is_relative_with_an_absolute_floor(session, world):
    quiz = make_quiz(session, world, ["own-revenue"])
    revenue = true_value(session, world.alpha, world.first, "own-revenue")
    inside = quizzes.submit(
        session, quiz, world.players["alice"], world.alice, {"own-revenue": revenue * 1.009}, BANK
    )
    outside = quizzes.submit(
        session, quiz, world.players["carol"], world.carol, {"own-revenue": revenue * 1.02}, BANK
    )
    assert (inside.score, outside.score) == (100.0, 0.0)


def test_fixed_questions_are_scored_by_kind(session, world):
    quiz = make_quiz(
        session,
        world,
        ["fob-risk-transfer", "sea-only-rules", "landed-cost-earbuds", "eu-duty-on-cif"],
    )
    sub = quizzes.submit(
        session,
        quiz,
        world.players["alice"],
        world.alice,
        {
            "fob-risk-transfer": 0,
            "sea-only-rules": [5, 3, 1, 0],  # order does not matter
            "landed-cost-earbuds": 57.37,  # within 0.01 of 57.38
            "eu-duty-on-cif": 40.0,  # 46.40 is right
        },
        BANK,
    )
    assert {qid: m["earned"] for qid, m in sub.marks.items()} == {
        "fob-risk-transfer": 1,
        "sea-only-rules": 1,
        "landed-cost-earbuds": 1,
        "eu-duty-on-cif": 0,
    }
    assert sub.score == 75.0
    partial = quizzes.submit(
        session, quiz, world.players["carol"], world.carol,
        {"fob-risk-transfer": 1, "sea-only-rules": [0, 1, 3], "landed-cost-earbuds": 57.4,
         "eu-duty-on-cif": 46.4},
        BANK,
    )  # fmt: skip
    assert {qid: m["earned"] for qid, m in partial.marks.items()} == {
        "fob-risk-transfer": 0,
        "sea-only-rules": 0,  # all or nothing
        "landed-cost-earbuds": 0,
        "eu-duty-on-cif": 1,
    }


def test_a_second_submission_returns_the_first_unchanged(session, world):
    quiz = make_quiz(session, world, ["fob-risk-transfer"])
    first = quizzes.submit(
        session, quiz, world.players["alice"], world.alice, {"fob-risk-transfer": 0}, BANK
    )
    again = quizzes.submit(
        session, quiz, world.players["alice"], world.alice, {"fob-risk-transfer": 2}, BANK
    )
    assert (
        again.id == first.id and again.score == 100.0 and again.answers == {"fob-risk-transfer": 0}
    )
    count = session.scalar(select(func.count()).select_from(QuizSubmission))
    assert count == 1


def test_answers_of_the_wrong_shape_are_refused_per_question_and_nothing_is_written(session, world):
    quiz = make_quiz(session, world, ["fob-risk-transfer", "eu-duty-on-cif", "sea-only-rules"])
    with pytest.raises(quizzes.AnswerErrors) as caught:
        quizzes.submit(
            session,
            quiz,
            world.players["alice"],
            world.alice,
            {"fob-risk-transfer": 7, "eu-duty-on-cif": "forty", "sea-only-rules": []},
            BANK,
        )
    assert caught.value.problems == {
        "fob-risk-transfer": "choice_unknown",
        "eu-duty-on-cif": "not_a_number",
        "sea-only-rules": "answer_required",
    }
    assert session.scalar(select(func.count()).select_from(QuizSubmission)) == 0


@pytest.mark.parametrize(
    ("opens", "closes", "code"), [(10, 60, "quiz_not_open"), (-60, -10, "quiz_closed")]
)
def test_the_window_is_enforced_on_the_server(session, world, opens, closes, code):
    quiz = make_quiz(session, world, ["fob-risk-transfer"], opens=opens, closes=closes)
    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.submit(
            session, quiz, world.players["alice"], world.alice, {"fob-risk-transfer": 0}, BANK
        )
    assert caught.value.code == code
    assert session.scalar(select(func.count()).select_from(QuizSubmission)) == 0


def test_a_parametric_quiz_waits_for_its_rounds_results(session, world):
    second = round_no(session, world.game, 2)
    quiz = make_quiz(session, world, ["own-profit"], rnd=second)
    assert quizzes.waiting_for_results(quiz, BANK)
    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.submit(session, quiz, world.players["alice"], world.alice, {"own-profit": 1}, BANK)
    assert caught.value.code == "waiting_for_results"


def test_asked_questions_carry_parameters_but_no_correct_value(session, world):
    quiz = make_quiz(session, world, ["own-units-market", "fob-risk-transfer"])
    asked = quizzes.questions_for(session, quiz, world.players["alice"], BANK)
    assert [(a.question.id, a.market, a.product) for a in asked] == [
        ("own-units-market", "US", None),
        ("fob-risk-transfer", None, None),
    ]
    assert not any(hasattr(a, "value") or hasattr(a, "correct") for a in asked)


def test_quiz_scores_count_a_closed_quiz_not_taken_as_zero(session, world):
    taken = make_quiz(session, world, ["fob-risk-transfer"])
    quizzes.submit(
        session, taken, world.players["alice"], world.alice, {"fob-risk-transfer": 0}, BANK
    )
    make_quiz(session, world, ["exw-export-clearance"], opens=-120, closes=-60)
    scores = quizzes.quiz_scores(session, world.game)
    assert scores == {world.alice.id: 50.0, world.bob.id: 0.0, world.carol.id: 0.0}


# --------------------------------------------------------------------------- forecasts


def test_accuracy_is_one_minus_mape_with_the_zero_actual_rule():
    forecast = Forecast(units={"US": 120, "EU": 5}, profit_cny=-500.0)
    result = {
        "pnl": {"profit_cny": -1000.0},
        "offers": [{"market": "US", "product": "earbuds", "units_sold": 100}],
    }
    found = forecasts.compare(forecast, result)
    assert [(i.key, i.forecast, i.actual, i.error) for i in found.items] == [
        ("EU", 5.0, 0.0, 1.0),  # nothing sold in the EU: any non-zero forecast is a full miss
        ("US", 120.0, 100.0, 0.2),
        ("profit", -500.0, -1000.0, 0.5),
    ]
    assert found.accuracy == pytest.approx(1 - (1.0 + 0.2 + 0.5) / 3)
    assert forecasts.percentage_error(0, 0) == 0.0
    wild = Forecast(units={"US": 1000}, profit_cny=None)
    assert forecasts.compare(wild, result).accuracy == 0.0  # clipped at 0


def test_profit_per_market_is_scored_against_the_markets_contribution():
    forecast = Forecast(
        units={"US": 100}, profit_cny=None, profit_by_market={"US": 900.0, "EU": 0.0}
    )
    result = {
        "pnl": {"profit_cny": 400.0},
        "offers": [{"market": "US", "product": "earbuds", "units_sold": 100}],
        "pnl_by_market": {"US": {"profit_cny": 1200.0}},
    }
    found = forecasts.compare(forecast, result)
    assert [(i.key, i.measure, i.forecast, i.actual, i.error) for i in found.items] == [
        ("EU", "profit", 0.0, 0.0, 0.0),  # no row for the EU: its profit is 0, and 0 is exact
        ("US", "units", 100.0, 100.0, 0.0),
        ("US", "profit", 900.0, 1200.0, 0.25),
    ]
    assert found.accuracy == pytest.approx(1 - 0.25 / 3)
    loss = Forecast(units={}, profit_cny=None, profit_by_market={"US": 100.0})
    negative = result | {"pnl_by_market": {"US": {"profit_cny": -50.0}}}
    assert forecasts.compare(loss, negative).items[0].error == 3.0  # |100 - -50| / 50
    assert forecasts.compare(loss, negative).accuracy == 0.0  # clipped at 0


def test_a_forecast_of_profit_per_market_is_saved_and_checked(session, world):
    second = round_no(session, world.game, 2)
    schedule_service.open_round(session, world.game, second)
    with pytest.raises(forecasts.ForecastError) as caught:
        forecasts.save_forecast(
            session, second, world.alpha, world.alice, ["US"], {}, None, {"US": 2e12}
        )
    assert (caught.value.code, caught.value.field) == ("profit_range", "profit-US")
    with pytest.raises(forecasts.ForecastError) as caught:
        forecasts.save_forecast(
            session, second, world.alpha, world.alice, ["US"], {}, None, {"XX": 5.0}
        )
    assert (caught.value.code, caught.value.field) == ("market_unknown", "profit-XX")
    saved = forecasts.save_forecast(
        session, second, world.alpha, world.alice, ["US"], {"US": None}, None, {"US": 1234.567}
    )
    assert (saved.units, saved.profit_by_market, saved.profit_cny) == ({}, {"US": 1234.57}, None)
    schedule_service.close_round(session, second)
    rounds_service.process_round(session, second.id, explain=False)
    result = session.scalar(
        select(RoundResult.result).where(
            RoundResult.round_id == second.id, RoundResult.team_id == world.alpha.id
        )
    )
    actual = result["pnl_by_market"]["US"]["profit_cny"]
    found = forecasts.comparison_for(
        session,
        second,
        world.alpha,
        session.scalars(
            select(RoundResult).where(
                RoundResult.round_id == second.id, RoundResult.team_id == world.alpha.id
            )
        ).one(),
    )
    assert [(i.key, i.measure, i.actual) for i in found.items] == [("US", "profit", actual)]
    assert found.accuracy == max(0.0, 1 - forecasts.percentage_error(1234.57, actual))


def test_a_forecast_is_saved_only_while_the_round_is_open(session, world):
    with pytest.raises(forecasts.ForecastError) as caught:
        forecasts.save_forecast(
            session, world.first, world.alpha, world.alice, ["US"], {"US": 10}, None
        )
    assert caught.value.code == "forecast_closed"
    second = round_no(session, world.game, 2)
    schedule_service.open_round(session, world.game, second)
    with pytest.raises(forecasts.ForecastError) as caught:
        forecasts.save_forecast(session, second, world.alpha, world.alice, ["US"], {"US": -1}, None)
    assert (caught.value.code, caught.value.field) == ("units_range", "units-US")
    forecasts.save_forecast(session, second, world.alpha, world.alice, ["US"], {"US": 10}, None)
    saved = forecasts.save_forecast(
        session, second, world.alpha, world.carol, ["US"], {"US": 300}, 2500.0
    )
    assert (saved.units, saved.profit_cny, saved.saved_by_id) == (
        {"US": 300},
        2500.0,
        world.carol.id,
    )
    assert session.scalar(select(func.count()).select_from(Forecast)) == 1


def test_forecast_scores_average_the_teams_accuracy_over_published_rounds(session, world):
    second = round_no(session, world.game, 2)
    schedule_service.open_round(session, world.game, second)
    forecasts.save_forecast(session, second, world.alpha, world.alice, ["US"], {"US": 300}, None)
    schedule_service.close_round(session, second)
    rounds_service.process_round(session, second.id, explain=False)
    result = session.scalar(
        select(RoundResult.result).where(
            RoundResult.round_id == second.id, RoundResult.team_id == world.alpha.id
        )
    )
    sold = forecasts.actual_units(result, "US")
    accuracy = max(0.0, 1 - forecasts.percentage_error(300, sold))
    scores = forecasts.forecast_scores(session, world.game)
    # Round 1 had no forecast (0), round 2 had one.
    assert scores[world.alice.id] == round(100 * accuracy / 2, 2)
    assert scores[world.carol.id] == scores[world.alice.id]
    assert scores[world.bob.id] == 0.0


# --------------------------------------------------------------------------- gradebook


def test_settings_are_validated_with_the_field_at_fault(session, world):
    with pytest.raises(gradebook.GradebookError) as caught:
        gradebook.save_settings(session, world.game, {"game": 50, "quiz": 120}, None)
    assert (caught.value.code, caught.value.field) == ("weight_range", "weight_quiz")
    with pytest.raises(gradebook.GradebookError) as caught:
        gradebook.save_settings(session, world.game, {"game": 0, "quiz": 0}, None)
    assert caught.value.code == "weights_zero"
    with pytest.raises(gradebook.GradebookError) as caught:
        gradebook.save_settings(session, world.game, {"game": 1}, 101)
    assert (caught.value.code, caught.value.field) == ("curve_range", "curve_target")


def test_grades_weigh_the_components_each_student_has(session, world, monkeypatch):
    quiz = make_quiz(session, world, ["fob-risk-transfer", "exw-export-clearance"])
    quizzes.submit(
        session,
        quiz,
        world.players["alice"],
        world.alice,
        {"fob-risk-transfer": 0, "exw-export-clearance": 1},
        BANK,
    )
    gradebook.save_settings(
        session, world.game, {"game": 60, "quiz": 40, "forecast": 0, "memo": 0}, None
    )
    book = gradebook.compute(session, world.game)
    rows = {row.login: row for row in book.rows}
    percentile = {r.login: r.components["game"] for r in book.rows}
    # Two teams ranked: one has percentile 100, the other 0.
    assert sorted({percentile["s001"], percentile["s002"]}) == [0.0, 100.0]
    assert percentile["s003"] == percentile["s001"]
    assert rows["s001"].components["quiz"] == 50.0
    assert rows["s001"].components["forecast"] == 0.0  # round 1 without a forecast
    assert rows["s001"].components["memo"] is None  # no memo written or scored
    assert rows["s001"].grade == round(0.6 * percentile["s001"] + 0.4 * 50.0, 2)
    # bob's quiz is still open and not taken: only the game counts for him.
    assert rows["s002"].components["quiz"] is None
    assert rows["s002"].grade == percentile["s002"]

    monkeypatch.setattr(gradebook, "PEER_FACTORS", lambda s, g: {world.alice.id: 0.8})
    factored = {r.login: r for r in gradebook.compute(session, world.game).rows}
    assert factored["s001"].factor == 0.8
    assert factored["s001"].grade == round(rows["s001"].raw * 0.8, 2)


def test_the_curve_lifts_the_mean_to_the_target_and_never_lowers_a_grade(session, world):
    gradebook.save_settings(session, world.game, {"game": 1}, None)
    plain = {r.login: r.grade for r in gradebook.compute(session, world.game).rows}
    mean = sum(plain.values()) / 3
    gradebook.save_settings(session, world.game, {"game": 1}, 90)
    curved = gradebook.compute(session, world.game)
    assert curved.shift == round(90 - mean, 2)
    assert {r.login: r.grade for r in curved.rows} == {
        login: round(min(100.0, g + curved.shift), 2) for login, g in plain.items()
    }
    gradebook.save_settings(session, world.game, {"game": 1}, 10)  # below the mean: no shift
    assert gradebook.compute(session, world.game).shift == 0.0
    assert gradebook.curve_shift([50.0, 70.0], 80.0) == 20.0


def test_publishing_snapshots_grades_with_their_breakdown(session, world):
    gradebook.save_settings(session, world.game, {"game": 1}, None)
    assert gradebook.published_grades(session, world.game) == {}
    assert gradebook.publish(session, world.game) == 3
    book = gradebook.compute(session, world.game)
    assert gradebook.published_grades(session, world.game) == {
        r.user_id: r.grade for r in book.rows
    }
    mine = gradebook.published_grade_of(session, world.game, world.alice)
    assert mine.breakdown["weights"]["game"] == 1.0
    assert mine.breakdown["factor"] == 1.0
    # Publishing again replaces the snapshot: still one row per student.
    gradebook.publish(session, world.game)
    assert session.scalar(select(func.count()).select_from(PublishedGrade)) == 3


def test_the_export_has_the_documented_columns_bom_and_inert_names(session, world):
    world.alice.display_name = "=cmd|'/c calc'!A1"
    session.commit()
    table = gradebook.export_table(gradebook.compute(session, world.game))
    data = exports.to_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "username",
        "email",
        "student_number",
        "full_name",
        "team",
        "game_score",
        "quiz_score",
        "forecast_score",
        "memo_score",
        "peer_factor",
        "grade",
    ]
    assert sorted(r[0] for r in rows[1:]) == ["s001", "s002", "s003"]
    names = {r[0]: r[3] for r in rows[1:]}
    assert names["s001"] == "'=cmd|'/c calc'!A1"
    sheet = load_workbook(io.BytesIO(exports.to_xlsx([table])))["grades"]
    cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["s001"][3] == "'=cmd|'/c calc'!A1"
    assert isinstance(cells["s001"][-1], int | float)  # grades stay numbers


def test_a_racing_second_submission_returns_the_one_that_won(session, world, monkeypatch):
    quiz = make_quiz(session, world, ["fob-risk-transfer"])
    won = quizzes.submit(
        session, quiz, world.players["alice"], world.alice, {"fob-risk-transfer": 0}, BANK
    )
    real = quizzes.submission_of
    calls = []

    def not_yet_seen(*args):
        # The racing request read "no submission" before the winner committed.
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(quizzes, "submission_of", not_yet_seen)
    lost = quizzes.submit(
        session, quiz, world.players["alice"], world.alice, {"fob-risk-transfer": 3}, BANK
    )
    assert (lost.id, lost.score, len(calls)) == (won.id, 100.0, 2)
    assert session.scalar(select(func.count()).select_from(QuizSubmission)) == 1


def test_the_shipped_landed_cost_follows_the_engines_landed_cost(session, world):
    scenario = game_scenario(world.game)
    market = conditions_for_round(scenario, 1).markets["US"]
    expected = landed_cost_cny(scenario.product("earbuds"), market, "air")
    quiz = make_quiz(session, world, ["own-shipped-landed-cost"])
    [asked] = quizzes.questions_for(session, quiz, world.players["alice"], BANK)
    assert (asked.market, asked.product) == ("US", "earbuds")
    sub = quizzes.submit(
        session,
        quiz,
        world.players["alice"],
        world.alice,
        {"own-shipped-landed-cost": round(expected, 2)},
        BANK,
    )
    assert sub.marks["own-shipped-landed-cost"]["correct"] == round(expected, 2)
    assert sub.score == 100.0


def test_peer_ratings_scale_the_grade_through_the_peer_service(session, world):
    """The gradebook's peer factor is services/peer.peer_factors: alice rated 5 and carol 3
    by each other gives own mean ÷ team mean = 1.25 (clipped to 1.1) and 0.75 (to 0.8)."""
    from simshop.services import peer

    gradebook.save_settings(session, world.game, {"game": 1}, None)
    before = {r.login: r for r in gradebook.compute(session, world.game).rows}
    assert {r.factor for r in before.values()} == {1.0}
    evaluation = peer.create_evaluation(session, world.game, 1, ["contribution"], False)
    alpha = world.players["alice"].team
    peer.submit_ratings(
        session, evaluation, world.alice, alpha, {world.carol.id: {"contribution": 3}}
    )
    peer.submit_ratings(
        session, evaluation, world.carol, alpha, {world.alice.id: {"contribution": 5}}
    )
    after = {r.login: r for r in gradebook.compute(session, world.game).rows}
    assert (after["s001"].factor, after["s003"].factor, after["s002"].factor) == (1.1, 0.8, 1.0)
    assert after["s001"].grade == round(min(100.0, before["s001"].raw * 1.1), 2)
    assert after["s003"].grade == round(before["s003"].raw * 0.8, 2)
