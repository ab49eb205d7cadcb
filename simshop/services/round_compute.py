"""A round's processing work outside any transaction's writes: the engine seed
(:func:`engine_seed`), loading everything a round needs in one read (:func:`load_round_inputs`,
the state before the round, the bots' memory) and computing it with the engine
(:func:`compute_round`). Claiming, publishing and failing a round are
:mod:`simshop.services.rounds`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.headless import json_safe
from simshop.engine.round_step import phase_seed, play_round
from simshop.engine.scenario import Scenario
from simshop.engine.state import GameState
from simshop.models import Decision, Game, Round, RoundResult, Team
from simshop.services.games import game_scenario
from simshop.services.lifecycle import PUBLISHED
from simshop.services.round_state import (
    end_states,
    fresh_team_state,
    participants,
    state_source_round,
)


def engine_seed(game: Game, rnd: Round) -> int:
    """The seed handed to the engine for this round (:func:`~simshop.engine.seeds.phase_seed`:
    practice rounds get a seed of their own, so round 1 differs from practice round 1)."""
    return phase_seed(int(game.seed), practice=rnd.is_practice)


@dataclass
class RoundInputs:
    """Everything processing needs, loaded in one read transaction."""

    game_id: int
    round_id: int
    scenario: Scenario
    seed: int
    weights: dict[str, float]
    state: GameState
    submitted: dict[str, dict[str, Any]]
    bots: dict[str, str]
    market_history: list[dict[str, Any]]
    own_results: dict[str, list[dict[str, Any]]]


@dataclass
class ComputedRound:
    rows: list[dict[str, Any]]
    market_stats: dict[str, Any]
    events: list[dict[str, Any]]
    standings: list[dict[str, Any]]
    seed: int
    elapsed_ms: int = 0


def load_round_inputs(session: Session, round_id: int) -> RoundInputs:
    rnd = session.get(Round, round_id)
    assert rnd is not None
    game = session.get(Game, rnd.game_id)
    assert game is not None
    scenario = game_scenario(game)
    prev = state_source_round(session, rnd)
    teams = participants(session, game, prev)
    state = _state_before(session, scenario, rnd, prev, teams)
    submitted = {
        str(team_id): payload
        for team_id, payload in session.execute(
            select(Decision.team_id, Decision.payload).where(Decision.round_id == rnd.id)
        )
        if str(team_id) in state.teams
    }
    bots = {t.engine_id: t.bot_strategy or "cost_plus" for t in teams if t.is_bot}
    history, own = _bot_memory(session, game, rnd, bots) if bots else ([], {})
    return RoundInputs(
        game_id=game.id,
        round_id=rnd.id,
        scenario=scenario,
        seed=engine_seed(game, rnd),
        weights=dict(game.scoring_weights or scenario.scoring.as_dict()),
        state=state,
        submitted=submitted,
        bots=bots,
        market_history=history,
        own_results=own,
    )


def _state_before(
    session: Session, scenario: Scenario, rnd: Round, prev: Round | None, teams: list[Team]
) -> GameState:
    """Every participant's state before ``rnd``: its end state in ``prev`` (the round the
    state carries over from), or a fresh one for a team new since."""
    states = end_states(session, prev)
    for team in teams:
        if team.engine_id not in states:
            states[team.engine_id] = fresh_team_state(scenario, team.engine_id, rnd)
    return GameState(round_no=rnd.scenario_round - 1, teams=dict(sorted(states.items())))


def _bot_memory(
    session: Session, game: Game, rnd: Round, bots: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """What the bots remember before ``rnd``: the market statistics of the published rounds
    of the same phase (practice or scored), and each bot's own results in them."""
    phase = (
        select(Round)
        .where(
            Round.game_id == game.id,
            Round.number < rnd.number,
            Round.is_practice.is_(rnd.is_practice),
            Round.status == PUBLISHED,
        )
        .order_by(Round.number)
    )
    past = list(session.scalars(phase))
    history = [r.market_stats or {} for r in past]
    own: dict[str, list[dict[str, Any]]] = {tid: [] for tid in bots}
    results = session.execute(
        select(RoundResult.team_id, RoundResult.result)
        .join(Round, Round.id == RoundResult.round_id)
        .where(
            RoundResult.round_id.in_([r.id for r in past]),
            RoundResult.team_id.in_([int(t) for t in bots]),
        )
        .order_by(Round.number)
    )
    for team_id, result in results:
        own[str(team_id)].append(result)
    return history, own


def compute_round(inputs: RoundInputs) -> ComputedRound:
    """Run bots, the engine and the standings. Pure: no database."""
    started = time.perf_counter()
    played = play_round(
        inputs.scenario,
        inputs.state,
        seed=inputs.seed,
        team_sheets=inputs.submitted,
        bot_strategies=inputs.bots,
        market_history=inputs.market_history,
        own_results=inputs.own_results,
        weights=inputs.weights,
    )
    result, table, sheets, sources = (
        played.outcome,
        played.standings,
        played.sheets,
        played.sources,
    )
    by_team = {row["team_id"]: row for row in table}
    rows = []
    for tid in sorted(result.teams):
        rows.append(
            {
                "team_id": int(tid),
                "result": json_safe(result.teams[tid].to_dict()),
                "end_state": json_safe(result.state.teams[tid].to_dict()),
                "decisions_used": sheets[tid].to_dict(),
                "decision_source": sources[tid],
                "rank": by_team[tid]["rank"],
                "score": by_team[tid]["score"],
            }
        )
    summary = json_safe(result.to_dict())
    return ComputedRound(
        rows=rows,
        market_stats=summary["markets"],
        events=summary["events"],
        standings=json_safe(table),
        seed=inputs.seed,
        elapsed_ms=int((time.perf_counter() - started) * 1000),
    )
