"""SimShop inside a learning platform's frame (an LTI launch in an iframe).

Every page forbids framing (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``) except:

- the launch's own answers (its landing page and its refusals), framable by the platforms'
  registered origins;
- the pages a user launched in a frame goes on to see (the blueprints in
  :data:`FRAMEABLE_BLUEPRINTS`, the dashboard), framable only by the origins of the platform
  they were launched from (:func:`simshop.services.lti.frame_origins`), while it is enabled.
  Account pages (log in, register, password), the administration, scenarios and
  competitions are never framed.

A session started by a framed launch over https has its cookie sent ``SameSite=None; Secure;
Partitioned`` (CHIPS): the browser keeps it for SimShop inside that platform's pages only and
sends it in the frame; every other session keeps ``SameSite=Lax``. Where the browser blocks
even that cookie, the landing page offers to continue in a new window with a signed,
single-use token (``/lti/continue``, :func:`simshop.services.lti.hand_off`). See docs/lti.md.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer

from simshop.extensions import db
from simshop.security import FRAME_ANCESTORS_KEY
from simshop.services import lti as lti_service

FRAME_KEY = "lti_frame"
"""Session key: the id of the platform whose frame this session was launched in."""

FRAMEABLE_BLUEPRINTS = frozenset(
    {"student", "lab", "assessment", "teamwork", "leaderboard", "instructor", "lti"}
)
FRAMEABLE_ENDPOINTS = frozenset({"main.dashboard"})
HANDOFF_SALT = "simshop-lti-handoff"
HANDOFF_MAX_AGE_SECONDS = 300


def launched_in_frame() -> bool:
    """The browser says this request loads a frame (``Sec-Fetch-Dest: iframe``, sent by every
    current browser; one that sends no such header is treated as a top-level window, which
    never loosens the framing rules)."""
    return request.headers.get("Sec-Fetch-Dest") in ("iframe", "frame")


class FramedSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions; a framed LTI session over https gets a ``SameSite=None;
    Secure; Partitioned`` cookie (browsers send nothing else inside another site's frame)."""

    @staticmethod
    def _framed() -> bool:
        # outside a request (the poll middleware builds cookies before Flask) never framed:
        # the middleware leaves framed sessions to Flask
        return has_request_context() and bool(request.is_secure and session.get(FRAME_KEY))

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if self._framed() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if self._framed() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return True if self._framed() else super().get_cookie_partitioned(app)


def allow_framing_by(origins: list[str]) -> None:
    """Let ``origins`` frame this response (the security headers read it)."""
    if origins:
        g.setdefault(FRAME_ANCESTORS_KEY, [])
        g.frame_ancestors = list(dict.fromkeys([*g.frame_ancestors, *origins]))


def allow_framing_by_platforms() -> None:
    """For the launch's answers: every enabled platform's origins."""
    for platform in lti_service.platforms(db.session):
        if platform.is_enabled:
            allow_framing_by(lti_service.frame_origins(platform))


def _frame_launched_session() -> None:
    platform_id = session.get(FRAME_KEY)
    if platform_id is None or not current_user.is_authenticated:
        return
    if request.blueprint not in FRAMEABLE_BLUEPRINTS and request.endpoint not in (
        FRAMEABLE_ENDPOINTS
    ):
        return
    platform = lti_service.platform_by_id(db.session, platform_id)
    if platform is not None and platform.is_enabled:
        allow_framing_by(lti_service.frame_origins(platform))


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=HANDOFF_SALT)  # type: ignore[arg-type]


def handoff_token(app: Flask, state: str, user_id: int, platform_id: int, target: str) -> str:
    return _serializer(app).dumps({"s": state, "u": user_id, "p": platform_id, "to": target})


def read_handoff(app: Flask, token: str) -> dict[str, Any] | None:
    """The handoff's data, or None when forged, altered or older than 5 minutes."""
    try:
        data = _serializer(app).loads(token, max_age=HANDOFF_MAX_AGE_SECONDS)
    except BadData:
        return None
    target = data.get("to") if isinstance(data, dict) else None
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    return data


def init_app(app: Flask) -> None:
    app.session_interface = FramedSessionInterface()
    app.before_request(_frame_launched_session)
