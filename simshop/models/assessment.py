"""Assessment: quizzes attached to rounds and the students' submissions, teams' forecasts,
the gradebook's settings and the grades an instructor published.

A quiz names question ids of the bank in ``questions/`` (the questions themselves live in
the repository, not in the database). A submission is final: one per student and quiz
(the unique constraint makes a second submit a no-op), holding the answers given and the
marks computed at submission (the true values, including the parametric ones computed from
the team's own result).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simshop.db import db
from simshop.models.game import Round
from simshop.models.user import User, utcnow


class Quiz(db.Model):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    round: Mapped[Round] = relationship()


class QuizSubmission(db.Model):
    __tablename__ = "quiz_submissions"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Question id -> the answer given (an index, a list of indexes or a number)."""
    marks: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Question id -> {"correct": true value, "earned": points, "points": possible,
    "market": ..., "product": ...} (a parametric question without a value is left out)."""
    earned: Mapped[float] = mapped_column(Float)
    possible: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    """0..100 (earned ÷ possible), None when nothing could be scored."""
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class Forecast(db.Model):
    """A team's forecast for one round: units and profit per market and the round's net
    profit."""

    __tablename__ = "forecasts"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    units: Mapped[dict[str, int]] = mapped_column(JSON)
    profit_cny: Mapped[float | None] = mapped_column(Float)
    profit_by_market: Mapped[dict[str, float] | None] = mapped_column(JSON(none_as_null=True))
    """Market code -> the forecast profit contribution there (CNY); None or {}: none."""
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GradeSettings(db.Model):
    """The instructor's gradebook settings for a game (absent: the defaults)."""

    __tablename__ = "grade_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), unique=True)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    curve_target: Mapped[float | None] = mapped_column(Float)
    """Target class mean of the curve (None: no curve)."""
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PublishedGrade(db.Model):
    """One student's grade as the instructor published it (a snapshot with its breakdown)."""

    __tablename__ = "published_grades"
    __table_args__ = (UniqueConstraint("game_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    grade: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
