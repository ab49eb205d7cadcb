"""Results explained: computed once a round is published, stored, read by pages.

:func:`explain_published_round` runs right after publishing, in the same processing step
(:func:`simshop.services.rounds.process_round`) but in transactions of its own: the round is
published (and visible) first; until the explanation is stored, pages say it is being
computed. ``tick`` explains any published round still without one (a crashed processor, or
rounds published before explanations existed). Pages never compute one.

Several workers (the processor that just published, and every ``tick --loop``) never compute
the same round's explanation at once: a worker first **claims** it, like a round's processing
lease (``UPDATE rounds SET explain_owner=:w, explain_until=:t WHERE id=:r AND published AND
not explained AND (no claim or an expired one)``, one statement); ``tick`` picks the next
claimable round with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite: ``BEGIN IMMEDIATE``
and the lease rule). Storing is fenced by the claim: a worker whose claim expired and was
taken over stores nothing. A worker that dies leaves the claim to expire; ``tick`` then
explains the round.

The inputs come from stored results only: the state before each round (the end state of the
round before it, or a team's fresh state), the sheet each team played
(``RoundResult.decisions_used``), the scenario snapshot and the seed. The baseline of a
phase's first round is "no action": the same round with every team doing nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.engine import explain
from simshop.engine.conditions import conditions_for_round
from simshop.engine.scenario import Scenario
from simshop.engine.seeds import phase_seed
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import GameState
from simshop.models import (
    Game,
    Round,
    RoundExplanation,
    RoundResult,
    Team,
    TeamExplanation,
)
from simshop.models.user import utcnow
from simshop.services.games import game_scenario
from simshop.services.lifecycle import PUBLISHED
from simshop.services.round_state import end_states, fresh_team_state, state_source_round
from simshop.services.uow import end_read, transaction, unit_of_work

log = logging.getLogger(__name__)

NO_ACTION, PREVIOUS = "no_action", "previous"
EXPLAIN_LEASE_SECONDS = 300


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
    states = end_states(session, state_source_round(session, rnd))
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


def _explainable(now: datetime) -> Any:
    """Published rounds without a stored explanation that no worker holds a live claim on."""
    return and_(
        Round.status == PUBLISHED,
        ~exists().where(RoundExplanation.round_id == Round.id),
        or_(Round.explain_until.is_(None), Round.explain_until < now),
    )


def _take(session: Session, round_id: int, worker: str, now: datetime, lease_s: float) -> bool:
    result = session.execute(
        update(Round)
        .where(Round.id == round_id, _explainable(now))
        .values(explain_owner=worker, explain_until=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0) == 1


@unit_of_work
def claim_explanation(
    session: Session,
    round_id: int,
    worker: str,
    *,
    lease_seconds: float = EXPLAIN_LEASE_SECONDS,
    now: datetime | None = None,
) -> bool:
    """Take the published round's explanation for ``worker`` (False: already explained, not
    published, or another worker's claim is live)."""
    return _take(session, round_id, worker, now or utcnow(), lease_seconds)


@unit_of_work
def claim_next_explanation(
    session: Session,
    worker: str,
    *,
    lease_seconds: float = EXPLAIN_LEASE_SECONDS,
    now: datetime | None = None,
) -> int | None:
    """Claim the next round to explain (oldest game first); None when there is none. On
    PostgreSQL a round another worker is claiming at this moment is passed over (``SKIP
    LOCKED``), not waited for."""
    now = now or utcnow()
    candidate = session.scalar(
        select(Round.id)
        .where(_explainable(now))
        .order_by(Round.game_id, Round.number)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if candidate is None or not _take(session, candidate, worker, now, lease_seconds):
        return None
    return candidate


@unit_of_work
def release_explanation(session: Session, round_id: int, worker: str) -> bool:
    """Give the claim up (after a failure: the next ``tick`` tries again at once)."""
    return _release(session, round_id, worker)


def _release(session: Session, round_id: int, worker: str) -> bool:
    result = session.execute(
        update(Round)
        .where(Round.id == round_id, Round.explain_owner == worker)
        .values(explain_owner=None, explain_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0) == 1


def store(
    session: Session,
    inputs: ExplainInputs,
    result: explain.RoundExplanation,
    context: dict[str, Any],
    elapsed_ms: int,
    worker: str,
) -> bool:
    """Write the explanation in one transaction, fenced by ``worker``'s claim (released in
    the same transaction); False if the claim was taken over, the round is no longer
    published (taken back meanwhile) or its explanation is already stored."""
    try:
        with transaction(session):
            still = session.scalar(
                select(exists().where(Round.id == inputs.round_id, Round.status == PUBLISHED))
            )
            done = session.scalar(
                select(exists().where(RoundExplanation.round_id == inputs.round_id))
            )
            if not still or done or not _release(session, inputs.round_id, worker):
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


def explain_published_round(
    session: Session, round_id: int, worker: str, *, claimed: bool = False
) -> int | None:
    """Claim (unless ``claimed``), compute and store a published round's explanation;
    returns the milliseconds it took, or None when there was nothing to do (already stored,
    not published, or another worker holds the claim).

    When it raises, a claim this call took is given up (the next ``tick`` tries again); one
    it was handed (``claimed``: ``tick``'s own) is kept until it expires, so ``tick`` goes on
    to the other rounds instead of claiming this one again."""
    if not claimed and not claim_explanation(session, round_id, worker):
        return None
    try:
        inputs = load_inputs(session, round_id)
        end_read(session)  # the replays hold no lock
        started = time.perf_counter()
        result, context = compute(inputs)
    except Exception:
        end_read(session)
        if not claimed:
            release_explanation(session, round_id, worker)
        raise
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    if store(session, inputs, result, context, elapsed_ms, worker):
        return elapsed_ms
    # Wasted work (the claim expired and was taken over, or the round was taken back).
    log.warning("round %s: explanation computed but not stored", round_id)
    return None


def _stored(session: Session, round_id: int) -> bool:
    return bool(session.scalar(select(exists().where(RoundExplanation.round_id == round_id))))


def explain_pending(session: Session, worker: str) -> list[int]:
    """What ``tick`` runs: explain every published round still without an explanation that
    no other worker is explaining, claiming them one at a time. One round's failure is
    logged and never stops the others."""
    done: list[int] = []
    tried: set[int] = set()
    while True:
        round_id = claim_next_explanation(session, worker)
        if round_id is None or round_id in tried:
            return done
        tried.add(round_id)
        try:
            if explain_published_round(session, round_id, worker, claimed=True) is not None:
                done.append(round_id)
        except Exception:
            log.exception("explaining round %s failed", round_id)
            end_read(session)


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
