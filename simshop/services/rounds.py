"""Rounds: open, close, hold, decisions, and processing with a lease.

Lifecycle: scheduled -> open -> closed -> processing -> published (plus held, and cancelled
when a game ends). Every transition is one guarded ``UPDATE ... WHERE status = ...`` whose
row count says whether it happened, so two instructors (or an instructor and ``tick``)
clicking at once cannot both win.

Decisions are accepted only while their round is open, checked *in the same statement* that
writes them (``INSERT ... SELECT ... WHERE EXISTS (open round) ON CONFLICT DO UPDATE``; the
round row is share-locked on PostgreSQL, and SQLite runs every transaction under
``BEGIN IMMEDIATE``). UNIQUE(round_id, team_id): the last save wins.

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
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from simshop.engine.bots import STRATEGIES, make_view
from simshop.engine.decisions import (
    DecisionErrors,
    DecisionSheet,
    carry_over,
    empty_decisions,
    validate_decisions,
)
from simshop.engine.headless import json_safe
from simshop.engine.market import simulate_round
from simshop.engine.scenario import Scenario
from simshop.engine.scoring import standings, team_metrics
from simshop.engine.state import GameState, TeamState, initial_team_state
from simshop.models import (
    Decision,
    DecisionSource,
    Game,
    GameStatus,
    Player,
    Round,
    RoundResult,
    RoundStatus,
    ScheduleMode,
    Team,
    User,
)
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services.games import GameError, game_scenario

DEFAULT_LEASE_SECONDS = 300

OPEN = RoundStatus.OPEN.value
CLOSED = RoundStatus.CLOSED.value
PROCESSING = RoundStatus.PROCESSING.value
PUBLISHED = RoundStatus.PUBLISHED.value
SCHEDULED = RoundStatus.SCHEDULED.value
HELD = RoundStatus.HELD.value


class RoundNotOpenError(GameError):
    """The round is not open (closed, held, not yet open, or its deadline passed)."""

    def __init__(self) -> None:
        super().__init__("round_not_open")


class LeaseLostError(GameError):
    """Another worker took the round over; this worker's results were rolled back."""

    def __init__(self) -> None:
        super().__init__("lease_lost")


def worker_id() -> str:
    """A name for this processor: host, process and a random suffix (unique per call)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _guarded_update(session: Session, round_id: int, where: Any, **values: Any) -> bool:
    result = session.execute(
        update(Round)
        .where(Round.id == round_id, where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


# --------------------------------------------------------------------------- finding


def rounds_of(session: Session, game: Game) -> list[Round]:
    return list(
        session.scalars(select(Round).where(Round.game_id == game.id).order_by(Round.number))
    )


def current_round(session: Session, game: Game) -> Round | None:
    """The round students work on: the open/held/closed/processing one, else the next
    scheduled one, else the last one."""
    rounds = rounds_of(session, game)
    for status in (OPEN, HELD, CLOSED, PROCESSING):
        for rnd in rounds:
            if rnd.status == status:
                return rnd
    for rnd in rounds:
        if rnd.status == SCHEDULED:
            return rnd
    return rounds[-1] if rounds else None


def last_published(session: Session, game: Game) -> Round | None:
    return session.scalar(
        select(Round)
        .where(Round.game_id == game.id, Round.status == PUBLISHED)
        .order_by(Round.number.desc())
        .limit(1)
    )


def round_of_game(session: Session, game: Game, round_id: int) -> Round | None:
    rnd = session.get(Round, round_id)
    return rnd if rnd is not None and rnd.game_id == game.id else None


# --------------------------------------------------------------------------- transitions


def _previous_published(number: int, game_id: int) -> Any:
    if number == 1:
        return true()
    prev = aliased(Round)
    return exists().where(
        prev.game_id == game_id, prev.number == number - 1, prev.status == PUBLISHED
    )


def _game_not_ended(game_id: int) -> Any:
    return exists().where(Game.id == game_id, Game.status != GameStatus.ENDED.value)


def open_round(session: Session, game: Game, rnd: Round, *, now: datetime | None = None) -> Round:
    """Open a scheduled round whose previous round is published (the first round starts the
    game). In deadline mode the round's deadline must still be ahead."""
    now = now or utcnow()
    deadline = as_utc(rnd.deadline)
    if deadline is not None and deadline <= now:
        session.rollback()
        raise GameError("deadline_past", "deadline")
    ok = _guarded_update(
        session,
        rnd.id,
        and_(
            Round.status == SCHEDULED,
            _previous_published(rnd.number, game.id),
            _game_not_ended(game.id),
        ),
        status=OPEN,
        opened_at=now,
    )
    if not ok:
        session.rollback()
        raise GameError("cannot_open")
    session.execute(
        update(Game)
        .where(Game.id == game.id, Game.status == GameStatus.SETUP.value)
        .values(status=GameStatus.RUNNING.value, started_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(rnd)
    session.refresh(game)
    return rnd


def close_round(session: Session, rnd: Round, *, now: datetime | None = None) -> Round:
    """Close an open round now. The round row is locked first, so the close time is taken
    after every decision that got in before it committed."""
    session.execute(select(Round.id).where(Round.id == rnd.id).with_for_update())
    now = now or utcnow()
    if not _guarded_update(session, rnd.id, Round.status == OPEN, status=CLOSED, closed_at=now):
        session.rollback()
        raise GameError("cannot_close")
    session.commit()
    session.refresh(rnd)
    return rnd


def close_due_rounds(
    session: Session, *, game_id: int | None = None, now: datetime | None = None
) -> int:
    """Close every open round whose deadline has passed (one UPDATE); returns how many."""
    now = now or utcnow()
    stmt = (
        update(Round)
        .where(Round.status == OPEN, Round.deadline.is_not(None), Round.deadline <= now)
        .values(status=CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if game_id is not None:
        stmt = stmt.where(Round.game_id == game_id)
    count = _rowcount(session.execute(stmt))
    session.commit()
    return count


def hold_round(session: Session, rnd: Round) -> Round:
    """Stop an open or closed round where it is: no deadline close, no processing."""
    if not _guarded_update(
        session, rnd.id, Round.status.in_([OPEN, CLOSED]), status=HELD, held_from=rnd.status
    ):
        session.rollback()
        raise GameError("cannot_hold")
    session.commit()
    session.refresh(rnd)
    return rnd


def release_round(session: Session, rnd: Round, *, now: datetime | None = None) -> Round:
    """Undo a hold. A round held while open reopens; if its deadline passed meanwhile, the
    deadline is dropped (the instructor closes it, or sets a new one)."""
    now = now or utcnow()
    back = rnd.held_from or CLOSED
    values: dict[str, Any] = {"status": back, "held_from": None}
    deadline = as_utc(rnd.deadline)
    if back == OPEN and deadline is not None and deadline <= now:
        values["deadline"] = None
    if not _guarded_update(session, rnd.id, Round.status == HELD, **values):
        session.rollback()
        raise GameError("cannot_release")
    session.commit()
    session.refresh(rnd)
    return rnd


def reopen_round(session: Session, rnd: Round, *, deadline: datetime | None = None) -> Round:
    """Open a closed round again (teams may change their decisions)."""
    now = utcnow()
    if deadline is not None and deadline <= now:
        session.rollback()
        raise GameError("deadline_past", "deadline")
    if not _guarded_update(
        session,
        rnd.id,
        and_(Round.status == CLOSED, _game_not_ended(rnd.game_id)),
        status=OPEN,
        closed_at=None,
        deadline=deadline,
    ):
        session.rollback()
        raise GameError("cannot_reopen")
    session.commit()
    session.refresh(rnd)
    return rnd


def set_deadline(session: Session, rnd: Round, deadline: datetime | None) -> Round:
    """Change a round's deadline (None: manual close). Only before it closes."""
    if deadline is not None and deadline <= utcnow():
        session.rollback()
        raise GameError("deadline_past", "deadline")
    if not _guarded_update(
        session, rnd.id, Round.status.in_([SCHEDULED, OPEN, HELD]), deadline=deadline
    ):
        session.rollback()
        raise GameError("cannot_set_deadline")
    session.commit()
    session.refresh(rnd)
    return rnd


def unpublish_for_reprocessing(session: Session, game: Game, rnd: Round) -> Round:
    """Take the latest published round back to 'closed' and delete its results, in one
    transaction, so it can be processed again (same seed: same results unless decisions
    changed). Refused when a later round is processing or published."""
    later = aliased(Round)
    blocked = exists().where(
        later.game_id == game.id,
        later.number > rnd.number,
        later.status.in_([PROCESSING, PUBLISHED]),
    )
    if not _guarded_update(
        session,
        rnd.id,
        and_(Round.status == PUBLISHED, ~blocked),
        status=CLOSED,
        published_at=None,
        market_stats=None,
        events=None,
        standings=None,
        lease_owner=None,
        lease_until=None,
    ):
        session.rollback()
        raise GameError("cannot_reprocess")
    session.execute(delete(RoundResult).where(RoundResult.round_id == rnd.id))
    session.commit()
    session.refresh(rnd)
    return rnd


# --------------------------------------------------------------------------- state


def state_source_round(session: Session, rnd: Round) -> Round | None:
    """The round whose results hold the state before ``rnd`` (None: the initial state)."""
    if rnd.number == 1:
        return None
    prev = session.scalar(
        select(Round).where(Round.game_id == rnd.game_id, Round.number == rnd.number - 1)
    )
    if prev is None or (prev.is_practice and not rnd.is_practice):
        return None  # after the practice rounds everything starts afresh
    return prev


def fresh_team_state(scenario: Scenario, team_id: str, rnd: Round) -> TeamState:
    team = initial_team_state(scenario, team_id)
    team.round_no = rnd.scenario_round - 1
    return team


def team_state_before(
    session: Session, game: Game, rnd: Round, team: Team, scenario: Scenario | None = None
) -> TeamState:
    """The team's state at the start of ``rnd`` (what its decisions are checked against)."""
    scenario = scenario or game_scenario(game)
    prev = state_source_round(session, rnd)
    if prev is not None:
        saved = session.scalar(
            select(RoundResult.end_state).where(
                RoundResult.round_id == prev.id, RoundResult.team_id == team.id
            )
        )
        if saved is not None:
            return TeamState.from_dict(saved)
    return fresh_team_state(scenario, team.engine_id, rnd)


def _participants(session: Session, game: Game, prev: Round | None) -> list[Team]:
    """Bots, teams with members, and teams that played the previous round."""
    played = select(RoundResult.team_id).where(RoundResult.round_id == (prev.id if prev else -1))
    stmt = (
        select(Team)
        .where(
            Team.game_id == game.id,
            or_(Team.is_bot.is_(True), Team.member_count > 0, Team.id.in_(played)),
        )
        .order_by(Team.id)
    )
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class SavedDecision:
    round_id: int
    team_id: int
    saved_at: datetime
    sheet: DecisionSheet


def _upsert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def submit_decision(
    session: Session, user: User, team: Team, rnd: Round, raw: dict[str, Any]
) -> SavedDecision:
    """Validate ``raw`` against the scenario and the team's state and save it as the team's
    decision for ``rnd`` (replacing an earlier save).

    Raises :class:`DecisionErrors` (nothing saved) or :class:`RoundNotOpenError` when the
    round is not open at the moment of writing.
    """
    game = session.get(Game, rnd.game_id)
    assert game is not None and team.game_id == game.id
    if rnd.status != OPEN:
        session.rollback()
        raise RoundNotOpenError()
    scenario = game_scenario(game)
    state = team_state_before(session, game, rnd, team, scenario)
    round_id, team_id, user_id = rnd.id, team.id, user.id
    # End the read transaction before validating: on SQLite it holds the write lock.
    session.rollback()
    sheet = validate_decisions(scenario, state, raw)
    session.execute(select(Round.id).where(Round.id == round_id))  # BEGIN (IMMEDIATE)
    # The transaction began with the reads above (BEGIN IMMEDIATE on SQLite), so this
    # timestamp is taken while no close can commit.
    now = utcnow()
    still_open = (
        select(Round.id)
        .where(
            Round.id == round_id,
            Round.status == OPEN,
            or_(Round.deadline.is_(None), Round.deadline > now),
        )
        .with_for_update(read=True)
        .exists()
    )
    payload = sheet.to_dict()
    stmt = _upsert(session)(Decision).from_select(
        ["round_id", "team_id", "payload", "saved_by_id", "saved_at", "save_count"],
        _decision_select(round_id, team_id, payload, user_id, now).where(still_open),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["round_id", "team_id"],
        set_={
            "payload": stmt.excluded.payload,
            "saved_by_id": stmt.excluded.saved_by_id,
            "saved_at": stmt.excluded.saved_at,
            "save_count": Decision.save_count + 1,
        },
    )
    # psycopg 3 reports no rowcount for an INSERT without RETURNING once SQLAlchemy has
    # closed the cursor (-1: "nothing written"); preserve_rowcount keeps the real count
    # (sqlalchemy/sqlalchemy#10696, #10974). pysqlite reports it either way.
    stmt = stmt.execution_options(preserve_rowcount=True)
    if _rowcount(session.execute(stmt)) != 1:
        session.rollback()
        raise RoundNotOpenError()
    session.commit()
    return SavedDecision(round_id, team_id, now, sheet)


def _decision_select(round_id: int, team_id: int, payload: dict, user_id: int, now: datetime):
    return select(
        literal(round_id, Decision.round_id.type),
        literal(team_id, Decision.team_id.type),
        bindparam("payload", payload, type_=Decision.payload.type),
        literal(user_id, Decision.saved_by_id.type),
        literal(now, Decision.saved_at.type),
        literal(1, Decision.save_count.type),
    )


def saved_decision(session: Session, rnd: Round, team: Team) -> Decision | None:
    return session.scalar(
        select(Decision).where(Decision.round_id == rnd.id, Decision.team_id == team.id)
    )


def sheet_for_form(
    session: Session, game: Game, rnd: Round, team: Team
) -> tuple[DecisionSheet, Decision | None]:
    """What the decision form shows: the saved sheet, else what carry-over would use."""
    saved = saved_decision(session, rnd, team)
    if saved is not None:
        return DecisionSheet.from_dict(saved.payload), saved
    state = team_state_before(session, game, rnd, team)
    return carry_over(state.last_decisions), None


@dataclass(frozen=True)
class SubmissionRow:
    team: Team
    members: int
    saved_at: datetime | None
    saved_by: str | None
    save_count: int


def submission_status(session: Session, game: Game, rnd: Round | None) -> list[SubmissionRow]:
    """Per team (bots excluded): who saved decisions for ``rnd`` and when."""
    teams = list(
        session.scalars(
            select(Team).where(Team.game_id == game.id, Team.is_bot.is_(False)).order_by(Team.id)
        )
    )
    saved: dict[int, tuple[datetime, str | None, int]] = {}
    if rnd is not None:
        rows = session.execute(
            select(Decision.team_id, Decision.saved_at, User.display_name, Decision.save_count)
            .outerjoin(User, User.id == Decision.saved_by_id)
            .where(Decision.round_id == rnd.id)
        )
        for team_id, saved_at, name, count in rows:
            saved[team_id] = (as_utc(saved_at), name, count)
    out = []
    for team in teams:
        at, name, count = saved.get(team.id, (None, None, 0))
        out.append(SubmissionRow(team, team.member_count, at, name, count))
    return out


# --------------------------------------------------------------------------- processing


def engine_seed(game: Game, rnd: Round) -> int:
    """The seed handed to the engine, which derives the round's generator from (this seed,
    scenario round). Practice rounds get a seed of their own, so round 1 differs from
    practice round 1."""
    if not rnd.is_practice:
        return int(game.seed)
    digest = hashlib.sha256(f"{game.seed}:practice".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


@dataclass
class RoundInputs:
    """Everything processing needs, loaded in one read transaction."""

    game_id: int
    round_id: int
    scenario: Scenario
    seed: int
    weights: dict[str, float]
    state: GameState
    submitted: dict[str, dict[str, Any]]
    bots: dict[str, str]
    market_history: list[dict[str, Any]]
    own_results: dict[str, list[dict[str, Any]]]


@dataclass
class ComputedRound:
    rows: list[dict[str, Any]]
    market_stats: dict[str, Any]
    events: list[dict[str, Any]]
    standings: list[dict[str, Any]]
    seed: int
    elapsed_ms: int = 0


def load_round_inputs(session: Session, round_id: int) -> RoundInputs:
    rnd = session.get(Round, round_id)
    assert rnd is not None
    game = session.get(Game, rnd.game_id)
    assert game is not None
    scenario = game_scenario(game)
    prev = state_source_round(session, rnd)
    teams = _participants(session, game, prev)
    states: dict[str, TeamState] = {}
    if prev is not None:
        for team_id, end_state in session.execute(
            select(RoundResult.team_id, RoundResult.end_state).where(
                RoundResult.round_id == prev.id
            )
        ):
            states[str(team_id)] = TeamState.from_dict(end_state)
    for team in teams:
        if team.engine_id not in states:
            states[team.engine_id] = fresh_team_state(scenario, team.engine_id, rnd)
    state = GameState(round_no=rnd.scenario_round - 1, teams=dict(sorted(states.items())))
    submitted = {
        str(team_id): payload
        for team_id, payload in session.execute(
            select(Decision.team_id, Decision.payload).where(Decision.round_id == rnd.id)
        )
        if str(team_id) in states
    }
    bots = {t.engine_id: t.bot_strategy or "cost_plus" for t in teams if t.is_bot}
    history: list[dict[str, Any]] = []
    own: dict[str, list[dict[str, Any]]] = {tid: [] for tid in bots}
    if bots:
        phase = (
            select(Round)
            .where(
                Round.game_id == game.id,
                Round.number < rnd.number,
                Round.is_practice.is_(rnd.is_practice),
                Round.status == PUBLISHED,
            )
            .order_by(Round.number)
        )
        past = list(session.scalars(phase))
        history = [r.market_stats or {} for r in past]
        bot_ids = [int(t) for t in bots]
        results = session.execute(
            select(RoundResult.team_id, RoundResult.result)
            .join(Round, Round.id == RoundResult.round_id)
            .where(RoundResult.round_id.in_([r.id for r in past]), RoundResult.team_id.in_(bot_ids))
            .order_by(Round.number)
        )
        for team_id, result in results:
            own[str(team_id)].append(result)
    return RoundInputs(
        game_id=game.id,
        round_id=rnd.id,
        scenario=scenario,
        seed=engine_seed(game, rnd),
        weights=dict(game.scoring_weights or scenario.scoring.as_dict()),
        state=state,
        submitted=submitted,
        bots=bots,
        market_history=history,
        own_results=own,
    )


def compute_round(inputs: RoundInputs) -> ComputedRound:
    """Run bots, the engine and the standings. Pure: no database."""
    started = time.perf_counter()
    sc, state = inputs.scenario, inputs.state
    sheets: dict[str, DecisionSheet] = {}
    sources: dict[str, str] = {}
    n_teams = len(state.teams)
    for tid, team in state.teams.items():
        if tid in inputs.bots:
            strategy = STRATEGIES[inputs.bots[tid]]()
            view = make_view(sc, team, n_teams, inputs.market_history, inputs.own_results[tid])
            try:
                sheets[tid] = validate_decisions(sc, team, strategy.decide(view))
            except DecisionErrors:
                sheets[tid] = empty_decisions()
            sources[tid] = DecisionSource.BOT.value
            continue
        raw = inputs.submitted.get(tid)
        if raw is not None:
            try:
                sheets[tid] = validate_decisions(sc, team, raw)
                sources[tid] = DecisionSource.SUBMITTED.value
                continue
            except DecisionErrors:
                pass  # the state changed under it (a re-processed earlier round): carry over
        sheets[tid] = carry_over(team.last_decisions)
        sources[tid] = DecisionSource.CARRIED.value
    result = simulate_round(sc, state, sheets, inputs.seed)
    table = standings(team_metrics(sc, result.state), inputs.weights)
    by_team = {row["team_id"]: row for row in table}
    rows = []
    for tid in sorted(result.teams):
        rows.append(
            {
                "team_id": int(tid),
                "result": json_safe(result.teams[tid].to_dict()),
                "end_state": json_safe(result.state.teams[tid].to_dict()),
                "decisions_used": sheets[tid].to_dict(),
                "decision_source": sources[tid],
                "rank": by_team[tid]["rank"],
                "score": by_team[tid]["score"],
            }
        )
    summary = json_safe(result.to_dict())
    return ComputedRound(
        rows=rows,
        market_stats=summary["markets"],
        events=summary["events"],
        standings=json_safe(table),
        seed=inputs.seed,
        elapsed_ms=int((time.perf_counter() - started) * 1000),
    )


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
    result = session.execute(
        update(Round)
        .where(
            Round.id == round_id,
            or_(
                Round.status == CLOSED,
                and_(Round.status == PROCESSING, Round.lease_until < now),
            ),
        )
        .values(
            status=PROCESSING,
            lease_owner=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
            process_count=Round.process_count + 1,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = _rowcount(result) == 1
    session.commit()
    return claimed


def publish_round(
    session: Session,
    round_id: int,
    worker: str,
    computed: ComputedRound,
) -> None:
    """Write every result and mark the round published, in one transaction, fenced by the
    lease owner. Raises :class:`LeaseLostError` (and writes nothing) if the lease is gone."""
    now = utcnow()
    try:
        rows = [{"round_id": round_id, **row} for row in computed.rows]
        if rows:
            session.execute(insert(RoundResult), rows)
        published = _guarded_update(
            session,
            round_id,
            and_(Round.status == PROCESSING, Round.lease_owner == worker),
            status=PUBLISHED,
            published_at=now,
            lease_owner=None,
            lease_until=None,
            market_stats=computed.market_stats,
            events=computed.events,
            standings=computed.standings,
            seed=computed.seed,
            processing_ms=computed.elapsed_ms,
        )
        if not published:
            raise LeaseLostError()
        session.commit()
    except BaseException:
        session.rollback()
        raise


@dataclass
class ProcessOutcome:
    round_id: int
    claimed: bool
    published: bool = False
    elapsed_ms: int = 0
    teams: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def process_round(
    session: Session,
    round_id: int,
    *,
    worker: str | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> ProcessOutcome:
    """Claim, compute and publish one round. Returns ``claimed=False`` when the round is not
    processable now (not closed, or another worker holds a live lease)."""
    worker = worker or worker_id()
    started = time.perf_counter()
    if not claim_round(session, round_id, worker, lease_seconds=lease_seconds):
        return ProcessOutcome(round_id, claimed=False)
    t_claim = time.perf_counter()
    inputs = load_round_inputs(session, round_id)
    session.rollback()  # end the read transaction: compute holds no lock
    t_load = time.perf_counter()
    computed = compute_round(inputs)
    t_compute = time.perf_counter()
    publish_round(session, round_id, worker, computed)
    t_publish = time.perf_counter()
    return ProcessOutcome(
        round_id,
        claimed=True,
        published=True,
        elapsed_ms=int((t_publish - started) * 1000),
        teams=len(computed.rows),
        timings={
            "claim_s": t_claim - started,
            "load_s": t_load - t_claim,
            "compute_s": t_compute - t_load,
            "publish_s": t_publish - t_compute,
        },
    )


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
    opened = []
    for round_id, game_id in candidates:
        if _guarded_update(
            session,
            round_id,
            and_(Round.status == SCHEDULED, _game_not_ended(game_id)),
            status=OPEN,
            opened_at=now,
        ):
            opened.append(round_id)
    session.commit()
    return opened


def processable_rounds(session: Session, *, now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    ids = list(
        session.scalars(
            select(Round.id)
            .where(
                or_(
                    Round.status == CLOSED,
                    and_(Round.status == PROCESSING, Round.lease_until < now),
                )
            )
            .order_by(Round.game_id, Round.number)
        )
    )
    session.rollback()
    return ids


@dataclass
class TickReport:
    closed: int = 0
    processed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)


def tick(
    session: Session,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> TickReport:
    """What cron runs every minute: close due rounds, process closed ones (and ones whose
    processor died: expired leases), then open the next rounds of deadline-mode games."""
    report = TickReport()
    report.closed = close_due_rounds(session)
    for round_id in processable_rounds(session):
        outcome = process_round(session, round_id, lease_seconds=lease_seconds)
        (report.processed if outcome.published else report.skipped).append(round_id)
    report.opened = open_next_rounds(session)
    return report


# --------------------------------------------------------------------------- results


def team_result(session: Session, rnd: Round, team: Team) -> RoundResult | None:
    return session.scalar(
        select(RoundResult).where(RoundResult.round_id == rnd.id, RoundResult.team_id == team.id)
    )


def published_rounds(session: Session, game: Game) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .where(Round.game_id == game.id, Round.status == PUBLISHED)
            .order_by(Round.number)
        )
    )


def team_names(session: Session, game: Game) -> dict[str, str]:
    """Engine team id -> team name."""
    return {
        str(tid): name
        for tid, name in session.execute(select(Team.id, Team.name).where(Team.game_id == game.id))
    }


def player_team(session: Session, game: Game, user: User) -> Team | None:
    return session.scalar(
        select(Team)
        .join(Player, Player.team_id == Team.id)
        .where(Player.game_id == game.id, Player.user_id == user.id)
    )
