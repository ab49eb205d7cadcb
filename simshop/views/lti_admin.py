"""The administrator's page of learning platforms (LTI 1.3 registrations): list, add, edit,
disable and enable them. ``flask lti add-platform`` does the same from the command line.

Access: site administrators only (``Need.ADMIN``: instructors and students 403).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from simshop.extensions import db
from simshop.forms.game import ActionForm
from simshop.forms.lti import PlatformForm
from simshop.messages import error_message
from simshop.models import LtiPlatform
from simshop.services import lti as lti_service
from simshop.views.access import Need, require_role

bp = Blueprint("lti_admin", __name__, url_prefix="/admin/lti")


@bp.before_request
@login_required
def _admins_only() -> None:
    require_role(Need.ADMIN)


def _platform(platform_id: int) -> LtiPlatform:
    platform = lti_service.platform_by_id(db.session, platform_id)
    if platform is None:
        abort(404)
    return platform


def _tool_urls() -> dict[str, str]:
    base = current_app.config.get("LTI_TOOL_URL")
    if base:
        return {
            "login_url": f"{base}/lti/login",
            "launch_url": f"{base}/lti/launch",
            "jwks_url": f"{base}/lti/jwks.json",
        }
    return {
        "login_url": url_for("lti.login", _external=True),
        "launch_url": url_for("lti.launch", _external=True),
        "jwks_url": url_for("lti.jwks", _external=True),
    }


@bp.get("/platforms")
def platforms():
    return render_template(
        "lti/platforms.html",
        platforms=lti_service.platforms(db.session),
        form=ActionForm(),
        **_tool_urls(),
    )


def _save(form: PlatformForm, platform: LtiPlatform | None):
    """Validate and save; None when saved, else the form page again (422)."""
    if form.validate_on_submit():
        try:
            if platform is None:
                lti_service.register_platform(db.session, **form.values())
            else:
                lti_service.update_platform(db.session, platform, **form.values())
        except lti_service.LtiError as exc:
            field = form._fields.get(exc.field or "", form.name)
            field.errors = [*field.errors, error_message(exc)]
        else:
            flash(_("Platform saved."), "success")
            return None
    return render_template("lti/platform_form.html", form=form, platform=platform), 422


@bp.route("/platforms/new", methods=["GET", "POST"])
def new_platform():
    form = PlatformForm()
    if not form.is_submitted():
        return render_template("lti/platform_form.html", form=form, platform=None)
    page = _save(form, None)
    return page or redirect(url_for("lti_admin.platforms"))


@bp.route("/platforms/<int:platform_id>", methods=["GET", "POST"])
def edit_platform(platform_id: int):
    platform = _platform(platform_id)
    form = PlatformForm()
    if not form.is_submitted():
        form.process(
            data={
                "name": platform.name,
                "issuer": platform.issuer,
                "client_id": platform.client_id,
                "auth_login_url": platform.auth_login_url,
                "auth_token_url": platform.auth_token_url,
                "jwks_url": platform.jwks_url,
                "deployment_ids": "\n".join(platform.deployment_ids),
                "frame_origins": "\n".join(platform.frame_origins or []),
            }
        )
        return render_template("lti/platform_form.html", form=form, platform=platform)
    page = _save(form, platform)
    return page or redirect(url_for("lti_admin.platforms"))


@bp.post("/platforms/<int:platform_id>/disable")
def disable_platform(platform_id: int):
    return _set_enabled(platform_id, False)


@bp.post("/platforms/<int:platform_id>/enable")
def enable_platform(platform_id: int):
    return _set_enabled(platform_id, True)


def _set_enabled(platform_id: int, enabled: bool):
    platform = _platform(platform_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    lti_service.set_platform_enabled(db.session, platform, enabled)
    if enabled:
        flash(_("%(name)s is enabled: its launches are accepted.", name=platform.name), "success")
    else:
        flash(_("%(name)s is disabled: its launches are refused.", name=platform.name), "success")
    return redirect(url_for("lti_admin.platforms"))
