"""Memos and peer evaluation: the parts of a student's grade that are not the game's score.

- :class:`AssessmentSettings`: one row per game (created on first use): how memos are scored
  (by the instructor, or by anonymous peer review among teams) and the clip range of the peer
  factor.
- :class:`Memo`: a team's strategy memo (before round 1) or reflection (after the game),
  stored exactly as written.
- :class:`MemoCriterion`: the instructor's rubric (criteria with maximum points).
- :class:`MemoReview`: one scoring of one memo, by the staff (``reviewer_team_id`` None) or by
  a reviewing team. A peer review row is created when the instructor assigns it (``points``
  None until the team submits), so the row's existence is what lets a team read a memo.
- :class:`PeerEvaluation`: a point the instructor chose (after a round) at which students rate
  their teammates; :class:`PeerRating` one student's ratings of one teammate (or themselves).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from simshop.db import db
from simshop.models.user import utcnow


class MemoKind(StrEnum):
    STRATEGY = "strategy"
    """Written before round 1 is processed."""
    REFLECTION = "reflection"
    """Written after the game has ended."""


class MemoScoring(StrEnum):
    INSTRUCTOR = "instructor"
    PEER = "peer"


class AssessmentSettings(db.Model):
    __tablename__ = "assessment_settings"
    __table_args__ = (
        CheckConstraint("memo_scoring IN ('instructor', 'peer')", name="memo_scoring_known"),
        CheckConstraint(
            "peer_factor_min > 0 AND peer_factor_min <= 1 AND peer_factor_max >= 1",
            name="peer_factor_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), unique=True)
    memo_scoring: Mapped[str] = mapped_column(String(20), default=MemoScoring.INSTRUCTOR.value)
    reviews_per_team: Mapped[int] = mapped_column(default=2)
    peer_factor_min: Mapped[float] = mapped_column(default=0.8)
    peer_factor_max: Mapped[float] = mapped_column(default=1.1)


class Memo(db.Model):
    __tablename__ = "memos"
    __table_args__ = (
        UniqueConstraint("team_id", "kind"),
        CheckConstraint("kind IN ('strategy', 'reflection')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MemoCriterion(db.Model):
    __tablename__ = "memo_criteria"
    __table_args__ = (CheckConstraint("max_points >= 1", name="max_points_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    max_points: Mapped[int]


class MemoReview(db.Model):
    __tablename__ = "memo_reviews"
    __table_args__ = (UniqueConstraint("memo_id", "reviewer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[int] = mapped_column(ForeignKey("memos.id", ondelete="CASCADE"), index=True)
    reviewer_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    # "staff" or "team:<id>": one review per memo and reviewer (NULLs would not be unique).
    reviewer_key: Mapped[str] = mapped_column(String(40))
    points: Mapped[dict[str, int] | None] = mapped_column(JSON)
    """criterion id (as text) -> points; None: assigned, not yet submitted."""
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PeerEvaluation(db.Model):
    __tablename__ = "peer_evaluations"
    __table_args__ = (UniqueConstraint("game_id", "after_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    after_round: Mapped[int]
    items: Mapped[list[str]] = mapped_column(JSON)
    include_self: Mapped[bool] = mapped_column(default=False)
    is_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PeerRating(db.Model):
    __tablename__ = "peer_ratings"
    __table_args__ = (UniqueConstraint("evaluation_id", "rater_id", "ratee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("peer_evaluations.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ratee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
