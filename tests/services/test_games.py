"""Creating games, their scenario snapshot, staff and ending them."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from simshop.models import GameStaff, Round, RoundStatus, Team
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import membership as membership_service
from simshop.services import round_state
from simshop.services import schedule as schedule_service
from simshop.services.games import GameError, GameSpec
from tests.reliability.gamekit import SCENARIOS_DIR, enrol, make_game, make_user, team_named

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def instructor(session):
    return make_user(session, "teacher@example.edu", "instructor")


def test_create_game_snapshots_the_scenario_and_makes_rounds_and_bots(session, instructor):
    game = make_game(session, instructor, scored_rounds=4, practice_rounds=1, bot_count=2)

    text = (SCENARIOS_DIR / "tutorial.toml").read_text("utf-8")
    assert game.scenario_text == text
    assert game.scenario_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert len(game.join_code) == games_service.JOIN_CODE_LENGTH
    assert set(game.join_code) <= set(games_service.JOIN_CODE_ALPHABET)
    rounds = session.scalars(select(Round).where(Round.game_id == game.id).order_by(Round.number))
    assert [(r.number, r.scenario_round, r.is_practice, r.status) for r in rounds] == [
        (1, 1, True, "scheduled"),
        (2, 1, False, "scheduled"),
        (3, 2, False, "scheduled"),
        (4, 3, False, "scheduled"),
        (5, 4, False, "scheduled"),
    ]
    bots = session.scalars(select(Team).where(Team.game_id == game.id)).all()
    assert [(t.is_bot, t.bot_strategy) for t in bots] == [
        (True, "cost_plus"),
        (True, "discounter"),
    ]
    staff = session.scalars(select(GameStaff).where(GameStaff.game_id == game.id)).all()
    assert [(s.user_id, s.role) for s in staff] == [(instructor.id, "owner")]


def test_editing_the_scenario_file_does_not_change_a_game(session, instructor, tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(SCENARIOS_DIR / "tutorial.toml", folder / "tutorial.toml")
    spec = GameSpec(title="Snapshot", scenario_file="tutorial.toml", seed=1)
    game = games_service.create_game(session, instructor, spec, scenarios_dir=folder)
    before = game.scenario_text

    path = folder / "tutorial.toml"
    path.write_text(
        path.read_text("utf-8").replace("starting_cash_cny = 600000.0", "starting_cash_cny = 1.0"),
        "utf-8",
    )

    session.expire_all()
    assert game.scenario_text == before
    assert games_service.game_scenario(game).economy.starting_cash_cny == 600000.0


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": "  "}, "title_length", "title"),
        ({"scored_rounds": 7}, "rounds_range", "scored_rounds"),
        ({"scenario_file": "../etc/passwd"}, "scenario_unknown", "scenario_file"),
        ({"team_min_size": 3, "team_max_size": 2}, "team_size_range", "team_max_size"),
        ({"schedule": "deadlines"}, "deadline_required", "first_deadline"),
        ({"bot_strategies": ["cheater"]}, "bot_strategy_unknown", "bot_strategies"),
        ({"scoring_weights": {"profit": -1}}, "weight_negative", "weight_profit"),
        ({"timezone": "Mars/Olympus"}, "timezone_unknown", "timezone"),
    ],
)
def test_create_game_refuses_bad_settings(session, instructor, overrides, code, field):
    with pytest.raises(GameError) as info:
        make_game(session, instructor, **overrides)
    assert (info.value.code, info.value.field) == (code, field)
    assert session.scalar(select(Round.id)) is None


def test_deadline_schedule_gives_every_round_a_deadline(session, instructor):
    first = utcnow() + timedelta(days=1)
    game = make_game(
        session,
        instructor,
        schedule="deadlines",
        first_deadline=first,
        round_interval=timedelta(days=2),
        scored_rounds=3,
    )
    deadlines = [r.deadline for r in round_state.rounds_of(session, game)]
    assert [d.replace(tzinfo=None) for d in deadlines] == [
        (first + timedelta(days=2 * k)).replace(tzinfo=None) for k in range(3)
    ]


def test_students_cannot_create_games(session):
    student = make_user(session, "s100")
    with pytest.raises(GameError, match="not_instructor"):
        make_game(session, student)


def test_staff_game_only_finds_the_game_for_its_instructors(session, instructor):
    game = make_game(session, instructor)
    other = make_user(session, "other@example.edu", "instructor")
    student = make_user(session, "s101")

    assert membership_service.staff_game(session, game.id, instructor) is game
    assert membership_service.staff_game(session, game.id, other) is None
    assert membership_service.staff_game(session, game.id, student) is None

    membership_service.add_assistant(session, game, "OTHER@example.edu")
    assert membership_service.staff_game(session, game.id, other).id == game.id


def test_add_assistant_refuses_students_unknown_and_repeats(session, instructor):
    game = make_game(session, instructor)
    make_user(session, "s102")
    for login, code in [
        ("s102", "assistant_unknown"),
        ("nobody@x.org", "assistant_unknown"),
        ("teacher@example.edu", "assistant_already"),
    ]:
        with pytest.raises(GameError) as info:
            membership_service.add_assistant(session, game, login)
        assert info.value.code == code


def test_end_game_cancels_unplayed_rounds_and_refuses_decisions(session, instructor):
    game = make_game(session, instructor)
    student = make_user(session, "s103")
    enrol(session, game, student, "Alpha")
    first = round_state.rounds_of(session, game)[0]
    schedule_service.open_round(session, game, first)

    games_service.end_game(session, game)

    assert game.status == "ended"
    assert {r.status for r in round_state.rounds_of(session, game)} == {RoundStatus.CANCELLED.value}
    session.refresh(first)
    with pytest.raises(decisions_service.RoundNotOpenError):
        decisions_service.submit_decision(
            session, student, team_named(session, game, "Alpha"), first, {}
        )
    with pytest.raises(GameError, match="game_ended"):
        games_service.end_game(session, game)
