"""Instructor pages: create games, roster, staff, and run the rounds.

Every route needs an instructor who is staff of the game (else 403 for students, 404 for
other instructors' games). "Process now" runs the engine inside the request on purpose: one
instructor's click, bounded by the class size (~0.1 s for 100 teams); students' requests
never process, they only close rounds whose deadline passed (see views/student.py).
"""

from __future__ import annotations

import io
from datetime import timedelta
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

from simshop.extensions import db
from simshop.forms.game import (
    GAME_MESSAGES,
    ROSTER_COLUMNS,
    ROSTER_MESSAGES,
    ActionForm,
    AssistantForm,
    CreateGameForm,
    DeadlineForm,
    RosterForm,
    message_for,
)
from simshop.ids import parse_id
from simshop.models import Game, RosterJob, Round
from simshop.services import games as games_service
from simshop.services import roster as roster_service
from simshop.services import rounds as rounds_service
from simshop.services import teams as teams_service
from simshop.services.games import GameError
from simshop.services.scenarios import drafts_for
from simshop.views.guards import instructors_only

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


instructors_only(bp)


def scenarios_dir() -> str:
    return current_app.config["SCENARIOS_DIR"]


def load_game(game_id: int) -> Game:
    game = games_service.staff_game(db.session, game_id, current_user)
    if game is None:
        abort(404)
    return game


def load_round(game: Game, round_id: int) -> Round:
    rnd = rounds_service.round_of_game(db.session, game, round_id)
    if rnd is None:
        abort(404)
    return rnd


def flash_error(exc: GameError) -> None:
    flash(message_for(GAME_MESSAGES, exc.code, exc.params), "error")


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
        "instructor/games.html", games=games_service.games_for_staff(db.session, current_user)
    )


@bp.route("/games/new", methods=["GET", "POST"])
def new_game():
    choices = games_service.list_scenarios(scenarios_dir())
    form = CreateGameForm()
    form.scenario_file.choices = [SelectChoice(c.file, c.title) for c in choices] + [
        SelectChoice(
            f"{games_service.DRAFT_PREFIX}{d.id}", _("%(title)s (your scenario)", title=d.title)
        )
        for d in drafts_for(db.session, current_user)
    ]
    if request.method == "GET" and request.args.get("scenario"):
        form.scenario_file.data = request.args["scenario"]
    if request.method == "GET" and choices:
        weights = choices[0].scoring
        for key in ("profit", "revenue", "market_share", "rating", "roi"):
            getattr(form, f"weight_{key}").data = weights.get(key, 0.0)
        form.show_rival_names.data = True
    if form.validate_on_submit():
        first = None
        if form.first_deadline.data is not None:
            first = form.first_deadline.data.replace(tzinfo=ZoneInfo(form.timezone.data))
        spec = games_service.GameSpec(
            title=form.title.data,
            scenario_file=form.scenario_file.data,
            scored_rounds=form.scored_rounds.data,
            practice_rounds=form.practice_rounds.data,
            schedule=form.schedule.data,
            first_deadline=first,
            round_interval=timedelta(hours=form.round_interval_hours.data or 168),
            timezone=form.timezone.data,
            team_min_size=form.team_min_size.data,
            team_max_size=form.team_max_size.data,
            bot_count=form.bot_count.data,
            bot_strategies=form.bot_strategies.data or None,
            scoring_weights={
                key.removeprefix("weight_"): getattr(form, key).data for key in form.weight_fields
            },
            show_rival_names=form.show_rival_names.data,
        )
        try:
            game = games_service.create_game(
                db.session, current_user, spec, scenarios_dir=scenarios_dir()
            )
        except GameError as exc:
            target = getattr(form, exc.field or "", None) or form.title
            target.errors = [*target.errors, message_for(GAME_MESSAGES, exc.code, exc.params)]
        else:
            flash(_("Game created. Share the join code with your students."), "success")
            return redirect(game_url(game))
    return render_template("instructor/new_game.html", form=form, scenarios=choices)


@bp.get("/games/<int:game_id>")
def game(game_id: int):
    game = load_game(game_id)
    return render_template(
        "instructor/game.html",
        game=game,
        rounds=rounds_service.rounds_of(db.session, game),
        action_form=ActionForm(),
        deadline_form=DeadlineForm(),
        **_live_context(game),
    )


def _live_context(game: Game) -> dict:
    current = rounds_service.current_round(db.session, game)
    last = rounds_service.last_published(db.session, game)
    return {
        "current": current,
        "submissions": rounds_service.submission_status(db.session, game, current),
        "last_published": last,
        "team_names": rounds_service.team_names(db.session, game),
    }


@bp.get("/games/<int:game_id>/live")
def live(game_id: int):
    """The submissions table alone, for the page's periodic refresh."""
    game = load_game(game_id)
    return render_template("instructor/_submissions.html", game=game, **_live_context(game))


ROUND_ACTIONS = {
    "open": lambda s, g, r: rounds_service.open_round(s, g, r),
    "close": lambda s, g, r: rounds_service.close_round(s, r),
    "hold": lambda s, g, r: rounds_service.hold_round(s, r),
    "release": lambda s, g, r: rounds_service.release_round(s, r),
    "reopen": lambda s, g, r: rounds_service.reopen_round(s, r),
}


def _action_done(action: str) -> str:
    return {
        "open": _("Round opened."),
        "close": _("Round closed."),
        "hold": _("Round held."),
        "release": _("Round released."),
        "reopen": _("Round reopened."),
    }[action]


@bp.post(
    "/games/<int:game_id>/rounds/<int:round_id>/<any(open, close, hold, release, reopen):action>"
)
def round_action(game_id: int, round_id: int, action: str):
    game = load_game(game_id)
    rnd = load_round(game, round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ROUND_ACTIONS[action](db.session, game, rnd)
    except GameError as exc:
        flash_error(exc)
    else:
        flash(_action_done(action), "success")
    return redirect(game_url(game))


@bp.post("/games/<int:game_id>/rounds/<int:round_id>/process")
def process(game_id: int, round_id: int):
    """Close the round if it is open, then process it now."""
    game = load_game(game_id)
    rnd = load_round(game, round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if rnd.status == "open":
            rounds_service.close_round(db.session, rnd)
        outcome = rounds_service.process_round(db.session, rnd.id)
    except GameError as exc:
        flash_error(exc)
        return redirect(game_url(game))
    if outcome.published:
        flash(_("Round processed and published (%(ms)s ms).", ms=outcome.elapsed_ms), "success")
    else:
        flash(message_for(GAME_MESSAGES, "not_processable"), "error")
    return redirect(game_url(game))


@bp.post("/games/<int:game_id>/rounds/<int:round_id>/reprocess")
def reprocess(game_id: int, round_id: int):
    game = load_game(game_id)
    rnd = load_round(game, round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rounds_service.unpublish_for_reprocessing(db.session, game, rnd)
        outcome = rounds_service.process_round(db.session, rnd.id)
    except GameError as exc:
        flash_error(exc)
        return redirect(game_url(game))
    if outcome.published:
        flash(_("Round processed again and published."), "success")
    return redirect(game_url(game))


@bp.post("/games/<int:game_id>/rounds/<int:round_id>/deadline")
def deadline(game_id: int, round_id: int):
    game = load_game(game_id)
    rnd = load_round(game, round_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        message = form.deadline.errors[0] if form.deadline.errors else _("Enter a date and time.")
        flash(message, "error")
        return redirect(game_url(game))
    try:
        rounds_service.set_deadline(db.session, rnd, to_utc(game, form.deadline.data))
    except GameError as exc:
        flash_error(exc)
    else:
        flash(_("Deadline saved."), "success")
    return redirect(game_url(game))


@bp.post("/games/<int:game_id>/end")
def end(game_id: int):
    game = load_game(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        games_service.end_game(db.session, game)
    except GameError as exc:
        flash_error(exc)
    else:
        flash(_("The game has ended."), "success")
    return redirect(game_url(game))


@bp.get("/games/<int:game_id>/rounds/<int:round_id>")
def round_results(game_id: int, round_id: int):
    game = load_game(game_id)
    rnd = load_round(game, round_id)
    if rnd.status != "published":
        abort(404)
    return render_template(
        "instructor/round.html",
        game=game,
        rnd=rnd,
        team_names=rounds_service.team_names(db.session, game),
    )


# --------------------------------------------------------------------------- people


@bp.route("/games/<int:game_id>/people", methods=["GET"])
def people(game_id: int):
    game = load_game(game_id)
    return _people_page(game, RosterForm(), AssistantForm())


def _people_page(game: Game, roster_form, assistant_form, **extra):
    return render_template(
        "instructor/people.html",
        game=game,
        teams=teams_service.teams_with_members(db.session, game),
        players=games_service.players_of(db.session, game),
        staff=games_service.staff_of(db.session, game),
        roster_form=roster_form,
        assistant_form=assistant_form,
        action_form=ActionForm(),
        roster_columns=ROSTER_COLUMNS,
        **extra,
    )


@bp.post("/games/<int:game_id>/roster")
def roster(game_id: int):
    game = load_game(game_id)
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
    game = load_game(game_id)
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
    game = load_game(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    text = roster_service.take_credentials(
        db.session, game, current_user, request.form.get("token", "")
    )
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
    game = load_game(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = request.form.get("team_id", "")
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


@bp.post("/games/<int:game_id>/staff")
def add_staff(game_id: int):
    game = load_game(game_id)
    form = AssistantForm()
    if form.validate_on_submit():
        try:
            user = games_service.add_assistant(db.session, game, form.login.data)
        except GameError as exc:
            form.login.errors = [message_for(GAME_MESSAGES, exc.code, exc.params)]
        else:
            flash(_("%(name)s can now run this game.", name=user.display_name), "success")
            return redirect(url_for("instructor.people", game_id=game.id))
    return _people_page(game, RosterForm(), form), 400
