"""Competitions: an organiser ranks several games of one scenario together.

Access: the list, creating and managing need an instructor (students 403); managing a
competition needs its organiser (other instructors 404). A public competition's page is
open to anyone, logged in or not, and shows team names and game titles only; a private
one is open to its organiser and the staff and players of its games (anonymous users are
sent to log in, anyone else gets 404). The results bundle: see
:func:`simshop.services.competitions.can_download_bundle`; it names teams as the page does
for its reader.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from simshop.extensions import db
from simshop.forms.base import AppForm
from simshop.forms.game import ActionForm
from simshop.messages import error_message
from simshop.services import bundles as bundles_service
from simshop.services import competitions as competitions_service
from simshop.services.competitions import TITLE_MAX_LENGTH, CompetitionError
from simshop.views import access
from simshop.views.access import Need, require_role
from simshop.views.lab import rival_label

bp = Blueprint("competitions", __name__, url_prefix="/competitions")


class CompetitionForm(AppForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Enter a title.")),
            Length(max=TITLE_MAX_LENGTH, message=_l("At most %(max)d characters.")),
        ],
    )
    is_public = BooleanField(_l("Public: anyone with the address can see the ranking"))


class AddGameForm(AppForm):
    game_id = SelectField(_l("Game"), coerce=int, validate_choice=False)


class VisibilityForm(AppForm):
    is_public = BooleanField(_l("Public: anyone with the address can see the ranking"))


@bp.get("/")
@bp.get("")
@login_required
def index():
    require_role(Need.INSTRUCTOR)
    return render_template(
        "competitions/index.html",
        competitions=competitions_service.organised_by(db.session, current_user),
        form=CompetitionForm(),
    )


@bp.post("")
@login_required
def create():
    require_role(Need.INSTRUCTOR)
    form = CompetitionForm()
    if form.validate_on_submit():
        try:
            competition = competitions_service.create_competition(
                db.session, current_user, form.title.data, is_public=form.is_public.data
            )
        except CompetitionError as exc:
            form.title.errors = [error_message(exc)]
        else:
            flash(_("Competition created. Now add your games."), "success")
            return redirect(url_for("competitions.show", competition_id=competition.id))
    return render_template(
        "competitions/index.html",
        competitions=competitions_service.organised_by(db.session, current_user),
        form=form,
    ), 422


@bp.get("/<int:competition_id>")
def show(competition_id: int):
    competition = access.viewable_competition(competition_id)
    organiser = (
        current_user.is_authenticated
        and current_user.is_instructor
        and competition.organiser_id == current_user.id
    )
    user = current_user if current_user.is_authenticated else None
    ranking = competitions_service.combined_ranking(db.session, competition)
    ranking.rows = competitions_service.rows_as_seen_by(
        db.session, ranking.rows, user, rival=rival_label
    )
    add_form = visibility_form = None
    if organiser:
        add_form = AddGameForm()
        add_form.game_id.choices = [
            (g.id, g.title)
            for g in competitions_service.addable_games(db.session, competition, current_user)
        ]
        visibility_form = VisibilityForm(is_public=competition.is_public)
    return render_template(
        "competitions/show.html",
        competition=competition,
        ranking=ranking,
        organiser=organiser,
        add_form=add_form,
        visibility_form=visibility_form,
        action_form=ActionForm(),
        can_download=competitions_service.can_download_bundle(db.session, competition, user),
    )


@bp.post("/<int:competition_id>/games")
@login_required
def add_game(competition_id: int):
    competition = access.organised_competition(competition_id)
    form = AddGameForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        game = competitions_service.add_game(
            db.session, competition, current_user, form.game_id.data
        )
    except CompetitionError as exc:
        flash(error_message(exc), "error")
    else:
        flash(_("“%(game)s” added.", game=game.title), "success")
    return redirect(url_for("competitions.show", competition_id=competition_id))


@bp.post("/<int:competition_id>/games/<int:game_id>/remove")
@login_required
def remove_game(competition_id: int, game_id: int):
    competition = access.organised_competition(competition_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        competitions_service.remove_game(db.session, competition, current_user, game_id)
    except CompetitionError as exc:
        if exc.code == "game_unknown":
            abort(404)
        flash(error_message(exc), "error")
    else:
        flash(_("Game removed from the competition."), "success")
    return redirect(url_for("competitions.show", competition_id=competition_id))


@bp.post("/<int:competition_id>/visibility")
@login_required
def visibility(competition_id: int):
    competition = access.organised_competition(competition_id)
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    competitions_service.set_public(db.session, competition, current_user, form.is_public.data)
    flash(
        _("The competition is now public.")
        if form.is_public.data
        else _("The competition is now private."),
        "success",
    )
    return redirect(url_for("competitions.show", competition_id=competition_id))


@bp.get("/<int:competition_id>/results-bundle.json")
def bundle(competition_id: int):
    competition = access.viewable_competition(competition_id)
    user = current_user if current_user.is_authenticated else None
    if not competitions_service.can_download_bundle(db.session, competition, user):
        abort(403)
    key = bundles_service.server_key(current_app.instance_path)
    body = bundles_service.dumps(
        bundles_service.competition_bundle(
            db.session, competition, key=key, as_seen=True, user=user
        )
    )
    filename = f"simshop-competition-{competition.id}-results.json"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
