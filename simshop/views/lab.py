"""The data lab: market research, team dashboards, "what if" replays, exports, debriefs.

Who sees what (checked here, on every route):

- team pages without a team id (research, dashboard, what if, team export) belong to the
  signed-in student's own team; a student never names a team in a URL;
- ``/teams/<team_id>/…`` pages, the debrief and the whole-game export are for the game's
  staff only (404 for everyone else, like other games' pages);
- research anonymises rivals unless the game shows their names (staff see every name).

The "what if" POST replays a round in memory and writes nothing (the session is rolled back).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import login_required

from simshop.engine.decisions import DecisionErrors
from simshop.engine.explain import CAUSES
from simshop.extensions import db
from simshop.forms import sourcing
from simshop.forms.game import DecisionForm
from simshop.forms.lab import WhatIfForm
from simshop.i18n import chinese_page
from simshop.ids import parse_id
from simshop.messages import LAB_MESSAGES
from simshop.models import Game, Team
from simshop.services import (
    analysis,
    compliance_report,
    debrief,
    explanations,
    exports,
    product_report,
    search_report,
    whatif,
)
from simshop.services import games as games_service
from simshop.services import research as team_research_service
from simshop.services import teams as teams_service
from simshop.services.games import GameError
from simshop.views import charts
from simshop.views.access import Need, game_for, membership_for, team_of
from simshop.views.explained import CAUSE_LABELS, explanation_view, render_season

bp = Blueprint("lab", __name__, url_prefix="/games/<int:game_id>/lab")

TEAM_TABLES = (
    "results",
    "offers",
    "decisions",
    "explanations",
    "research",
    "products",
    "studies",
    "shares",
    "conditions",
    "events",
    "compliance",
    "search_terms",
    "search_research",
    "listings",
)


@bp.before_request
@login_required
def require_login():
    return None


@dataclass
class Scope:
    game: Game
    team: Team | None
    staff: bool


def scope_for(game_id: int, team_id: int | None = None, *, need_team: bool = True) -> Scope:
    """A student's own team, or (``team_id``) any team of a game the instructor runs; with
    ``need_team=False`` staff may also look at the game as a whole (``team=None``)."""
    if team_id is not None:
        game = game_for(game_id, Need.STAFF)
        return Scope(game, team_of(game, team_id), True)
    found = membership_for(game_id, Need.VIEWER)
    team = found.player.team if found.player is not None else None
    if team is None and (need_team or not found.is_staff):
        abort(404)
    return Scope(found.game, team, found.is_staff and team is None)


def round_short(rnd) -> str:
    if rnd.is_practice:
        return _("P%(n)s", n=rnd.scenario_round)
    return _("R%(n)s", n=rnd.scenario_round)


def rival_label(letter: str) -> str:
    return _("Rival %(letter)s", letter=letter)


@bp.context_processor
def chart_helpers():
    return {
        "chart": charts,
        "Series": charts.Series,
        "round_short": round_short,
        "compact": charts.compact,
        "is_chinese": chinese_page(),
    }


def download(data: bytes, name: str, mimetype: str):
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --------------------------------------------------------------------------- pages


@bp.get("")
def index(game_id: int):
    scope = scope_for(game_id, need_team=False)
    game = scope.game
    return render_template(
        "lab/index.html",
        game=game,
        team=scope.team,
        staff=scope.staff,
        scenario=games_service.game_scenario(game),
        published=analysis.published_rounds(db.session, game),
        teams=teams_service.teams_with_members(db.session, game) if scope.staff else [],
        team_tables=TEAM_TABLES,
    )


@bp.get("/research")
def research(game_id: int):
    scope = scope_for(game_id, need_team=False)
    scenario = games_service.game_scenario(scope.game)
    market = request.args.get("market") or scenario.markets[0].code
    data = analysis.market_research(
        db.session,
        scope.game,
        market,
        viewer_team_id=scope.team.id if scope.team else None,
        staff=scope.staff,
        rival=rival_label,
    )
    if data is None:
        abort(404)
    return render_template(
        "lab/research.html", game=scope.game, team=scope.team, scenario=scenario, r=data
    )


@bp.get("/search-terms")
def search_terms(game_id: int):
    """The search funnel per offer and term (the student's own team; staff: every team)
    and the public research per market and term."""
    scope = scope_for(game_id, need_team=False)
    number = parse_id(request.args.get("round"))
    shown = scope.team
    if scope.staff and request.args.get("team"):  # staff may look at one team
        chosen = parse_id(request.args.get("team"))
        if chosen is None:
            abort(404)
        shown = team_of(scope.game, chosen)
    report = search_report.search_report(
        db.session, scope.game, team=shown, staff=scope.staff, round_number=number
    )
    return render_template(
        "lab/search_terms.html",
        game=scope.game,
        team=scope.team,
        staff=scope.staff,
        shown_team=shown,
        teams=teams_service.teams_with_members(db.session, scope.game) if scope.staff else [],
        scenario=games_service.game_scenario(scope.game),
        report=report,
        term_of=search_report.search_terms_of,
    )


def render_dashboard(scope: Scope):
    assert scope.team is not None
    return render_template(
        "lab/dashboard.html",
        game=scope.game,
        team=scope.team,
        staff=scope.staff,
        scenario=games_service.game_scenario(scope.game),
        d=analysis.team_dashboard(db.session, scope.game, scope.team),
    )


@bp.get("/dashboard")
def dashboard(game_id: int):
    return render_dashboard(scope_for(game_id))


@bp.get("/teams/<int:team_id>/dashboard")
def team_dashboard(game_id: int, team_id: int):
    return render_dashboard(scope_for(game_id, team_id))


def render_studies(scope: Scope):
    """A team's own research: the studies it bought, its samples, the demand it left
    unserved (only what it paid for; nobody else's)."""
    assert scope.team is not None
    scenario = games_service.game_scenario(scope.game)
    return render_template(
        "lab/studies.html",
        game=scope.game,
        team=scope.team,
        staff=scope.staff,
        scenario=scenario,
        markets={m.code: m for m in scenario.markets},
        products={p.id: p for p in scenario.products},
        suppliers={(p.id, s.id): s for p in scenario.products for s in sourcing.suppliers_of(p)},
        r=team_research_service.team_research(db.session, scope.game, scope.team),
    )


@bp.get("/studies")
def studies(game_id: int):
    return render_studies(scope_for(game_id))


@bp.get("/teams/<int:team_id>/studies")
def team_studies(game_id: int, team_id: int):
    return render_studies(scope_for(game_id, team_id))


def render_team_page(scope: Scope, template: str, **context: Any):
    """A page about one team (its products, its compliance): the game, the team, whether
    staff look, the game's scenario and the page's own ``context``."""
    return render_template(
        template,
        game=scope.game,
        team=scope.team,
        staff=scope.staff,
        scenario=games_service.game_scenario(scope.game),
        **context,
    )


def render_products(scope: Scope):
    assert scope.team is not None
    report = product_report.team_product_report(db.session, scope.game, scope.team)
    return render_team_page(scope, "lab/products.html", report=report)


@bp.get("/products")
def products(game_id: int):
    return render_products(scope_for(game_id))


@bp.get("/teams/<int:team_id>/products")
def team_products(game_id: int, team_id: int):
    return render_products(scope_for(game_id, team_id))


def render_compliance(scope: Scope):
    assert scope.team is not None
    c = compliance_report.team_compliance(db.session, scope.game, scope.team)
    return render_team_page(scope, "lab/compliance.html", c=c)


@bp.get("/compliance")
def compliance(game_id: int):
    """The team's compliance incidents and their cost (a student's own team only)."""
    return render_compliance(scope_for(game_id))


@bp.get("/teams/<int:team_id>/compliance")
def team_compliance(game_id: int, team_id: int):
    return render_compliance(scope_for(game_id, team_id))


@bp.get("/teams/<int:team_id>/season")
def team_season(game_id: int, team_id: int):
    """Any team's season review, for the game's staff (real team names)."""
    scope = scope_for(game_id, team_id)
    names = analysis.team_labels(db.session, scope.game, scope.team.id, staff=True)
    return render_season(scope.game, scope.team, names, staff=True)


@bp.route("/whatif/<int:number>", methods=["GET", "POST"])
def whatif_round(game_id: int, number: int):
    scope = scope_for(game_id)
    game, team = scope.game, scope.team
    rnd = analysis.published_round(db.session, game, number)
    if rnd is None:
        abort(404)
    replay = whatif.load_replay(db.session, game, rnd)
    try:
        state = whatif.team_state(replay, team)
    except GameError as exc:
        return render_template(
            "lab/whatif.html", game=game, team=team, rnd=rnd, message=LAB_MESSAGES[exc.code]
        ), 404
    outcome, status = None, 200
    if request.method == "POST":
        if not WhatIfForm().validate_on_submit():
            abort(400)
        form = DecisionForm.from_request(replay.scenario, state, request.form)
        if not form.has_errors:
            try:
                outcome = whatif.run_whatif(replay, team, form.raw())
            except DecisionErrors as exc:
                form.attach(exc.issues)
        if outcome is None:
            status = 422
    else:
        form = DecisionForm.from_sheet(replay.scenario, state, whatif.played_sheet(replay, team))
    return render_template(
        "lab/whatif.html",
        game=game,
        team=team,
        rnd=rnd,
        form=form,
        csrf_form=WhatIfForm(),
        state=state,
        scenario=replay.scenario,
        outcome=outcome,
        published=analysis.published_rounds(db.session, game),
    ), status


# --------------------------------------------------------------------------- exports


@bp.get("/export/<table>.csv")
def export_csv(game_id: int, table: str):
    scope = scope_for(game_id)
    if table not in TEAM_TABLES:
        abort(404)
    found = exports.table_named(exports.team_export(db.session, scope.game, scope.team), table)
    name = f"simshop-game{scope.game.id}-team{scope.team.id}-{table}.csv"
    return download(exports.to_csv(found), name, CSV)


@bp.get("/export.xlsx")
def export_xlsx(game_id: int):
    scope = scope_for(game_id)
    tables = exports.team_export(db.session, scope.game, scope.team)
    name = f"simshop-game{scope.game.id}-team{scope.team.id}.xlsx"
    return download(exports.to_xlsx(tables), name, XLSX)


@bp.get("/game-export/<table>.csv")
def game_export_csv(game_id: int, table: str):
    game = game_for(game_id, Need.STAFF)
    if table not in TEAM_TABLES:
        abort(404)
    found = exports.table_named(exports.game_export(db.session, game), table)
    return download(exports.to_csv(found), f"simshop-game{game.id}-{table}.csv", CSV)


@bp.get("/game-export.xlsx")
def game_export_xlsx(game_id: int):
    game = game_for(game_id, Need.STAFF)
    tables = exports.game_export(db.session, game)
    return download(exports.to_xlsx(tables), f"simshop-game{game.id}.xlsx", XLSX)


# --------------------------------------------------------------------------- debrief


@bp.get("/debrief", defaults={"number": None})
@bp.get("/debrief/<int:number>")
def debrief_round(game_id: int, number: int | None):
    """The debrief of round ``number`` (default: the latest published round)."""
    game = game_for(game_id, Need.STAFF)
    published = analysis.published_rounds(db.session, game)
    if number is None:
        rnd = published[-1] if published else None
    else:
        rnd = next((r for r in published if r.number == number), None)
        if rnd is None:
            abort(404)
    scenario = games_service.game_scenario(game)
    report = debrief.round_debrief(db.session, game, rnd) if rnd else None
    explained = explanations.round_explanations(db.session, rnd) if rnd else {}
    team_ids = [row.team_id for row in report.rows] if report else []
    chosen = parse_id(request.args.get("team", "")) if request.args.get("team") else None
    if chosen not in explained:
        chosen = next((t for t in team_ids if t in explained), None)
    return render_template(
        "debrief/round.html",
        game=game,
        report=report,
        published=published,
        scenario=scenario,
        explained=explained,
        causes=CAUSES,
        cause_labels=CAUSE_LABELS,
        chosen_team=chosen,
        explanation=explanation_view(explained[chosen], scenario) if chosen else None,
        explaining=rnd is not None and not explained,
    )


@bp.get("/debrief/<int:number>.csv")
def debrief_csv(game_id: int, number: int):
    game = game_for(game_id, Need.STAFF)
    rnd = analysis.published_round(db.session, game, number)
    if rnd is None:
        abort(404)
    table = debrief.debrief_table(debrief.round_debrief(db.session, game, rnd))
    return download(exports.to_csv(table), f"simshop-game{game.id}-debrief-{number}.csv", CSV)
