"""Results explained, stored when a round is published (see :mod:`simshop.services.explanations`).

A published round without a :class:`RoundExplanation` row is still being explained (pages
say so); the explanation is never computed on a page view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from simshop.db import db
from simshop.models.user import utcnow


class RoundExplanation(db.Model):
    """That a round's explanations are stored, with what every team's shares: which markets'
    tariffs and fees, currencies and demand changed (``context``)."""

    __tablename__ = "round_explanations"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    compute_ms: Mapped[int]
    replays: Mapped[int]
    baseline: Mapped[str] = mapped_column(String(20))
    """"previous" (the previous round of the phase) or "no_action" (the phase's first round:
    the same round with every team doing nothing)."""
    context: Mapped[dict[str, Any]] = mapped_column(JSON)


class TeamExplanation(db.Model):
    """One team's change in profit (cents) and units from the baseline, split by cause
    (:data:`simshop.engine.explain.CAUSES`); the parts add up to the change exactly."""

    __tablename__ = "team_explanations"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    profit_before_cents: Mapped[int] = mapped_column(BigInteger)
    profit_after_cents: Mapped[int] = mapped_column(BigInteger)
    units_before: Mapped[int] = mapped_column(BigInteger)
    units_after: Mapped[int] = mapped_column(BigInteger)
    profit_parts_cents: Mapped[dict[str, int]] = mapped_column(JSON)
    units_parts: Mapped[dict[str, int]] = mapped_column(JSON)
