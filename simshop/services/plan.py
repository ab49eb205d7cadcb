"""The live plan of a team's decision sheet while it is being typed (never saved).

:func:`plan_inputs` gathers what the form needs (the round students work on, the scenario,
the team's state at its start); :func:`sheet_plan` runs :func:`simshop.engine.plan.plan_round`
on a sheet with this round's conditions and last round's sales. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from simshop.engine.conditions import conditions_for_round
from simshop.engine.plan import RoundPlan, plan_round
from simshop.engine.scenario import Scenario
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import TeamState
from simshop.models import Game, Round, Team
from simshop.services import round_state
from simshop.services.games import GameError, game_scenario


@dataclass(frozen=True)
class PlanInputs:
    rnd: Round
    scenario: Scenario
    state: TeamState
    last_sales: dict[tuple[str, str], int]
    """Units the team sold last round per (market, product)."""


def plan_inputs(session: Session, game: Game, team: Team) -> PlanInputs:
    """The round the team decides for, the scenario, its state and last round's sales.
    Raises :class:`GameError` ``no_round`` when the game has no current round."""
    rnd = round_state.current_round(session, game)
    if rnd is None:
        raise GameError("no_round")
    scenario = game_scenario(game)
    state = round_state.team_state_before(session, game, rnd, team, scenario)
    last_sales: dict[tuple[str, str], int] = {}
    prev = round_state.state_source_round(session, rnd)
    result = round_state.team_result(session, prev, team) if prev is not None else None
    if result is not None:
        for row in result.result.get("offers", []):
            key = (row["market"], row["product"])
            last_sales[key] = last_sales.get(key, 0) + int(row["units_sold"])
    return PlanInputs(rnd, scenario, state, last_sales)


def sheet_plan(inputs: PlanInputs, raw: dict[str, Any]) -> RoundPlan:
    """The plan of the raw decision dict (the decision form's :meth:`raw`); its shape must
    be a decision sheet's (``pydantic.ValidationError`` otherwise)."""
    sheet = DecisionSheet.model_validate(raw)
    cond = conditions_for_round(inputs.scenario, inputs.rnd.scenario_round)
    return plan_round(inputs.scenario, cond, inputs.state, sheet, inputs.last_sales)
