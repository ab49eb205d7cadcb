"""Results explained: computed once a round is published, stored, read by pages.

:func:`explain_published_round` runs right after publishing, in the same processing step
(:func:`simshop.services.rounds.process_round`) but in transactions of its own: the round is
published (and visible) first; until the explanation is stored, pages say it is being
computed. ``tick`` explains any published round still without one (a crashed processor, or
rounds published before explanations existed). Pages never compute one.

The inputs come from stored results only: the state before each round (the end state of the
round before it, or a team's fresh state), the sheet each team played
(``RoundResult.decisions_used``), the scenario snapshot and the seed. The baseline of a
phase's first round is "no action": the same round with every team doing nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.engine import explain
from simshop.engine.conditions import conditions_for_round
from simshop.engine.scenario import Scenario
from simshop.engine.seeds import phase_seed
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import GameState, TeamState
from simshop.models import (
    Game,
    Round,
    RoundExplanation,
    RoundResult,
    Team,
    TeamExplanation,
)
from simshop.services.games import game_scenario
from simshop.services.lifecycle import PUBLISHED
from simshop.services.round_state import fresh_team_state, state_source_round
from simshop.services.uow import end_read, transaction

log = logging.getLogger(__name__)

NO_ACTION, PREVIOUS = "no_action", "previous"


@dataclass
class ExplainInputs:
    round_id: int
    scenario: Scenario
    seed: int
    prev: explain.RoundSide
    cur: explain.RoundSide
    baseline: str


def _side(
    session: Session, scenario: Scenario, rnd: Round, team_ids: list[str]
) -> explain.RoundSide:
    """Round ``rnd``'s inputs for ``team_ids``, from stored results."""
    source = state_source_round(session, rnd)
    states: dict[str, TeamState] = {}
    if source is not None:
        for team_id, end_state in session.execute(
            select(RoundResult.team_id, RoundResult.end_state).where(
                RoundResult.round_id == source.id
            )
        ):
            states[str(team_id)] = TeamState.from_dict(end_state)
    sheets = {
        str(team_id): DecisionSheet.from_dict(used)
        for team_id, used in session.execute(
            select(RoundResult.team_id, RoundResult.decisions_used).where(
                RoundResult.round_id == rnd.id
            )
        )
    }
    teams = {
        tid: states[tid] if tid in states else fresh_team_state(scenario, tid, rnd)
        for tid in team_ids
    }
    return explain.RoundSide(
        GameState(round_no=rnd.scenario_round - 1, teams=dict(sorted(teams.items()))),
        {tid: sheets[tid] for tid in team_ids if tid in sheets},
        conditions_for_round(scenario, rnd.scenario_round),
        rnd.scenario_round,
    )


def load_inputs(session: Session, round_id: int) -> ExplainInputs:
    """Both sides of a published round's comparison, from the database (read only)."""
    rnd = session.get(Round, round_id)
    assert rnd is not None
    game = session.get(Game, rnd.game_id)
    assert game is not None
    scenario = game_scenario(game)
    team_ids = [
        str(t)
        for t in session.scalars(
            select(RoundResult.team_id)
            .where(RoundResult.round_id == rnd.id)
            .order_by(RoundResult.team_id)
        )
    ]
    cur = _side(session, scenario, rnd, team_ids)
    source = state_source_round(session, rnd)
    if source is None or source.status != PUBLISHED:
        prev, baseline = explain.no_action_side(cur), NO_ACTION
    else:
        prev, baseline = _side(session, scenario, source, team_ids), PREVIOUS
    seed = phase_seed(int(game.seed), practice=rnd.is_practice)
    return ExplainInputs(rnd.id, scenario, seed, prev, cur, baseline)


def compute(inputs: ExplainInputs) -> tuple[explain.RoundExplanation, dict[str, Any]]:
    """The explanation and the round's context (which markets changed how). Pure."""
    result = explain.explain_round(inputs.scenario, inputs.seed, inputs.prev, inputs.cur)
    context = explain.market_changes(inputs.prev.conditions, inputs.cur.conditions)
    return result, context


def store(
    session: Session,
    inputs: ExplainInputs,
    result: explain.RoundExplanation,
    context: dict[str, Any],
    elapsed_ms: int,
) -> bool:
    """Write the explanation in one transaction; False if it was already stored (another
    worker got there first) or the round is no longer published (taken back meanwhile)."""
    try:
        with transaction(session):
            still = session.scalar(
                select(exists().where(Round.id == inputs.round_id, Round.status == PUBLISHED))
            )
            done = session.scalar(
                select(exists().where(RoundExplanation.round_id == inputs.round_id))
            )
            if not still or done:
                return False
            session.add(
                RoundExplanation(
                    round_id=inputs.round_id,
                    compute_ms=elapsed_ms,
                    replays=result.replays,
                    baseline=inputs.baseline,
                    context=context,
                )
            )
            session.add_all(
                TeamExplanation(
                    round_id=inputs.round_id,
                    team_id=int(tid),
                    profit_before_cents=team.profit_before_cents,
                    profit_after_cents=team.profit_after_cents,
                    units_before=team.units_before,
                    units_after=team.units_after,
                    profit_parts_cents=team.profit_parts_cents,
                    units_parts=team.units_parts,
                )
                for tid, team in result.teams.items()
            )
    except IntegrityError:
        return False
    return True


def explain_published_round(session: Session, round_id: int) -> int | None:
    """Compute and store a published round's explanation; returns the milliseconds it took,
    or None when there was nothing to do (already stored, or not published)."""
    rnd = session.get(Round, round_id)
    if rnd is None or rnd.status != PUBLISHED or _stored(session, round_id):
        end_read(session)
        return None
    inputs = load_inputs(session, round_id)
    end_read(session)  # the replays hold no lock
    started = time.perf_counter()
    result, context = compute(inputs)
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    return elapsed_ms if store(session, inputs, result, context, elapsed_ms) else None


def _stored(session: Session, round_id: int) -> bool:
    return bool(session.scalar(select(exists().where(RoundExplanation.round_id == round_id))))


def pending_rounds(session: Session) -> list[int]:
    """Published rounds without a stored explanation, oldest first."""
    ids = list(
        session.scalars(
            select(Round.id)
            .where(
                Round.status == PUBLISHED,
                ~exists().where(RoundExplanation.round_id == Round.id),
            )
            .order_by(Round.game_id, Round.number)
        )
    )
    end_read(session)
    return ids


def explain_pending(session: Session) -> list[int]:
    """What ``tick`` runs: explain every published round still without an explanation.
    One round's failure is logged and never stops the others."""
    done = []
    for round_id in pending_rounds(session):
        try:
            if explain_published_round(session, round_id) is not None:
                done.append(round_id)
        except Exception:
            log.exception("explaining round %s failed", round_id)
            end_read(session)
    return done


def forget(session: Session, round_id: int) -> None:
    """Delete a round's explanation (inside the caller's transaction: a round taken back for
    processing again is explained again once it is published)."""
    session.execute(delete(TeamExplanation).where(TeamExplanation.round_id == round_id))
    session.execute(delete(RoundExplanation).where(RoundExplanation.round_id == round_id))


# --------------------------------------------------------------------------- reading


@dataclass
class Explained:
    """One team's stored explanation of one round, ready for a page."""

    round_number: int
    baseline: str
    context: dict[str, Any]
    profit_before_cny: float
    profit_after_cny: float
    profit_parts_cny: dict[str, float]
    units_before: int
    units_after: int
    units_parts: dict[str, int]

    @property
    def profit_change_cny(self) -> float:
        return round(self.profit_after_cny - self.profit_before_cny, 2)


def _explained(rnd: Round, head: RoundExplanation, row: TeamExplanation) -> Explained:
    return Explained(
        round_number=rnd.number,
        baseline=head.baseline,
        context=head.context,
        profit_before_cny=row.profit_before_cents / 100,
        profit_after_cny=row.profit_after_cents / 100,
        profit_parts_cny={c: row.profit_parts_cents.get(c, 0) / 100 for c in explain.CAUSES},
        units_before=row.units_before,
        units_after=row.units_after,
        units_parts={c: int(row.units_parts.get(c, 0)) for c in explain.CAUSES},
    )


def team_explanation(session: Session, rnd: Round, team: Team) -> Explained | None:
    """The team's stored explanation of ``rnd``; None while it is being computed (or if the
    team did not play the round)."""
    head = session.scalar(select(RoundExplanation).where(RoundExplanation.round_id == rnd.id))
    if head is None:
        return None
    row = session.scalar(
        select(TeamExplanation).where(
            TeamExplanation.round_id == rnd.id, TeamExplanation.team_id == team.id
        )
    )
    return _explained(rnd, head, row) if row is not None else None


def is_explained(session: Session, rnd: Round) -> bool:
    return _stored(session, rnd.id)


def round_explanations(session: Session, rnd: Round) -> dict[int, Explained]:
    """Every team's stored explanation of ``rnd`` by team id (empty while computing)."""
    head = session.scalar(select(RoundExplanation).where(RoundExplanation.round_id == rnd.id))
    if head is None:
        return {}
    rows = session.scalars(select(TeamExplanation).where(TeamExplanation.round_id == rnd.id))
    return {row.team_id: _explained(rnd, head, row) for row in rows}


def season_explanations(session: Session, game: Game, team: Team) -> list[Explained]:
    """The team's stored explanations of the game's scored rounds, in round order."""
    rows = session.execute(
        select(Round, RoundExplanation, TeamExplanation)
        .join(RoundExplanation, RoundExplanation.round_id == Round.id)
        .join(TeamExplanation, TeamExplanation.round_id == Round.id)
        .where(
            Round.game_id == game.id,
            Round.is_practice.is_(False),
            TeamExplanation.team_id == team.id,
        )
        .order_by(Round.number)
    ).all()
    return [_explained(rnd, head, row) for rnd, head, row in rows]
