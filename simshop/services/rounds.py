"""Rounds: processing with a lease (claim, compute, publish or fail). Loading a round's inputs
and computing it are :mod:`simshop.services.round_compute`.

The lifecycle (states, actions, guards, labels) is :mod:`simshop.services.lifecycle`; the
instructor's actions and the clock are :mod:`simshop.services.schedule`; teams' decisions
are :mod:`simshop.services.decisions`.

Processing (:func:`process_round`):

1. **claim** — ``UPDATE rounds SET status='processing', lease_owner=:w, lease_until=:t
   WHERE id=:r AND (status='closed' OR (status='processing' AND lease_until < :now))``,
   committed at once; a row count of 0 means someone else has it.
2. **compute** outside any transaction: the scenario snapshot, the state after the previous
   round, the saved decisions (teams that saved nothing carry their last sheet over), the
   bots' decisions, the engine and the standings. The seed comes from (game seed, round), so
   the same inputs give the same results.
3. **publish** in one transaction: every result row (UNIQUE(round_id, team_id)), the round's
   market statistics, events and standings, and ``status='published' WHERE id=:r AND
   lease_owner=:w`` — which must change exactly one row, else everything is rolled back
   (a worker whose lease was taken over commits nothing).

If loading or computing raises (an input the engine cannot handle), the round is marked
``failed`` with the error text, fenced by the lease like publishing; the instructor sees
the error on the game page and retries once the cause is fixed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from simshop.models import Game, GameStatus, Round, RoundResult
from simshop.models.user import utcnow
from simshop.services import explanations, lifecycle
from simshop.services.games import GameError
from simshop.services.lifecycle import CANCELLED, CLOSED, FAILED, PROCESSING, PUBLISHED
from simshop.services.live import bump_results_version
from simshop.services.round_compute import (  # noqa: F401 (re-exported)
    ComputedRound,
    RoundInputs,
    compute_round,
    engine_seed,
    load_round_inputs,
)
from simshop.services.uow import end_read, transaction, unit_of_work

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300
FAILURE_TEXT_MAX = 2000


class LeaseLostError(GameError):
    """Another worker took the round over; this worker's results were rolled back."""

    def __init__(self) -> None:
        super().__init__("lease_lost")


def worker_id() -> str:
    """A name for this processor: host, process and a random suffix (unique per call)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def guarded_update(session: Session, round_id: int, where: Any, **values: Any) -> bool:
    """``UPDATE rounds SET values WHERE id = :round_id AND where``; True if it changed the
    row (the caller's unit of work commits or rolls back)."""
    result = session.execute(
        update(Round)
        .where(Round.id == round_id, where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def _claimable(now: datetime) -> Any:
    """Closed rounds, and rounds whose processor died (processing with an expired lease)."""
    return and_(
        Round.status.in_(lifecycle.sources("claim")),
        or_(Round.status == CLOSED, Round.lease_until < now),
    )


def _claim_values(worker: str, now: datetime, lease_seconds: float) -> dict[str, Any]:
    return {
        "status": PROCESSING,
        "lease_owner": worker,
        "lease_until": now + timedelta(seconds=lease_seconds),
        "process_count": Round.process_count + 1,
    }


@unit_of_work
def claim_round(
    session: Session,
    round_id: int,
    worker: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    now: datetime | None = None,
) -> bool:
    """Take the round for processing (closed, or processing with an expired lease)."""
    now = now or utcnow()
    return guarded_update(
        session, round_id, _claimable(now), **_claim_values(worker, now, lease_seconds)
    )


@unit_of_work
def claim_next_round(
    session: Session,
    worker: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    now: datetime | None = None,
) -> int | None:
    """Claim the next processable round (oldest game first); None when there is none.

    Several workers (on one host or many) run this side by side without waiting for each
    other: on PostgreSQL the candidate is picked with ``FOR UPDATE SKIP LOCKED``, so a row
    another worker is claiming at that moment is passed over, not waited for; on SQLite the
    unit of work's ``BEGIN IMMEDIATE`` makes each claim (a read and one UPDATE, milliseconds)
    the only writer, and the lease rule (:func:`_claimable`) does the rest.
    """
    now = now or utcnow()
    candidate = session.scalar(
        select(Round.id)
        .where(_claimable(now))
        .order_by(Round.game_id, Round.number)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if candidate is None:
        return None
    claimed = guarded_update(
        session, candidate, _claimable(now), **_claim_values(worker, now, lease_seconds)
    )
    return candidate if claimed else None


def publish_round(
    session: Session,
    round_id: int,
    worker: str,
    computed: ComputedRound,
) -> None:
    """Write every result and mark the round published, in one transaction, fenced by the
    lease owner. Raises :class:`LeaseLostError` (and writes nothing) if the lease is gone."""
    now = utcnow()
    with transaction(session):
        rows = [{"round_id": round_id, **row} for row in computed.rows]
        if rows:
            session.execute(insert(RoundResult), rows)
        published = guarded_update(
            session,
            round_id,
            and_(Round.status == PROCESSING, Round.lease_owner == worker),
            status=PUBLISHED,
            published_at=now,
            lease_owner=None,
            lease_until=None,
            explain_owner=None,  # a claim left from an earlier publication
            explain_until=None,
            market_stats=computed.market_stats,
            events=computed.events,
            standings=computed.standings,
            seed=computed.seed,
            processing_ms=computed.elapsed_ms,
        )
        if not published:
            raise LeaseLostError()
        game_id, number = session.execute(
            select(Round.game_id, Round.number).where(Round.id == round_id)
        ).one()
        bump_results_version(session, game_id)
        end_game_after(session, game_id, number, now)


def end_game_after(session: Session, game_id: int, number: int, now: datetime) -> bool:
    """The game ends by itself when its round ``number`` is its last (no later round that is
    not cancelled) and has just been published: ``Game.status`` becomes 'ended'. Inside the
    publishing transaction."""
    later = (
        select(Round.id)
        .where(Round.game_id == game_id, Round.number > number, Round.status != CANCELLED)
        .exists()
    )
    result = session.execute(
        update(Game)
        .where(Game.id == game_id, Game.status == GameStatus.RUNNING.value, ~later)
        .values(status=GameStatus.ENDED.value, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


@unit_of_work
def mark_failed(session: Session, round_id: int, worker: str, error: BaseException) -> bool:
    """Mark the round this worker is processing as failed and keep why (fenced by the lease
    like publishing). Returns False if the lease was lost meanwhile."""
    text = f"{type(error).__name__}: {error}"[:FAILURE_TEXT_MAX]
    return guarded_update(
        session,
        round_id,
        and_(Round.status.in_(lifecycle.sources("fail")), Round.lease_owner == worker),
        status=FAILED,
        failure=text,
        lease_owner=None,
        lease_until=None,
    )


@dataclass
class ProcessOutcome:
    round_id: int
    claimed: bool
    published: bool = False
    failed: bool = False
    error: str | None = None
    elapsed_ms: int = 0
    teams: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    explained: bool = False
    """Whether the round was explained in this step (False: ``tick`` will explain it)."""


def process_round(
    session: Session,
    round_id: int,
    *,
    worker: str | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    explain: bool = True,
    explain_max_teams: int | None = None,
) -> ProcessOutcome:
    """Claim, compute and publish one round. Returns ``claimed=False`` when the round is not
    processable now (not closed, or another worker holds a live lease), and ``failed=True``
    (the round marked failed, the error kept) when loading or computing raised.

    Once the round is published (committed: pages show it), its results are explained
    (:mod:`simshop.services.explanations`) in the same step, in transactions of their own;
    ``explain=False`` leaves that to ``tick``, and so does ``explain_max_teams`` for a round
    of more teams (a web request should not wait a minute for 200 teams' explanations). A
    failure there never unpublishes the round: it is logged and ``tick`` tries again."""
    worker = worker or worker_id()
    started = time.perf_counter()
    if not claim_round(session, round_id, worker, lease_seconds=lease_seconds):
        return ProcessOutcome(round_id, claimed=False)
    return process_claimed_round(
        session,
        round_id,
        worker,
        started=started,
        explain=explain,
        explain_max_teams=explain_max_teams,
    )


def process_claimed_round(
    session: Session,
    round_id: int,
    worker: str,
    *,
    started: float | None = None,
    explain: bool = True,
    explain_max_teams: int | None = None,
) -> ProcessOutcome:
    """Compute and publish a round this worker has claimed (see :func:`process_round`)."""
    started = started if started is not None else time.perf_counter()
    t_claim = time.perf_counter()
    try:
        inputs = load_round_inputs(session, round_id)
        end_read(session)  # compute holds no lock
        t_load = time.perf_counter()
        computed = compute_round(inputs)
    except Exception as exc:
        end_read(session)
        log.exception("processing round %s failed", round_id)
        mark_failed(session, round_id, worker, exc)
        return ProcessOutcome(round_id, claimed=True, failed=True, error=str(exc))
    t_compute = time.perf_counter()
    publish_round(session, round_id, worker, computed)
    t_publish = time.perf_counter()
    explained = False
    if explain and (explain_max_teams is None or len(computed.rows) <= explain_max_teams):
        try:
            stored = explanations.explain_published_round(session, round_id, worker)
            explained = stored is not None
        except Exception:
            log.exception("explaining round %s failed; tick will try again", round_id)
            end_read(session)
    t_explain = time.perf_counter()
    return ProcessOutcome(
        round_id,
        claimed=True,
        published=True,
        elapsed_ms=int((t_publish - started) * 1000),
        teams=len(computed.rows),
        explained=explained,
        timings={
            "claim_s": t_claim - started,
            "load_s": t_load - t_claim,
            "compute_s": t_compute - t_load,
            "publish_s": t_publish - t_compute,
            "explain_s": t_explain - t_publish,
        },
    )
