"""Play a whole game without the web app: bots plus teams whose decisions are given.

:func:`play_game` returns a complete JSON-safe record (see docs/engine.md, "Game record").
Floats in the record are rounded by :func:`json_safe` (6 decimals; money is already in cents)
so two runs serialise byte-identically.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from simshop.engine.bots import STRATEGIES
from simshop.engine.results import RoundOutcome
from simshop.engine.round_step import HumanDecisionError, PlayedRound, play_round
from simshop.engine.scenario import Scenario, parse_scenario_text
from simshop.engine.state import GameState, initial_state

__all__ = [
    "FLOAT_DIGITS",
    "GameRounds",
    "HumanDecisionError",
    "bot_seats",
    "json_safe",
    "play_game",
    "round_record",
]

FLOAT_DIGITS = 6


_AS_IS = frozenset({int, str, bool, type(None)})


def json_safe(value: Any) -> Any:
    """Round floats to :data:`FLOAT_DIGITS` (non-finite floats become None), recursively.
    A game record holds about 100,000 values: the common leaves (ints, strings, None) are
    recognised by their exact type and kept without a call."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, float):
        return round(value, FLOAT_DIGITS) + 0.0 if math.isfinite(value) else None
    if isinstance(value, dict):
        return {
            k if type(k) is str else str(k): v if type(v) in _AS_IS else json_safe(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [v if type(v) in _AS_IS else json_safe(v) for v in value]
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
    game = GameRounds(sc, seed=seed, rounds=rounds, bots=bots, human_teams=human_teams)
    record_rounds = []
    for played in game:
        if on_round is not None:
            on_round(played.outcome, played.standings)
        record_rounds.append(round_record(played))
    return _game_record(sc, text, seed, game.rounds, game.seats, game.state, record_rounds)


def round_record(played: PlayedRound) -> dict[str, Any]:
    """One round of the game record (before :func:`json_safe`): its number, every team's
    sheet, the result and the standings."""
    return {
        "round_no": played.outcome.round_no,
        "decisions": {tid: played.sheets[tid].to_dict() for tid in sorted(played.sheets)},
        "result": played.outcome.to_dict(),
        "standings": played.standings,
    }


class GameRounds:
    """A headless game played one round at a time: iterate to get each round's
    :class:`~simshop.engine.round_step.PlayedRound`, in order, up to ``rounds``.

    The same rounds, bytes for bytes, as :func:`play_game` (which iterates one); a caller
    that needs only the first rounds of a game (a test comparing two games up to the round
    where they part) stops iterating there and pays for no more. ``state`` is the state
    after the last round played."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        rounds: int | None = None,
        bots: int | list[str] | None = None,
        human_teams: Mapping[str, Mapping[int | str, dict[str, Any]]] | None = None,
    ) -> None:
        self.scenario, self.seed = scenario, seed
        self.rounds = (
            scenario.calendar.rounds if rounds is None else min(rounds, scenario.calendar.rounds)
        )
        self.seats = bot_seats(scenario, bots)
        self._humans = {tid: dict(plan) for tid, plan in (human_teams or {}).items()}
        clash = sorted(set(self.seats) & set(self._humans))
        if clash:
            raise ValueError(f"team ids used by both bots and given decisions: {clash}")
        self.state: GameState = initial_state(scenario, [*self.seats, *self._humans])
        self._history: list[dict[str, Any]] = []
        self._own: dict[str, list[dict[str, Any]]] = {tid: [] for tid in self.state.teams}

    def __iter__(self) -> Iterator[PlayedRound]:
        while self.state.round_no < self.rounds:
            yield self._play_next()

    def _play_next(self) -> PlayedRound:
        played = play_round(
            self.scenario,
            self.state,
            seed=self.seed,
            team_sheets=_given_sheets(self._humans, self.state.round_no + 1),
            bot_strategies=self.seats,
            market_history=self._history,
            own_results=self._own,
            strict=True,
        )
        result = played.outcome
        self.state = result.state
        self._history.append(result.markets)
        for tid, team_result in result.teams.items():
            self._own[tid].append(team_result.to_dict())
        return played


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
