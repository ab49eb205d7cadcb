"""Competitions (several games of one scenario ranked together) and projector links.

A competition belongs to its organiser (an instructor). Every game in it plays the same
scenario snapshot: ``Competition.scenario_sha256`` is fixed by the first game added and
every later game must match it (services/competitions.py refuses others).

A projector link is a per-game secret token that opens the read-only classroom projector
without logging in. The token is stored as is (like a join code, it only reveals what the
projector shows: team names, standings, who has saved, headlines) so the instructor can
copy the link again; rotating it replaces the token and the old link stops working.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simshop.db import db
from simshop.models.game import Game
from simshop.models.user import User, utcnow


class Competition(db.Model):
    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Fixed by the first game added; None while the competition has no game.
    scenario_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organiser: Mapped[User] = relationship()
    entries: Mapped[list[CompetitionGame]] = relationship(
        back_populates="competition",
        order_by="CompetitionGame.id",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Competition {self.id} {self.title!r}>"


class CompetitionGame(db.Model):
    """A game taking part in a competition (a game may be in several competitions)."""

    __tablename__ = "competition_games"
    __table_args__ = (UniqueConstraint("competition_id", "game_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id", ondelete="CASCADE"))
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    competition: Mapped[Competition] = relationship(back_populates="entries")
    game: Mapped[Game] = relationship()


class ProjectorLink(db.Model):
    """The secret projector link of a game (at most one live token per game)."""

    __tablename__ = "projector_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
