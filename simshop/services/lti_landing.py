"""Where a validated LTI launch lands: the platform user's SimShop account, the course link
and the enrolment (:func:`complete_launch`), and the deep linking answer that places a game
in a course (:func:`deep_link_response`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.models import Game, LtiAccount, LtiLink, LtiPlatform, Role, User
from simshop.models.user import utcnow
from simshop.security import generate_password, hash_password
from simshop.services import membership as membership_service
from simshop.services import teams as teams_service
from simshop.services.lti_keys import _sign
from simshop.services.lti_launch import LaunchMessage
from simshop.services.lti_protocol import (
    AGS_CLAIM,
    CLAIM,
    DEEP_LINKING,
    DL_CLAIM,
    GAME_PARAMETER,
    LTI_VERSION,
    NRPS_CLAIM,
    LtiError,
)
from simshop.services.uow import transaction

# --------------------------------------------------------------------------- landing


def _display_name(claims: dict[str, Any]) -> str:
    name = claims.get("name") or " ".join(
        str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)
    )
    name = " ".join(str(name).split())[:80]
    return name or "LTI user"


def _account(
    session: Session, platform_id: int, subject: str, claims: dict[str, Any], instructor: bool
) -> User:
    """The SimShop user of (platform, sub), created on first sight. Accounts are never
    matched by e-mail: a platform must not be able to take over an existing account."""
    found = session.scalar(
        select(LtiAccount).where(
            LtiAccount.platform_id == platform_id, LtiAccount.subject == subject
        )
    )
    if found is not None:
        return found.user
    digest = hashlib.sha256(f"{platform_id}:{subject}".encode()).hexdigest()[:20]
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    user = User(
        login=f"lti-{platform_id}-{digest}",
        display_name=_display_name(claims),
        email=email[:254] if email else None,
        role=Role.INSTRUCTOR.value if instructor else Role.STUDENT.value,
        password_hash=hash_password(generate_password()),
    )
    session.add(user)
    session.flush()
    session.add(LtiAccount(platform_id=platform_id, subject=subject, user_id=user.id))
    session.flush()
    return user


def _game_of_link(session: Session, message: LaunchMessage) -> Game:
    raw = str(message.custom.get(GAME_PARAMETER, "")).strip()
    game = session.get(Game, int(raw)) if raw.isdecimal() and len(raw) < 19 else None
    if game is None:
        raise LtiError("game_unknown")
    return game


def _remember_link(session: Session, message: LaunchMessage, game: Game) -> LtiLink:
    context_id = str(
        message.context.get("id") or f"link:{message.claims[CLAIM + 'resource_link']['id']}"
    )
    link = session.scalar(
        select(LtiLink).where(
            LtiLink.platform_id == message.platform_id,
            LtiLink.context_id == context_id,
            LtiLink.game_id == game.id,
        )
    )
    if link is None:
        link = LtiLink(
            platform_id=message.platform_id,
            game_id=game.id,
            context_id=context_id,
            deployment_id=message.deployment_id,
        )
        session.add(link)
    link.deployment_id = message.deployment_id
    link.context_title = str(message.context.get("title") or "")[:255] or None
    ags = message.claims.get(AGS_CLAIM) or {}
    nrps = message.claims.get(NRPS_CLAIM) or {}
    if isinstance(ags, dict):
        link.lineitem_url = ags.get("lineitem") or link.lineitem_url
        link.lineitems_url = ags.get("lineitems") or link.lineitems_url
        link.scopes = [str(s) for s in ags.get("scope", [])]
    if isinstance(nrps, dict):
        link.memberships_url = nrps.get("context_memberships_url") or link.memberships_url
    link.updated_at = utcnow()
    session.flush()
    return link


@dataclass(frozen=True)
class Landing:
    """Where a validated launch goes: ``kind`` is ``play`` (a student in ``game_id``),
    ``staff`` (an instructor of ``game_id``) or ``deep_link`` (an instructor picking a game)."""

    kind: str
    user_id: int
    game_id: int | None = None
    deep_link: dict[str, Any] = field(default_factory=dict)


def complete_launch(session: Session, message: LaunchMessage) -> Landing:
    """Account, course link and enrolment for a validated launch. The account is kept even
    when the launch is then refused, so an instructor refused as "not staff" has a login the
    game's owner can add as an assistant."""
    with transaction(session):
        user = _account(
            session,
            message.platform_id,
            str(message.claims["sub"]),
            message.claims,
            message.is_instructor,
        )
    with transaction(session):
        return _land(session, message, user)


def _land(session: Session, message: LaunchMessage, user: User) -> Landing:
    if not user.is_active:
        raise LtiError("account_disabled")
    if message.message_type == DEEP_LINKING:
        if not user.is_instructor:
            raise LtiError("deep_link_instructors_only")
        settings = message.deep_linking_settings
        return Landing(
            "deep_link",
            user.id,
            deep_link={
                "platform_id": message.platform_id,
                "deployment_id": message.deployment_id,
                "return_url": str(settings["deep_link_return_url"]),
                "data": settings.get("data"),
            },
        )
    game = _game_of_link(session, message)
    _remember_link(session, message, game)
    if user.is_instructor:
        if membership_service.staff_game(session, game.id, user) is None:
            raise LtiError("not_staff", login=user.login)
        return Landing("staff", user.id, game.id)
    teams_service.join_game(session, user, game.join_code)
    return Landing("play", user.id, game.id)


def deep_link_response(
    session: Session, deep_link: dict[str, Any], game: Game, launch_url: str, key: RSAKey
) -> tuple[str, str]:
    """(the platform's return URL, the signed LtiDeepLinkingResponse JWT) placing ``game`` in
    the course as a resource link with a 0..100 grade column."""
    platform = session.get(LtiPlatform, deep_link["platform_id"])
    if platform is None:
        raise LtiError("platform_unknown", issuer="?")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + 600,
        "nonce": secrets.token_urlsafe(16),
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": LTI_VERSION,
        CLAIM + "deployment_id": deep_link["deployment_id"],
        DL_CLAIM + "content_items": [
            {
                "type": "ltiResourceLink",
                "title": game.title,
                "url": launch_url,
                "custom": {GAME_PARAMETER: str(game.id)},
                "lineItem": {"scoreMaximum": 100, "label": game.title},
                "window": {"targetName": "simshop"},
            }
        ],
    }
    if deep_link.get("data") is not None:
        claims[DL_CLAIM + "data"] = deep_link["data"]
    return deep_link["return_url"], _sign(claims, key)
