"""Memos and peer evaluation pages.

Students (their own team only): write the team's memos, review the memos assigned to the
team (shown under anonymous labels, never with the author), rate their teammates. Staff of
the game: settings, rubric, scoring, peer review assignment, evaluations, factors and flags
(flags and ratings are shown to staff only), and the memo export.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from simshop.errors import CodedError
from simshop.extensions import db
from simshop.forms.game import ActionForm
from simshop.forms.teamwork import (
    MEMO_KIND_LABELS,
    PEER_ITEM_LABELS,
    SCORING_LABELS,
    CriterionForm,
    EvaluationForm,
    MemoForm,
    SettingsForm,
    points_form,
    points_of,
    ratings_form,
    ratings_of,
)
from simshop.messages import error_message
from simshop.models import MemoKind
from simshop.services import memos as memos_service
from simshop.services import peer as peer_service
from simshop.services import teamwork as teamwork_service
from simshop.views.access import Need, game_for, membership_for

bp = Blueprint("teamwork", __name__, url_prefix="/games")


@bp.before_request
@login_required
def _login() -> None:
    return None


def _field_errors(form, exc: CodedError) -> None:
    """Put a refusal on its field (or flash it for the form as a whole)."""
    field = form._fields.get(exc.field) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, error_message(exc)]
    else:
        flash(error_message(exc), "error")


def _member(game_id: int):
    """The game and the current student's team (404 unless they are in one of its teams)."""
    found = membership_for(game_id, Need.MEMBER)
    assert found.player is not None and found.player.team is not None
    return found.game, found.player.team


# --------------------------------------------------------------------------- students


def _memo_page(game, team, forms: dict | None = None, review_forms: dict | None = None):
    memos = memos_service.team_memos(db.session, team)
    forms = forms or {}
    for kind in MemoKind:
        if kind.value not in forms:
            memo = memos.get(kind.value)
            forms[kind.value] = MemoForm(
                formdata=None, kind=kind.value, body=memo.body if memo else ""
            )
    rubric = memos_service.criteria(db.session, game)
    assignments = memos_service.assignments_for(db.session, team)
    review_forms = review_forms or {}
    for a in assignments:
        if a.review.id not in review_forms:
            form = points_form(rubric, prefix=f"review{a.review.id}")
            if a.review.points:
                for c in rubric:
                    form[f"c{c.id}"].data = a.review.points.get(str(c.id))
            review_forms[a.review.id] = form
    return render_template(
        "teamwork/memos.html",
        game=game,
        team=team,
        memos=memos,
        forms=forms,
        windows={k.value: memos_service.window_open(db.session, game, k) for k in MemoKind},
        locked={k: memos_service.is_locked(db.session, m) for k, m in memos.items()},
        kind_labels=MEMO_KIND_LABELS,
        assignments=assignments,
        review_forms=review_forms,
    )


@bp.route("/<int:game_id>/memos", methods=["GET", "POST"])
def memos(game_id: int):
    game, team = _member(game_id)
    if request.method == "GET":
        return _memo_page(game, team)
    form = MemoForm()
    if form.kind.data not in MEMO_KIND_LABELS:
        abort(400)
    if form.validate_on_submit():
        try:
            memos_service.save_memo(
                db.session, game, team, current_user, form.kind.data, form.body.data or ""
            )
        except CodedError as exc:
            _field_errors(form, exc)
            return _memo_page(game, team, forms={form.kind.data: form}), 400
        flash(_("Memo saved."), "success")
        return redirect(url_for("teamwork.memos", game_id=game.id))
    return _memo_page(game, team, forms={form.kind.data: form}), 400


@bp.post("/<int:game_id>/memos/reviews/<int:review_id>")
def review(game_id: int, review_id: int):
    game, team = _member(game_id)
    assigned = {a.review.id for a in memos_service.assignments_for(db.session, team)}
    if review_id not in assigned:
        abort(404)
    rubric = memos_service.criteria(db.session, game)
    form = points_form(rubric, prefix=f"review{review_id}")
    if form.validate_on_submit():
        try:
            memos_service.submit_peer_review(
                db.session, game, team, review_id, points_of(form, rubric)
            )
        except CodedError as exc:
            _field_errors(form, exc)
        else:
            flash(_("Review saved."), "success")
            return redirect(url_for("teamwork.memos", game_id=game.id))
    return _memo_page(game, team, review_forms={review_id: form}), 400


@bp.route("/<int:game_id>/peer", methods=["GET"])
def peer(game_id: int):
    game, team = _member(game_id)
    return _peer_page(game, team)


def _peer_page(game, team, forms: dict | None = None):
    forms = forms or {}
    sections = []
    for evaluation in peer_service.evaluations(db.session, game):
        if not peer_service.is_available(db.session, evaluation):
            continue
        ratees = peer_service.ratees_for(db.session, evaluation, current_user, team)
        given = peer_service.ratings_given(db.session, evaluation, current_user)
        form = forms.get(evaluation.id) or ratings_form(ratees, evaluation.items, given)
        sections.append((evaluation, ratees, form, bool(given)))
    return render_template(
        "teamwork/peer.html",
        game=game,
        team=team,
        sections=sections,
        item_labels=PEER_ITEM_LABELS,
    )


@bp.post("/<int:game_id>/peer/<int:evaluation_id>")
def rate(game_id: int, evaluation_id: int):
    game, team = _member(game_id)
    evaluation = peer_service.evaluation_of(db.session, game, evaluation_id)
    if evaluation is None:
        abort(404)
    ratees = peer_service.ratees_for(db.session, evaluation, current_user, team)
    form = ratings_form(ratees, evaluation.items, {})
    if form.validate_on_submit():
        try:
            peer_service.submit_ratings(
                db.session,
                evaluation,
                current_user,
                team,
                ratings_of(form, ratees, evaluation.items),
            )
        except CodedError as exc:
            _field_errors(form, exc)
        else:
            flash(_("Ratings saved. Nobody but your instructor sees them."), "success")
            return redirect(url_for("teamwork.peer", game_id=game.id))
    return _peer_page(game, team, forms={evaluation.id: form}), 400


# --------------------------------------------------------------------------- staff


def _staff_page(
    game, *, settings_form=None, criterion_form=None, evaluation_form=None, score_forms=None
):
    settings = teamwork_service.settings_for(db.session, game)
    rubric = memos_service.criteria(db.session, game)
    scores = memos_service.team_memo_scores(db.session, game)
    score_forms = score_forms or {}
    memo_rows = []
    for memo, team in memos_service.memos_of_game(db.session, game):
        form = score_forms.get(memo.id)
        if form is None:
            form = points_form(rubric, prefix=f"memo{memo.id}")
            given = memos_service.staff_points(db.session, memo.id)
            for criterion in rubric:
                field = form[f"c{criterion.id}"]
                if field.data is None and str(criterion.id) in given:
                    field.data = given[str(criterion.id)]
        memo_rows.append((memo, team, scores.get(team.id, {}).get(memo.kind), form))
    if settings_form is None:
        settings_form = SettingsForm(
            formdata=None,
            memo_scoring=settings.memo_scoring,
            reviews_per_team=settings.reviews_per_team,
            peer_factor_min=settings.peer_factor_min,
            peer_factor_max=settings.peer_factor_max,
        )
    summary = peer_service.summary(db.session, game)
    return render_template(
        "teamwork/staff.html",
        game=game,
        settings=settings,
        settings_form=settings_form,
        criterion_form=criterion_form or CriterionForm(formdata=None),
        evaluation_form=evaluation_form or EvaluationForm(formdata=None),
        action_form=ActionForm(),
        rubric=rubric,
        memo_rows=memo_rows,
        kind_labels=MEMO_KIND_LABELS,
        scoring_labels=SCORING_LABELS,
        item_labels=PEER_ITEM_LABELS,
        evaluations=peer_service.evaluations(db.session, game),
        summary=summary,
        flags=peer_service.flags(db.session, game),
        names={user.id: user.display_name for _team, user, *_rest in summary},
    )


def _back(game):
    return redirect(url_for("teamwork.staff", game_id=game.id))


@bp.get("/<int:game_id>/assessment")
def staff(game_id: int):
    return _staff_page(game_for(game_id, Need.STAFF))


@bp.post("/<int:game_id>/assessment/settings")
def settings(game_id: int):
    game = game_for(game_id, Need.STAFF)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            teamwork_service.save_settings(
                db.session,
                game,
                memo_scoring=form.memo_scoring.data,
                reviews_per_team=form.reviews_per_team.data,
                peer_factor_min=float(form.peer_factor_min.data),
                peer_factor_max=float(form.peer_factor_max.data),
            )
        except CodedError as exc:
            _field_errors(form, exc)
        else:
            flash(_("Settings saved."), "success")
            return _back(game)
    return _staff_page(game, settings_form=form), 400


@bp.post("/<int:game_id>/assessment/criteria")
def add_criterion(game_id: int):
    game = game_for(game_id, Need.STAFF)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            memos_service.add_criterion(db.session, game, form.label.data, form.max_points.data)
        except CodedError as exc:
            _field_errors(form, exc)
        else:
            return _back(game)
    return _staff_page(game, criterion_form=form), 400


@bp.post("/<int:game_id>/assessment/criteria/<int:criterion_id>/delete")
def delete_criterion(game_id: int, criterion_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        memos_service.delete_criterion(db.session, game, criterion_id)
    except CodedError as exc:
        if exc.code == "criterion_unknown":
            abort(404)
        flash(error_message(exc), "error")
    return _back(game)


@bp.post("/<int:game_id>/assessment/memos/<int:memo_id>/score")
def score(game_id: int, memo_id: int):
    game = game_for(game_id, Need.STAFF)
    if memos_service.game_memo(db.session, game, memo_id) is None:
        abort(404)
    rubric = memos_service.criteria(db.session, game)
    form = points_form(rubric, prefix=f"memo{memo_id}")
    if form.validate_on_submit():
        try:
            memos_service.score_memo(db.session, game, memo_id, points_of(form, rubric))
        except CodedError as exc:
            _field_errors(form, exc)
        else:
            flash(_("Score saved."), "success")
            return _back(game)
    return _staff_page(game, score_forms={memo_id: form}), 400


@bp.post("/<int:game_id>/assessment/reviews/<kind>")
def assign(game_id: int, kind: str):
    game = game_for(game_id, Need.STAFF)
    if kind not in MEMO_KIND_LABELS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = memos_service.assign_peer_reviews(db.session, game, kind)
    except CodedError as exc:
        flash(error_message(exc), "error")
    else:
        flash(
            ngettext("%(num)d peer review assigned.", "%(num)d peer reviews assigned.", count),
            "success",
        )
    return _back(game)


@bp.post("/<int:game_id>/assessment/peer")
def create_evaluation(game_id: int):
    game = game_for(game_id, Need.STAFF)
    form = EvaluationForm()
    if form.validate_on_submit():
        try:
            peer_service.create_evaluation(
                db.session,
                game,
                form.after_round.data,
                form.items.data or [],
                form.include_self.data,
            )
        except CodedError as exc:
            _field_errors(form, exc)
        else:
            return _back(game)
    return _staff_page(game, evaluation_form=form), 400


@bp.post("/<int:game_id>/assessment/peer/<int:evaluation_id>/toggle")
def toggle_evaluation(game_id: int, evaluation_id: int):
    game = game_for(game_id, Need.STAFF)
    evaluation = peer_service.evaluation_of(db.session, game, evaluation_id)
    if evaluation is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    peer_service.set_open(db.session, game, evaluation.id, not evaluation.is_open)
    return _back(game)


@bp.get("/<int:game_id>/assessment/memos.csv")
def memos_csv(game_id: int):
    game = game_for(game_id, Need.STAFF)
    return send_file(
        io.BytesIO(memos_service.memos_csv(db.session, game)),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"simshop-game{game.id}-memos.csv",
    )
