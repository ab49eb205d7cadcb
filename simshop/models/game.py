"""Games, their staff and players, teams, rounds, decisions and round results.

A game is one class's run of a scenario. It keeps a snapshot of the scenario (the TOML text
and its SHA-256), so editing the file in ``scenarios/`` never changes a game in progress.

Round lifecycle (``Round.status``)::

    scheduled -> open -> closed -> processing -> published
                  \\        \\                 \\
                   held <--'   failed (processing raised; the instructor retries)
    anything not yet processed -> cancelled   (when the instructor ends the game)

The whole table (actions, guards, labels) lives in ``services/lifecycle.py``.

Times are stored in UTC. SQLite hands them back without tzinfo: use :func:`as_utc`.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from simshop.db import db
from simshop.models.user import User, utcnow


def as_utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive datetime read back from SQLite (stored values are UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class GameStatus(StrEnum):
    SETUP = "setup"
    """Created; students may join; no round opened yet."""
    RUNNING = "running"
    ENDED = "ended"


class ScheduleMode(StrEnum):
    MANUAL = "manual"
    """The instructor opens and closes every round."""
    DEADLINES = "deadlines"
    """Each round closes at its deadline; ``tick`` opens the next one after publishing."""


class RoundStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PROCESSING = "processing"
    PUBLISHED = "published"
    HELD = "held"
    FAILED = "failed"
    """Processing raised: the error is kept in ``Round.failure`` until the instructor retries."""
    CANCELLED = "cancelled"


class StaffRole(StrEnum):
    OWNER = "owner"
    ASSISTANT = "assistant"


class DecisionSource(StrEnum):
    SUBMITTED = "submitted"
    CARRIED = "carried"
    BOT = "bot"


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Game(db.Model):
    __tablename__ = "games"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(GameStatus)})", name="status_known"),
        CheckConstraint(f"schedule IN ({_in(ScheduleMode)})", name="schedule_known"),
        CheckConstraint("team_min_size >= 1 AND team_max_size >= team_min_size", name="team_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=GameStatus.SETUP.value)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)

    # The scenario snapshot: never re-read from the file once the game exists.
    scenario_file: Mapped[str] = mapped_column(String(120))
    scenario_id: Mapped[str] = mapped_column(String(64))
    scenario_text: Mapped[str] = mapped_column(Text)
    scenario_sha256: Mapped[str] = mapped_column(String(64))

    practice_rounds: Mapped[int] = mapped_column(default=0)
    scored_rounds: Mapped[int]
    schedule: Mapped[str] = mapped_column(String(20), default=ScheduleMode.MANUAL.value)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    team_min_size: Mapped[int] = mapped_column(default=1)
    team_max_size: Mapped[int] = mapped_column(default=4)
    bot_count: Mapped[int] = mapped_column(default=0)
    bot_strategies: Mapped[list[str]] = mapped_column(JSON, default=list)
    scoring_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    show_rival_names: Mapped[bool] = mapped_column(default=True, server_default=true())
    briefing_exact_sizes: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The students' briefing shows exact market sizes (shoppers per round) instead of
    only an index of the largest market."""
    # Bumped (SQL-side) by every publish and every change to published results or the names
    # on them (services/live.py): pages that show results use it as their validator.
    results_version: Mapped[int] = mapped_column(default=0, server_default="0")

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    rounds: Mapped[list[Round]] = relationship(
        back_populates="game", order_by="Round.number", cascade="all, delete-orphan"
    )
    teams: Mapped[list[Team]] = relationship(
        back_populates="game", order_by="Team.id", cascade="all, delete-orphan"
    )

    @property
    def total_rounds(self) -> int:
        return self.practice_rounds + self.scored_rounds

    def __repr__(self) -> str:
        return f"<Game {self.id} {self.title!r} {self.status}>"


class GameStaff(db.Model):
    """Instructors of a game: its owner and the assistants the owner added."""

    __tablename__ = "game_staff"
    __table_args__ = (UniqueConstraint("game_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=StaffRole.ASSISTANT.value)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class Team(db.Model):
    """A storefront in one game. ``member_count`` is kept by SQL-side updates so the size
    limit holds under concurrent joins (``UPDATE ... WHERE member_count < :max``)."""

    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("game_id", "name"),
        # "Panda Export" and "panda  export" are one name: the database refuses the second.
        Index("uq_teams_game_name_key", "game_id", "name_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    # team_name_key(name), kept in step by the validator below.
    name_key: Mapped[str] = mapped_column(String(240))
    is_bot: Mapped[bool] = mapped_column(default=False, server_default=false())
    bot_strategy: Mapped[str | None] = mapped_column(String(40))
    member_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    game: Mapped[Game] = relationship(back_populates="teams")

    @property
    def engine_id(self) -> str:
        """The id the engine knows this team by."""
        return str(self.id)

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = team_name_key(name)
        return name

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


def team_name_key(name: str) -> str:
    """What makes two team names the same: Unicode compatibility forms (full-width letters),
    runs of whitespace and letter case (full case folding: "STRASSE" = "straße") ignored."""
    spaced = " ".join(unicodedata.normalize("NFKC", name).split())
    return unicodedata.normalize("NFKC", spaced.casefold())


class Player(db.Model):
    """A student enrolled in a game, in one team (or none yet)."""

    __tablename__ = "players"
    __table_args__ = (UniqueConstraint("game_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()
    team: Mapped[Team | None] = relationship()


class Round(db.Model):
    """One round of a game. ``number`` counts every round (practice first); ``scenario_round``
    is the round of the scenario it plays (practice rounds replay the first rounds, then the
    state is reset for scored round 1)."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("game_id", "number"),
        CheckConstraint(f"status IN ({_in(RoundStatus)})", name="status_known"),
        Index("ix_rounds_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    number: Mapped[int]
    scenario_round: Mapped[int]
    is_practice: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), default=RoundStatus.SCHEDULED.value)
    held_from: Mapped[str | None] = mapped_column(String(20))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The processing lease (see services/rounds.py: claim_round).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    process_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    processing_ms: Mapped[int | None]
    failure: Mapped[str | None] = mapped_column(Text)
    """Why the last processing failed (shown to the instructor; cleared on retry)."""

    # The claim on computing the published round's explanation (see
    # services/explanations.py: claim_explanation).
    explain_owner: Mapped[str | None] = mapped_column(String(64))
    explain_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Written in the publishing transaction.
    seed: Mapped[int | None] = mapped_column(BigInteger)
    market_stats: Mapped[Any | None] = mapped_column(JSON)
    events: Mapped[Any | None] = mapped_column(JSON)
    standings: Mapped[Any | None] = mapped_column(JSON)

    game: Mapped[Game] = relationship(back_populates="rounds")

    def __repr__(self) -> str:
        return f"<Round {self.id} game={self.game_id} #{self.number} {self.status}>"


class Decision(db.Model):
    """A team's saved decision sheet for one round; the last save wins."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    save_count: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    saved_by: Mapped[User | None] = relationship()


class RoundResult(db.Model):
    """One team's outcome of a published round, and its state afterwards."""

    __tablename__ = "round_results"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    end_state: Mapped[dict[str, Any]] = mapped_column(JSON)
    decisions_used: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision_source: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int | None]
    score: Mapped[float | None]


class IssuedCredentials(db.Model):
    """Initial passwords from a roster import, kept until downloaded once or expired.

    Only the SHA-256 of the download token is stored; the row is deleted on download.
    """

    __tablename__ = "issued_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csv_text: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RosterJobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RosterJob(db.Model):
    """A large roster import run outside the request (by ``flask --app simshop tick``):
    hashing 2,000 initial passwords takes longer than a web worker may hold a request.

    ``csv_text`` is the uploaded file (already checked when queued); ``done`` counts the
    passwords hashed so far, for the progress page. ``download_token`` opens the one-time
    credentials download (its SHA-256 is in :class:`IssuedCredentials`); only the job's
    creator sees the job page.
    """

    __tablename__ = "roster_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=RosterJobStatus.QUEUED.value)
    csv_text: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """Counts when done (created, enrolled, teams); the problems when failed."""
    download_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
