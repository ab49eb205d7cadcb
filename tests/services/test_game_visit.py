"""``membership.user_with_membership``: the user, their membership of a game and its current
round in one query (the user loader of every game page) answer exactly what
``membership.membership`` and ``round_state.current_round`` answer separately."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from simshop.models import Round
from simshop.services import membership as membership_service
from simshop.services import round_state
from tests.reliability.gamekit import enrol, make_game, make_user

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

ROUND_STATES = [
    ("scheduled", "scheduled", "scheduled"),
    ("open", "scheduled", "scheduled"),
    ("published", "closed", "scheduled"),
    ("published", "held", "open"),
    ("published", "published", "processing"),
    ("published", "published", "published"),
    ("cancelled", "failed", "cancelled"),
]


@pytest.fixture
def people(session):
    owner = make_user(session, "owner@example.edu", "instructor")
    game = make_game(session, owner, scored_rounds=3)
    assistant = make_user(session, "assistant@example.edu", "instructor")
    membership_service.add_assistant(session, game, assistant.login)
    other_game = make_game(session, make_user(session, "other@example.edu", "instructor"))
    users = {
        "owner": owner,
        "assistant": assistant,
        "teamless": make_user(session, "s001"),
        "in a team": make_user(session, "s002"),
        "elsewhere": make_user(session, "s003"),
        "stranger": make_user(session, "s004"),
        "other instructor": make_user(session, "x@example.edu", "instructor"),
        "admin": make_user(session, "admin@example.edu", "admin"),
    }
    enrol(session, game, users["teamless"])
    enrol(session, game, users["in a team"], "Alpha")
    enrol(session, other_game, users["elsewhere"], "Beta")
    session.commit()
    return game, users


@pytest.mark.parametrize("states", ROUND_STATES)
def test_one_query_answers_what_the_two_answer(session, people, states):
    game, users = people
    for number, status in enumerate(states, start=1):
        session.execute(
            update(Round)
            .where(Round.game_id == game.id, Round.number == number)
            .values(status=status)
        )
    session.commit()
    expected_round = round_state.current_round(session, game)
    assert expected_round is not None
    for who, user in users.items():
        expected = membership_service.membership(session, game.id, user)
        visit = membership_service.user_with_membership(session, user.id, game.id)
        assert visit is not None and visit.user is user, who
        if expected is None:
            assert visit.membership is None and visit.current_round is None, who
            continue
        assert visit.membership is not None, who
        assert visit.membership.game is expected.game, who
        assert visit.membership.staff_role == expected.staff_role, who
        assert visit.membership.player is expected.player, who
        if expected.player is not None:
            assert visit.membership.player.team is expected.player.team, who
        assert visit.current_round is expected_round, who
    session.rollback()


def test_no_such_user_or_game(session, people):
    game, users = people
    assert membership_service.user_with_membership(session, 10**9, game.id) is None
    visit = membership_service.user_with_membership(session, users["owner"].id, 10**9)
    assert visit is not None and visit.membership is None and visit.current_round is None
