"""Student pages: join a game, form a team, team home, decisions and results.

A student reaches a game only through their own enrolment (404 otherwise) and only their own
team's decisions and results: no route takes a team's id except joining one.
Before every game page, rounds of that game whose deadline passed are closed with one
UPDATE (cheap); processing is left to ``flask tick`` or the instructor.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from simshop.engine.decisions import DecisionErrors
from simshop.extensions import db, limiter
from simshop.forms.game import (
    GAME_MESSAGES,
    ActionForm,
    CreateTeamForm,
    DecisionForm,
    JoinGameForm,
    message_for,
)
from simshop.models import Game, Player
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import games as games_service
from simshop.services import rounds as rounds_service
from simshop.services import teams as teams_service
from simshop.services.games import GameError
from simshop.views.auth import join_rate_key

bp = Blueprint("student", __name__, url_prefix="/games")


@bp.before_request
@login_required
def close_due_rounds():
    # Only pages that show a round's status need it closed on time; a POST of decisions
    # is refused past the deadline by the saving statement itself (one write fewer).
    game_id = (request.view_args or {}).get("game_id")
    if game_id is not None and request.method == "GET":
        rounds_service.close_due_rounds(db.session, game_id=game_id)
    return None


@bp.app_template_filter("game_time")
def game_time(value, game: Game) -> str:
    """A stored (UTC) time as ``YYYY-MM-DD HH:MM Zone`` in the game's time zone."""
    local = games_service.local_time(game, value)
    return f"{local:%Y-%m-%d %H:%M} {game.timezone}" if local is not None else "—"


@bp.app_template_filter("utc_iso")
def utc_iso(value) -> str:
    value = as_utc(value)
    return value.isoformat() if value is not None else ""


def load_player(game_id: int) -> tuple[Game, Player]:
    player = teams_service.player_for(db.session, game_id, current_user)
    if player is None:
        abort(404)
    game = db.session.get(Game, game_id)
    assert game is not None
    g.game = game
    return game, player


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
            form.code.errors = [message_for(GAME_MESSAGES, exc.code, exc.params)]
        else:
            return redirect(url_for("student.home", game_id=player.game_id))
    return render_template("student/join.html", form=form)


@bp.get("/<int:game_id>")
def home(game_id: int):
    game, player = load_player(game_id)
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
    current = rounds_service.current_round(db.session, game)
    last = rounds_service.last_published(db.session, game)
    state = rounds_service.team_state_before(db.session, game, current, team) if current else None
    last_result = rounds_service.team_result(db.session, last, team) if last else None
    saved = rounds_service.saved_decision(db.session, current, team) if current else None
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
        published=rounds_service.published_rounds(db.session, game),
    )


@bp.post("/<int:game_id>/teams")
def create_team(game_id: int):
    game, player = load_player(game_id)
    form = CreateTeamForm()
    if form.validate_on_submit():
        try:
            teams_service.create_team(db.session, player, form.name.data)
        except GameError as exc:
            flash(message_for(GAME_MESSAGES, exc.code, exc.params), "error")
        else:
            flash(_("Team created."), "success")
    else:
        flash(_("Enter a team name."), "error")
    return redirect(url_for("student.home", game_id=game.id))


@bp.post("/<int:game_id>/teams/<int:team_id>/join")
def join_team(game_id: int, team_id: int):
    game, player = load_player(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        teams_service.join_team(db.session, player, team_id)
    except GameError as exc:
        if exc.code == "team_unknown":
            abort(404)
        flash(message_for(GAME_MESSAGES, exc.code, exc.params), "error")
    else:
        flash(_("You joined the team."), "success")
    return redirect(url_for("student.home", game_id=game.id))


@bp.post("/<int:game_id>/team/leave")
def leave_team(game_id: int):
    game, player = load_player(game_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        teams_service.leave_team(db.session, player)
    except GameError as exc:
        flash(message_for(GAME_MESSAGES, exc.code, exc.params), "error")
    return redirect(url_for("student.home", game_id=game.id))


@bp.route("/<int:game_id>/decisions", methods=["GET", "POST"])
def decisions(game_id: int):
    game, player = load_player(game_id)
    if player.team is None:
        return redirect(url_for("student.home", game_id=game.id))
    team = player.team
    rnd = rounds_service.current_round(db.session, game)
    if rnd is None:
        abort(404)
    scenario = games_service.game_scenario(game)
    state = rounds_service.team_state_before(db.session, game, rnd, team, scenario)
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        form = DecisionForm.from_request(scenario, state, request.form)
        if not form.has_errors:
            try:
                rounds_service.submit_decision(db.session, current_user, team, rnd, form.raw())
            except DecisionErrors as exc:
                form.attach(exc.issues)
            except rounds_service.RoundNotOpenError:
                form.form_errors.append(message_for(GAME_MESSAGES, "round_not_open"))
                status = 409
            else:
                flash(_("Decisions saved. You can change them until the round closes."), "success")
                return redirect(url_for("student.decisions", game_id=game.id))
        if status == 200:
            status = 422
        saved = rounds_service.saved_decision(db.session, rnd, team)
    else:
        sheet, saved = rounds_service.sheet_for_form(db.session, game, rnd, team)
        form = DecisionForm.from_sheet(scenario, state, sheet)
    return render_template(
        "student/decisions.html",
        game=game,
        team=team,
        rnd=rnd,
        form=form,
        state=state,
        scenario=scenario,
        saved=saved,
        action_form=ActionForm(),
        editable=rnd.status == "open",
    ), status


@bp.get("/<int:game_id>/results/<int:number>")
def results(game_id: int, number: int):
    game, player = load_player(game_id)
    if player.team is None:
        abort(404)
    rnd = next(
        (r for r in rounds_service.published_rounds(db.session, game) if r.number == number),
        None,
    )
    if rnd is None:
        abort(404)
    result = rounds_service.team_result(db.session, rnd, player.team)
    if result is None:
        abort(404)
    return render_template(
        "student/results.html",
        game=game,
        team=player.team,
        rnd=rnd,
        result=result,
        scenario=games_service.game_scenario(game),
        team_names=rounds_service.team_names(db.session, game),
        published=rounds_service.published_rounds(db.session, game),
    )
