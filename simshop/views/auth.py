"""Register, log in, log out and change password."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import RateLimitItem, parse

from simshop.extensions import db, limiter, login_manager
from simshop.forms.auth import ChangePasswordForm, LoginForm, RegisterForm
from simshop.i18n import N_
from simshop.i18n import SESSION_KEY as LOCALE_SESSION_KEY
from simshop.messages import LOGIN_MESSAGES, PASSWORD_MESSAGES
from simshop.models import User
from simshop.security import burn_verify_time
from simshop.services import accounts
from simshop.views import polls, safe_next_url
from simshop.views.access import load_session_user

bp = Blueprint("auth", __name__)

# Endpoints a user who must change their password may still reach.
PASSWORD_CHANGE_EXEMPT = {"auth.change_password", "auth.logout", "main.set_language", "static"}


def configure_login() -> None:
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = _


def _limit(name: str) -> RateLimitItem:
    return parse(current_app.config[name])


def _failure_keys(login: str) -> list[tuple[RateLimitItem, str, str]]:
    """The two failure counters a wrong password hits: the account's, the address's."""
    return [
        (_limit("LOGIN_FAILURE_LIMIT"), "login-failures", login),
        (_limit("LOGIN_ADDRESS_FAILURE_LIMIT"), "login-failures-from", get_remote_address()),
    ]


def login_locked(login: str) -> bool:
    """True while the account, or the client address, is past its failure limit. The
    counters live in the limiter's storage (RATELIMIT_STORAGE_URI: Redis is shared by every
    worker). With rate limiting switched off (``RATELIMIT_ENABLED = False``) there are no
    counters and no lockout."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    return any(not limiter.limiter.test(*key) for key in _failure_keys(login))


def record_login_failure(login: str) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for key in _failure_keys(login):
        limiter.limiter.hit(*key)


def clear_login_failures(login: str) -> None:
    """A correct password clears the account's failures (not the address's)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limit, *identifiers = _failure_keys(login)[0]
    limiter.limiter.clear(limit, *identifiers)


def join_rate_key() -> str:
    return f"join:{current_user.get_id()}"


def start_session(user: User) -> None:
    """Log ``user`` in on a brand-new session (ASVS 7.2.4), keeping only the language."""
    locale = session.get(LOCALE_SESSION_KEY)
    session.clear()
    if locale:
        session[LOCALE_SESSION_KEY] = locale
    login_user(user)
    session.permanent = True


def end_session() -> None:
    locale = session.get(LOCALE_SESSION_KEY)
    logout_user()
    session.clear()
    if locale:
        session[LOCALE_SESSION_KEY] = locale


@bp.before_app_request
def require_password_change():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_EXEMPT
    ):
        flash(_("Please choose a new password before you continue."), "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register_student(
                db.session,
                login=form.login.data,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        except accounts.LoginTakenError:
            # Answer exactly as for a new account (no "already registered": that would
            # tell anyone which student numbers exist), after as much hashing work.
            burn_verify_time(form.password.data)
            return _registered()
        except accounts.InvalidLoginError as exc:
            form.login.errors.append(LOGIN_MESSAGES[str(exc)])
        except accounts.InvalidDisplayNameError:
            form.display_name.errors.append(_("Enter your name."))
        except accounts.WeakPasswordError as exc:
            form.password.errors.append(PASSWORD_MESSAGES[exc.problem])
        else:
            return _registered()
    return render_template("auth/register.html", form=form)


def _registered():
    flash(
        _(
            "Your account is ready unless this student number or email was registered "
            "before. Log in with it and your password."
        ),
        "success",
    )
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        name = accounts.normalize_login(form.login.data)[: accounts.LOGIN_MAX_LENGTH]
        if login_locked(name):
            abort(429)
        user = accounts.authenticate(db.session, form.login.data, form.password.data)
        if user is None:
            record_login_failure(name)
            form.password.errors.append(_("Wrong student number, email or password."))
        else:
            clear_login_failures(name)
            start_session(user)
            next_url = safe_next_url(request.args.get("next"))
            return redirect(next_url or url_for("main.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    accounts.logout_everywhere(db.session, current_user.id)
    polls.forget_user(current_user.id)
    end_session()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                db.session,
                current_user._get_current_object(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except accounts.WrongPasswordError:
            form.current_password.errors.append(_("That is not your current password."))
        except accounts.WeakPasswordError as exc:
            form.new_password.errors.append(PASSWORD_MESSAGES[exc.problem])
        else:
            polls.forget_user(user.id)
            start_session(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/change_password.html", form=form)
