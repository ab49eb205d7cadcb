""" "What if": replay a published round with one team's decisions changed.

The replay is the round exactly as it was processed, except for one team's sheet:

- the same scenario snapshot and engine seed (:func:`rounds.engine_seed`);
- the same participants: every team with a result row for the round;
- the same start state: each team's ``end_state`` after the previous round of the same phase
  (practice rounds and scored rounds are separate phases, as in processing), or the fresh
  starting state;
- every other team's sheet frozen as played (``RoundResult.decisions_used``, bots included —
  a bot does not get to react to the change).

So replaying with unchanged decisions reproduces the published results exactly
(``tests/services/test_whatif.py`` checks it), and any difference is caused by the change.
Nothing is written: the service only reads, and the caller's transaction is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.decisions import DecisionSheet, validate_decisions
from simshop.engine.headless import json_safe
from simshop.engine.round_step import PlayedRound, play_round
from simshop.engine.scenario import Scenario
from simshop.engine.state import GameState, TeamState
from simshop.models import Game, Round, RoundResult, RoundStatus, Team
from simshop.services.games import GameError, game_scenario
from simshop.services.round_compute import engine_seed
from simshop.services.round_state import end_states, fresh_team_state, state_source_round
from simshop.services.uow import end_read


@dataclass
class Replay:
    """Everything needed to play a published round again, loaded in one read."""

    game_id: int
    round_id: int
    scenario: Scenario
    seed: int
    weights: dict[str, float]
    state: GameState
    sheets: dict[str, DecisionSheet]
    published: dict[str, dict[str, Any]]
    """engine team id -> the stored result row (``result``, ``rank``, ``score``)."""
    market_stats: dict[str, Any]


@dataclass
class MarketComparison:
    market: str
    actual: dict[str, float]
    whatif: dict[str, float]
    """``profit_share_cny`` is not split by market; these carry revenue, units and share."""


@dataclass
class WhatIfOutcome:
    team_id: str
    sheet: DecisionSheet
    actual: dict[str, Any]
    whatif: dict[str, Any]
    actual_rank: int | None
    whatif_rank: int | None
    markets: list[MarketComparison] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    """Per market and product: actual vs what-if price, units sold, share, stockouts."""
    market_stats: dict[str, Any] = field(default_factory=dict)

    @property
    def profit_delta(self) -> float:
        return self.whatif["pnl"]["profit_cny"] - self.actual["pnl"]["profit_cny"]


def load_replay(session: Session, game: Game, rnd: Round) -> Replay:
    """Load a published round for replaying (and end the read transaction). Raises
    ``GameError('round_not_published')``."""
    if rnd.game_id != game.id or rnd.status != RoundStatus.PUBLISHED.value:
        raise GameError("round_not_published")
    scenario = game_scenario(game)
    rows = session.scalars(
        select(RoundResult).where(RoundResult.round_id == rnd.id).order_by(RoundResult.team_id)
    ).all()
    before = end_states(session, state_source_round(session, rnd))
    states: dict[str, TeamState] = {}
    sheets: dict[str, DecisionSheet] = {}
    published: dict[str, dict[str, Any]] = {}
    for row in rows:
        tid = str(row.team_id)
        if tid in before:
            states[tid] = before[tid]
        else:
            states[tid] = fresh_team_state(scenario, tid, rnd)
        sheets[tid] = DecisionSheet.from_dict(row.decisions_used)
        published[tid] = {"result": row.result, "rank": row.rank, "score": row.score}
    replay = Replay(
        game_id=game.id,
        round_id=rnd.id,
        scenario=scenario,
        seed=engine_seed(game, rnd),
        weights=dict(game.scoring_weights or scenario.scoring.as_dict()),
        state=GameState(round_no=rnd.scenario_round - 1, teams=dict(sorted(states.items()))),
        sheets=sheets,
        published=published,
        market_stats=rnd.market_stats or {},
    )
    end_read(session)  # read only: the replay computes holding no lock
    return replay


def team_state(replay: Replay, team: Team) -> TeamState:
    """The team's state at the start of the replayed round (what a new sheet is checked
    against). Raises ``GameError('team_not_in_round')``."""
    state = replay.state.teams.get(team.engine_id)
    if state is None:
        raise GameError("team_not_in_round")
    return state


def played_sheet(replay: Replay, team: Team) -> DecisionSheet:
    if team.engine_id not in replay.sheets:
        raise GameError("team_not_in_round")
    return replay.sheets[team.engine_id]


def run_whatif(replay: Replay, team: Team, raw: dict[str, Any] | None = None) -> WhatIfOutcome:
    """Play the round again with ``raw`` as ``team``'s sheet (None: the sheet it played).

    Raises :class:`DecisionErrors` when ``raw`` is invalid for the team's state at the start
    of the round. Pure: no database."""
    tid = team.engine_id
    state = team_state(replay, team)
    sheet = (
        played_sheet(replay, team)
        if raw is None
        else validate_decisions(replay.scenario, state, raw)
    )
    sheets = dict(replay.sheets)
    sheets[tid] = sheet
    played = _replay(replay, sheets)
    result = played.outcome
    ranks = {row["team_id"]: row["rank"] for row in played.standings}
    whatif = json_safe(result.teams[tid].to_dict())
    summary = json_safe(result.to_dict())
    actual = replay.published[tid]["result"]
    outcome = WhatIfOutcome(
        team_id=tid,
        sheet=sheet,
        actual=actual,
        whatif=whatif,
        actual_rank=replay.published[tid]["rank"],
        whatif_rank=ranks.get(tid),
        market_stats=summary["markets"],
    )
    outcome.markets = _market_comparison(
        tid, actual, whatif, replay.market_stats, summary["markets"]
    )
    outcome.offers = _offer_comparison(actual, whatif)
    return outcome


def _replay(replay: Replay, sheets: dict[str, DecisionSheet]) -> PlayedRound:
    """The engine's round step with every sheet as given (bots included: frozen as played)."""
    return play_round(
        replay.scenario, replay.state, seed=replay.seed, team_sheets=sheets, weights=replay.weights
    )


def replay_results(replay: Replay) -> dict[str, Any]:
    """Every team's result with nobody's sheet changed, and the market statistics — equal to
    the published ones (the reproducibility check)."""
    result = _replay(replay, replay.sheets).outcome
    summary = json_safe(result.to_dict())
    return {
        "teams": {tid: json_safe(result.teams[tid].to_dict()) for tid in result.teams},
        "market_stats": summary["markets"],
        "end_state": {tid: json_safe(t.to_dict()) for tid, t in result.state.teams.items()},
    }


def _market_totals(tid: str, result: dict[str, Any], stats: dict[str, Any]) -> dict[str, dict]:
    out: dict[str, dict[str, float]] = {}
    for offer in result.get("offers", []):
        row = out.setdefault(
            offer["market"], {"revenue_cny": 0.0, "units_sold": 0, "units_lost_stockout": 0}
        )
        row["revenue_cny"] += offer.get("revenue_cny") or 0.0
        row["units_sold"] += offer.get("units_sold") or 0
        row["units_lost_stockout"] += offer.get("units_lost_stockout") or 0
    for market, row in out.items():
        total = sum((s.get("units_sold") or 0) for s in (stats.get(market) or {}).values())
        row["market_share"] = row["units_sold"] / total if total else 0.0
    return out


def _market_comparison(tid, actual, whatif, actual_stats, whatif_stats) -> list:
    a = _market_totals(tid, actual, actual_stats)
    w = _market_totals(tid, whatif, whatif_stats)
    empty = {"revenue_cny": 0.0, "units_sold": 0, "units_lost_stockout": 0, "market_share": 0.0}
    return [
        MarketComparison(market, a.get(market, empty), w.get(market, empty))
        for market in sorted(set(a) | set(w))
    ]


def _offer_comparison(actual: dict[str, Any], whatif: dict[str, Any]) -> list[dict[str, Any]]:
    def index(result):
        return {(o["market"], o["product"]): o for o in result.get("offers", [])}

    a, w = index(actual), index(whatif)
    rows = []
    for key in sorted(set(a) | set(w)):
        rows.append(
            {"market": key[0], "product": key[1], "actual": a.get(key), "whatif": w.get(key)}
        )
    return rows
