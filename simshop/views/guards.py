"""Access guards shared by the blueprints (every route checks role and ownership on the
server; object-level checks live in each blueprint's ``load_*`` helpers)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required


def require_instructor() -> None:
    """403 for anyone logged in who is not an instructor or admin."""
    if not current_user.is_instructor:
        abort(403)


def instructors_only(bp: Blueprint) -> None:
    """Every route of ``bp`` needs a logged-in instructor (anonymous: the login page)."""

    @bp.before_request
    @login_required
    def _require_instructor() -> None:
        require_instructor()
