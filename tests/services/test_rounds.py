"""Round lifecycle, decisions, processing with a lease, re-processing and practice rounds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from simshop.engine.bots import STRATEGIES, Strategy
from simshop.engine.decisions import DecisionErrors, DecisionSheet, empty_decisions
from simshop.engine.state import TeamState
from simshop.models import Decision, Round, RoundResult, Team
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import lifecycle, round_state
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.games import GameError
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def world(session):
    """A 3-round game with one bot and two student teams, round 1 open."""
    instructor = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, instructor, bot_count=1)
    alice, bob = make_user(session, "s001"), make_user(session, "s002")
    enrol(session, game, alice, "Alpha")
    enrol(session, game, bob, "Beta")
    first = round_no(session, game, 1)
    schedule_service.open_round(session, game, first)

    class World:
        pass

    w = World()
    w.game, w.alice, w.bob, w.first = game, alice, bob, first
    w.alpha, w.beta = team_named(session, game, "Alpha"), team_named(session, game, "Beta")
    return w


def results_of(session, rnd):
    rows = session.scalars(
        select(RoundResult).where(RoundResult.round_id == rnd.id).order_by(RoundResult.team_id)
    )
    return [(r.team_id, r.result, r.end_state, r.rank, r.score, r.decision_source) for r in rows]


def play(session, game, rnd):
    """Close and process ``rnd``, publishing it without explaining it: these tests are about
    publishing (tests/views/test_explained_views.py and test_explanation_claims.py cover the
    explanation that processing computes after publishing)."""
    schedule_service.close_round(session, rnd)
    outcome = rounds_service.process_round(session, rnd.id, explain=False)
    assert outcome.published
    session.refresh(rnd)


def test_a_saved_decision_can_be_edited_and_the_last_save_wins(session, world):
    decisions_service.submit_decision(
        session, world.alice, world.alpha, world.first, tutorial_decisions(price_us=30.0)
    )
    decisions_service.submit_decision(
        session, world.alice, world.alpha, world.first, tutorial_decisions(price_us=40.0)
    )

    rows = session.scalars(select(Decision).where(Decision.team_id == world.alpha.id)).all()
    assert len(rows) == 1
    assert rows[0].payload["offers"]["US"]["earbuds"]["price_local"] == 40.0
    assert rows[0].save_count == 2
    assert rows[0].saved_by_id == world.alice.id


@pytest.mark.parametrize("action", ["close", "hold", "scheduled", "deadline_passed"])
def test_decisions_are_refused_unless_the_round_is_open(session, world, action):
    rnd = world.first
    if action == "close":
        schedule_service.close_round(session, rnd)
    elif action == "hold":
        schedule_service.hold_round(session, rnd)
    elif action == "scheduled":
        rnd = round_no(session, world.game, 2)
    else:  # status still 'open' but the deadline is behind us: the statement refuses it
        session.execute(
            update(Round).where(Round.id == rnd.id).values(deadline=utcnow() - timedelta(seconds=1))
        )
        session.commit()
        session.refresh(rnd)
    with pytest.raises(decisions_service.RoundNotOpenError):
        decisions_service.submit_decision(
            session, world.alice, world.alpha, rnd, tutorial_decisions()
        )
    assert session.scalar(select(func.count(Decision.id))) == 0


def test_invalid_decisions_are_reported_by_location_and_nothing_is_saved(session, world):
    raw = tutorial_decisions()
    raw["offers"]["US"]["earbuds"]["price_local"] = -1.0
    raw["factory_orders"]["earbuds"] = 10_000_000
    with pytest.raises(DecisionErrors) as info:
        decisions_service.submit_decision(session, world.alice, world.alpha, world.first, raw)
    assert ("offers", "US", "earbuds", "price_local") in [i.loc for i in info.value.issues]
    assert "price_not_positive" in [i.code for i in info.value.issues]
    assert session.scalar(select(func.count(Decision.id))) == 0


def test_a_team_that_saves_nothing_carries_its_decisions_over(session, world):
    decisions_service.submit_decision(
        session, world.alice, world.alpha, world.first, tutorial_decisions(price_us=36.0)
    )
    play(session, world.game, world.first)
    second = round_no(session, world.game, 2)
    schedule_service.open_round(session, world.game, second)

    sheet, saved = decisions_service.sheet_for_form(session, world.game, second, world.alpha)
    assert saved is None
    assert sheet.offers["US"]["earbuds"].price_local == 36.0
    play(session, world.game, second)

    row = session.scalar(
        select(RoundResult).where(
            RoundResult.round_id == second.id, RoundResult.team_id == world.alpha.id
        )
    )
    assert row.decision_source == "carried"
    assert row.decisions_used["offers"]["US"]["earbuds"]["price_local"] == 36.0
    assert row.decisions_used["shipments"] == []
    sources = {r[0]: r[5] for r in results_of(session, second)}
    assert sorted(sources.values()) == ["bot", "carried", "carried"]


class OverOrdering(Strategy):
    """A broken bot: orders far more than it can pay for."""

    def decide(self, view):
        return DecisionSheet(factory_orders={view.scenario.products[0].id: 10**9})


def test_a_bot_whose_sheet_is_invalid_plays_an_empty_sheet(session, world, monkeypatch):
    monkeypatch.setitem(STRATEGIES, "cost_plus", OverOrdering)
    play(session, world.game, world.first)

    bot = session.scalars(
        select(RoundResult)
        .join(Team, Team.id == RoundResult.team_id)
        .where(RoundResult.round_id == world.first.id, Team.is_bot.is_(True))
    ).one()
    assert (bot.decision_source, bot.decisions_used) == ("bot", empty_decisions().to_dict())


def test_processing_publishes_one_result_per_team_with_ranks(session, world):
    decisions_service.submit_decision(
        session, world.alice, world.alpha, world.first, tutorial_decisions()
    )
    play(session, world.game, world.first)

    results = results_of(session, world.first)
    assert len(results) == 3  # Alpha, Beta and the bot
    assert sorted(r[3] for r in results) == [1, 2, 3]
    assert world.first.status == "published"
    assert world.first.lease_owner is None
    assert [row["rank"] for row in world.first.standings] == [1, 2, 3]
    assert set(world.first.market_stats) == {"US", "EU"}


def test_a_round_is_claimed_once_and_a_stale_worker_is_fenced_off(session, world):
    schedule_service.close_round(session, world.first)
    now = utcnow()
    assert rounds_service.claim_round(session, world.first.id, "A", lease_seconds=60, now=now)
    assert not rounds_service.claim_round(session, world.first.id, "B", lease_seconds=60, now=now)
    inputs = rounds_service.load_round_inputs(session, world.first.id)
    session.rollback()
    computed = rounds_service.compute_round(inputs)

    later = now + timedelta(seconds=61)  # A's lease expired: B takes over
    assert rounds_service.claim_round(session, world.first.id, "B", lease_seconds=60, now=later)
    with pytest.raises(rounds_service.LeaseLostError):
        rounds_service.publish_round(session, world.first.id, "A", computed)
    assert results_of(session, world.first) == []

    rounds_service.publish_round(session, world.first.id, "B", computed)
    session.refresh(world.first)
    assert world.first.status == "published"
    assert world.first.process_count == 2
    assert not rounds_service.claim_round(session, world.first.id, "C", now=later)


def test_reprocessing_gives_the_same_results_unless_decisions_change(session, world):
    decisions_service.submit_decision(
        session, world.alice, world.alpha, world.first, tutorial_decisions()
    )
    play(session, world.game, world.first)
    first_run = results_of(session, world.first)
    standings = world.first.standings

    schedule_service.unpublish_for_reprocessing(session, world.game, world.first)
    assert results_of(session, world.first) == []
    rounds_service.process_round(session, world.first.id, explain=False)
    session.refresh(world.first)
    assert results_of(session, world.first) == first_run
    assert world.first.standings == standings

    schedule_service.unpublish_for_reprocessing(session, world.game, world.first)
    schedule_service.reopen_round(session, world.first)
    decisions_service.submit_decision(
        session, world.alice, world.alpha, world.first, tutorial_decisions(price_us=25.0)
    )
    play(session, world.game, world.first)
    assert results_of(session, world.first) != first_run


def test_reprocessing_is_refused_once_a_later_round_is_published(session, world):
    play(session, world.game, world.first)
    second = round_no(session, world.game, 2)
    schedule_service.open_round(session, world.game, second)
    play(session, world.game, second)
    with pytest.raises(GameError, match="cannot_reprocess"):
        schedule_service.unpublish_for_reprocessing(session, world.game, world.first)


def test_a_round_opens_only_after_the_previous_one_is_published(session, world):
    second = round_no(session, world.game, 2)
    with pytest.raises(GameError, match="cannot_open"):
        schedule_service.open_round(session, world.game, second)
    play(session, world.game, world.first)
    schedule_service.open_round(session, world.game, second)
    assert second.status == "open"


def one_team_game(session, *, practice_rounds: int, scored_rounds: int):
    """A game with one student in team Alpha: (game, student, Alpha)."""
    instructor = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(
        session, instructor, practice_rounds=practice_rounds, scored_rounds=scored_rounds
    )
    student = make_user(session, "s001")
    enrol(session, game, student, "Alpha")
    return game, student, team_named(session, game, "Alpha")


def test_practice_rounds_are_played_then_the_state_is_reset(session):
    game, student, alpha = one_team_game(session, practice_rounds=1, scored_rounds=2)
    practice = round_no(session, game, 1)
    schedule_service.open_round(session, game, practice)
    decisions_service.submit_decision(session, student, alpha, practice, tutorial_decisions())
    play(session, game, practice)
    spent = session.scalar(select(RoundResult.end_state).where(RoundResult.team_id == alpha.id))
    assert (spent["cash_cny"] != 600000.0, spent["entered_markets"]) == (True, ["US"])

    scored = round_no(session, game, 2)
    schedule_service.open_round(session, game, scored)
    state = round_state.team_state_before(session, game, scored, alpha)
    assert (state.cash_cny, state.round_no, state.entered_markets) == (600000.0, 0, [])
    # the same sheet is valid again: entering the US is not "already entered"
    decisions_service.submit_decision(session, student, alpha, scored, tutorial_decisions())
    assert rounds_service.engine_seed(game, practice) != rounds_service.engine_seed(game, scored)


def test_a_round_starts_from_the_end_of_the_one_before_within_practice_and_scored(session):
    game, student, alpha = one_team_game(session, practice_rounds=2, scored_rounds=2)
    for number in (1, 2, 3):  # two practice rounds, then the first scored round
        rnd = round_no(session, game, number)
        schedule_service.open_round(session, game, rnd)
        if number != 2:  # round 2 carries round 1's sheet over (the US is entered already)
            decisions_service.submit_decision(session, student, alpha, rnd, tutorial_decisions())
        play(session, game, rnd)
        ended = session.scalar(
            select(RoundResult.end_state).where(
                RoundResult.round_id == rnd.id, RoundResult.team_id == alpha.id
            )
        )
        after = round_no(session, game, number + 1)
        state = round_state.team_state_before(session, game, after, alpha)
        if number == 2:  # the last practice round: the scored rounds start afresh
            assert (state.cash_cny, state.round_no, state.entered_markets) == (600000.0, 0, [])
        else:
            assert state.to_dict() == TeamState.from_dict(ended).to_dict()
            assert state.round_no == 1 and state.entered_markets == ["US"]


def test_tick_closes_due_rounds_processes_them_and_opens_the_next(session):
    instructor = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(
        session,
        instructor,
        schedule="deadlines",
        first_deadline=utcnow() + timedelta(hours=1),
        bot_count=2,
    )
    first = round_no(session, game, 1)
    schedule_service.open_round(session, game, first)
    session.execute(
        update(Round).where(Round.id == first.id).values(deadline=utcnow() - timedelta(seconds=1))
    )
    session.commit()

    report = schedule_service.tick(session)

    assert (report.closed, report.processed, report.opened) == (
        1,
        [first.id],
        [round_no(session, game, 2).id],
    )
    assert schedule_service.tick(session).processed == []


def test_held_rounds_are_neither_closed_nor_processed_by_tick(session, world):
    session.execute(
        update(Round)
        .where(Round.id == world.first.id)
        .values(deadline=utcnow() + timedelta(seconds=30))
    )
    session.commit()
    schedule_service.hold_round(session, world.first)
    session.execute(
        update(Round)
        .where(Round.id == world.first.id)
        .values(deadline=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    report = schedule_service.tick(session)
    assert (report.closed, report.processed) == (0, [])
    session.refresh(world.first)
    schedule_service.release_round(session, world.first)
    assert (world.first.status, world.first.deadline) == ("open", None)


def poison(monkeypatch, game_id: int) -> None:
    """Make processing raise for one game only, as the 1e-200 price did (issue 12)."""
    real = rounds_service.compute_round

    def compute(inputs):
        if inputs.game_id == game_id:
            raise OverflowError("math range error")
        return real(inputs)

    monkeypatch.setattr(rounds_service, "compute_round", compute)


def test_one_failing_round_does_not_stop_the_tick_for_other_games(session, monkeypatch):
    instructor = make_user(session, "teacher@example.edu", "instructor")
    poisoned, healthy = (make_game(session, instructor, bot_count=1) for _ in range(2))
    rounds = {}
    for game in (poisoned, healthy):  # the poisoned game comes first in the tick
        rounds[game.id] = round_no(session, game, 1)
        schedule_service.open_round(session, game, rounds[game.id])
        schedule_service.close_round(session, rounds[game.id])
    poison(monkeypatch, poisoned.id)

    report = schedule_service.tick(session)

    bad, good = rounds[poisoned.id], rounds[healthy.id]
    assert (report.failed, report.processed) == ([bad.id], [good.id])
    session.refresh(bad)
    session.refresh(good)
    assert (bad.status, bad.failure, bad.lease_owner) == (
        "failed",
        "OverflowError: math range error",
        None,
    )
    assert good.status == "published"
    assert schedule_service.tick(session).failed == []  # a failed round waits for the fix

    monkeypatch.undo()
    schedule_service.retry_round(session, bad)
    assert (bad.status, bad.failure) == ("closed", None)
    assert schedule_service.tick(session).processed == [bad.id]
    session.refresh(bad)
    assert bad.status == "published"
    assert session.scalar(select(func.count(RoundResult.id)).where(RoundResult.round_id == bad.id))


def test_a_failed_round_can_be_reopened_for_teams_to_fix_their_decisions(
    session, world, monkeypatch
):
    poison(monkeypatch, world.game.id)
    schedule_service.close_round(session, world.first)
    outcome = rounds_service.process_round(session, world.first.id)
    assert (outcome.claimed, outcome.published, outcome.failed) == (True, False, True)
    with pytest.raises(GameError, match="cannot_retry"):
        schedule_service.retry_round(session, round_no(session, world.game, 2))
    schedule_service.reopen_round(session, world.first)
    session.refresh(world.first)
    assert (world.first.status, world.first.failure) == ("open", None)


def test_an_orphaned_round_is_offered_to_the_instructor_once_its_lease_expires(session, world):
    schedule_service.close_round(session, world.first)
    assert rounds_service.claim_round(session, world.first.id, "dead-worker", lease_seconds=60)
    session.refresh(world.first)
    assert lifecycle.allowed_actions(world.first, now=utcnow()) == []
    later = utcnow() + timedelta(seconds=61)
    assert lifecycle.lease_expired(world.first, later)
    assert lifecycle.allowed_actions(world.first, now=later) == ["process"]


def test_every_instructor_action_is_refused_on_an_ended_game(session, world):
    play(session, world.game, world.first)
    games_service.end_game(session, world.game)
    session.refresh(world.first)
    assert lifecycle.allowed_actions(world.first) == []
    with pytest.raises(GameError, match="cannot_reprocess"):
        schedule_service.unpublish_for_reprocessing(session, world.game, world.first)
    with pytest.raises(GameError, match="cannot_process"):
        schedule_service.process_now(session, world.game, world.first)
    session.refresh(world.first)
    assert world.first.status == "published"
