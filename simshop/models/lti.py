"""LTI 1.3: the platforms (learning management systems) an administrator registered, the
launches in flight, who is who on each platform, and which course link plays which game.

See ``simshop/services/lti.py`` for the protocol and ``docs/lti.md`` for the set-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simshop.db import db
from simshop.models.user import User, utcnow


class LtiPlatform(db.Model):
    """A registered platform: its issuer, the client id it gave SimShop, its endpoints and
    the deployment ids SimShop accepts from it."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    jwks_url: Mapped[str] = mapped_column(String(500))
    deployment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    frame_origins: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    """Origins (``https://host[:port]``) allowed to show SimShop in a frame after a launch
    from this platform; None or empty: the issuer's origin."""
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when an administrator disabled the platform: its logins, launches and services
    are refused until it is enabled again."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None


class LtiLaunchState(db.Model):
    """One login initiation: the ``state`` and ``nonce`` SimShop sent to the platform.

    Consumed by the launch (``used_at``), so a replayed launch is refused."""

    __tablename__ = "lti_launch_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_off_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When a framed launch whose cookies the browser blocked was continued in a new window
    (once; see ``services/lti.hand_off``)."""


class LtiAccount(db.Model):
    """A platform user (``sub``) and the SimShop account they use."""

    __tablename__ = "lti_accounts"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()


class LtiLink(db.Model):
    """A course's link to a game (made by deep linking), with the service endpoints the last
    launch from it announced: the roster (NRPS) and the grade column (AGS)."""

    __tablename__ = "lti_links"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", "game_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    context_title: Mapped[str | None] = mapped_column(String(255))
    memberships_url: Mapped[str | None] = mapped_column(Text)
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    lineitems_url: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()
