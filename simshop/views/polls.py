"""Unchanged projector and leaderboard polls answered before Flask runs (a WSGI middleware).

A classroom PC polls ``/projector/<token>/state`` every few seconds all lesson long, almost
always to hear "not modified". The view answers that from memory already
(:func:`simshop.services.projector.fresh_etag`), but the request still passes through Flask,
its extensions and their hooks, which cost several times the answer itself. This middleware
gives the same answer earlier, from the same memory and nothing else (no database, no Redis):

- the secret link: ``GET /projector/<token>/state`` with ``If-None-Match`` and no query
  string, from a visitor without a session cookie, when this worker resolved the token
  within the last seconds, built the state for the game in the visitor's language within the
  recheck time, and holds the game's results version in its cache unchanged since;
- signed in: ``GET /games/<id>/projector/state`` and ``GET /games/<id>/leaderboard`` with
  ``If-None-Match`` and no query string, when the session cookie's signature and age are
  valid (Flask's own serializer and lifetime), it holds a user and no flashed message, its
  Flask-Login identifier matches this client (else Flask-Login would mark it non-fresh), and
  Flask served this same session token, game, page and language within the recheck time
  (``PROJECTOR_RECHECK_SECONDS``): Flask loaded the user (session version, active) and
  checked their membership then (:func:`remember_reader`). Logging out or changing the
  password forgets the user's readers on this worker at once (:func:`forget_user`); other
  workers and hosts stop answering from memory within the recheck time, less than one poll
  interval, and then ask the database through Flask. The leaderboard's ETag is the one Flask
  sent, valid while the game's cached results version is unchanged; the projector's comes
  from the projector's own memory as for the secret link;
- with the headers the view, ``security.set_security_headers`` and Flask's session (the
  refreshed cookie of a permanent session) would send.

Anything else, and any doubt, goes to Flask, which answers and refreshes that memory.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import cachetools
from itsdangerous import BadSignature
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import dump_cookie, parse_accept_header, parse_cookie, parse_etags

from simshop.i18n import SESSION_KEY as LOCALE_SESSION_KEY
from simshop.i18n import SUPPORTED_LOCALES, locale_from_accept_language
from simshop.security import SECURITY_HEADERS
from simshop.services import live
from simshop.services import projector as projector_service
from simshop.views.lti_frame import FRAME_KEY

if TYPE_CHECKING:
    from flask import Flask

_STATE_PATH = re.compile(r"/projector/([A-Za-z0-9_-]{1,64})/state")
_MEMBER_PATH = re.compile(r"/games/([1-9][0-9]{0,17})/(projector/state|leaderboard)")
PROJECTOR = "projector"
LEADERBOARD = "leaderboard"
_PAGES = {"projector/state": PROJECTOR, "leaderboard": LEADERBOARD}
_VARY = {PROJECTOR: "Cookie, Accept-Language", LEADERBOARD: "Cookie"}


@dataclass(frozen=True)
class _Reader:
    until: float  # time.monotonic()
    etag: str | None  # the leaderboard's (the projector's lives in services.projector)
    results_version: int | None


_lock = threading.Lock()
_readers: cachetools.LRUCache[tuple[str, int, str, str], _Reader] = cachetools.LRUCache(8192)
# Session cookies whose signature was verified: raw value -> (session, signing time).
_cookies: cachetools.LRUCache[str, tuple[dict[str, Any], int]] = cachetools.LRUCache(4096)
# The refreshed Set-Cookie header per (cookie, marked non-fresh): (second, header).
_refreshed_cookies: cachetools.LRUCache[tuple[str, bool], tuple[int, str]] = cachetools.LRUCache(
    4096
)


def remember_reader(
    user_token: str | None,
    game_id: int,
    page: str,
    locale: str,
    *,
    seconds: float,
    etag: str | None = None,
    results_version: int | None = None,
) -> None:
    """Flask has just served ``page`` of the game to the session holding ``user_token``
    (``"<id>:<session version>"``, checked by Flask-Login's loader) after checking its
    membership: for ``seconds`` this worker may answer that session's unchanged polls of
    the page in ``locale`` without Flask."""
    if not user_token or seconds <= 0:
        return
    with _lock:
        _readers[(user_token, game_id, page, locale)] = _Reader(
            time.monotonic() + seconds, etag, results_version
        )


def remembered_reader(user_token: str, game_id: int, page: str, locale: str) -> _Reader | None:
    with _lock:
        seen = _readers.get((user_token, game_id, page, locale))
    if seen is None or seen.until < time.monotonic():
        return None
    return seen


def forget_user(user_id: int) -> None:
    """Drop every remembered reader of this user (any session version) on this worker."""
    prefix = f"{int(user_id)}:"
    with _lock:
        for key in [k for k in _readers if k[0].startswith(prefix)]:
            _readers.pop(key, None)


def forget_readers() -> None:
    with _lock:
        _readers.clear()
        _cookies.clear()
        _refreshed_cookies.clear()


def _client_identifier(environ: dict[str, Any]) -> str:
    """Flask-Login's session identifier (``flask_login.utils._create_identifier``): the
    client address (first ``X-Forwarded-For`` entry, else the peer) and user agent."""
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = environ.get("HTTP_USER_AGENT")
    if agent is not None:
        agent = agent.encode("utf-8")
    return hashlib.sha512(f"{address}|{agent}".encode()).hexdigest()


class UnchangedPolls:
    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        flask_app: Flask,
        session_cookie: str,
        locale_cookie: str,
        max_rows: int,
        config: dict[str, Any],
    ) -> None:
        self.app = app
        self.flask_app = flask_app
        self.config = config  # the app's: PROJECTOR_RECHECK_SECONDS 0 switches this off
        self.session_cookie = session_cookie
        self.locale_cookie = locale_cookie
        self.max_rows = max_rows
        self._sessions: Any = None  # Flask's session interface and serializer, on first use

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        etags = environ.get("HTTP_IF_NONE_MATCH")
        if (
            etags
            and environ.get("REQUEST_METHOD") == "GET"
            and not environ.get("QUERY_STRING")
            and self.config.get("PROJECTOR_RECHECK_SECONDS", 0) > 0
        ):
            path = environ.get("PATH_INFO", "")
            answer = None
            if match := _STATE_PATH.fullmatch(path):
                etag = self._remembered(match.group(1), environ)
                if etag is not None and parse_etags(etags).contains(etag):
                    answer = (etag, _VARY[PROJECTOR], [])
            elif match := _MEMBER_PATH.fullmatch(path):
                answer = self._signed_in(int(match.group(1)), _PAGES[match.group(2)], environ)
                if answer is not None and not parse_etags(etags).contains(answer[0]):
                    answer = None
            if answer is not None:
                etag, vary, extra = answer
                headers = [
                    ("ETag", f'"{etag}"'),
                    ("Cache-Control", "no-cache, private"),
                    ("Vary", vary),
                    *SECURITY_HEADERS.items(),
                    *extra,
                ]
                start_response("304 NOT MODIFIED", headers)
                return [b""]
        return self.app(environ, start_response)

    def _signed_in(
        self, game_id: int, page: str, environ: dict[str, Any]
    ) -> tuple[str, str, list[tuple[str, str]]] | None:
        """(ETag, Vary, [Set-Cookie]) for a signed-in reader Flask served within the recheck
        time (see the module's text), else None."""
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        raw = cookies.get(self.session_cookie)
        if not raw:
            return None
        data = self._session_data(raw)
        if data is None:
            return None
        user_token = data.get("_user_id")
        if not isinstance(user_token, str) or data.get("_flashes") or not data.get("_permanent"):
            return None
        if data.get(FRAME_KEY):
            return None  # a framed LTI session's cookie attributes depend on the request: Flask
        modified = self._protect(data, environ)
        locale = data.get(LOCALE_SESSION_KEY) or cookies.get(self.locale_cookie)
        if locale not in SUPPORTED_LOCALES:
            accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
            locale = locale_from_accept_language(tag for tag, _quality in accepted)
        seen = remembered_reader(user_token, game_id, page, locale)
        if seen is None:
            return None
        if page == PROJECTOR:
            etag = projector_service.remembered_etag(game_id, locale=locale, max_rows=self.max_rows)
        else:
            version = live.cached_results_version(game_id)
            etag = seen.etag if version is not None and version == seen.results_version else None
        if etag is None:
            return None
        refresh = modified or self.config.get("SESSION_REFRESH_EACH_REQUEST", True)
        cookie = [("Set-Cookie", self._refreshed(raw, data, modified))] if refresh else []
        return etag, _VARY[page], cookie

    def _session_data(self, raw: str) -> dict[str, Any] | None:
        """The session in cookie ``raw`` (a copy), if its signature is valid and it is not
        older than the session lifetime: what Flask's ``open_session`` accepts. A verified
        cookie is remembered with its signing time, so its signature is checked once."""
        max_age = int(self.flask_app.permanent_session_lifetime.total_seconds())
        with _lock:
            seen = _cookies.get(raw)
        if seen is None:
            _interface, serializer = self._session_tools()
            if serializer is None:
                return None
            try:
                data, signed = serializer.loads(raw, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return None
            if not isinstance(data, dict):
                return None
            seen = (data, int(signed.timestamp()))
            with _lock:
                _cookies[raw] = seen
        data, signed_at = seen
        age = int(time.time()) - signed_at  # itsdangerous's rule, in whole seconds
        if age < 0 or age > max_age:
            return None
        return dict(data)

    def _protect(self, data: dict[str, Any], environ: dict[str, Any]) -> bool:
        """Flask-Login's session protection for a permanent session (basic and strong modes
        alike): a session used from another address or browser than it was created in is
        marked non-fresh. Returns whether ``data`` changed."""
        from simshop.extensions import login_manager

        mode = self.config.get("SESSION_PROTECTION", login_manager.session_protection)
        if mode not in ("basic", "strong") or data.get("_id") == _client_identifier(environ):
            return False
        if data.get("_fresh") is False:
            return False
        data["_fresh"] = False
        return True

    def _session_tools(self) -> tuple[Any, Any]:
        if self._sessions is None:
            interface = self.flask_app.session_interface
            self._sessions = (interface, interface.get_signing_serializer(self.flask_app))
        return self._sessions

    def _refreshed(self, raw: str, data: dict[str, Any], modified: bool) -> str:
        """The Set-Cookie header Flask sends for a permanent session (a new signature time
        and expiry: SESSION_REFRESH_EACH_REQUEST). Both have a resolution of one second, so
        the header is built once per cookie and second."""
        second = int(time.time())
        with _lock:
            built = _refreshed_cookies.get((raw, modified))
        if built is not None and built[0] == second:
            return built[1]
        header = self._set_cookie(data)
        with _lock:
            _refreshed_cookies[(raw, modified)] = (second, header)
        return header

    def _set_cookie(self, data: dict[str, Any]) -> str:
        interface, serializer = self._session_tools()
        app = self.flask_app
        return dump_cookie(
            interface.get_cookie_name(app),
            serializer.dumps(data),
            expires=datetime.now(UTC) + app.permanent_session_lifetime,
            path=interface.get_cookie_path(app),
            domain=interface.get_cookie_domain(app),
            secure=interface.get_cookie_secure(app),
            httponly=interface.get_cookie_httponly(app),
            samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app),
        )

    def _remembered(self, token: str, environ: dict[str, Any]) -> str | None:
        game_id = projector_service.cached_game_id(token)
        if game_id is None:
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if self.session_cookie in cookies:
            return None  # the session may choose the language: Flask decides
        locale = cookies.get(self.locale_cookie)
        if locale not in SUPPORTED_LOCALES:
            accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
            locale = locale_from_accept_language(tag for tag, _quality in accepted)
        return projector_service.remembered_etag(game_id, locale=locale, max_rows=self.max_rows)
