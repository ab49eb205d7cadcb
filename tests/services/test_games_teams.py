"""Joining a game with its code, teams and their size limits, moving students."""

from __future__ import annotations

import pytest

from simshop.models import Team
from simshop.services import round_state
from simshop.services import schedule as schedule_service
from simshop.services import teams as teams_service
from simshop.services.games import GameError
from tests.reliability.gamekit import enrol, make_game, make_user, team_named

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def game(session):
    instructor = make_user(session, "teacher@example.edu", "instructor")
    return make_game(session, instructor, team_max_size=2, bot_count=1)


def test_join_with_code_is_case_and_space_insensitive_and_idempotent(session, game):
    student = make_user(session, "s001")
    messy = " " + "-".join([game.join_code[:3].lower(), game.join_code[3:].lower()])
    player = teams_service.join_game(session, student, messy)
    again = teams_service.join_game(session, student, game.join_code)
    assert player.id == again.id
    assert player.team_id is None


@pytest.mark.parametrize("code", ["", "ZZZZZZZ", "X" * 40])
def test_join_with_unknown_code_is_refused(session, game, code):
    student = make_user(session, "s002")
    with pytest.raises(GameError, match="join_code_unknown"):
        teams_service.join_game(session, student, code)


def test_instructors_cannot_join_as_players(session, game):
    other = make_user(session, "other@example.edu", "instructor")
    with pytest.raises(GameError, match="instructors_cannot_play"):
        teams_service.join_game(session, other, game.join_code)


def test_team_size_limit_is_enforced(session, game):
    a, b, c = (make_user(session, f"s01{i}") for i in range(3))
    enrol(session, game, a, "Alpha")
    enrol(session, game, b, "Alpha")
    player_c = enrol(session, game, c)
    team = team_named(session, game, "Alpha")

    with pytest.raises(GameError) as info:
        teams_service.join_team(session, player_c, team.id)
    assert (info.value.code, info.value.params) == ("team_full", {"max": 2})
    session.refresh(team)
    assert team.member_count == 2
    session.refresh(player_c)
    assert player_c.team_id is None


def test_team_names_are_unique_and_bots_cannot_be_joined(session, game):
    a, b = make_user(session, "s020"), make_user(session, "s021")
    enrol(session, game, a, "Alpha")
    player_b = enrol(session, game, b)
    with pytest.raises(GameError, match="team_name_taken"):
        teams_service.create_team(session, player_b, "  Alpha ")
    bot = session.query(Team).filter_by(game_id=game.id, is_bot=True).one()
    with pytest.raises(GameError, match="team_unknown"):
        teams_service.join_team(session, player_b, bot.id)


def test_a_team_of_another_game_cannot_be_joined(session, game):
    other_game = make_game(session, make_user(session, "t2@example.edu", "instructor"))
    outsider = make_user(session, "s030")
    enrol(session, other_game, outsider, "Elsewhere")
    student = make_user(session, "s031")
    player = enrol(session, game, student)
    with pytest.raises(GameError, match="team_unknown"):
        teams_service.join_team(session, player, team_named(session, other_game, "Elsewhere").id)


def test_students_can_leave_a_team_only_before_the_game_starts(session, game):
    student = make_user(session, "s040")
    player = enrol(session, game, student, "Alpha")
    teams_service.leave_team(session, player)
    assert player.team_id is None
    assert team_named(session, game, "Alpha").member_count == 0

    teams_service.join_team(session, player, team_named(session, game, "Alpha").id)
    schedule_service.open_round(session, game, round_state.rounds_of(session, game)[0])
    with pytest.raises(GameError, match="team_locked"):
        teams_service.leave_team(session, player)


def test_instructor_moves_a_student_between_teams(session, game):
    a, b = make_user(session, "s050"), make_user(session, "s051")
    player_a = enrol(session, game, a, "Alpha")
    enrol(session, game, b, "Beta")
    beta = team_named(session, game, "Beta")

    teams_service.move_player(session, game, player_a.id, beta.id)

    session.refresh(player_a)
    assert player_a.team_id == beta.id
    assert team_named(session, game, "Alpha").member_count == 0
    assert team_named(session, game, "Beta").member_count == 2
    c = make_user(session, "s052")
    player_c = enrol(session, game, c)
    with pytest.raises(GameError, match="team_full"):
        teams_service.move_player(session, game, player_c.id, beta.id)


def test_team_members_are_only_that_teams_students_by_name(session, game):
    zoe, adam, other = (
        make_user(session, login, name=name)
        for login, name in [("s031", "Zoe"), ("s032", "Adam"), ("s033", "Other")]
    )
    enrol(session, game, zoe, "Alpha")
    enrol(session, game, adam, "Alpha")
    enrol(session, game, other, "Beta")
    members = teams_service.team_members(session, team_named(session, game, "Alpha"))
    assert [u.display_name for u in members] == ["Adam", "Zoe"]
