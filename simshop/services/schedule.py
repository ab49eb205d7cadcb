"""Moving rounds through their lifecycle: the instructor's actions and the clock (``tick``).

Every transition is one guarded ``UPDATE ... WHERE status IN (<from-states>)`` whose row
count says whether it happened, so two instructors (or an instructor and ``tick``) clicking
at once cannot both win. The from-states come from the lifecycle table
(:mod:`simshop.services.lifecycle`); instructor actions are also refused once the game has
ended. Each action is one unit of work: a refusal raises :class:`GameError` and nothing is
written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from simshop.models import Game, GameStatus, Round, RoundResult, ScheduleMode
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import explanations, lifecycle
from simshop.services.games import GameError, game_scenario
from simshop.services.lifecycle import CLOSED, OPEN, PROCESSING, PUBLISHED, SCHEDULED
from simshop.services.live import bump_results_version
from simshop.services.rounds import (
    DEFAULT_LEASE_SECONDS,
    ProcessOutcome,
    claim_next_round,
    guarded_update,
    process_claimed_round,
    process_round,
    rowcount,
    worker_id,
)
from simshop.services.uow import end_read, unit_of_work

log = logging.getLogger(__name__)


def _previous_published(number: int, game_id: int) -> Any:
    if number == 1:
        return true()
    prev = aliased(Round)
    return exists().where(
        prev.game_id == game_id, prev.number == number - 1, prev.status == PUBLISHED
    )


def _game_not_ended(game_id: int) -> Any:
    return exists().where(Game.id == game_id, Game.status != GameStatus.ENDED.value)


def _transition(
    session: Session, rnd: Round, action: str, *, where: Any = None, **values: Any
) -> Round:
    """Apply ``action`` to ``rnd`` if the table allows it from the round's state (and the
    game has not ended); else raise ``GameError('cannot_<action>')``."""
    guard = Round.status.in_(lifecycle.sources(action))
    if lifecycle.needs_running_game(action):
        guard = and_(guard, _game_not_ended(rnd.game_id))
    if where is not None:
        guard = and_(guard, where)
    if not guarded_update(session, rnd.id, guard, **values):
        raise GameError(f"cannot_{action}")
    session.flush()
    session.refresh(rnd)
    return rnd


def _refuse_past(deadline: datetime | None, now: datetime) -> None:
    deadline = as_utc(deadline)
    if deadline is not None and deadline <= now:
        raise GameError("deadline_past", "deadline")


@unit_of_work
def open_round(session: Session, game: Game, rnd: Round, *, now: datetime | None = None) -> Round:
    """Open a scheduled round whose previous round is published (the first round starts the
    game). In deadline mode the round's deadline must still be ahead."""
    now = now or utcnow()
    _refuse_past(rnd.deadline, now)
    where = _previous_published(rnd.number, game.id)
    _transition(session, rnd, "open", where=where, status=OPEN, opened_at=now)
    session.execute(
        update(Game)
        .where(Game.id == game.id, Game.status == GameStatus.SETUP.value)
        .values(status=GameStatus.RUNNING.value, started_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(game)
    return rnd


@unit_of_work
def close_round(session: Session, rnd: Round, *, now: datetime | None = None) -> Round:
    """Close an open round now. The round row is locked first, so the close time is taken
    after every decision that got in before it committed."""
    session.execute(select(Round.id).where(Round.id == rnd.id).with_for_update())
    now = now or utcnow()
    return _transition(session, rnd, "close", status=CLOSED, closed_at=now)


def _due(now: datetime) -> Any:
    return and_(
        Round.status.in_(lifecycle.sources("deadline_close")),
        Round.deadline.is_not(None),
        Round.deadline <= now,
    )


@unit_of_work
def close_due_rounds(
    session: Session, *, game_id: int | None = None, now: datetime | None = None
) -> int:
    """Close every open round whose deadline has passed (one UPDATE); returns how many."""
    now = now or utcnow()
    stmt = (
        update(Round)
        .where(_due(now))
        .values(status=CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if game_id is not None:
        stmt = stmt.where(Round.game_id == game_id)
    return rowcount(session.execute(stmt))


def close_due_rounds_of(session: Session, game_id: int, *, now: datetime | None = None) -> int:
    """What a page view does before it shows a game's rounds: close the ones past their
    deadline. A read first; the short write transaction runs only when a round is overdue
    (once per deadline), so page views never queue for the write lock otherwise."""
    now = now or utcnow()
    if session.scalar(select(Round.id).where(Round.game_id == game_id, _due(now)).limit(1)):
        return close_due_rounds(session, game_id=game_id, now=now)
    return 0


@unit_of_work
def hold_round(session: Session, rnd: Round) -> Round:
    """Stop an open or closed round where it is: no deadline close, no processing."""
    return _transition(session, rnd, "hold", status=lifecycle.HELD, held_from=rnd.status)


@unit_of_work
def release_round(session: Session, rnd: Round, *, now: datetime | None = None) -> Round:
    """Undo a hold. A round held while open reopens; if its deadline passed meanwhile, the
    deadline is dropped (the instructor closes it, or sets a new one)."""
    now = now or utcnow()
    back = rnd.held_from or CLOSED
    values: dict[str, Any] = {"status": back, "held_from": None}
    deadline = as_utc(rnd.deadline)
    if back == OPEN and deadline is not None and deadline <= now:
        values["deadline"] = None
    return _transition(session, rnd, "release", **values)


@unit_of_work
def reopen_round(session: Session, rnd: Round, *, deadline: datetime | None = None) -> Round:
    """Open a closed (or failed) round again: teams may change their decisions."""
    _refuse_past(deadline, utcnow())
    return _transition(
        session, rnd, "reopen", status=OPEN, closed_at=None, deadline=deadline, failure=None
    )


@unit_of_work
def retry_round(session: Session, rnd: Round) -> Round:
    """Put a failed round back to 'closed' (after the cause was fixed), so the next "Process
    now" or tick processes it again."""
    return _transition(
        session, rnd, "retry", status=CLOSED, failure=None, lease_owner=None, lease_until=None
    )


@unit_of_work
def set_deadline(session: Session, rnd: Round, deadline: datetime | None) -> Round:
    """Change a round's deadline (None: manual close). Only before it closes."""
    _refuse_past(deadline, utcnow())
    try:
        return _transition(session, rnd, "deadline", deadline=deadline)
    except GameError:
        raise GameError("cannot_set_deadline") from None


@unit_of_work
def unpublish_for_reprocessing(session: Session, game: Game, rnd: Round) -> Round:
    """Take the latest published round back to 'closed' and delete its results, in one
    transaction, so it can be processed again (same seed: same results unless decisions
    changed). Refused when a later round is processing or published, or the game ended."""
    later = aliased(Round)
    blocked = exists().where(
        later.game_id == game.id,
        later.number > rnd.number,
        later.status.in_([PROCESSING, PUBLISHED]),
    )
    session.execute(delete(RoundResult).where(RoundResult.round_id == rnd.id))
    explanations.forget(session, rnd.id)
    bump_results_version(session, game.id)
    return _transition(
        session,
        rnd,
        "reprocess",
        where=~blocked,
        status=CLOSED,
        published_at=None,
        market_stats=None,
        events=None,
        standings=None,
        lease_owner=None,
        lease_until=None,
    )


def refuse_unless_allowed(session: Session, rnd: Round, action: str) -> None:
    """Raise ``GameError('cannot_<action>')`` unless the lifecycle allows ``action`` on
    ``rnd`` now (its state, its game, the action's guard)."""
    if not lifecycle.allows(rnd, action):
        end_read(session)
        raise GameError(f"cannot_{action}")


INLINE_EXPLAIN_TEAM_MARKETS = 60
"""How much explaining the instructor's "Process now" does while the instructor waits: the
round is explained in the same request when its teams times the scenario's markets is at most
this; a larger round is published at once and explained by the next ``tick``.

An explanation replays the round 40-150 times, and each replay costs about as much as the
round: measured on a 2-core machine (``bench/bench_explain.py``, round 3 against round 2),
0.13-0.18 s per team and market (tutorial: 40 teams 11.6 s; currency-swings, 3 markets: 10
teams 5.7 s, 40 teams 21.6 s; festivals, 5 markets: 10 teams 9.1 s, 40 teams 31.3 s, past
gunicorn's 30 s default timeout). 60 team-markets keep the wait near 10 s."""


def inline_explain_teams(game: Game) -> int:
    """The most teams (bots included) whose round "Process now" explains in the same
    request (:data:`INLINE_EXPLAIN_TEAM_MARKETS`), at least one."""
    markets = len(game_scenario(game).markets)
    return max(1, INLINE_EXPLAIN_TEAM_MARKETS // max(1, markets))


def process_now(session: Session, game: Game, rnd: Round) -> ProcessOutcome:
    """The instructor's "Process now": close the round if it is open, then process it (also
    a round whose processor died: its lease expired)."""
    refuse_unless_allowed(session, rnd, "process")
    cap = inline_explain_teams(game)
    if rnd.status == OPEN:
        close_round(session, rnd)
    return process_round(session, rnd.id, explain_max_teams=cap)


def reprocess_round(session: Session, game: Game, rnd: Round) -> ProcessOutcome:
    """ "Process again": take the latest published round back and process it at once."""
    cap = inline_explain_teams(game)
    unpublish_for_reprocessing(session, game, rnd)
    return process_round(session, rnd.id, explain_max_teams=cap)


SIMPLE_ACTIONS: dict[str, Callable[[Session, Game, Round], Round]] = {
    "open": lambda s, g, r: open_round(s, g, r),
    "close": lambda s, g, r: close_round(s, r),
    "hold": lambda s, g, r: hold_round(s, r),
    "release": lambda s, g, r: release_round(s, r),
    "reopen": lambda s, g, r: reopen_round(s, r),
    "retry": lambda s, g, r: retry_round(s, r),
}
"""The instructor's one-click actions on a round (the others take more than the round)."""


def apply_action(session: Session, game: Game, rnd: Round, action: str) -> Round:
    """Take one of :data:`SIMPLE_ACTIONS`; refusals raise :class:`GameError`."""
    return SIMPLE_ACTIONS[action](session, game, rnd)


# --------------------------------------------------------------------------- the clock


@unit_of_work
def open_next_rounds(session: Session, *, now: datetime | None = None) -> list[int]:
    """In running deadline-mode games, open the next round once the previous one is
    published (if its deadline is still ahead). Returns the opened round ids."""
    now = now or utcnow()
    prev = aliased(Round)
    candidates = session.execute(
        select(Round.id, Round.game_id)
        .join(Game, Game.id == Round.game_id)
        .join(prev, and_(prev.game_id == Round.game_id, prev.number == Round.number - 1))
        .where(
            Game.status == GameStatus.RUNNING.value,
            Game.schedule == ScheduleMode.DEADLINES.value,
            Round.status == SCHEDULED,
            prev.status == PUBLISHED,
            or_(Round.deadline.is_(None), Round.deadline > now),
        )
    ).all()
    guard = Round.status.in_(lifecycle.sources("open"))
    return [
        round_id
        for round_id, game_id in candidates
        if guarded_update(
            session, round_id, and_(guard, _game_not_ended(game_id)), status=OPEN, opened_at=now
        )
    ]


@dataclass
class TickReport:
    closed: int = 0
    processed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    explained: list[int] = field(default_factory=list)


def tick(
    session: Session,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    explain: bool = True,
) -> TickReport:
    """What cron runs every minute (or ``tick --loop`` every few seconds): close due rounds,
    process closed ones (and ones whose processor died: expired leases), then open the next
    rounds of deadline-mode games, then explain published rounds still without an explanation
    (normally none: processing explains right after publishing). ``explain=False`` (``tick
    --no-explain``) only publishes: a worker that leaves every explanation to the others.
    Rounds are claimed one at a time (:func:`~simshop.services.rounds.claim_next_round`), so
    several ticks running at once share the work: each round is processed by exactly one of
    them.

    One round's failure never stops the others: a round whose processing raises is marked
    'failed' (see :func:`simshop.services.rounds.process_round`) and the tick goes on."""
    report = TickReport()
    report.closed = close_due_rounds(session)
    tried: set[int] = set()
    while True:
        worker = worker_id()
        round_id = claim_next_round(session, worker, lease_seconds=lease_seconds)
        if round_id is None or round_id in tried:  # none left (or one this tick lost)
            break
        tried.add(round_id)
        try:
            outcome = process_claimed_round(session, round_id, worker, explain=explain)
        except Exception:  # e.g. the database went away mid-publish: the lease expires
            log.exception("tick: processing round %s failed", round_id)
            end_read(session)
            report.skipped.append(round_id)
            continue
        if outcome.published:
            report.processed.append(round_id)
        else:
            report.failed.append(round_id)
    report.opened = open_next_rounds(session)
    if explain:
        report.explained = explanations.explain_pending(session, worker_id())
    return report
