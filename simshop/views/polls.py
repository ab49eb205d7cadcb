"""Unchanged projector polls answered before Flask runs (a WSGI middleware).

A classroom PC polls ``/projector/<token>/state`` every few seconds all lesson long, almost
always to hear "not modified". The view answers that from memory already
(:func:`simshop.services.projector.fresh_etag`), but the request still passes through Flask,
its extensions and their hooks, which cost several times the answer itself. This middleware
gives the same answer earlier, from the same memory and nothing else:

- only for ``GET /projector/<token>/state`` with ``If-None-Match`` and no query string, from a
  visitor without a session cookie (a signed-in browser goes through Flask);
- only when this worker resolved the token within the last seconds, built the state for the
  game in the visitor's language within the recheck time, and holds the game's results
  version in its cache unchanged since (no database, no Redis here);
- with the headers the view and ``security.set_security_headers`` would send.

Anything else, and any doubt, goes to Flask, which answers and refreshes that memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from simshop.i18n import SUPPORTED_LOCALES, locale_from_accept_language
from simshop.security import SECURITY_HEADERS
from simshop.services import projector as projector_service

_STATE_PATH = re.compile(r"/projector/([A-Za-z0-9_-]{1,64})/state")


class UnchangedPolls:
    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        session_cookie: str,
        locale_cookie: str,
        max_rows: int,
        config: dict[str, Any],
    ) -> None:
        self.app = app
        self.config = config  # the app's: PROJECTOR_RECHECK_SECONDS 0 switches this off
        self.session_cookie = session_cookie
        self.locale_cookie = locale_cookie
        self.max_rows = max_rows

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        etags = environ.get("HTTP_IF_NONE_MATCH")
        if (
            etags
            and environ.get("REQUEST_METHOD") == "GET"
            and not environ.get("QUERY_STRING")
            and self.config.get("PROJECTOR_RECHECK_SECONDS", 0) > 0
        ):
            match = _STATE_PATH.fullmatch(environ.get("PATH_INFO", ""))
            etag = self._remembered(match.group(1), environ) if match else None
            if etag is not None and parse_etags(etags).contains(etag):
                headers = [
                    ("ETag", f'"{etag}"'),
                    ("Cache-Control", "no-cache, private"),
                    ("Vary", "Cookie, Accept-Language"),
                    *SECURITY_HEADERS.items(),
                ]
                start_response("304 NOT MODIFIED", headers)
                return [b""]
        return self.app(environ, start_response)

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
