"""The balanced scorecard: team metrics and the standings table. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simshop.engine.scenario import Scenario, Scoring
from simshop.engine.state import GameState

METRICS: tuple[str, ...] = tuple(Scoring.model_fields)
"""The scorecard's metrics: the weights a scenario's ``[scoring]`` table has, in order."""

OPTIONAL_METRICS: frozenset[str] = frozenset({"tacos", "listing_quality"})
"""Metrics a game weighs only when its instructor asks: at weight 0 boards leave them out."""

LOWER_IS_BETTER: frozenset[str] = frozenset({"tacos"})
"""Metrics where a smaller raw value is better: :func:`standings` normalises them inverted."""

TACOS_CAP = 1.0
"""TACoS is capped here: ad spend at or above total revenue is as bad as it gets, and a team
with no revenue gets the cap (no sales, no ad efficiency to show)."""


def listing_quality(cumulative: Mapping[str, float]) -> float:
    """The mean of a team's per-round mean listing scores (0..100); 0 before any round with
    listings."""
    rounds = cumulative.get("listing_rounds", 0.0)
    return round(cumulative.get("listing_score_sum", 0.0) / rounds, 4) if rounds else 0.0


def tacos(advertising_cny: float, revenue_cny: float) -> float:
    """Total advertising cost of sales: ad spend / total revenue (organic sales included),
    in 0..:data:`TACOS_CAP`."""
    if revenue_cny <= 0:
        return TACOS_CAP
    return min(max(advertising_cny, 0.0) / revenue_cny, TACOS_CAP)


def team_metrics(scenario: Scenario, state: GameState) -> list[dict[str, Any]]:
    """Scorecard rows from a game state, one per team (sorted by id):

    - ``profit``: cumulative profit (CNY)
    - ``revenue``: cumulative revenue (CNY)
    - ``market_share``: the team's cumulative units sold / all teams' (0..1; 0 if none sold)
    - ``rating``: the team's star rating averaged over its offers weighted by review count
      (the model's initial rating while it has no reviews)
    - ``roi``: cumulative profit / starting cash (a fixed base every team shares, so ROI
      stays defined before anything is spent)
    - ``tacos``: cumulative advertising (display ads and sponsored search clicks) /
      cumulative revenue (:func:`tacos`; lower is better)
    - ``listing_quality``: the mean over the rounds with listings of the team's mean listing
      score (0..100, :func:`simshop.engine.listing.score_listing`, as the round scored it);
      0 before any
    """
    total_units = sum(t.cumulative.get("units_sold", 0.0) for t in state.teams.values())
    start = scenario.economy.starting_cash_cny
    rows = []
    for tid in sorted(state.teams):
        team = state.teams[tid]
        weighted = reviews = 0.0
        for code, per_product in team.reviews.items():
            for pid, count in per_product.items():
                weighted += team.rating[code][pid] * count
                reviews += count
        profit = team.cumulative.get("profit_cny", 0.0)
        units = team.cumulative.get("units_sold", 0.0)
        rows.append(
            {
                "team_id": tid,
                "profit": profit,
                "revenue": team.cumulative.get("revenue_cny", 0.0),
                "market_share": units / total_units if total_units else 0.0,
                "rating": weighted / reviews if reviews else scenario.model.initial_rating,
                "roi": profit / start,
                "tacos": tacos(
                    team.cumulative.get("advertising_cny", 0.0),
                    team.cumulative.get("revenue_cny", 0.0),
                ),
                "listing_quality": listing_quality(team.cumulative),
            }
        )
    return rows


def standings(
    rows: Iterable[Mapping[str, Any]], weights: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Rank teams on a weighted scorecard.

    ``rows``: one mapping per team with ``team_id`` and a raw value for each metric named in
    ``weights`` (see :func:`team_metrics`). ``weights``: metric -> weight >= 0 (e.g.
    ``Scenario.scoring.as_dict()``); weights are used as given, not re-normalised.

    Normalisation: per metric, min-max across the teams in the table,
    ``(x - min) / (max - min)`` in 0..1, inverted (``(max - x) / (max - min)``) for the
    metrics in :data:`LOWER_IS_BETTER`; if every team has the same value, each gets 1.
    Score = sum of weight x normalised value, rounded to 6 decimals.

    Order and tie-break: higher score first; equal scores by higher raw ``profit`` (if the
    rows carry it), then by ``team_id`` ascending. Rank is 1-based and strictly increasing
    (ties do not share a rank, the tie-break decides).

    Returns one dict per team: ``rank``, ``team_id``, ``score``, ``metrics`` (raw) and
    ``normalised``.
    """
    rows = [dict(r) for r in rows]
    names = list(weights)
    profit = {r["team_id"]: float(r.get("profit", 0.0)) for r in rows}
    lows = {m: min((float(r[m]) for r in rows), default=0.0) for m in names}
    highs = {m: max((float(r[m]) for r in rows), default=0.0) for m in names}
    table = []
    for r in rows:
        norm = {}
        for m in names:
            span = highs[m] - lows[m]
            if span <= 0:
                norm[m] = 1.0
            elif m in LOWER_IS_BETTER:
                norm[m] = (highs[m] - float(r[m])) / span
            else:
                norm[m] = (float(r[m]) - lows[m]) / span
        score = round(sum(float(weights[m]) * norm[m] for m in names), 6)
        table.append(
            {
                "team_id": r["team_id"],
                "score": score,
                "metrics": {m: float(r[m]) for m in names},
                "normalised": {m: round(norm[m], 6) for m in names},
            }
        )
    table.sort(key=lambda e: (-e["score"], -profit[e["team_id"]], e["team_id"]))
    for rank, entry in enumerate(table, start=1):
        entry["rank"] = rank
    return table


# --------------------------------------------------------------------------- combined


@dataclass(frozen=True)
class GameAtRound:
    """One game's teams at the common round: what :func:`combined_standings` needs."""

    game_id: int
    game_title: str
    scenario: Scenario
    state: GameState
    team_names: Mapping[str, str]
    bot_ids: frozenset[str]


def entry_key(game_id: int, team_id: int | str) -> str:
    """A team's id in the combined table; zero-padded so the final tie-break (ascending id)
    means the earlier game, then the earlier team."""
    return f"{int(game_id):09d}-{int(team_id):09d}"


def combined_standings(
    entries: Iterable[GameAtRound], weights: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Rank the human teams of several games together, as one pool, with :func:`standings`.

    A team's market share is multiplied by the number of teams in its game (1.0 = an equal
    split); bots play but are not ranked (``services/competitions.py`` states the whole rule).
    Pure. Returns the standings rows plus ``game_id``, ``game_title``, ``team`` and
    ``team_name``; ``team_id`` is :func:`entry_key`."""
    rows: list[dict[str, Any]] = []
    about: dict[str, dict[str, Any]] = {}
    for entry in entries:
        metrics = team_metrics(entry.scenario, entry.state)
        n_teams = len(entry.state.teams)
        for row in metrics:
            if row["team_id"] in entry.bot_ids:
                continue
            key = entry_key(entry.game_id, row["team_id"])
            rows.append({**row, "team_id": key, "market_share": row["market_share"] * n_teams})
            about[key] = {
                "game_id": entry.game_id,
                "game_title": entry.game_title,
                "team": int(row["team_id"]),
                "team_name": entry.team_names.get(row["team_id"], row["team_id"]),
            }
    table = standings(rows, weights)
    for row in table:
        row.update(about[row["team_id"]])
    return table
