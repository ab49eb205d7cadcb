"""Leaderboard (standings, rank changes) and the projector state with its ETag."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from simshop.engine.scoring import standings
from simshop.models import RoundResult
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import leaderboard as lb
from simshop.services import membership as membership_service
from simshop.services import projector as projector_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def raw_state(game, raw):
    return raw


@pytest.fixture
def world(session):
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, teacher, bot_count=2, scored_rounds=3)
    alice, bob = make_user(session, "s001"), make_user(session, "s002")
    enrol(session, game, alice, "Alpha")
    enrol(session, game, bob, "Beta")

    class World:
        pass

    w = World()
    w.game, w.teacher, w.alice, w.bob = game, teacher, alice, bob
    w.alpha, w.beta = team_named(session, game, "Alpha"), team_named(session, game, "Beta")
    return w


def publish(session, game, number, decisions=()):
    rnd = round_no(session, game, number)
    if rnd.status == "scheduled":
        schedule_service.open_round(session, game, rnd)
    for user, team, raw in decisions:
        decisions_service.submit_decision(session, user, team, rnd, raw)
    schedule_service.close_round(session, rnd)
    assert rounds_service.process_round(session, rnd.id, explain=False).published
    session.refresh(rnd)
    return rnd


def test_no_published_round_gives_an_empty_board(session, world):
    board = lb.leaderboard(session, world.game)
    assert board.round is None and board.rows == []
    assert set(board.metrics) == {"profit", "revenue", "market_share", "rating", "roi"}


def test_the_board_is_the_engines_standings_with_the_games_weights(session, world):
    rnd = publish(session, world.game, 1, [(world.alice, world.alpha, tutorial_decisions())])
    board = lb.leaderboard(session, world.game)

    recomputed = standings(
        [{"team_id": str(r.team_id), **r.metrics} for r in board.rows], world.game.scoring_weights
    )
    # Stored metrics are rounded to 6 decimals, so the recomputed score may differ there.
    assert [(r.rank, str(r.team_id)) for r in board.rows] == [
        (e["rank"], e["team_id"]) for e in recomputed
    ]
    assert [r.score for r in board.rows] == pytest.approx(
        [e["score"] for e in recomputed], abs=1e-5
    )
    assert board.round.number == rnd.number
    assert {r.team_name for r in board.rows} == {
        "Alpha",
        "Beta",
        "Bot 1 · cost_plus",
        "Bot 2 · discounter",
    }
    assert all(r.change is None for r in board.rows)  # nothing to compare with yet


def test_rank_change_compares_with_the_previous_round(session, world):
    publish(session, world.game, 1)
    first = {r.team_id: r.rank for r in lb.leaderboard(session, world.game).rows}
    publish(session, world.game, 2, [(world.alice, world.alpha, tutorial_decisions())])

    board = lb.leaderboard(session, world.game)

    for row in board.rows:
        assert row.change == first[row.team_id] - row.rank
    assert board.previous.number == 1
    older = lb.leaderboard(session, world.game, 1)
    assert older.round.number == 1 and [r.number for r in older.published] == [1, 2]
    with pytest.raises(LookupError):
        lb.leaderboard(session, world.game, 3)


def test_projector_etag_changes_only_when_something_visible_changes(session, world):
    rnd = round_no(session, world.game, 1)
    schedule_service.open_round(session, world.game, rnd)
    first = projector_service.projector_snapshot(session, world.game, locale="en", render=raw_state)
    again = projector_service.projector_snapshot(session, world.game, locale="en", render=raw_state)
    assert again.etag == first.etag

    decisions_service.submit_decision(session, world.alice, world.alpha, rnd, tutorial_decisions())
    saved = projector_service.projector_snapshot(session, world.game, locale="en", render=raw_state)
    assert saved.etag != first.etag
    assert saved.payload["submissions"]["saved"] == 1
    assert saved.payload["submissions"]["teams"][0] == {"name": "Alpha", "saved": True}
    assert "price_local" not in saved.body.decode()  # who saved, never what

    schedule_service.close_round(session, rnd)
    rounds_service.process_round(session, rnd.id, explain=False)
    published = projector_service.projector_snapshot(
        session, world.game, locale="en", render=raw_state
    )
    assert published.etag != saved.etag
    assert published.payload["published"]["number"] == 1
    assert len(published.payload["standings"]) == 4


def test_projector_limits_rows_and_counts_the_rest(session, world):
    publish(session, world.game, 1)
    snap = projector_service.projector_snapshot(
        session, world.game, locale="en", render=raw_state, max_rows=2
    )
    assert [r["rank"] for r in snap.payload["standings"]] == [1, 2]
    assert snap.payload["standings_total"] == 4


def test_projector_link_rotates_and_disables(session, world):
    link = projector_service.rotate_projector_link(session, world.game, world.teacher)
    old = link.token
    assert projector_service.game_for_projector_token(session, old).id == world.game.id

    projector_service.rotate_projector_link(session, world.game, world.teacher)
    assert projector_service.game_for_projector_token(session, old) is None
    new = projector_service.projector_link(session, world.game).token
    assert (
        new != old and projector_service.game_for_projector_token(session, new).id == world.game.id
    )

    projector_service.disable_projector_link(session, world.game)
    assert projector_service.game_for_projector_token(session, new) is None


def test_membership_knows_owner_players_and_strangers(session, world):
    stranger = make_user(session, "s999")
    other_teacher = make_user(session, "other@example.edu", "instructor")
    owner = membership_service.membership(session, world.game.id, world.teacher)
    assert (owner.is_staff, owner.is_owner, owner.player) == (True, True, None)
    player = membership_service.membership(session, world.game.id, world.alice)
    assert (player.is_staff, player.player.user_id) == (False, world.alice.id)
    assert membership_service.membership(session, world.game.id, stranger) is None
    assert membership_service.membership(session, world.game.id, other_teacher) is None
    assert membership_service.membership(session, 999_999, world.teacher) is None


def test_a_team_without_reviews_has_no_rating_of_its_own(session, world):
    """The engine scores a team with no reviews at the model's starting rating; the board
    carries the review count beside it so pages can show "—" instead of a phantom rating."""
    rnd = publish(session, world.game, 1, [(world.alice, world.alpha, tutorial_decisions())])
    board = lb.leaderboard(session, world.game)
    by_name = {r.team_name: r for r in board.rows}
    start = games_service.game_scenario(world.game).model.initial_rating

    assert by_name["Beta"].reviews == 0
    assert by_name["Beta"].metrics["rating"] == start
    assert by_name["Alpha"].reviews > 0
    # The counts are the end states' reviews, summed over markets and products.
    ends = dict(
        session.execute(
            select(RoundResult.team_id, RoundResult.end_state).where(RoundResult.round_id == rnd.id)
        ).all()
    )
    for row in board.rows:
        expected = sum(sum(p.values()) for p in ends[row.team_id]["reviews"].values())
        assert row.reviews == expected
