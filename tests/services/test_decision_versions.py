"""Optimistic concurrency on a team's decisions: a save names the version it was made from."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from simshop.models import Decision
from simshop.services import decisions as decisions_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends


@pytest.fixture
def world(session):
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, teacher)
    ann, bo = make_user(session, "s001", name="Ann"), make_user(session, "s002", name="Bo")
    enrol(session, game, ann, "Alpha")
    enrol(session, game, bo, "Alpha")
    first = round_no(session, game, 1)
    schedule_service.open_round(session, game, first)
    return game, first, team_named(session, game, "Alpha"), ann, bo


def stored(session):
    row = session.scalar(select(Decision))
    return row.save_count, row.saved_by_id, row.payload["offers"]["US"]["earbuds"]["price_local"]


def test_a_save_from_the_current_version_goes_through_and_bumps_it(session, world):
    game, rnd, alpha, ann, bo = world
    decisions_service.submit_decision(
        session, ann, alpha, rnd, tutorial_decisions(price_us=30.0), expected_version=0
    )
    decisions_service.submit_decision(
        session, bo, alpha, rnd, tutorial_decisions(price_us=31.0), expected_version=1
    )
    assert stored(session) == (2, bo.id, 31.0)


@pytest.mark.parametrize("loaded_from", [0, 1])
def test_a_save_from_an_older_version_is_refused_and_names_the_newer_one(
    session, world, loaded_from
):
    game, rnd, alpha, ann, bo = world
    for price in (30.0, 32.0):  # Ann saves twice: version 2
        decisions_service.submit_decision(
            session, ann, alpha, rnd, tutorial_decisions(price_us=price)
        )
    with pytest.raises(decisions_service.DecisionConflictError) as info:
        decisions_service.submit_decision(
            session, bo, alpha, rnd, tutorial_decisions(price_us=40.0), expected_version=loaded_from
        )
    assert (info.value.saved.save_count, info.value.saved.saved_by_id) == (2, ann.id)
    assert stored(session) == (2, ann.id, 32.0)


def test_a_closed_round_is_reported_as_closed_not_as_a_conflict(session, world):
    game, rnd, alpha, ann, bo = world
    decisions_service.submit_decision(session, ann, alpha, rnd, tutorial_decisions())
    schedule_service.close_round(session, rnd)
    with pytest.raises(decisions_service.RoundNotOpenError):
        decisions_service.submit_decision(
            session, bo, alpha, rnd, tutorial_decisions(), expected_version=0
        )
