"""LTI platform registrations: register, change, disable and look up the platforms
(an administrator's acts), with every URL and frame origin checked.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.models import LtiPlatform
from simshop.models.user import utcnow
from simshop.services.lti_keys import platform_keys
from simshop.services.lti_protocol import (
    LtiError,
)
from simshop.services.uow import unit_of_work

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# --------------------------------------------------------------------------- registration


def _check_url(url: str, field_name: str) -> str:
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    loopback = parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise LtiError("url_invalid", field_name, url=url)
    return url


MAX_URL_LENGTH = 500


def _check_origin(origin: str, field_name: str) -> str:
    """``scheme://host[:port]`` with nothing after it, https (http on the loopback only)."""
    origin = origin.strip().rstrip("/")
    parts = urllib.parse.urlsplit(origin)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise LtiError("origin_invalid", field_name, origin=origin) from None
    loopback = parts.hostname in LOOPBACK_HOSTS
    if (
        not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or not (parts.scheme == "https" or (parts.scheme == "http" and loopback))
        or any(c in origin for c in " ;,'\"")
    ):
        raise LtiError("origin_invalid", field_name, origin=origin)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _platform_values(
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    jwks_url: str,
    deployment_ids: list[str],
    frame_origins: list[str] | None = None,
) -> dict[str, Any]:
    """A platform's registration, checked: every refusal names its field."""
    values: dict[str, Any] = {
        "name": name.strip(),
        "issuer": issuer.strip(),
        "client_id": client_id.strip(),
    }
    for key, value in values.items():
        if not value or len(value) > 255:
            raise LtiError("field_required", key)
    for key, url in (
        ("auth_login_url", auth_login_url),
        ("auth_token_url", auth_token_url),
        ("jwks_url", jwks_url),
    ):
        if len(url.strip()) > MAX_URL_LENGTH:
            raise LtiError("url_too_long", key, max=MAX_URL_LENGTH)
        values[key] = _check_url(url, key)
    deployments = list(dict.fromkeys(d.strip() for d in deployment_ids if d.strip()))
    if not deployments or any(len(d) > 255 for d in deployments):
        raise LtiError("field_required", "deployment_ids")
    values["deployment_ids"] = deployments
    origins = [_check_origin(o, "frame_origins") for o in frame_origins or [] if o.strip()]
    values["frame_origins"] = list(dict.fromkeys(origins)) or None
    return values


def _refuse_duplicate(
    session: Session, values: dict[str, Any], platform_id: int | None = None
) -> None:
    found = session.scalar(
        select(LtiPlatform).where(
            LtiPlatform.issuer == values["issuer"], LtiPlatform.client_id == values["client_id"]
        )
    )
    if found is not None and found.id != platform_id:
        raise LtiError("platform_exists", "client_id")


@unit_of_work
def register_platform(session: Session, **fields: Any) -> LtiPlatform:
    """Register a platform (an administrator's act): ``name``, ``issuer``, ``client_id``,
    ``auth_login_url``, ``auth_token_url``, ``jwks_url``, ``deployment_ids`` and optionally
    ``frame_origins``. URLs must be https (http only on the loopback address, for tests and
    local trials)."""
    values = _platform_values(**fields)
    _refuse_duplicate(session, values)
    platform_keys.forget(values["jwks_url"])  # a new registration starts from fresh keys
    platform = LtiPlatform(**values)
    session.add(platform)
    session.flush()
    return platform


@unit_of_work
def update_platform(session: Session, platform: LtiPlatform, **fields: Any) -> LtiPlatform:
    """Change a registration (the same fields and checks as :func:`register_platform`).
    Cached keys of its old JWKS address are forgotten."""
    values = _platform_values(**fields)
    _refuse_duplicate(session, values, platform.id)
    platform_keys.forget(platform.jwks_url)
    for key, value in values.items():
        setattr(platform, key, value)
    session.flush()
    return platform


@unit_of_work
def set_platform_enabled(session: Session, platform: LtiPlatform, enabled: bool) -> LtiPlatform:
    """Disable a platform (its logins, launches, roster syncs and grade passbacks are then
    refused, and its launched sessions are no longer framed) or enable it again. Accounts and
    course links are kept."""
    if enabled:
        platform.disabled_at = None
    elif platform.disabled_at is None:
        platform.disabled_at = utcnow()
    session.flush()
    return platform


def platforms(session: Session) -> list[LtiPlatform]:
    return list(session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))


def platform_by_id(session: Session, platform_id: int) -> LtiPlatform | None:
    return session.get(LtiPlatform, platform_id)


def frame_origins(platform: LtiPlatform) -> list[str]:
    """The origins that may frame SimShop after a launch from ``platform``: the registered
    ones, or else the issuer's origin."""
    if platform.frame_origins:
        return list(platform.frame_origins)
    try:
        return [_check_origin(_origin_of(platform.issuer), "issuer")]
    except LtiError:
        return []


def _origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}"


def _enabled(platform: LtiPlatform | None) -> LtiPlatform:
    if platform is None:
        raise LtiError("platform_unknown", issuer="?")
    if not platform.is_enabled:
        raise LtiError("platform_disabled", name=platform.name)
    return platform
