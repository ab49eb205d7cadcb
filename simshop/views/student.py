"""Student pages: join a game, form a team, team home, decisions and results.

A student reaches a game only through their own enrolment (404 otherwise) and only their own
team's decisions and results: no route takes a team's id except joining one.
Before every game page, rounds of that game whose deadline passed are closed with one
UPDATE (cheap); processing is left to ``flask tick`` or the instructor.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    render_template_string,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError

from simshop.engine.decisions import DecisionErrors, DecisionSheet
from simshop.engine.plan import RoundPlan
from simshop.engine.scenario import Scenario
from simshop.extensions import db, limiter
from simshop.forms import sourcing
from simshop.forms.game import (
    ActionForm,
    BriefingSizesForm,
    CreateTeamForm,
    DecisionForm,
    JoinGameForm,
)
from simshop.i18n import localized_name
from simshop.ids import parse_id
from simshop.messages import GAME_MESSAGES, PLAN_MESSAGES, error_message, message_for
from simshop.models import Game, Round, Team
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.numbers import money, number
from simshop.services import briefing as briefing_service
from simshop.services import decisions as decisions_service
from simshop.services import explanations, round_state, search_report
from simshop.services import forecasts as forecasts_service
from simshop.services import games as games_service
from simshop.services import plan as plan_service
from simshop.services import research as research_service
from simshop.services import schedule as schedule_service
from simshop.services import teams as teams_service
from simshop.services.analysis import team_labels
from simshop.services.games import GameError
from simshop.views import form_text
from simshop.views.access import (
    Need,
    current_round,
    enrolment,
    forget_current_round,
    membership_for,
    team_of,
)
from simshop.views.auth import join_rate_key
from simshop.views.explained import explanation_view, render_season
from simshop.views.lab import rival_label

bp = Blueprint("student", __name__, url_prefix="/games")

FIELD_LABEL = (
    '{% from "games/decision_fields.html" import field_label with context %}'
    "{{ field_label(f, scenario) }}"
)
"""A decision field named for people ("United States · Earbuds · Price")."""


@bp.before_request
@login_required
def close_due_rounds():
    # Only pages that show a round's status need it closed on time; a POST of decisions
    # is refused past the deadline by the saving statement itself (one write fewer). A
    # page writes only when a round is overdue (the tick closes them too).
    game_id = (request.view_args or {}).get("game_id")
    if (
        game_id is not None
        and request.method == "GET"
        and schedule_service.close_due_rounds_of(db.session, game_id)
    ):
        forget_current_round()  # the round read with the user may have just closed
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
        for event in games_service.game_news(game, scenario_round)
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
    current = current_round(game)
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
    rnd = current_round(game)
    if rnd is None:
        abort(404)
    scenario = games_service.game_scenario(game)
    state = round_state.team_state_before(db.session, game, rnd, team, scenario)
    conflict, theirs = None, None
    if request.method == "POST":
        if form_text("action") == "plan":
            return _check_plan(game, team, rnd, scenario, state)
        form, expected, status, conflict, theirs = _save_decisions(scenario, state, team, rnd)
        if status == 302:
            flash(_("Decisions saved. You can change them until the round closes."), "success")
            # game_id, not game.id: the commit expired the game, and reading its id would
            # load the whole row (scenario text included) again, one more query per save.
            return redirect(url_for("student.decisions", game_id=game_id))
        saved = decisions_service.saved_decision(db.session, rnd, team)
        # Saving again after a conflict is a deliberate overwrite of the version just shown.
        version = saved.save_count if conflict is not None and saved else expected
    else:
        status = 200
        sheet, saved = decisions_service.sheet_for_form(db.session, game, rnd, team)
        form = DecisionForm.from_sheet(scenario, state, sheet)
        version = saved.save_count if saved else 0
    return _decisions_page(
        game, team, rnd, form, version, saved=saved, conflict=conflict, theirs=theirs, status=status
    )


def _decisions_page(
    game: Game,
    team: Team,
    rnd: Round,
    form: DecisionForm,
    version: int | None,
    *,
    saved=None,
    conflict=None,
    theirs=None,
    status: int = 200,
):
    """The decision form with the plan of the values it holds (none while a field cannot
    be read: its error is shown instead)."""
    if saved is None and conflict is None:
        saved = decisions_service.saved_decision(db.session, rnd, team)
    plan = None if form.has_errors else _plan_of(game, team, form)
    return render_template(
        "student/decisions.html",
        game=game,
        team=team,
        rnd=rnd,
        form=form,
        state=form.team,
        scenario=form.scenario,
        saved=saved,
        version=version,
        conflict=conflict,
        differences=form.differences(theirs) if theirs is not None else [],
        action_form=ActionForm(),
        editable=rnd.status == "open",
        carries_over=round_state.state_source_round(db.session, rnd) is not None,
        plan=plan,
        plan_warnings=plan_warnings(plan, form.scenario) if plan else [],
        sourcing=sourcing.page_view(
            form, research_service.revealed_samples(db.session, game, team)
        ),
        search=search_report.decision_context(db.session, game, team),
    ), status


def _plan_of(game: Game, team: Team, form: DecisionForm) -> RoundPlan | None:
    try:
        return plan_service.sheet_plan(plan_service.plan_inputs(db.session, game, team), form.raw())
    except (GameError, ValidationError):
        return None


def plan_warnings(plan: RoundPlan, scenario: Scenario) -> list[str]:
    """The plan's warnings in the page's language, markets and products by name."""
    names = {m.code: localized_name(m) for m in scenario.markets}
    names.update({p.id: localized_name(p) for p in scenario.products})
    out = []
    for w in plan.warnings:
        params = {
            **w.params,
            "market": names.get(w.market or "", ""),
            "product": names.get(w.product or "", ""),
        }
        if "break_even" in params and w.market:
            params["break_even"] = money(params["break_even"], scenario.market(w.market).currency)
        if "short" in params:
            params["short"] = money(params["short"], "CNY")
        for key, digits in (("stock", 0), ("sold", 0)):
            if key in params:
                params[key] = number(params[key], digits)
        out.append(message_for(PLAN_MESSAGES, w.code, params))
    return out


def _plan_team(game_id: int) -> tuple[Game, Team]:
    """The game and the team whose plan is asked for: a member's own team (404 for another
    team's id), or for the game's staff the team named by ``?team=``."""
    found = membership_for(game_id, Need.VIEWER)
    requested = parse_id(request.args.get("team", "")) if request.args.get("team") else None
    if found.player is not None and not found.is_staff:
        team = found.player.team
        if team is None or (requested is not None and requested != team.id):
            abort(404)
        return found.game, team
    if requested is None:
        abort(404)
    return found.game, team_of(found.game, requested)


@bp.get("/<int:game_id>/plan")
def plan(game_id: int):
    """The plan of the decision form's values (sent as the query), as JSON; never writes.
    422 with located errors when a value cannot be read."""
    game, team = _plan_team(game_id)
    try:
        inputs = plan_service.plan_inputs(db.session, game, team)
    except GameError as exc:
        return jsonify(errors=[{"field": None, "message": error_message(exc)}]), 404
    form = DecisionForm.from_request(inputs.scenario, inputs.state, request.args)
    if form.has_errors:
        errors = [
            {
                "field": f.name,
                "id": f.id,
                "label": render_template_string(FIELD_LABEL, f=f, scenario=inputs.scenario),
                "message": message,
            }
            for f in form.fields.values()
            for message in f.errors
        ]
        return jsonify(errors=errors), 422
    try:
        result = plan_service.sheet_plan(inputs, form.raw())
    except ValidationError:
        return jsonify(errors=[{"field": None, "message": _("This value is not accepted.")}]), 422
    warnings = plan_warnings(result, inputs.scenario)
    html = render_template(
        "student/_plan.html", plan=result, plan_warnings=warnings, scenario=inputs.scenario
    )
    return jsonify(plan=result.to_dict(), warnings=warnings, html=html)


@bp.get("/<int:game_id>/briefing")
def briefing(game_id: int):
    """The students' briefing: open to every player from joining and to the game's staff."""
    found = membership_for(game_id, Need.VIEWER)
    game = found.game
    brief = briefing_service.game_briefing(db.session, game)
    return render_template(
        "student/briefing.html",
        game=game,
        team=found.player.team if found.player is not None else None,
        staff=found.is_staff,
        brief=brief,
        month_name=get_month_names("wide", locale=get_locale())[brief.month],
        scenario=games_service.game_scenario(game),
        sizes_form=BriefingSizesForm(exact=game.briefing_exact_sizes),
    )


def _posted_version() -> int | None:
    """The version the posted form was loaded from (400 when it is not an id)."""
    version = form_text("version")
    expected = parse_id(version) if version else None
    if version and expected is None:
        abort(400)
    return expected


def _check_plan(game: Game, team: Team, rnd: Round, scenario: Scenario, state):
    """ "Check my plan" (the page without JavaScript): show the plan, save nothing."""
    if not ActionForm().validate_on_submit():
        abort(400)
    form = DecisionForm.from_request(scenario, state, request.form)
    status = 422 if form.has_errors else 200
    return _decisions_page(game, team, rnd, form, _posted_version(), status=status)


def _save_decisions(scenario, state, team, rnd):
    """Check and save the posted sheet: ``(form, expected version, status, conflict,
    theirs)``; status 302 when saved, 409 on a teammate's newer save (``conflict`` is it,
    ``theirs`` its form) or a closed round, 422 when the sheet has errors."""
    if not ActionForm().validate_on_submit():
        abort(400)
    form = DecisionForm.from_request(scenario, state, request.form)
    expected = _posted_version()
    # Building the engine's input marks the form's own rules (listing caps, incomplete
    # studies) on their fields.
    raw = None if form.has_errors else form.raw()
    if raw is None or form.has_errors:
        form.check()  # the engine's messages too, on the fields that could be read
        return form, expected, 422, None, None
    # Every field could be read: the service checks the engine's rules (once) and raises
    # their messages, which land on the fields below.
    try:
        decisions_service.submit_decision(
            db.session, current_user, team, rnd, raw, expected_version=expected, state=state
        )
    except DecisionErrors as exc:
        form.attach(exc.issues)
    except decisions_service.DecisionConflictError as exc:
        sheet = DecisionSheet.from_dict(exc.saved.payload)
        return form, expected, 409, exc.saved, DecisionForm.from_sheet(scenario, state, sheet)
    except decisions_service.RoundNotOpenError:
        form.form_errors.append(message_for(GAME_MESSAGES, "round_not_open"))
        return form, expected, 409, None, None
    else:
        return form, expected, 302, None, None
    return form, expected, 422, None, None


@bp.get("/<int:game_id>/season")
def season(game_id: int):
    """The team's season review: trajectory, best and worst decisions, final standings
    (the season so far while the game runs)."""
    game, player = enrolment(game_id)
    if player.team is None:
        abort(404)
    names = team_labels(db.session, game, player.team.id, rival=rival_label)
    return render_season(game, player.team, names, staff=False)


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
    scenario = games_service.game_scenario(game)
    explained = explanations.team_explanation(db.session, rnd, player.team)
    return render_template(
        "student/results.html",
        explanation=explanation_view(explained, scenario) if explained else None,
        explaining=explained is None and not explanations.is_explained(db.session, rnd),
        game=game,
        team=player.team,
        rnd=rnd,
        result=result,
        scenario=scenario,
        # Rivals as the leaderboard names them for this student (team_labels).
        team_names=team_labels(db.session, game, player.team.id, rival=rival_label),
        standings_reviews=round_state.review_counts(db.session, rnd.id),
        published=round_state.published_rounds(db.session, game),
        forecast=forecasts_service.comparison_for(db.session, rnd, player.team, result),
    )
