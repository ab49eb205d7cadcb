"""The LTI launch: the third-party initiated login (:func:`begin_login`), the launch's
complete validation (:func:`validate_launch`, giving a :class:`LaunchMessage`) and the
hand-off of a framed launch to a new window (:func:`hand_off`).
"""

from __future__ import annotations

import hmac
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jws import extract_compact
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from simshop.models import LtiAccount, LtiLaunchState, LtiPlatform, User
from simshop.models.user import utcnow
from simshop.services.lti_keys import platform_keys
from simshop.services.lti_platforms import _enabled
from simshop.services.lti_protocol import (
    CLAIM,
    DEEP_LINKING,
    DL_CLAIM,
    LTI_VERSION,
    RESOURCE_LINK,
    LtiError,
    is_instructor_role,
)
from simshop.services.uow import transaction, unit_of_work

STATE_LIFETIME = timedelta(minutes=10)
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_AGE_SECONDS = 3600


# --------------------------------------------------------------------------- login


def _platform_for_login(session: Session, issuer: str, client_id: str | None) -> LtiPlatform:
    stmt = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        stmt = stmt.where(LtiPlatform.client_id == client_id)
    found = list(session.scalars(stmt))
    if not found:
        raise LtiError("platform_unknown", issuer=issuer)
    if len(found) > 1:
        enabled = [p for p in found if p.is_enabled]
        if len(enabled) != 1:
            raise LtiError("platform_ambiguous", issuer=issuer)
        return enabled[0]
    return _enabled(found[0])


@unit_of_work
def begin_login(
    session: Session, params: dict[str, str], launch_url: str, *, now: datetime | None = None
) -> tuple[str, str]:
    """Answer a third-party initiated login: (the platform's authorisation URL to redirect
    to, the new state). The state and nonce are stored for :func:`validate_launch`."""
    for required in ("iss", "login_hint", "target_link_uri"):
        if not params.get(required):
            raise LtiError("login_param_missing", param=required)
    platform = _platform_for_login(session, params["iss"], params.get("client_id"))
    deployment = params.get("lti_deployment_id")
    if deployment and deployment not in platform.deployment_ids:
        raise LtiError("deployment_unknown", deployment=deployment)
    now = now or utcnow()
    # Launch states are kept a day after they expire (a replay is then named as such).
    session.execute(
        delete(LtiLaunchState).where(LtiLaunchState.expires_at < now - timedelta(days=1))
    )
    state = LtiLaunchState(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        platform_id=platform.id,
        created_at=now,
        expires_at=now + STATE_LIFETIME,
    )
    session.add(state)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": params["login_hint"],
        "state": state.state,
        "nonce": state.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return platform.auth_login_url + separator + urllib.parse.urlencode(query), state.state


# --------------------------------------------------------------------------- launch


@dataclass(frozen=True)
class LaunchMessage:
    """A validated launch: the platform and the id_token's claims."""

    platform_id: int
    claims: dict[str, Any]

    @property
    def message_type(self) -> str:
        return str(self.claims[CLAIM + "message_type"])

    @property
    def deployment_id(self) -> str:
        return str(self.claims[CLAIM + "deployment_id"])

    @property
    def roles(self) -> list[str]:
        return [str(r) for r in self.claims.get(CLAIM + "roles", [])]

    @property
    def is_instructor(self) -> bool:
        return is_instructor_role(self.roles)

    @property
    def context(self) -> dict[str, Any]:
        return dict(self.claims.get(CLAIM + "context") or {})

    @property
    def custom(self) -> dict[str, Any]:
        return dict(self.claims.get(CLAIM + "custom") or {})

    @property
    def deep_linking_settings(self) -> dict[str, Any]:
        return dict(self.claims.get(DL_CLAIM + "deep_linking_settings") or {})


def _claim_state(session: Session, state: str, now: datetime) -> LtiLaunchState:
    """Mark the state used in one statement (two launches racing: one wins) and return it."""
    claimed = session.execute(
        update(LtiLaunchState)
        .where(
            LtiLaunchState.state == state,
            LtiLaunchState.used_at.is_(None),
            LtiLaunchState.expires_at > now,
        )
        .values(used_at=now)
    )
    row = session.scalar(select(LtiLaunchState).where(LtiLaunchState.state == state))
    if claimed.rowcount == 1 and row is not None:  # type: ignore[attr-defined]
        return row
    if row is None:
        raise LtiError("state_unknown")
    if row.used_at is not None:
        raise LtiError("state_used")
    raise LtiError("state_expired")


def _unverified_header(id_token: str) -> dict[str, Any]:
    try:
        return dict(extract_compact(id_token.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeError):
        raise LtiError("token_malformed") from None


def _verified_claims(id_token: str, platform: LtiPlatform) -> dict[str, Any]:
    header = _unverified_header(id_token)
    if header.get("alg") != "RS256":
        raise LtiError("token_algorithm", alg=str(header.get("alg")))
    if not header.get("kid"):
        raise LtiError("token_kid_missing")
    for refresh in (False, True):
        key_set = platform_keys.key_set(platform.jwks_url, refresh=refresh)
        try:
            return dict(jwt.decode(id_token, key_set, algorithms=["RS256"]).claims)
        except InvalidKeyIdError:
            continue
        except BadSignatureError:
            if not refresh:  # the platform may have rotated a key under the same kid
                continue
            raise LtiError("token_signature") from None
        except (JoseError, ValueError):
            raise LtiError("token_malformed") from None
    raise LtiError("token_kid_unknown", kid=str(header.get("kid")))


def _check_times(claims: dict[str, Any], now: datetime) -> None:
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise LtiError("claim_missing", claim="exp/iat")
    if exp <= stamp - CLOCK_SKEW_SECONDS:
        raise LtiError("token_expired")
    if iat > stamp + CLOCK_SKEW_SECONDS:
        raise LtiError("token_not_yet_valid")
    if iat < stamp - MAX_TOKEN_AGE_SECONDS:
        raise LtiError("token_expired")


def _check_audience(claims: dict[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise LtiError("wrong_audience")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise LtiError("wrong_audience")


def _check_message(claims: dict[str, Any], platform: LtiPlatform, nonce: str) -> None:
    if claims.get("iss") != platform.issuer:
        raise LtiError("wrong_issuer")
    _check_audience(claims, platform.client_id)
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise LtiError("nonce_mismatch")
    if claims.get(CLAIM + "version") != LTI_VERSION:
        raise LtiError("version_unsupported", version=str(claims.get(CLAIM + "version")))
    message_type = claims.get(CLAIM + "message_type")
    if message_type not in (RESOURCE_LINK, DEEP_LINKING):
        raise LtiError("message_type_unknown", message_type=str(message_type))
    if claims.get(CLAIM + "deployment_id") not in platform.deployment_ids:
        raise LtiError("deployment_unknown", deployment=str(claims.get(CLAIM + "deployment_id")))
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LtiError("claim_missing", claim="sub")
    if not isinstance(claims.get(CLAIM + "roles"), list):
        raise LtiError("claim_missing", claim="roles")
    if message_type == RESOURCE_LINK:
        link = claims.get(CLAIM + "resource_link")
        if not isinstance(link, dict) or not link.get("id"):
            raise LtiError("claim_missing", claim="resource_link")
    else:
        settings = claims.get(DL_CLAIM + "deep_linking_settings")
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise LtiError("claim_missing", claim="deep_linking_settings")


def validate_launch(
    session: Session,
    *,
    id_token: str,
    state: str,
    cookie_state: str | None,
    now: datetime | None = None,
) -> LaunchMessage:
    """Check a launch POST completely (see the module docstring); refusals are LtiError."""
    if not state or not id_token:
        raise LtiError("launch_incomplete")
    if not cookie_state or not hmac.compare_digest(state, cookie_state):
        raise LtiError("state_mismatch")
    now = now or utcnow()
    with transaction(session):
        row = _claim_state(session, state, now)
        platform = _enabled(session.get(LtiPlatform, row.platform_id))
        nonce = row.nonce
    claims = _verified_claims(id_token, platform)
    _check_times(claims, now)
    _check_message(claims, platform, nonce)
    return LaunchMessage(platform_id=platform.id, claims=claims)


def hand_off(session: Session, state: str, user_id: int, *, now: datetime | None = None) -> User:
    """Continue a framed launch in a new window (the browser blocked SimShop's cookies in the
    course's frame): the launch of ``state`` must have succeeded for ``user_id``, not have
    been handed off before and not be expired. Marked in one ``UPDATE … WHERE handed_off_at
    IS NULL``, so a token works once."""
    now = now or utcnow()
    with transaction(session):
        claimed = session.execute(
            update(LtiLaunchState)
            .where(
                LtiLaunchState.state == state,
                LtiLaunchState.used_at.is_not(None),
                LtiLaunchState.handed_off_at.is_(None),
                LtiLaunchState.expires_at > now,
            )
            .values(handed_off_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise LtiError("handoff_used")
        row = session.scalar(select(LtiLaunchState).where(LtiLaunchState.state == state))
        assert row is not None
        _enabled(session.get(LtiPlatform, row.platform_id))
        user = session.get(User, user_id)
        linked = session.scalar(
            select(LtiAccount).where(
                LtiAccount.platform_id == row.platform_id, LtiAccount.user_id == user_id
            )
        )
        if user is None or linked is None:
            raise LtiError("handoff_used")
        if not user.is_active:
            raise LtiError("account_disabled")
        return user
