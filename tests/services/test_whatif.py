""" "What if" replays: same seed, same start, rivals frozen; nothing written."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from simshop.engine.decisions import DecisionErrors
from simshop.models import Decision, Round, RoundResult
from simshop.services import round_state, whatif
from tests.reliability.gamekit import round_no

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def snapshot(session):
    rows = session.execute(
        select(
            RoundResult.round_id,
            RoundResult.team_id,
            RoundResult.result,
            RoundResult.end_state,
            RoundResult.rank,
            RoundResult.score,
        ).order_by(RoundResult.round_id, RoundResult.team_id)
    ).all()
    rounds = session.execute(
        select(Round.id, Round.status, Round.market_stats, Round.standings).order_by(Round.id)
    ).all()
    decisions = session.scalar(select(func.count(Decision.id)))
    return (
        copy.deepcopy([tuple(r) for r in rows]),
        copy.deepcopy([tuple(r) for r in rounds]),
        decisions,
    )


@pytest.mark.parametrize("practice_rounds", [0, 1])
def test_unchanged_decisions_reproduce_every_published_round_exactly(played_world, practice_rounds):
    session, w = played_world(rounds=3, practice_rounds=practice_rounds)
    for rnd in round_state.published_rounds(session, w.game):
        replay = whatif.load_replay(session, w.game, rnd)
        again = whatif.replay_results(replay)
        stored = {
            str(r.team_id): r
            for r in session.scalars(select(RoundResult).where(RoundResult.round_id == rnd.id))
        }
        assert set(again["teams"]) == set(stored)
        for tid, row in stored.items():
            assert again["teams"][tid] == row.result
            assert again["end_state"][tid] == row.end_state
        assert again["market_stats"] == rnd.market_stats


def test_a_replay_of_the_played_sheet_changes_nothing(played_world):
    session, w = played_world(rounds=2)
    rnd = round_no(session, w.game, 2)
    outcome = whatif.run_whatif(whatif.load_replay(session, w.game, rnd), w.alpha)
    assert outcome.whatif == outcome.actual
    assert outcome.whatif_rank == outcome.actual_rank
    assert outcome.profit_delta == 0


def test_a_lower_price_is_replayed_with_rivals_frozen_and_nothing_saved(played_world):
    session, w = played_world(rounds=2)
    rnd = round_no(session, w.game, 2)
    before = snapshot(session)
    replay = whatif.load_replay(session, w.game, rnd)
    rival_sheets = {t: s.to_dict() for t, s in replay.sheets.items() if t != w.alpha.engine_id}
    sheet = whatif.played_sheet(replay, w.alpha).to_dict()
    sheet["offers"]["US"]["earbuds"]["price_local"] = 19.99

    outcome = whatif.run_whatif(replay, w.alpha, sheet)

    us_before = next(m for m in outcome.markets if m.market == "US")
    assert us_before.whatif["units_sold"] > us_before.actual["units_sold"]
    assert outcome.whatif["pnl"] != outcome.actual["pnl"]
    earbuds = next(o for o in outcome.offers if o["market"] == "US" and o["product"] == "earbuds")
    assert earbuds["whatif"]["price_local"] == 19.99
    assert {
        t: s.to_dict() for t, s in replay.sheets.items() if t != w.alpha.engine_id
    } == rival_sheets
    session.rollback()
    assert snapshot(session) == before


def test_an_invalid_sheet_is_refused(played_world):
    session, w = played_world(rounds=1)
    replay = whatif.load_replay(session, w.game, round_no(session, w.game, 1))
    sheet = whatif.played_sheet(replay, w.alpha).to_dict()
    sheet["offers"]["US"]["earbuds"]["price_local"] = -5.0
    with pytest.raises(DecisionErrors):
        whatif.run_whatif(replay, w.alpha, sheet)


def test_only_published_rounds_can_be_replayed(played_world):
    session, w = played_world(rounds=1)
    with pytest.raises(Exception, match="round_not_published"):
        whatif.load_replay(session, w.game, round_no(session, w.game, 2))
