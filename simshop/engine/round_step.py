"""One round played from plain inputs: the single round step every caller uses.

Processing (``services.rounds``), the what-if replay (``services.whatif``), results-bundle
verification (:mod:`simshop.engine.verify`) and the headless game
(:mod:`simshop.engine.headless`) all call :func:`play_round`; none of them builds engine
sheets or standings on its own.

A catalogue's hidden draws are made here (:func:`~simshop.engine.catalogue.realise` with the
round's seed), so every caller plays the same draws; bots and sheet validation see only
:func:`~simshop.engine.catalogue.public` (what a team may know).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simshop.engine.bots import STRATEGIES, make_view
from simshop.engine.catalogue import public, realise
from simshop.engine.decisions import (
    DecisionErrors,
    DecisionSheet,
    carry_over,
    empty_decisions,
    validate_decisions,
)
from simshop.engine.market import simulate_round
from simshop.engine.results import RoundOutcome
from simshop.engine.scenario import Scenario
from simshop.engine.scoring import standings, team_metrics
from simshop.engine.seeds import phase_seed, round_seed
from simshop.engine.state import GameState

__all__ = [
    "BOT",
    "CARRIED",
    "GIVEN",
    "SUBMITTED",
    "HumanDecisionError",
    "PlayedRound",
    "phase_seed",
    "play_round",
    "round_seed",
]

BOT, SUBMITTED, CARRIED, GIVEN = "bot", "submitted", "carried", "given"
"""Where a team's sheet came from (``PlayedRound.sources``): a bot strategy, a raw sheet
validated here, the team's last sheet carried over, or a sheet validated by the caller."""


class HumanDecisionError(ValueError):
    """A team's raw sheet for a round is invalid (raised with ``strict=True``);
    ``errors`` holds the issues."""

    def __init__(self, team_id: str, round_no: int, errors: DecisionErrors):
        self.team_id, self.round_no, self.errors = team_id, round_no, errors
        lines = [
            ".".join(["teams", team_id, str(round_no), *map(str, i.loc)])
            + f": {i.message} [{i.code}]"
            for i in errors.issues
        ]
        super().__init__("\n".join(lines))


@dataclass
class PlayedRound:
    """What :func:`play_round` returns."""

    outcome: RoundOutcome
    sheets: dict[str, DecisionSheet]
    """The sheet each team played (every team of the state)."""
    sources: dict[str, str]
    """Team id -> :data:`BOT`, :data:`SUBMITTED`, :data:`CARRIED` or :data:`GIVEN`."""
    standings: list[dict[str, Any]]
    """:func:`~simshop.engine.scoring.standings` after the round."""
    rejected_bots: dict[str, DecisionErrors] = field(default_factory=dict)
    """Bots whose sheet failed validation (they played an empty sheet)."""


def _bot_sheet(
    scenario: Scenario,
    state: GameState,
    tid: str,
    strategy: str,
    market_history: Sequence[dict[str, Any]],
    own_results: Sequence[dict[str, Any]],
) -> tuple[DecisionSheet, DecisionErrors | None]:
    team = state.teams[tid]
    view = make_view(scenario, team, len(state.teams), list(market_history), list(own_results))
    try:
        return validate_decisions(scenario, team, STRATEGIES[strategy]().decide(view)), None
    except DecisionErrors as exc:
        return empty_decisions(), exc


def _team_sheet(
    scenario: Scenario,
    state: GameState,
    tid: str,
    team_sheets: Mapping[str, DecisionSheet | dict[str, Any]],
    strict: bool,
) -> tuple[DecisionSheet, str]:
    """A non-bot team's sheet and its source (see :func:`play_round`)."""
    team = state.teams[tid]
    given = team_sheets.get(tid)
    if isinstance(given, DecisionSheet):
        return given, GIVEN
    if given is not None:
        try:
            return validate_decisions(scenario, team, given), SUBMITTED
        except DecisionErrors as exc:
            if strict:
                raise HumanDecisionError(tid, state.round_no + 1, exc) from None
    return carry_over(team.last_decisions), CARRIED


def play_round(
    scenario: Scenario,
    state: GameState,
    *,
    seed: int,
    team_sheets: Mapping[str, DecisionSheet | dict[str, Any]] | None = None,
    bot_strategies: Mapping[str, str] | None = None,
    market_history: Sequence[dict[str, Any]] = (),
    own_results: Mapping[str, Sequence[dict[str, Any]]] | None = None,
    weights: Mapping[str, float] | None = None,
    strict: bool = False,
) -> PlayedRound:
    """Play round ``state.round_no + 1`` and rank the teams. Pure: same inputs, same bytes.

    - ``seed``: the phase seed (:func:`phase_seed`); the round's random streams follow from
      it and the scenario round (:func:`round_seed`, :mod:`simshop.engine.seeds`).
    - ``team_sheets``: team id -> a :class:`DecisionSheet` (played as given: the caller
      validated it) or a raw sheet (validated here against the team's state). A team with
      neither, or whose raw sheet is invalid, carries its last sheet over
      (:func:`~simshop.engine.decisions.carry_over`; nothing if it has none). With
      ``strict=True`` an invalid raw sheet raises :class:`HumanDecisionError` instead.
    - ``bot_strategies``: team id -> strategy name (:data:`~simshop.engine.bots.STRATEGIES`);
      each bot decides from ``market_history`` (the published ``markets`` of the phase's
      earlier rounds) and its ``own_results`` (its earlier results, ``to_dict()`` form). A
      bot's sheet is validated like any other; **an invalid bot sheet is replaced by an empty
      sheet** (the bot sits the round out) and reported in ``PlayedRound.rejected_bots``, in
      every caller: a bot's mistake never stops a class, and never lets a bot break the
      rules.
    - ``weights``: the scorecard weights (default: the scenario's).
    """
    realised = realise(scenario, seed)  # the catalogue's hidden draws; see the module text
    scenario = public(scenario)
    team_sheets = team_sheets or {}
    bot_strategies = bot_strategies or {}
    own_results = own_results or {}
    unknown = sorted((set(team_sheets) | set(bot_strategies)) - set(state.teams))
    if unknown:
        raise ValueError(f"sheets for unknown teams: {', '.join(unknown)}")
    sheets: dict[str, DecisionSheet] = {}
    sources: dict[str, str] = {}
    rejected: dict[str, DecisionErrors] = {}
    for tid in state.teams:
        if tid in bot_strategies:
            sheet, errors = _bot_sheet(
                scenario, state, tid, bot_strategies[tid], market_history, own_results.get(tid, ())
            )
            sheets[tid], sources[tid] = sheet, BOT
            if errors is not None:
                rejected[tid] = errors
        else:
            sheets[tid], sources[tid] = _team_sheet(scenario, state, tid, team_sheets, strict)
    outcome = simulate_round(realised, state, sheets, seed)
    table = standings(
        team_metrics(scenario, outcome.state),
        scenario.scoring.as_dict() if weights is None else weights,
    )
    return PlayedRound(outcome, sheets, sources, table, rejected)
