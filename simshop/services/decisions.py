"""Teams' decisions: save while the round is open, show the form, who has submitted.

Decisions are accepted only while their round is open, checked *in the same statement* that
writes them (``INSERT ... SELECT ... WHERE EXISTS (open round) ON CONFLICT DO UPDATE``; the
round row is share-locked on PostgreSQL, and SQLite runs every write transaction
under ``BEGIN IMMEDIATE``). UNIQUE(round_id, team_id): the last save wins.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, literal, or_, select
from sqlalchemy.orm import Session

from simshop.engine.decisions import DecisionSheet, carry_over, validate_decisions
from simshop.engine.state import TeamState
from simshop.models import Decision, Game, Round, Team, User
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services.games import GameError, game_scenario
from simshop.services.lifecycle import OPEN
from simshop.services.round_state import team_state_before
from simshop.services.rounds import rowcount
from simshop.services.uow import end_read, transaction


class RoundNotOpenError(GameError):
    """The round is not open (closed, held, not yet open, or its deadline passed)."""

    def __init__(self) -> None:
        super().__init__("round_not_open")


class DecisionConflictError(GameError):
    """A teammate saved the decisions after this form was loaded: the save was refused.

    ``saved`` is the newer decision (who saved it, when, what), for the merge page.
    """

    def __init__(self, saved: Decision) -> None:
        super().__init__("decision_conflict")
        self.saved = saved


@dataclass(frozen=True)
class SavedDecision:
    round_id: int
    team_id: int
    saved_at: datetime
    sheet: DecisionSheet


def submit_decision(
    session: Session,
    user: User,
    team: Team,
    rnd: Round,
    raw: dict[str, Any],
    *,
    expected_version: int | None = None,
    state: TeamState | None = None,
) -> SavedDecision:
    """Validate ``raw`` against the scenario and the team's state and save it as the team's
    decision for ``rnd`` (replacing an earlier save).

    ``expected_version`` is the ``save_count`` the student's form was loaded from (0: nothing
    was saved then). When given, the write happens only if the stored version still is that
    one — checked by the writing statement itself, so two teammates saving at once cannot
    both win; ``None`` overwrites whatever is there.

    ``state`` is the team's state before ``rnd`` when the caller has just read it in this
    session (the decision page does, to build its form); otherwise it is read here.

    Raises :class:`DecisionErrors` (nothing saved), :class:`RoundNotOpenError` when the
    round is not open at the moment of writing, or :class:`DecisionConflictError` when a
    teammate saved a newer version.
    """
    game = session.get(Game, rnd.game_id)
    assert game is not None and team.game_id == game.id
    if rnd.status != OPEN:
        end_read(session)
        raise RoundNotOpenError()
    scenario = game_scenario(game)
    if state is None:
        state = team_state_before(session, game, rnd, team, scenario)
    round_id, team_id, user_id = rnd.id, team.id, user.id
    # The reads above ran in a read transaction that takes no lock (SQLite: deferred, ended
    # by the unit of work before it begins IMMEDIATE); PostgreSQL keeps it and its
    # connection for the write: no second checkout of the pool, no second ping.
    sheet = validate_decisions(scenario, state, raw)
    try:
        with transaction(session):
            now = _save(session, round_id, team_id, user_id, sheet, expected_version)
    except RoundNotOpenError:
        if expected_version is not None:
            _raise_if_newer(session, round_id, team_id, expected_version)
        raise
    return SavedDecision(round_id, team_id, now, sheet)


def _raise_if_newer(session: Session, round_id: int, team_id: int, expected: int) -> None:
    """After a refused save: a teammate's newer save in a still-open round is a conflict."""
    newer = session.scalar(
        select(Decision).where(Decision.round_id == round_id, Decision.team_id == team_id)
    )
    status = session.scalar(select(Round.status).where(Round.id == round_id))
    end_read(session)
    if newer is not None and newer.save_count != expected and status == OPEN:
        raise DecisionConflictError(newer)


def _save(
    session: Session,
    round_id: int,
    team_id: int,
    user_id: int,
    sheet: DecisionSheet,
    expected_version: int | None = None,
) -> datetime:
    """Upsert the sheet if the round is still open at this instant; returns the save time."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # BEGIN IMMEDIATE now, so the timestamp below is taken while no close can commit.
        # (PostgreSQL: the share lock the upsert takes on the round row does that job.)
        session.execute(select(Round.id).where(Round.id == round_id))
    now = utcnow()
    params = {
        "round_id": round_id,
        "team_id": team_id,
        "payload": sheet.to_dict(),
        "user_id": user_id,
        "now": now,
    }
    if expected_version is not None:
        params["expected"] = expected_version
    # Core execution (the connection's): the ORM would take a parameter dictionary with an
    # INSERT for a bulk insert of objects.
    result = session.connection().execute(
        _upsert_statement(dialect, expected_version is not None), params
    )
    if rowcount(result) != 1:
        raise RoundNotOpenError()
    return now


@functools.cache
def _upsert_statement(dialect: str, versioned: bool) -> Any:
    """``INSERT ... SELECT ... WHERE the round is open ON CONFLICT DO UPDATE``, with bound
    parameters (``round_id``, ``team_id``, ``payload``, ``user_id``, ``now``, and
    ``expected`` when ``versioned``: the write happens only over that ``save_count``).
    Built once per dialect: building it (the ``excluded`` alias above all) cost more CPU
    than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    still_open = (
        select(Round.id)
        .where(
            Round.id == bindparam("round_id"),
            Round.status == OPEN,
            or_(Round.deadline.is_(None), Round.deadline > bindparam("now")),
        )
        .with_for_update(read=True)
        .exists()
    )
    row = select(
        bindparam("round_id", type_=Decision.round_id.type),
        bindparam("team_id", type_=Decision.team_id.type),
        bindparam("payload", type_=Decision.payload.type),
        bindparam("user_id", type_=Decision.saved_by_id.type),
        bindparam("now", type_=Decision.saved_at.type),
        literal(1, Decision.save_count.type),
    ).where(still_open)
    stmt = dialect_insert(Decision).from_select(
        ["round_id", "team_id", "payload", "saved_by_id", "saved_at", "save_count"], row
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["round_id", "team_id"],
        set_={
            "payload": stmt.excluded.payload,
            "saved_by_id": stmt.excluded.saved_by_id,
            "saved_at": stmt.excluded.saved_at,
            "save_count": Decision.save_count + 1,
        },
        where=(Decision.save_count == bindparam("expected")) if versioned else None,
    )
    # psycopg 3 reports no rowcount for an INSERT without RETURNING once SQLAlchemy has
    # closed the cursor (-1: "nothing written"); preserve_rowcount keeps the real count
    # (sqlalchemy/sqlalchemy#10696, #10974). pysqlite reports it either way.
    return stmt.execution_options(preserve_rowcount=True)


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
    """Per team with members (bots and empty teams excluded): who saved decisions for
    ``rnd`` and when."""
    teams = list(
        session.scalars(
            select(Team)
            .where(Team.game_id == game.id, Team.is_bot.is_(False), Team.member_count > 0)
            .order_by(Team.id)
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
