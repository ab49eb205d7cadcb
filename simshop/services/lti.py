"""SimShop as an LTI 1.3 tool (1EdTech LTI Core 1.3, Security Framework 1.0, Deep Linking
2.0, Names and Role Provisioning Services 2.0, Assignment and Grade Services 2.0).

The flow (OIDC third-party initiated login):

1. The platform sends the browser to ``/lti/login`` (``iss``, ``login_hint``,
   ``target_link_uri``, ``lti_message_hint``, optionally ``client_id`` and
   ``lti_deployment_id``). :func:`begin_login` stores a fresh ``state`` and ``nonce`` and
   answers with the platform's authorisation URL (the view also puts ``state`` in a cookie, so
   the launch is bound to this browser).
2. The platform posts a signed ``id_token`` and the ``state`` to ``/lti/launch``.
   :func:`validate_launch` claims the state (single use: a replay finds it used), checks the
   token's signature with the platform's published keys (JWKS, by ``kid``, RS256 only) and
   every claim the specification requires: ``iss``, ``aud`` (and ``azp`` when there are
   several audiences), ``exp``/``iat``, ``nonce`` (the one stored with this state, so it is
   single-use too), the deployment id, the message type and the LTI version.
3. :func:`complete_launch` links the platform user (``sub``) to a SimShop account and, for a
   resource link, lands them in the game named by the link's custom parameter
   ``simshop_game_id`` (enrolling a learner; an instructor must be staff of the game). A deep
   linking request lets an instructor pick a game; :func:`deep_link_response` signs the
   answer with the tool's key.

Services (the tool calls the platform, with an OAuth 2 client-credentials token obtained with
a JWT signed by the tool's key, :func:`access_token`): :func:`sync_roster` (NRPS) enrols the
course's learners into the linked game; :func:`post_grades` (AGS) sends ``user id -> grade
0..100`` to the link's grade column. The CSV gradebook remains the fallback.

The JOSE work (JWS signatures, JWK sets) is done by ``joserfc``; the LTI rules are here,
because PyLTI1p3 (last release 2022) is unmaintained and not in this project's index.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import extract_compact
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from simshop.config import create_once
from simshop.errors import CodedError
from simshop.models import Game, LtiAccount, LtiLaunchState, LtiLink, LtiPlatform, Role, User
from simshop.models.user import utcnow
from simshop.security import generate_password, hash_password
from simshop.services import gradebook
from simshop.services import membership as membership_service
from simshop.services import teams as teams_service
from simshop.services.uow import transaction, unit_of_work

LTI_VERSION = "1.3.0"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
GAME_PARAMETER = "simshop_game_id"
INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
)


def is_instructor_role(roles: list[str]) -> bool:
    """Instructors and administrators (full role URIs, or the short names NRPS may use)."""
    return any(
        role in INSTRUCTOR_ROLES or role in ("Instructor", "Administrator") for role in roles
    )


STATE_LIFETIME = timedelta(minutes=10)
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_AGE_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
JWKS_CACHE_SECONDS = 300
PRIVATE_KEY_FILENAME = "lti_private_key.pem"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class LtiError(CodedError):
    """A refused launch, registration or service call (``code`` says why)."""

    area = "lti"


# --------------------------------------------------------------------------- the tool's key


@functools.cache
def tool_key(path: str) -> RSAKey:
    """The tool's RSA key pair in the PEM file ``path`` (``instance/lti_private_key.pem``),
    generated on first use (mode 0600; never in the repository). Its ``kid`` is its RFC 7638
    thumbprint."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    pem = create_once(path, RSAKey.generate_key(2048, private=True).as_pem(private=True))
    key = RSAKey.import_key(pem)
    return RSAKey.import_key(
        pem, parameters={"kid": key.thumbprint(), "alg": "RS256", "use": "sig"}
    )


def tool_jwks(key: RSAKey) -> dict[str, Any]:
    """The public half, as the JWK set the platform fetches."""
    return {"keys": [key.as_dict(private=False)]}


def _sign(claims: dict[str, Any], key: RSAKey) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)


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


# --------------------------------------------------------------------------- HTTP


def _http(
    method: str, url: str, *, headers: dict[str, str], body: bytes | None = None
) -> tuple[dict[str, str], Any]:
    """One request to a platform: (headers, decoded JSON body). Errors become LtiError."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        exc.close()  # an HTTPError holds the open response: close its socket now
        raise LtiError("service_refused", url=url, status=exc.code) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise LtiError("service_unavailable", url=url) from None
    try:
        return answer_headers, json.loads(raw) if raw else None
    except ValueError:
        raise LtiError("service_bad_answer", url=url) from None


class PlatformKeys:
    """The platforms' JWK sets, fetched on demand and kept for a few minutes; an unknown
    ``kid`` fetches the set again once (the platform may have rotated its keys)."""

    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, KeySet]] = {}
        self._lock = threading.Lock()

    def key_set(self, jwks_url: str, *, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._sets.get(jwks_url)
        if cached is not None and not refresh and time.monotonic() - cached[0] < JWKS_CACHE_SECONDS:
            return cached[1]
        try:
            _headers, document = _http("GET", jwks_url, headers={"Accept": "application/json"})
            key_set = KeySet.import_key_set(document)
        except LtiError:
            raise LtiError("jwks_unavailable", url=jwks_url) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise LtiError("jwks_unavailable", url=jwks_url) from None
        with self._lock:
            self._sets[jwks_url] = (time.monotonic(), key_set)
        return key_set

    def forget(self, jwks_url: str) -> None:
        with self._lock:
            self._sets.pop(jwks_url, None)


platform_keys = PlatformKeys()


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


# --------------------------------------------------------------------------- services


def access_token(platform: LtiPlatform, scopes: list[str], key: RSAKey) -> str:
    """An OAuth 2 access token from the platform (client credentials with a signed JWT
    client assertion, RFC 7523)."""
    now = int(time.time())
    assertion = _sign(
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        },
        key,
    )
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }
    ).encode()
    _headers, answer = _http(
        "POST",
        platform.auth_token_url,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        body=body,
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise LtiError("service_bad_answer", url=platform.auth_token_url)
    return token


def links_of(session: Session, game: Game) -> list[LtiLink]:
    return list(
        session.scalars(select(LtiLink).where(LtiLink.game_id == game.id).order_by(LtiLink.id))
    )


def link_of(session: Session, game: Game, link_id: int) -> LtiLink | None:
    link = session.get(LtiLink, link_id)
    return link if link is not None and link.game_id == game.id else None


def _next_page(headers: dict[str, str]) -> str | None:
    for part in headers.get("link", "").split(","):
        if 'rel="next"' in part and "<" in part and ">" in part:
            return part[part.index("<") + 1 : part.index(">")]
    return None


@dataclass(frozen=True)
class RosterSync:
    created: int
    enrolled: int
    skipped_instructors: int


def sync_roster(session: Session, link: LtiLink, key: RSAKey) -> RosterSync:
    """Enrol the course's active learners (NRPS) into the link's game; accounts are created
    for learners SimShop has not seen. The platform is read first, then one transaction
    writes."""
    if not link.memberships_url:
        raise LtiError("no_memberships_service")
    platform, game = _enabled(link.platform), session.get(Game, link.game_id)
    assert game is not None
    token = access_token(platform, [SCOPE_MEMBERSHIPS], key)
    members: list[dict[str, Any]] = []
    url: str | None = link.memberships_url
    while url:
        headers, answer = _http(
            "GET",
            url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            },
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("members"), list):
            raise LtiError("service_bad_answer", url=url)
        members.extend(m for m in answer["members"] if isinstance(m, dict))
        url = _next_page(headers)
    created = enrolled = skipped = 0
    with transaction(session):
        for member in members:
            subject = member.get("user_id")
            if not isinstance(subject, str) or member.get("status", "Active") != "Active":
                continue
            roles = [str(r) for r in member.get("roles", [])]
            if is_instructor_role(roles):
                skipped += 1
                continue
            known = session.scalar(
                select(LtiAccount).where(
                    LtiAccount.platform_id == platform.id, LtiAccount.subject == subject
                )
            )
            user = _account(session, platform.id, subject, member, instructor=False)
            created += known is None
            if teams_service.player_for(session, game.id, user) is None:
                teams_service.join_game(session, user, game.join_code)
                enrolled += 1
    return RosterSync(created, enrolled, skipped)


def published_grades(session: Session, game: Game) -> dict[int, float] | None:
    """The gradebook's published grades, or None while nothing is published."""
    return gradebook.published_grades(session, game) or None


def can_create_grade_column(link: LtiLink) -> bool:
    """The course announced its line-items service with the scope to create columns."""
    return bool(link.lineitems_url) and SCOPE_LINEITEM in (link.scopes or [])


def _resource_id(game: Game) -> str:
    return f"simshop-game-{game.id}"


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def ensure_grade_column(session: Session, link: LtiLink, key: RSAKey) -> str:
    """The link's grade column (AGS line item) URL. A link launched without one gets it
    created once through the course's line-items service: SimShop first looks for a column
    tagged with the game's resource id (one created before whose URL was not stored), then
    POSTs a new 0..100 column, and stores its URL on the link, so later passbacks reuse it."""
    if link.lineitem_url:
        return link.lineitem_url
    if not can_create_grade_column(link):
        raise LtiError("no_grade_column")
    assert link.lineitems_url is not None
    platform, game = _enabled(link.platform), session.get(Game, link.game_id)
    assert game is not None
    token = access_token(platform, [SCOPE_LINEITEM], key)
    auth = {"Authorization": f"Bearer {token}"}
    url = _with_query(link.lineitems_url, resource_id=_resource_id(game))
    _headers, found = _http("GET", url, headers={**auth, "Accept": LINEITEMS_TYPE})
    items = [
        item
        for item in (found if isinstance(found, list) else [])
        if isinstance(item, dict) and item.get("resourceId") == _resource_id(game)
    ]
    if items:
        created = items[0]
    else:
        column = {
            "scoreMaximum": 100,
            "label": game.title[:255],
            "resourceId": _resource_id(game),
            "tag": "simshop-grade",
        }
        _headers, created = _http(
            "POST",
            link.lineitems_url,
            headers={**auth, "Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
            body=json.dumps(column).encode(),
        )
    column_url = created.get("id") if isinstance(created, dict) else None
    if not isinstance(column_url, str) or not column_url:
        raise LtiError("service_bad_answer", url=link.lineitems_url)
    column_url = _check_url(column_url, "lineitem")
    with transaction(session):
        link.lineitem_url = column_url
    return column_url


def _scores_url(lineitem_url: str) -> str:
    parts = urllib.parse.urlsplit(lineitem_url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


@dataclass(frozen=True)
class GradePassback:
    sent: int
    without_account: list[int]


def post_grades(
    session: Session, link: LtiLink, grades: dict[int, float], key: RSAKey
) -> GradePassback:
    """Send each user's grade (0..100) to the link's grade column (AGS scores), creating the
    column first if the course has none (:func:`ensure_grade_column`). Users who never came
    through this platform are listed in ``without_account`` (use the CSV)."""
    for user_id, grade in grades.items():
        if not 0 <= grade <= 100:
            raise LtiError("grade_range", user_id=user_id)
    _enabled(link.platform)
    lineitem_url = ensure_grade_column(session, link, key)
    accounts = {
        account.user_id: account.subject
        for account in session.scalars(
            select(LtiAccount).where(
                LtiAccount.platform_id == link.platform_id, LtiAccount.user_id.in_(list(grades))
            )
        )
    }
    token = access_token(link.platform, [SCOPE_SCORE], key)
    sent = 0
    for user_id, grade in sorted(grades.items()):
        if user_id not in accounts:
            continue
        score = {
            "userId": accounts[user_id],
            "scoreGiven": round(float(grade), 2),
            "scoreMaximum": 100,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": utcnow().isoformat(timespec="milliseconds"),
        }
        _http(
            "POST",
            _scores_url(lineitem_url),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/vnd.ims.lis.v1.score+json",
            },
            body=json.dumps(score).encode(),
        )
        sent += 1
    return GradePassback(sent, sorted(set(grades) - set(accounts)))
