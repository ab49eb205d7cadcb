"""Accounts: students, instructors and administrators."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, DateTime, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from simshop.db import db


class Role(StrEnum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, db.Model):
    """A person who logs in.

    ``login`` is a student number or an email address, stored lowercased and unique.
    ``session_version`` is part of the session cookie's user id (see ``get_id``): bumping it
    invalidates every session issued before, which is how logout ends a session on the server.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('student', 'instructor', 'admin')",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    student_number: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(
        String(20), default=Role.STUDENT.value, server_default=Role.STUDENT.value
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Stored in UTC; SQLite hands it back without tzinfo.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_instructor(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.login!r} {self.role}>"
