"""Instructor pages: create games, roster, staff, and run the rounds.

Every route needs an instructor who is staff of the game (else 403 for students, 404 for
other instructors' games). "Process now" runs the engine inside the request on purpose: one
instructor's click, bounded by the class size (~0.1 s for 100 teams); students' requests
never process, they only close rounds whose deadline passed (see views/student.py).
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from simshop.engine.scoring import METRICS
from simshop.extensions import db
from simshop.forms.game import (
    ROSTER_COLUMNS,
    ActionForm,
    AssistantForm,
    BriefingSizesForm,
    CreateGameForm,
    DeadlineForm,
    RosterForm,
)
from simshop.i18n import localized_name
from simshop.ids import parse_id
from simshop.messages import GAME_MESSAGES, ROSTER_MESSAGES, error_message, message_for
from simshop.models import Game, RosterJob, Round
from simshop.services import briefing as briefing_service
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import lifecycle, round_state
from simshop.services import membership as membership_service
from simshop.services import roster as roster_service
from simshop.services import schedule as schedule_service
from simshop.services import teams as teams_service
from simshop.services.games import GameError
from simshop.services.scenarios import drafts_for
from simshop.views import form_text
from simshop.views.access import Need, game_for, instructors_only, round_of

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


instructors_only(bp)


def scenarios_dir() -> str:
    return current_app.config["SCENARIOS_DIR"]


def flash_error(exc: GameError) -> None:
    flash(error_message(exc), "error")


def game_url(game: Game) -> str:
    return url_for("instructor.game", game_id=game.id)


def to_utc(game: Game, local):
    """A naive datetime typed in the game's time zone, as aware UTC."""
    if local is None:
        return None
    from datetime import UTC

    return local.replace(tzinfo=ZoneInfo(game.timezone)).astimezone(UTC)


@bp.get("/games")
def games():
    return render_template(
        "instructor/games.html", games=membership_service.games_for_staff(db.session, current_user)
    )


@bp.route("/games/new", methods=["GET", "POST"])
def new_game():
    choices = games_service.list_scenarios(scenarios_dir())
    form = CreateGameForm()
    form.scenario_file.choices = [
        SelectChoice(c.file, localized_name({"name": c.title, "name_zh": c.title_zh}))
        for c in choices
    ] + [
        SelectChoice(
            f"{games_service.DRAFT_PREFIX}{d.id}", _("%(title)s (your scenario)", title=d.title)
        )
        for d in drafts_for(db.session, current_user)
    ]
    if request.method == "GET" and request.args.get("scenario"):
        form.scenario_file.data = request.args["scenario"]
    if request.method == "GET" and choices:
        weights = choices[0].scoring
        for key in METRICS:
            getattr(form, f"weight_{key}").data = weights.get(key, 0.0)
        form.show_rival_names.data = True
    if form.is_submitted():
        fields_ok = form.validate()
        spec = form.to_spec()
        problems = games_service.check_game_spec(
            db.session, current_user, spec, scenarios_dir=scenarios_dir()
        )
        form.attach(problems)
        if fields_ok and not problems:
            try:
                game = games_service.create_game(
                    db.session, current_user, spec, scenarios_dir=scenarios_dir()
                )
            except GameError as exc:
                form.attach(getattr(exc, "problems", [exc]))
            else:
                flash(_("Game created. Share the join code with your students."), "success")
                return redirect(url_for("instructor.game", game_id=game.id, created=1))
    return render_template("instructor/new_game.html", form=form, scenarios=choices)


@bp.get("/games/<int:game_id>")
def game(game_id: int):
    game = game_for(game_id, Need.STAFF)
    return render_template(
        "instructor/game.html",
        game=game,
        rounds=round_state.rounds_of(db.session, game),
        action_form=ActionForm(),
        deadline_form=DeadlineForm(),
        **_live_context(game),
    )


def _live_context(game: Game) -> dict:
    current = round_state.current_round(db.session, game)
    last = round_state.last_published(db.session, game)
    return {
        "current": current,
        "submissions": decisions_service.submission_status(db.session, game, current),
        "last_published": last,
        "standings_reviews": round_state.review_counts(db.session, last.id) if last else {},
        "team_names": round_state.team_names(db.session, game),
    }


@bp.get("/games/<int:game_id>/live")
def live(game_id: int):
    """The submissions table alone, for the page's periodic refresh."""
    game = game_for(game_id, Need.STAFF)
    return render_template("instructor/_submissions.html", game=game, **_live_context(game))


ROUND_ACTION_RULE = "<any({}):action>".format(", ".join(schedule_service.SIMPLE_ACTIONS))


def _confirmed() -> bool:
    return form_text("confirmed") == "yes"


def confirm_page(game: Game, action: str, post_url: str, rnd: Round | None = None):
    """The confirmation step of a destructive action (works without JavaScript): what will
    happen, and the form that really does it. Shown also when the action is not possible
    now, with no form."""
    if rnd is not None:
        possible = lifecycle.allows(rnd, action)
    else:
        possible = (game.status == "ended") == (action == "reopen_game")
    return render_template(
        "instructor/confirm.html",
        game=game,
        rnd=rnd,
        action=action,
        possible=possible,
        label=lifecycle.ACTION_LABELS[action],
        text=lifecycle.CONFIRM_TEXTS.get(action, ""),
        post_url=post_url,
        action_form=ActionForm(),
    )


@bp.route(
    f"/games/<int:game_id>/rounds/<int:round_id>/{ROUND_ACTION_RULE}", methods=["GET", "POST"]
)
def round_action(game_id: int, round_id: int, action: str):
    """GET: the confirmation page; POST: the action (destructive ones need ``confirmed``)."""
    game = game_for(game_id, Need.STAFF)
    rnd = round_of(game, round_id)
    if request.method == "GET" or (action in lifecycle.CONFIRM_ACTIONS and not _confirmed()):
        return confirm_page(game, action, request.path, rnd)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        schedule_service.apply_action(db.session, game, rnd, action)
    except GameError as exc:
        flash_error(exc)
    else:
        flash(str(lifecycle.ACTION_DONE[action]), "success")
    return redirect(game_url(game))


def _flash_outcome(outcome, done: str) -> None:
    if outcome.published:
        flash(done, "success")
        if not outcome.explained:
            flash(
                _(
                    "The results are published. Their explanations are computed by the round "
                    "clock (flask tick), not while you wait: this round is too large, or "
                    "explaining it failed and will be tried again."
                ),
                "info",
            )
    elif outcome.failed:
        flash(message_for(GAME_MESSAGES, "processing_failed", {"error": outcome.error}), "error")
    else:
        flash(message_for(GAME_MESSAGES, "not_processable"), "error")


@bp.post("/games/<int:game_id>/rounds/<int:round_id>/process")
def process(game_id: int, round_id: int):
    """Close the round if it is open, then process it now."""
    game = game_for(game_id, Need.STAFF)
    rnd = round_of(game, round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        outcome = schedule_service.process_now(db.session, game, rnd)
    except GameError as exc:
        flash_error(exc)
    else:
        done = _("Round processed and published (%(ms)s ms).", ms=outcome.elapsed_ms)
        _flash_outcome(outcome, done)
    return redirect(game_url(game))


@bp.route("/games/<int:game_id>/rounds/<int:round_id>/reprocess", methods=["GET", "POST"])
def reprocess(game_id: int, round_id: int):
    game = game_for(game_id, Need.STAFF)
    rnd = round_of(game, round_id)
    if request.method == "GET" or not _confirmed():
        return confirm_page(game, "reprocess", request.path, rnd)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        outcome = schedule_service.reprocess_round(db.session, game, rnd)
    except GameError as exc:
        flash_error(exc)
    else:
        _flash_outcome(outcome, _("Round processed again and published."))
    return redirect(game_url(game))


@bp.post("/games/<int:game_id>/rounds/<int:round_id>/deadline")
def deadline(game_id: int, round_id: int):
    game = game_for(game_id, Need.STAFF)
    rnd = round_of(game, round_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        message = form.deadline.errors[0] if form.deadline.errors else _("Enter a date and time.")
        flash(message, "error")
        return redirect(game_url(game))
    try:
        schedule_service.set_deadline(db.session, rnd, to_utc(game, form.deadline.data))
    except GameError as exc:
        flash_error(exc)
    else:
        flash(_("Deadline saved."), "success")
    return redirect(game_url(game))


@bp.post("/games/<int:game_id>/briefing-sizes")
def briefing_sizes(game_id: int):
    """Exact market sizes or only an index in the students' briefing."""
    game = game_for(game_id, Need.STAFF)
    form = BriefingSizesForm()
    if not form.validate_on_submit():
        abort(400)
    briefing_service.set_briefing_sizes(db.session, game, exact=bool(form.exact.data))
    flash(_("Briefing setting saved."), "success")
    return redirect(url_for("student.briefing", game_id=game.id))


@bp.route("/games/<int:game_id>/end", methods=["GET", "POST"])
def end(game_id: int):
    return _confirmed_game_action(
        game_id, "end_game", games_service.end_game, _("The game has ended.")
    )


@bp.route("/games/<int:game_id>/reopen", methods=["GET", "POST"])
def reopen(game_id: int):
    """Reopen a finished game: only deliberately (a confirmation step, then a POST)."""
    return _confirmed_game_action(
        game_id, "reopen_game", games_service.reopen_game, _("The game runs again.")
    )


def _confirmed_game_action(game_id: int, action: str, service, done: str):
    """End or reopen the game: a confirmation page first (GET, or a POST not confirmed),
    then the service on the confirmed POST."""
    game = game_for(game_id, Need.STAFF)
    if request.method == "GET" or not _confirmed():
        return confirm_page(game, action, request.path)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service(db.session, game)
    except GameError as exc:
        flash_error(exc)
    else:
        flash(done, "success")
    return redirect(game_url(game))


@bp.get("/games/<int:game_id>/rounds/<int:round_id>")
def round_results(game_id: int, round_id: int):
    game = game_for(game_id, Need.STAFF)
    rnd = round_of(game, round_id)
    if rnd.status != "published":
        abort(404)
    return render_template(
        "instructor/round.html",
        game=game,
        rnd=rnd,
        team_names=round_state.team_names(db.session, game),
        standings_reviews=round_state.review_counts(db.session, rnd.id),
        scenario=games_service.game_scenario(game),
    )


# --------------------------------------------------------------------------- people


@bp.route("/games/<int:game_id>/people", methods=["GET"])
def people(game_id: int):
    game = game_for(game_id, Need.STAFF)
    return _people_page(game, RosterForm(), AssistantForm())


def _people_page(game: Game, roster_form, assistant_form, **extra):
    return render_template(
        "instructor/people.html",
        game=game,
        teams=teams_service.teams_with_members(db.session, game),
        players=membership_service.players_of(db.session, game),
        staff=membership_service.staff_of(db.session, game),
        roster_form=roster_form,
        assistant_form=assistant_form,
        action_form=ActionForm(),
        roster_columns=ROSTER_COLUMNS,
        **extra,
    )


@bp.post("/games/<int:game_id>/roster")
def roster(game_id: int):
    game = game_for(game_id, Need.STAFF)
    form = RosterForm()
    if not form.validate_on_submit():
        return _people_page(game, form, AssistantForm()), 400
    data = form.roster.data.read()
    try:
        report = roster_service.import_or_queue(db.session, game, data, current_user)
    except roster_service.RosterInvalid as exc:
        problems = [
            (issue.row, issue.column, message_for(ROSTER_MESSAGES, issue.code, issue.params))
            for issue in exc.issues
        ]
        return _people_page(game, form, AssistantForm(), roster_problems=problems), 400
    if isinstance(report, RosterJob):  # a large file: imported by the tick, watched here
        return redirect(url_for("instructor.roster_job", game_id=game.id, job_id=report.id))
    response = _people_page(game, RosterForm(), AssistantForm(), roster_report=report)
    # The page holds one-time passwords: never cache it.
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/games/<int:game_id>/roster/jobs/<int:job_id>")
def roster_job(game_id: int, job_id: int):
    """A queued roster import's progress (the page refreshes itself until it is done)."""
    game = game_for(game_id, Need.STAFF)
    job = roster_service.roster_job(db.session, game, current_user, job_id)
    if job is None:
        abort(404)
    problems = [
        (p["row"], p["column"], message_for(ROSTER_MESSAGES, p["code"], p["params"]))
        for p in (job.result or {}).get("problems", [])
    ]
    page = render_template(
        "instructor/roster_job.html",
        game=game,
        job=job,
        problems=problems,
        action_form=ActionForm(),
        roster_columns=ROSTER_COLUMNS,
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.post("/games/<int:game_id>/roster/credentials")
def credentials(game_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    text = roster_service.take_credentials(db.session, game, current_user, form_text("token"))
    if text is None:
        flash(_("These passwords were downloaded already or have expired."), "error")
        return redirect(url_for("instructor.people", game_id=game.id))
    response = send_file(
        io.BytesIO(text.encode("utf-8")),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"game-{game.id}-initial-passwords.csv",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/games/<int:game_id>/players/<int:player_id>/move")
def move_player(game_id: int, player_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = form_text("team_id")
    team_id = parse_id(raw)
    if raw and team_id is None:
        abort(400)
    try:
        teams_service.move_player(db.session, game, player_id, team_id)
    except GameError as exc:
        if exc.code in ("player_unknown", "team_unknown"):
            abort(404)
        flash_error(exc)
    else:
        flash(_("Student moved."), "success")
    return redirect(url_for("instructor.people", game_id=game.id))


@bp.post("/games/<int:game_id>/teams/<int:team_id>/rename")
def rename_team(game_id: int, team_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        teams_service.rename_team(db.session, game, team_id, form_text("name"))
    except GameError as exc:
        if exc.code == "team_unknown":
            abort(404)
        flash_error(exc)
    else:
        flash(_("Team renamed."), "success")
    return redirect(url_for("instructor.people", game_id=game.id))


@bp.post("/games/<int:game_id>/teams/<int:team_id>/delete")
def delete_team(game_id: int, team_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        teams_service.delete_empty_team(db.session, game, team_id)
    except GameError as exc:
        if exc.code == "team_unknown":
            abort(404)
        flash_error(exc)
    else:
        flash(_("Team deleted."), "success")
    return redirect(url_for("instructor.people", game_id=game.id))


@bp.post("/games/<int:game_id>/staff")
def add_staff(game_id: int):
    game = game_for(game_id, Need.STAFF)
    form = AssistantForm()
    if form.validate_on_submit():
        try:
            user = membership_service.add_assistant(db.session, game, form.login.data)
        except GameError as exc:
            form.login.errors = [error_message(exc)]
        else:
            flash(_("%(name)s can now run this game.", name=user.display_name), "success")
            return redirect(url_for("instructor.people", game_id=game.id))
    return _people_page(game, RosterForm(), form), 400
