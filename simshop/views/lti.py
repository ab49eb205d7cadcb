"""LTI 1.3 endpoints: login initiation, launch, the tool's JWKS, deep linking, and the
instructor's page of a game's course links (roster sync).

``/lti/login`` and ``/lti/launch`` are exempt from the CSRF token check: the learning
platform (another site) sends them, so they cannot carry our form token. They are protected
instead by what the LTI security framework requires: the launch carries an ``id_token``
signed by the platform's registered key, and the ``state`` (single use, also kept in a
cookie of this browser) and ``nonce`` SimShop issued at login; see services/lti.py.
"""

from __future__ import annotations

import os
import urllib.parse

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from simshop.errors import CodedError
from simshop.extensions import csrf, db, limiter
from simshop.forms.game import ActionForm
from simshop.forms.lti import DeepLinkForm
from simshop.ids import parse_id
from simshop.messages import error_message
from simshop.models import User
from simshop.security import FRAME_ANCESTORS_KEY, content_security_policy
from simshop.services import lti as lti_service
from simshop.services import membership as membership_service
from simshop.views import lti_frame
from simshop.views.access import Need, game_for, require_role
from simshop.views.auth import start_session

bp = Blueprint("lti", __name__, url_prefix="/lti")

STATE_COOKIE = "simshop_lti_state"
DEEP_LINK_KEY = "lti_deep_link"
REFUSED_TITLE = _l("LTI launch refused")


def tool_key():
    """The tool's key pair: ``LTI_PRIVATE_KEY_PATH``, by default in the instance folder."""
    path = current_app.config.get("LTI_PRIVATE_KEY_PATH") or os.path.join(
        current_app.instance_path, lti_service.PRIVATE_KEY_FILENAME
    )
    return lti_service.tool_key(path)


def refused(exc: CodedError, code: int = 400):
    if request.endpoint in ("lti.login", "lti.launch", "lti.continue_in_window"):
        lti_frame.allow_framing_by_platforms()  # the course's frame shows why
    return (
        render_template(
            "errors/error.html", code=code, title=REFUSED_TITLE, message=error_message(exc)
        ),
        code,
    )


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["LTI_LOGIN_RATE_LIMIT"])
def login():
    params = {k: v for k, v in request.values.items() if isinstance(v, str)}
    try:
        location, state = lti_service.begin_login(
            db.session, params, url_for("lti.launch", _external=True)
        )
    except lti_service.LtiError as exc:
        return refused(exc)
    response = redirect(location)
    secure = request.is_secure
    # SameSite=None lets the cookie come back with the platform's cross-site POST (https
    # only, as browsers require); plain http is for local trials, where Lax does.
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=int(lti_service.STATE_LIFETIME.total_seconds()),
        path=url_for("lti.launch"),
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
        partitioned=secure,  # kept for SimShop inside this platform's frame (CHIPS)
    )
    return response


@bp.post("/launch")
@csrf.exempt
def launch():
    blocked = not request.cookies.get(STATE_COOKIE) and request.form.get("state")
    if blocked and lti_frame.launched_in_frame():
        return refused(lti_service.LtiError("state_cookie_blocked"))
    try:
        message = lti_service.validate_launch(
            db.session,
            id_token=request.form.get("id_token", ""),
            state=request.form.get("state", ""),
            cookie_state=request.cookies.get(STATE_COOKIE),
        )
        landing = lti_service.complete_launch(db.session, message)
    except CodedError as exc:
        return refused(exc)
    user = db.session.get(User, landing.user_id)
    start_session(user)
    if landing.kind == "deep_link":
        session[DEEP_LINK_KEY] = landing.deep_link
        target = url_for("lti.deep_link")
    elif landing.kind == "staff":
        target = url_for("instructor.game", game_id=landing.game_id)
    else:
        target = url_for("student.home", game_id=landing.game_id)
    if lti_frame.launched_in_frame():
        response = _framed_landing(message.platform_id, landing.user_id, target)
    else:
        response = redirect(target)
    response.delete_cookie(STATE_COOKIE, path=url_for("lti.launch"))
    return response


def _framed_landing(platform_id: int, user_id: int, target: str):
    """A launch inside the course's frame: a page (framable by that platform) that goes on
    to ``target`` in the frame once a script has checked that the session cookie came back
    (``/lti/session``), or else offers to continue in a new window (``/lti/continue``)."""
    session[lti_frame.FRAME_KEY] = platform_id
    platform = lti_service.platform_by_id(db.session, platform_id)
    assert platform is not None
    lti_frame.allow_framing_by(lti_service.frame_origins(platform))
    token = lti_frame.handoff_token(
        current_app, request.form.get("state", ""), user_id, platform_id, target
    )
    return make_response(render_template("lti/landing.html", target=target, token=token))


@bp.get("/session")
def session_check():
    """Whether this browser sent a signed-in session (the framed landing page asks)."""
    response = jsonify(signed_in=bool(current_user.is_authenticated))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/continue")
@csrf.exempt
def continue_in_window():
    """The framed launch goes on in a new window: a signed, single-use token from the
    landing page (in place of a CSRF token: the framed page had no session to hold one)."""
    data = lti_frame.read_handoff(current_app, request.form.get("token", ""))
    if data is None:
        return refused(lti_service.LtiError("handoff_used"))
    try:
        user = lti_service.hand_off(db.session, str(data["s"]), int(data["u"]))
    except CodedError as exc:
        return refused(exc)
    start_session(user)
    return redirect(str(data["to"]))


@bp.get("/jwks.json")
def jwks():
    return jsonify(lti_service.tool_jwks(tool_key()))


@bp.route("/deep-link", methods=["GET", "POST"])
@login_required
def deep_link():
    require_role(Need.INSTRUCTOR)
    request_data = session.get(DEEP_LINK_KEY)
    if not request_data:
        # No deep linking request from a course in this session (opened directly, or used).
        if request.method == "POST":
            return refused(lti_service.LtiError("deep_link_expired"))
        return render_template("lti/deep_link.html", form=None, games=[])
    games = membership_service.games_for_staff(db.session, current_user)
    form = DeepLinkForm()
    form.game_id.choices = [SelectChoice(str(g.id), g.title) for g in games]
    if form.validate_on_submit():
        game_id = parse_id(form.game_id.data)
        if game_id is None:
            abort(404)
        game = game_for(game_id, Need.STAFF)
        return_url, token = lti_service.deep_link_response(
            db.session, request_data, game, url_for("lti.launch", _external=True), tool_key()
        )
        session.pop(DEEP_LINK_KEY, None)
        response = make_response(
            render_template(
                "lti/deep_link_return.html", return_url=return_url, jwt=token, game=game
            )
        )
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(return_url))
        response.headers["Content-Security-Policy"] = content_security_policy(
            g.get(FRAME_ANCESTORS_KEY) or (), [origin]
        )
        return response
    return render_template("lti/deep_link.html", form=form, games=games)


@bp.get("/games/<int:game_id>")
@login_required
def links(game_id: int):
    game = game_for(game_id, Need.STAFF)
    return render_template(
        "lti/links.html",
        game=game,
        links=lti_service.links_of(db.session, game),
        can_create=lti_service.can_create_grade_column,
        form=ActionForm(),
        launch_url=url_for("lti.launch", _external=True),
        login_url=url_for("lti.login", _external=True),
        jwks_url=url_for("lti.jwks", _external=True),
    )


@bp.post("/games/<int:game_id>/links/<int:link_id>/sync")
@login_required
def sync(game_id: int, link_id: int):
    game = game_for(game_id, Need.STAFF)
    link = lti_service.link_of(db.session, game, link_id)
    if link is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        report = lti_service.sync_roster(db.session, link, tool_key())
    except CodedError as exc:
        flash(error_message(exc), "error")
    else:
        flash(
            _(
                "Roster synchronised: %(created)s accounts created, %(enrolled)s students "
                "enrolled, %(skipped)s instructors left out.",
                created=report.created,
                enrolled=report.enrolled,
                skipped=report.skipped_instructors,
            ),
            "success",
        )
    return redirect(url_for("lti.links", game_id=game.id))


@bp.post("/games/<int:game_id>/links/<int:link_id>/grades")
@login_required
def send_grades(game_id: int, link_id: int):
    game = game_for(game_id, Need.STAFF)
    link = lti_service.link_of(db.session, game, link_id)
    if link is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    grades = lti_service.published_grades(db.session, game)
    if grades is None:
        flash(_("Publish the grades in the gradebook first."), "error")
        return redirect(url_for("lti.links", game_id=game.id))
    try:
        report = lti_service.post_grades(db.session, link, grades, tool_key())
    except CodedError as exc:
        flash(error_message(exc), "error")
    else:
        flash(
            _(
                "Grades sent to the course: %(sent)s; %(missing)s students never opened SimShop "
                "from this course (use the CSV for them).",
                sent=report.sent,
                missing=len(report.without_account),
            ),
            "success",
        )
    return redirect(url_for("lti.links", game_id=game.id))
