"""Student pages: join a game, form a team, team home, decisions and results.

A student reaches a game only through their own enrolment (404 otherwise) and only their own
team's decisions and results: no route takes a team's id except joining one.
Before every game page, rounds of that game whose deadline passed are closed with one
UPDATE (cheap); processing is left to ``flask tick`` or the instructor.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from simshop.engine.decisions import DecisionErrors, DecisionSheet
from simshop.extensions import db, limiter
from simshop.forms.game import (
    ActionForm,
    CreateTeamForm,
    DecisionForm,
    JoinGameForm,
)
from simshop.ids import parse_id
from simshop.messages import GAME_MESSAGES, error_message, message_for
from simshop.models import Game
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import round_state
from simshop.services import schedule as schedule_service
from simshop.services import teams as teams_service
from simshop.services.analysis import team_labels
from simshop.services.games import GameError
from simshop.views.access import enrolment
from simshop.views.auth import join_rate_key
from simshop.views.lab import rival_label

bp = Blueprint("student", __name__, url_prefix="/games")


@bp.before_request
@login_required
def close_due_rounds():
    # Only pages that show a round's status need it closed on time; a POST of decisions
    # is refused past the deadline by the saving statement itself (one write fewer). A
    # page writes only when a round is overdue (the tick closes them too).
    game_id = (request.view_args or {}).get("game_id")
    if game_id is not None and request.method == "GET":
        schedule_service.close_due_rounds_of(db.session, game_id)
    return None


@bp.app_template_filter("game_time")
def game_time(value, game: Game) -> str:
    """A stored (UTC) time as ``YYYY-MM-DD HH:MM Zone`` in the game's time zone."""
    local = games_service.local_time(game, value)
    return f"{local:%Y-%m-%d %H:%M} {game.timezone}" if local is not None else "—"


@bp.app_template_filter("zone_time")
def zone_time(value, zone: str) -> str:
    """A stored (UTC) time as ``YYYY-MM-DD HH:MM Zone`` in ``zone`` (like ``game_time``)."""
    value = as_utc(value)
    if value is None:
        return "—"
    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


@bp.app_template_filter("utc_iso")
def utc_iso(value) -> str:
    value = as_utc(value)
    return value.isoformat() if value is not None else ""


def news_for(game: Game, scenario_round: int) -> list[dict]:
    """Events announced up to ``scenario_round``, newest first, in the user's language."""
    chinese = str(get_locale()).startswith("zh")
    return [
        {
            "round": event.announced_in,
            "effective": event.round,
            "headline": event.text("headline", chinese),
            "body": event.text("body", chinese),
        }
        for event in games_service.game_scenario(game).announced_events(scenario_round)
    ]


@bp.get("")
def games():
    return render_template(
        "student/games.html",
        memberships=teams_service.games_for_player(db.session, current_user),
        form=JoinGameForm(),
    )


@bp.route("/join", methods=["GET", "POST"])
@bp.route("/join/<code>", methods=["GET"])
@limiter.limit(
    lambda: current_app.config["JOIN_RATE_LIMIT"], key_func=join_rate_key, methods=["POST"]
)
def join(code: str | None = None):
    form = JoinGameForm()
    if code and request.method == "GET":
        form.code.data = code
    if form.validate_on_submit():
        try:
            player = teams_service.join_game(db.session, current_user, form.code.data)
        except GameError as exc:
            form.code.errors = [error_message(exc)]
        else:
            return redirect(url_for("student.home", game_id=player.game_id))
    return render_template("student/join.html", form=form)


@bp.get("/<int:game_id>")
def home(game_id: int):
    game, player = enrolment(game_id)
    if player.team_id is None:
        return render_template(
            "student/choose_team.html",
            game=game,
            teams=[
                r for r in teams_service.teams_with_members(db.session, game) if not r.team.is_bot
            ],
            form=CreateTeamForm(),
            action_form=ActionForm(),
        )
    team = player.team
    current = round_state.current_round(db.session, game)
    last = round_state.last_published(db.session, game)
    state = round_state.team_state_shown(db.session, game, current, team) if current else None
    last_result = round_state.team_result(db.session, last, team) if last else None
    saved = decisions_service.saved_decision(db.session, current, team) if current else None
    deadline = as_utc(current.deadline) if current else None
    seconds_left = (
        max(0, int((deadline - utcnow()).total_seconds()))
        if deadline is not None and current.status == "open"
        else None
    )
    return render_template(
        "student/home.html",
        game=game,
        team=team,
        members=teams_service.team_members(db.session, team),
        current=current,
        state=state,
        scenario=games_service.game_scenario(game),
        last=last,
        last_result=last_result,
        saved=saved,
        seconds_left=seconds_left,
        news=news_for(game, current.scenario_round if current else 1),
        published=round_state.published_rounds(db.session, game),
        carries_over=current is not None
        and round_state.state_source_round(db.session, current) is not None,
        action_form=ActionForm(),
    )


@bp.post("/<int:game_id>/teams")
def create_team(game_id: int):
    game, player = enrolment(game_id)
    form = CreateTeamForm()
    if form.validate_on_submit():
        try:
            teams_service.create_team(db.session, player, form.name.data)
        except GameError as exc:
            flash(error_message(exc), "error")
        else:
            flash(_("Team created."), "success")
    else:
        flash(_("Enter a team name."), "error")
    return redirect(url_for("student.home", game_id=game.id))


@bp.post("/<int:game_id>/teams/<int:team_id>/join")
def join_team(game_id: int, team_id: int):
    game, player = enrolment(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        teams_service.join_team(db.session, player, team_id)
    except GameError as exc:
        if exc.code == "team_unknown":
            abort(404)
        flash(error_message(exc), "error")
    else:
        flash(_("You joined the team."), "success")
    return redirect(url_for("student.home", game_id=game.id))


@bp.post("/<int:game_id>/team/leave")
def leave_team(game_id: int):
    game, player = enrolment(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        teams_service.leave_team(db.session, player)
    except GameError as exc:
        flash(error_message(exc), "error")
    return redirect(url_for("student.home", game_id=game.id))


@bp.route("/<int:game_id>/decisions", methods=["GET", "POST"])
def decisions(game_id: int):
    game, player = enrolment(game_id)
    if player.team is None:
        return redirect(url_for("student.home", game_id=game.id))
    team = player.team
    rnd = round_state.current_round(db.session, game)
    if rnd is None:
        abort(404)
    scenario = games_service.game_scenario(game)
    state = round_state.team_state_before(db.session, game, rnd, team, scenario)
    status, conflict, theirs = 200, None, None
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        form = DecisionForm.from_request(scenario, state, request.form)
        form.check()
        version = request.form.get("version", "")
        expected = parse_id(version) if version else None
        if version and expected is None:
            abort(400)
        if not form.has_errors:
            try:
                decisions_service.submit_decision(
                    db.session, current_user, team, rnd, form.raw(), expected_version=expected
                )
            except DecisionErrors as exc:
                form.attach(exc.issues)
            except decisions_service.DecisionConflictError as exc:
                conflict, status = exc.saved, 409
                theirs = DecisionForm.from_sheet(
                    scenario, state, DecisionSheet.from_dict(conflict.payload)
                )
            except decisions_service.RoundNotOpenError:
                form.form_errors.append(message_for(GAME_MESSAGES, "round_not_open"))
                status = 409
            else:
                flash(_("Decisions saved. You can change them until the round closes."), "success")
                return redirect(url_for("student.decisions", game_id=game.id))
        if status == 200:
            status = 422
        saved = decisions_service.saved_decision(db.session, rnd, team)
        # Saving again after a conflict is a deliberate overwrite of the version just shown.
        version = saved.save_count if conflict is not None and saved else expected
    else:
        sheet, saved = decisions_service.sheet_for_form(db.session, game, rnd, team)
        form = DecisionForm.from_sheet(scenario, state, sheet)
        version = saved.save_count if saved else 0
    return render_template(
        "student/decisions.html",
        game=game,
        team=team,
        rnd=rnd,
        form=form,
        state=state,
        scenario=scenario,
        saved=saved,
        version=version,
        conflict=conflict,
        differences=form.differences(theirs) if theirs is not None else [],
        action_form=ActionForm(),
        editable=rnd.status == "open",
        carries_over=round_state.state_source_round(db.session, rnd) is not None,
    ), status


@bp.get("/<int:game_id>/results/<int:number>")
def results(game_id: int, number: int):
    game, player = enrolment(game_id)
    if player.team is None:
        abort(404)
    rnd = next(
        (r for r in round_state.published_rounds(db.session, game) if r.number == number),
        None,
    )
    if rnd is None:
        abort(404)
    result = round_state.team_result(db.session, rnd, player.team)
    if result is None:
        abort(404)
    return render_template(
        "student/results.html",
        game=game,
        team=player.team,
        rnd=rnd,
        result=result,
        scenario=games_service.game_scenario(game),
        # Rivals as the leaderboard names them for this student (team_labels).
        team_names=team_labels(db.session, game, player.team.id, rival=rival_label),
        standings_reviews=round_state.review_counts(db.session, rnd.id),
        published=round_state.published_rounds(db.session, game),
    )
