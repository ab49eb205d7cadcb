"""Team names unique by case folding and whitespace; instructors rename and delete empty
teams; empty teams stay out of "who has submitted"."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from simshop.models import Team
from simshop.models.game import team_name_key
from simshop.services import decisions as decisions_service
from simshop.services import teams as teams_service
from simshop.services.games import GameError
from tests.reliability.gamekit import enrol, make_game, make_user, round_no, team_named

pytestmark = pytest.mark.both_backends


@pytest.fixture
def game(session):
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, teacher)
    enrol(session, game, make_user(session, "s001"), "Panda Export")
    return game


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Panda Export", "panda export"),
        ("Panda Export", "  PANDA   Export "),
        ("Ｐａｎｄａ", "panda"),
        ("Straße", "STRASSE"),
    ],
)
def test_names_differing_in_case_width_or_spaces_are_the_same(a, b):
    assert team_name_key(a) == team_name_key(b)


@pytest.mark.parametrize("name", ["panda export", "PANDA  EXPORT", "Ｐａｎｄａ Ｅｘｐｏｒｔ"])
def test_a_second_team_with_the_same_name_is_refused(session, game, name):
    player = enrol(session, game, make_user(session, "s002"))
    with pytest.raises(GameError) as info:
        teams_service.create_team(session, player, name)
    assert info.value.code == "team_name_taken"


def test_the_database_refuses_a_same_name_team_written_around_the_service(session, game):
    session.add(Team(game_id=game.id, name="PANDA EXPORT", member_count=0))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_an_instructor_renames_a_team_but_not_onto_another_teams_name(session, game):
    other = enrol(session, game, make_user(session, "s002"), "Beta")
    teams_service.rename_team(session, game, other.team_id, "  Gamma  Team ")
    assert session.get(Team, other.team_id).name == "Gamma Team"
    with pytest.raises(GameError) as info:
        teams_service.rename_team(session, game, other.team_id, "panda EXPORT")
    assert info.value.code == "team_name_taken"


def test_only_an_empty_team_is_deleted_and_it_leaves_the_submission_list(session, game):
    player = enrol(session, game, make_user(session, "s002"), "Beta")
    beta = team_named(session, game, "Beta")
    with pytest.raises(GameError) as info:
        teams_service.delete_empty_team(session, game, beta.id)
    assert info.value.code == "team_not_empty"

    teams_service.leave_team(session, player)
    rnd = round_no(session, game, 1)
    names = [row.team.name for row in decisions_service.submission_status(session, game, rnd)]
    assert names == ["Panda Export"]
    teams_service.delete_empty_team(session, game, beta.id)
    assert session.scalars(select(Team.name).where(Team.game_id == game.id)).all() == [
        "Panda Export"
    ]
