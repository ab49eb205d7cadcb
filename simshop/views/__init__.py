"""Blueprints and the generic error pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from simshop.extensions import db
from simshop.forms.base import NUL_FIELDS_KEY, nul_fields
from simshop.ids import MAX_ID
from simshop.services.uow import end_read

ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l(
            "The request could not be understood. If you were sending a form, it may have "
            "expired: go back, reload the page and try again."
        ),
    ),
    401: (_l("Please log in"), _l("You need to log in to see this page.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (
        _l("Page not found"),
        _l("There is nothing at this address. Check the link or go back to the dashboard."),
    ),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (
        _l("Conflict"),
        _l("Something changed in the meantime. Reload the page and try again."),
    ),
    413: (_l("Too large"), _l("What you sent is too large. The limit is 2 MB.")),
    422: (
        _l("Cannot be processed"),
        _l("What you sent could not be used. Check it and try again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side. Please try again in a moment."),
    ),
}


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def render_error(code: int):
    title, message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code < 400:  # redirects raised as exceptions (e.g. RequestRedirect) pass through
        return error
    if code not in ERROR_TEXTS:
        # Any other client error gets the generic "bad request" text with its own code.
        title, message = ERROR_TEXTS[400] if code < 500 else ERROR_TEXTS[500]
        return render_template("errors/error.html", code=code, title=title, message=message), code
    return render_error(code)


def handle_server_error(_error: InternalServerError):
    # The request's transaction may be half done; never leave it open or commit it.
    end_read(db.session)
    return render_error(500)


def register_template_globals(app: Flask) -> None:
    """What every template may ask the round lifecycle (labels and allowed actions)."""
    from simshop.models.user import utcnow
    from simshop.services import lifecycle
    from simshop.views.explained import signed_money, signed_units

    app.jinja_env.globals.update(
        status_label=lifecycle.status_label,
        allowed_actions=lifecycle.allowed_actions,
        lease_expired=lifecycle.lease_expired,
        action_label=lambda action: str(lifecycle.ACTION_LABELS[action]),
        confirm_actions=lifecycle.CONFIRM_ACTIONS,
        signed_money=signed_money,
        signed_units=signed_units,
    )

    @app.context_processor
    def _now() -> dict[str, object]:
        return {"now": utcnow()}


class Int64Converter(IntegerConverter):
    """``<int:...>`` in every rule: ids beyond 64 bits do not match (a 404), instead of
    reaching the database driver and failing there with a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (Werkzeug's parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


NUL_TITLE = _l("Text with a NUL character")
NUL_MESSAGE = _l(
    "The field “%(field)s” contains a NUL character (U+0000), which is not allowed in text. "
    "Go back, remove it and try again."
)


def _field_with_nul() -> str | None:
    """The name of the first query parameter (name or value) or upload holding a NUL byte,
    or ``"URL"`` for the path. Form fields are not refused here: see :func:`_strip_nul_form`.
    A GET or HEAD reads no body (cheap polls): only its URL is checked."""
    if request.query_string:
        for key, values in request.args.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "")
    if "\x00" in request.path:
        return "URL"
    if request.method in ("GET", "HEAD"):
        return None
    for key, upload in request.files.items():
        if "\x00" in (upload.filename or ""):
            return key
    return None


def _strip_nul_form() -> None:
    """Remove NUL characters from the posted form, so no view, form or database sees one, and
    record the fields that held one (:func:`simshop.forms.base.nul_fields`): a form shows the
    error on the field, :func:`form_text` refuses a raw read of it."""
    if not any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
        return
    bad = set()
    clean = []
    for key, value in request.form.items(multi=True):
        if "\x00" in key or "\x00" in value:
            bad.add(key.replace("\x00", ""))
        clean.append((key.replace("\x00", ""), value.replace("\x00", "")))
    request.form = ImmutableMultiDict(clean)  # type: ignore[misc]
    setattr(g, NUL_FIELDS_KEY, frozenset(bad))


def _nul_page(field: str) -> Response:
    page = render_template(
        "errors/error.html", code=400, title=NUL_TITLE, message=NUL_MESSAGE % {"field": field}
    )
    return make_response(page, 400)


def refuse_nul_bytes():
    """One check for every request: a NUL byte in the URL, a query parameter or a file name
    is refused (400, naming the field) before a view sees it; in a form field it is removed
    and the form shows an error on that field. PostgreSQL rejects NUL in text and no SimShop
    text needs one."""
    field = _field_with_nul()
    if field is not None:
        return _nul_page(field)
    if request.method not in ("GET", "HEAD"):
        _strip_nul_form()
    return None


def form_text(name: str, default: str = "") -> str:
    """A posted value a view reads without a form; one that held a NUL byte is refused with
    the 400 page naming it (a form would show the error on its field)."""
    if name in nul_fields():
        abort(_nul_page(name))
    return request.form.get(name, default)


def register_request_guards(app: Flask) -> None:
    """Before any rule is added: the 64-bit ``int`` converter; then the NUL-byte filter."""
    app.url_map.converters["int"] = Int64Converter
    app.before_request(refuse_nul_bytes)


def register_blueprints(app: Flask) -> None:
    register_template_globals(app)
    from simshop.views import auth, main

    auth.configure_login()
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    from simshop.views import instructor, student  # games (views/instructor.py, student.py)

    app.register_blueprint(instructor.bp)
    app.register_blueprint(student.bp)
    from simshop.views import lab  # data lab (research, dashboards, what if, exports, debrief)

    app.register_blueprint(lab.bp)
    from simshop.views import scenarios  # scenario authoring

    app.register_blueprint(scenarios.bp)
    from simshop.views import competitions, leaderboard  # leaderboards, projector, competitions

    app.register_blueprint(leaderboard.bp)
    app.register_blueprint(competitions.bp)
    from simshop.views import assessment  # quizzes, forecasts, the gradebook

    app.register_blueprint(assessment.bp)
    from simshop.views import lti, lti_admin, lti_frame, teamwork  # memos, peer review; LTI

    app.register_blueprint(teamwork.bp)
    app.register_blueprint(lti.bp)
    app.register_blueprint(lti_admin.bp)
    lti_frame.init_app(app)  # framed launches: frame-ancestors and their session cookie


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
