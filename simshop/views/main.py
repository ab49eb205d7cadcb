"""Landing page, dashboard and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user, login_required

from simshop.extensions import db
from simshop.i18n import SESSION_KEY, SUPPORTED_LOCALES
from simshop.services.membership import games_for_staff
from simshop.services.teams import games_for_player
from simshop.views import form_text, safe_next_url

bp = Blueprint("main", __name__)

LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    if current_user.is_instructor:
        return render_template(
            "main/dashboard.html", staff_games=games_for_staff(db.session, current_user)
        )
    return render_template(
        "main/dashboard.html", memberships=games_for_player(db.session, current_user)
    )


@bp.post("/lang")
def set_language():
    """Remember the chosen language in the session and in a cookie, then go back."""
    locale = form_text("locale")
    if locale not in SUPPORTED_LOCALES:
        abort(400)
    session[SESSION_KEY] = locale
    response = redirect(safe_next_url(form_text("next")) or url_for("main.index"))
    response.set_cookie(
        current_app.config["LOCALE_COOKIE_NAME"],
        locale,
        max_age=LOCALE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
