"""Play a whole game without the web app: bots plus teams whose decisions are given.

:func:`play_game` returns a complete JSON-safe record (see docs/engine.md, "Game record").
Floats in the record are rounded by :func:`json_safe` (6 decimals; money is already in cents)
so two runs serialise byte-identically.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from typing import Any

from simshop.engine.bots import STRATEGIES
from simshop.engine.results import RoundOutcome
from simshop.engine.round_step import HumanDecisionError, play_round
from simshop.engine.scenario import Scenario, parse_scenario_text
from simshop.engine.state import GameState, initial_state

__all__ = ["FLOAT_DIGITS", "HumanDecisionError", "bot_seats", "json_safe", "play_game"]

FLOAT_DIGITS = 6


def json_safe(value: Any) -> Any:
    """Round floats to :data:`FLOAT_DIGITS` (non-finite floats become None), recursively."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, FLOAT_DIGITS) + 0.0
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def bot_seats(scenario: Scenario, bots: int | list[str] | None) -> dict[str, str]:
    """Bot team id -> strategy name. ``None``: the scenario's ``[bots]`` (count, cycling its
    strategies, or all built-ins if it names none); an int: that many seats cycling the same
    list; a list: one seat per strategy name. Ids are ``bot01-<strategy>``, ``bot02-…``."""
    cycle = list(scenario.bots.strategies) or sorted(STRATEGIES)
    if bots is None:
        names = [cycle[i % len(cycle)] for i in range(scenario.bots.count)]
    elif isinstance(bots, int):
        names = [cycle[i % len(cycle)] for i in range(bots)]
    else:
        names = list(bots)
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"unknown strategies: {', '.join(unknown)}; choose from {', '.join(sorted(STRATEGIES))}"
        )
    return {f"bot{i + 1:02d}-{name}": name for i, name in enumerate(names)}


def play_game(
    scenario: Scenario | str,
    *,
    seed: int,
    rounds: int | None = None,
    bots: int | list[str] | None = None,
    human_teams: Mapping[str, Mapping[int | str, dict[str, Any]]] | None = None,
    on_round: Callable[[RoundOutcome, list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any]:
    """Play ``rounds`` rounds (default: the scenario's) and return the game record.

    ``scenario`` is a parsed :class:`Scenario` or TOML text (then its SHA-256 is recorded).
    ``human_teams``: team id -> {round number -> raw decision dict}; a round without an entry
    carries the team's last decisions over. ``on_round(result, standings)`` is called after
    each round. Raises :class:`HumanDecisionError` on an invalid given decision; an invalid bot
    sheet is played as an empty sheet (see :func:`~simshop.engine.round_step.play_round`)."""
    if isinstance(scenario, str):
        text: str | None = scenario
        sc = parse_scenario_text(scenario)
    else:
        text, sc = None, scenario
    n_rounds = sc.calendar.rounds if rounds is None else min(rounds, sc.calendar.rounds)
    seats = bot_seats(sc, bots)
    humans = {tid: dict(plan) for tid, plan in (human_teams or {}).items()}
    clash = sorted(set(seats) & set(humans))
    if clash:
        raise ValueError(f"team ids used by both bots and given decisions: {clash}")
    state = initial_state(sc, [*seats, *humans])
    history: list[dict[str, Any]] = []
    own: dict[str, list[dict[str, Any]]] = {tid: [] for tid in state.teams}
    record_rounds = []
    for round_no in range(1, n_rounds + 1):
        played = play_round(
            sc,
            state,
            seed=seed,
            team_sheets=_given_sheets(humans, round_no),
            bot_strategies=seats,
            market_history=history,
            own_results=own,
            strict=True,
        )
        result, table = played.outcome, played.standings
        state = result.state
        history.append(result.markets)
        for tid, team_result in result.teams.items():
            own[tid].append(team_result.to_dict())
        if on_round is not None:
            on_round(result, table)
        record_rounds.append(
            {
                "round_no": round_no,
                "decisions": {tid: played.sheets[tid].to_dict() for tid in sorted(state.teams)},
                "result": result.to_dict(),
                "standings": table,
            }
        )
    return _game_record(sc, text, seed, n_rounds, seats, state, record_rounds)


def _given_sheets(
    humans: Mapping[str, Mapping[int | str, dict[str, Any]]], round_no: int
) -> dict[str, dict[str, Any]]:
    """The given teams' raw sheets for ``round_no`` (keys may be ints or JSON strings)."""
    given: dict[str, dict[str, Any]] = {}
    for tid, plan in humans.items():
        raw = plan.get(round_no, plan.get(str(round_no)))
        if raw is not None:
            given[tid] = raw
    return given


def _game_record(
    sc: Scenario,
    text: str | None,
    seed: int,
    rounds_played: int,
    seats: Mapping[str, str],
    state: GameState,
    record_rounds: list[dict[str, Any]],
) -> dict[str, Any]:
    """The JSON-safe game record (docs/engine.md, "Game record")."""
    record: dict[str, Any] = json_safe(
        {
            "scenario": {
                "id": sc.meta.id,
                "sha256": hashlib.sha256(text.encode()).hexdigest() if text else None,
            },
            "seed": seed,
            "rounds_played": rounds_played,
            "teams": [
                {
                    "team_id": tid,
                    "kind": "bot" if tid in seats else "given",
                    "strategy": seats.get(tid),
                }
                for tid in sorted(state.teams)
            ],
            "rounds": record_rounds,
            "final_state": state.to_dict(),
            "standings": record_rounds[-1]["standings"] if record_rounds else [],
        }
    )
    return record
