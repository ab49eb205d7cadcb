"""Memos: stored exactly, length-limited, written in their window, scored by the instructor's
rubric or by anonymous peer review, and turned into each student's memo grade."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from simshop.models import GameStatus, MemoReview
from simshop.services import memos
from simshop.services import schedule as schedule_service
from simshop.services.teamwork import AssessmentError, save_settings
from tests.reliability.gamekit import enrol, make_game, make_user, round_no

pytestmark = pytest.mark.both_backends


@pytest.fixture
def game(session):
    teacher = make_user(session, "teacher@example.edu", "instructor")
    return make_game(session, teacher, team_max_size=2)


@pytest.fixture
def teams(session, game):
    """Four teams of one student each (lin, mei, bo, yu)."""
    players = {}
    for login, team in (("lin", "Alpha"), ("mei", "Beta"), ("bo", "Gamma"), ("yu", "Delta")):
        players[login] = enrol(session, game, make_user(session, login), team)
    return players


def end_game(session, game):
    game.status = GameStatus.ENDED.value
    session.commit()


def test_a_memo_is_stored_exactly_as_written(session, game, teams):
    body = "  Plan:\r\n<b>US first</b> & =SUM(A1)\n\t价格 34.99  "
    player = teams["lin"]
    memo = memos.save_memo(session, game, player.team, player.user, "strategy", body)
    session.expire_all()
    assert memos.team_memos(session, player.team)["strategy"].body == body
    assert memo.updated_by_id == player.user_id


def test_a_memo_over_the_limit_or_blank_is_refused_and_nothing_is_written(session, game, teams):
    player = teams["lin"]
    with pytest.raises(AssessmentError) as too_long:
        memos.save_memo(session, game, player.team, player.user, "strategy", "x" * 5001)
    assert (too_long.value.code, too_long.value.field) == ("memo_too_long", "body")
    assert too_long.value.params == {"max": 5000, "length": 5001}
    with pytest.raises(AssessmentError) as blank:
        memos.save_memo(session, game, player.team, player.user, "strategy", " \r\n ")
    assert blank.value.code == "memo_empty"
    assert memos.team_memos(session, player.team) == {}
    exactly = memos.save_memo(session, game, player.team, player.user, "strategy", "y" * 5000)
    assert len(exactly.body) == 5000


def test_the_strategy_memo_closes_with_round_1_and_the_reflection_opens_at_the_end(
    session, game, teams
):
    player = teams["lin"]
    with pytest.raises(AssessmentError) as early:
        memos.save_memo(session, game, player.team, player.user, "reflection", "Too early")
    assert early.value.code == "memo_closed_reflection"
    first = round_no(session, game, 1)
    schedule_service.open_round(session, game, first)
    memos.save_memo(session, game, player.team, player.user, "strategy", "While open")
    schedule_service.close_round(session, first)
    with pytest.raises(AssessmentError) as late:
        memos.save_memo(session, game, player.team, player.user, "strategy", "After close")
    assert late.value.code == "memo_closed_strategy"
    end_game(session, game)
    memos.save_memo(session, game, player.team, player.user, "reflection", "We learned")
    assert {k: m.body for k, m in memos.team_memos(session, player.team).items()} == {
        "strategy": "While open",
        "reflection": "We learned",
    }


def rubric(session, game):
    first = memos.add_criterion(session, game, "Analysis", 6)
    second = memos.add_criterion(session, game, "  Clear   writing ", 4)
    return first, second


def test_the_rubric_refuses_bad_criteria(session, game):
    with pytest.raises(AssessmentError) as no_label:
        memos.add_criterion(session, game, "   ", 5)
    assert (no_label.value.code, no_label.value.field) == ("criterion_label_length", "label")
    with pytest.raises(AssessmentError) as points:
        memos.add_criterion(session, game, "Depth", 0)
    assert (points.value.code, points.value.field) == ("criterion_points_range", "max_points")
    rubric(session, game)
    assert [(c.label, c.max_points) for c in memos.criteria(session, game)] == [
        ("Analysis", 6),
        ("Clear writing", 4),
    ]


def test_instructor_scores_become_every_team_members_memo_grade(session, game, teams):
    partner = make_user(session, "lin2")
    enrol(session, game, partner, "Alpha")
    loner = enrol(session, game, make_user(session, "solo"))
    first, second = rubric(session, game)
    lin, mei = teams["lin"], teams["mei"]
    alpha = memos.save_memo(session, game, lin.team, lin.user, "strategy", "Plan A")
    memos.save_memo(session, game, mei.team, mei.user, "strategy", "Plan B")
    memos.score_memo(session, game, alpha.id, {first.id: 6, second.id: 1})
    # Beta's memo is written but not scored; Gamma and Delta wrote none (0 once the kind counts).
    assert memos.memo_scores(session, game) == {
        lin.user_id: 70.0,
        partner.id: 70.0,
        mei.user_id: None,
        teams["bo"].user_id: 0.0,
        teams["yu"].user_id: 0.0,
        loner.user_id: None,
    }
    with pytest.raises(AssessmentError) as locked:
        memos.save_memo(session, game, lin.team, lin.user, "strategy", "Rewrite")
    assert locked.value.code == "memo_locked"


def test_points_outside_a_criterion_are_refused_naming_it(session, game, teams):
    first, second = rubric(session, game)
    lin = teams["lin"]
    memo = memos.save_memo(session, game, lin.team, lin.user, "strategy", "Plan A")
    with pytest.raises(AssessmentError) as error:
        memos.score_memo(session, game, memo.id, {first.id: 7, second.id: 1})
    assert (error.value.code, error.value.field) == ("points_range", f"c{first.id}")
    assert error.value.params == {"criterion": "Analysis", "max": 6}
    assert session.scalars(select(MemoReview)).all() == []


def write_all(session, game, teams):
    for player in teams.values():
        memos.save_memo(
            session, game, player.team, player.user, "strategy", f"Plan of {player.team.name}"
        )


def test_peer_review_assigns_other_teams_memos_never_their_own(session, game, teams):
    rubric(session, game)
    save_settings(
        session,
        game,
        memo_scoring="peer",
        reviews_per_team=2,
        peer_factor_min=0.8,
        peer_factor_max=1.1,
    )
    write_all(session, game, teams)
    assert memos.assign_peer_reviews(session, game, "strategy") == 8
    received: dict[str, int] = {}
    for player in teams.values():
        assigned = memos.assignments_for(session, player.team)
        assert [a.label for a in assigned] == ["A", "B"]
        authors = {a.memo.team_id for a in assigned}
        assert len(authors) == 2 and player.team_id not in authors
        for a in assigned:
            received[a.memo.body] = received.get(a.memo.body, 0) + 1
    assert sorted(received.values()) == [2, 2, 2, 2]
    with pytest.raises(AssessmentError) as again:
        memos.assign_peer_reviews(session, game, "strategy")
    assert again.value.code == "reviews_already_assigned"


def test_a_team_cannot_review_a_memo_it_was_not_assigned(session, game, teams):
    first, second = rubric(session, game)
    save_settings(
        session,
        game,
        memo_scoring="peer",
        reviews_per_team=1,
        peer_factor_min=0.8,
        peer_factor_max=1.1,
    )
    write_all(session, game, teams)
    memos.assign_peer_reviews(session, game, "strategy")
    lin, mei = teams["lin"], teams["mei"]
    foreign = memos.assignments_for(session, mei.team)[0].review
    with pytest.raises(AssessmentError) as error:
        memos.submit_peer_review(session, game, lin.team, foreign.id, {first.id: 1, second.id: 1})
    assert error.value.code == "review_not_assigned"


def test_peer_scores_average_into_the_memo_grade(session, game, teams):
    first, second = rubric(session, game)
    save_settings(
        session,
        game,
        memo_scoring="peer",
        reviews_per_team=1,
        peer_factor_min=0.8,
        peer_factor_max=1.1,
    )
    write_all(session, game, teams)
    memos.assign_peer_reviews(session, game, "strategy")
    target_of = {}
    for login, points in (("lin", (6, 4)), ("mei", (3, 2)), ("bo", (0, 0)), ("yu", (6, 0))):
        player = teams[login]
        assignment = memos.assignments_for(session, player.team)[0]
        memos.submit_peer_review(
            session,
            game,
            player.team,
            assignment.review.id,
            {first.id: points[0], second.id: points[1]},
        )
        target_of[assignment.memo.team_id] = 10 * sum(points)
    grades = memos.memo_scores(session, game)
    assert {teams[k].team_id: grades[teams[k].user_id] for k in teams} == target_of


def test_too_few_memos_for_the_review_count_is_refused(session, game, teams):
    rubric(session, game)
    lin = teams["lin"]
    memos.save_memo(session, game, lin.team, lin.user, "strategy", "Alone")
    with pytest.raises(AssessmentError) as error:
        memos.assign_peer_reviews(session, game, "strategy")
    assert error.value.code == "not_enough_memos"
    assert error.value.params == {"count": 1, "needed": 3}


def test_the_memo_export_neutralises_formulas(session, game, teams):
    lin = teams["lin"]
    memos.save_memo(session, game, lin.team, lin.user, "strategy", '=HYPERLINK("x")')
    data = memos.memos_csv(session, game).decode("utf-8-sig")
    lines = data.splitlines()
    assert lines[0] == "team_id,team_name,kind,score,updated_at,body"
    assert lines[1].startswith(f"{lin.team_id},Alpha,strategy,,")
    assert lines[1].endswith(',"\'=HYPERLINK(""x"")"')
