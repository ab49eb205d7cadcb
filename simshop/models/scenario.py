"""Scenarios instructors author in the web app (the shipped ones are files in ``scenarios/``).

A draft is stored as TOML text, exactly what the instructor uploaded or what the forms
wrote, with its SHA-256. It is always valid: the service validates before every save. A game
copies the text when it is created, so editing or deleting a draft never changes a game.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simshop.db import db
from simshop.models.user import User, utcnow


class ScenarioDraft(db.Model):
    """An instructor's own scenario. ``slug`` is the scenario's ``meta.id``, unique per owner."""

    __tablename__ = "scenario_drafts"
    __table_args__ = (UniqueConstraint("owner_id", "slug", name="uq_scenario_drafts_owner_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(48))
    title: Mapped[str] = mapped_column(String(120))
    toml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    owner: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ScenarioDraft {self.id} {self.slug!r} owner={self.owner_id}>"
