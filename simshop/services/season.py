"""A team's season review: how its game went, round by round, once the game has ended.

Built only from stored data: the team's results (:func:`analysis.team_rounds`), the rounds'
published market statistics and standings, and the stored explanations
(:mod:`simshop.services.explanations`). Nothing is replayed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from simshop.engine.explain import ADVERTISING, PRICES, STOCK
from simshop.models import Game, GameStatus, Round, Team
from simshop.services import analysis, explanations

OWN_DECISIONS = (PRICES, ADVERTISING, STOCK)
"""The causes that are the team's own decisions (what "best and worst decisions" rank)."""
TOP = 3


@dataclass
class SeasonRound:
    round: Round
    rank: int | None
    teams: int
    profit_cny: float
    cash_end_cny: float
    market_share: float | None
    """The team's units sold / every team's units sold this round (None: nobody sold)."""


@dataclass
class Decision:
    """One of the team's own decisions in one round, judged by its explained effect."""

    round: Round
    cause: str
    profit_cny: float
    units: int


@dataclass
class Season:
    team: Team
    ended: bool
    rounds: list[SeasonRound]
    best: list[Decision]
    worst: list[Decision]
    standings: list[dict[str, Any]]
    """The final standings (the last published scored round's), as stored."""
    final_round: Round | None

    @property
    def final(self) -> SeasonRound | None:
        return self.rounds[-1] if self.rounds else None


def _units_total(market_stats: dict[str, Any] | None) -> int:
    total = 0
    for by_product in (market_stats or {}).values():
        for stats in by_product.values():
            total += int(stats.get("units_sold", 0) or 0)
    return total


def season_review(session: Session, game: Game, team: Team) -> Season:
    """The team's season: its trajectory over the scored rounds, its three best and three
    worst own decisions (by the explained profit of prices, advertising, stock and
    shipping; ties by round), and the final standings."""
    played = [r for r in analysis.team_rounds(session, game, team) if not r.round.is_practice]
    rounds = []
    for tr in played:
        total = _units_total(tr.round.market_stats)
        rounds.append(
            SeasonRound(
                round=tr.round,
                rank=tr.rank,
                teams=len(tr.round.standings or []),
                profit_cny=float(tr.pnl.get("profit_cny", 0.0)),
                cash_end_cny=float(tr.cash.get("end_cny", 0.0)),
                market_share=tr.units_sold / total if total else None,
            )
        )
    by_number = {tr.round.number: tr.round for tr in played}
    decisions = [
        Decision(by_number[e.round_number], cause, e.profit_parts_cny[cause], e.units_parts[cause])
        for e in explanations.season_explanations(session, game, team)
        if e.round_number in by_number
        for cause in OWN_DECISIONS
    ]
    best = sorted(
        (d for d in decisions if d.profit_cny > 0),
        key=lambda d: (-d.profit_cny, d.round.number),
    )[:TOP]
    worst = sorted(
        (d for d in decisions if d.profit_cny < 0),
        key=lambda d: (d.profit_cny, d.round.number),
    )[:TOP]
    final_round = played[-1].round if played else None
    return Season(
        team=team,
        ended=game.status == GameStatus.ENDED.value,
        rounds=rounds,
        best=best,
        worst=worst,
        standings=list(final_round.standings or []) if final_round else [],
        final_round=final_round,
    )
