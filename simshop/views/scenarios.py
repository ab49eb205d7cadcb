"""Scenario authoring pages (instructors only): the library, own scenarios, editing, preview.

Students get 403 on every route; an instructor opening another instructor's scenario gets
404. Administrators may open, edit and delete every instructor's scenarios. Shipped
scenarios (``scenarios/*.toml``) are read-only: they can be viewed, downloaded, previewed
and copied.
"""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
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
from markupsafe import Markup

from simshop.engine.scenario import EVENT_KINDS, Scenario
from simshop.engine.scenario_errors import ScenarioInvalid
from simshop.extensions import db
from simshop.forms.game import ActionForm
from simshop.forms.scenario import (
    LANE_LABELS,
    SettingsForm,
    UploadForm,
    apply_problems,
    item_form,
    new_item,
    problem_message,
)
from simshop.i18n import team_display_name
from simshop.models import ScenarioDraft
from simshop.services import membership as membership_service
from simshop.services import scenarios as service
from simshop.views import charts
from simshop.views.access import instructors_only, own_draft, shipped_scenario
from simshop.vocabulary import EVENT_KIND_LABELS

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")

SECTION = "any(markets, products, tariffs, events)"
COPY_TITLE_PREFIX = "Copy of "
COPY_TITLE_ZH_PREFIX = "副本："


instructors_only(bp)


def library_dir() -> str:
    return current_app.config["SCENARIOS_DIR"]


@bp.context_processor
def authoring_helpers() -> dict[str, Any]:
    return {
        "kind_labels": EVENT_KIND_LABELS,
        "lane_labels": LANE_LABELS,
    }


def toml_attachment(content: str | bytes, filename: str) -> Response:
    """``content`` as a download (read into memory: scenario files are small)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return send_file(
        io.BytesIO(data),
        mimetype="application/toml",
        as_attachment=True,
        download_name=filename,
    )


# --------------------------------------------------------------------------- library


@bp.get("/")
def index():
    return render_template(
        "scenarios/index.html",
        shipped=service.shipped_scenarios(library_dir()),
        drafts=service.drafts_for(db.session, current_user),
        action_form=ActionForm(),
        timezone=membership_service.staff_timezone(
            db.session, current_user, current_app.config["BABEL_DEFAULT_TIMEZONE"]
        ),
    )


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    problems = []
    if form.validate_on_submit():
        storage = form.file.data
        filename = (storage.filename or "scenario.toml")[-120:]
        try:
            draft = service.upload_scenario(db.session, current_user, storage.read(), filename)
        except ScenarioInvalid as exc:
            problems = [(p, problem_message(p)) for p in exc.problems]
        else:
            flash(_("Scenario uploaded: it is valid and saved."), "success")
            return redirect(url_for(".show", draft_id=draft.id))
    return render_template("scenarios/upload.html", form=form, problems=problems)


def _show(scenario: Scenario, **context: Any) -> str:
    return render_template(
        "scenarios/show.html",
        scenario=scenario,
        timeline=service.events_by_round(scenario),
        action_form=ActionForm(),
        **context,
    )


@bp.get("/library/<name>")
def shipped(name: str):
    entry = shipped_scenario(name)
    return _show(entry.scenario, shipped=entry, draft=None)


@bp.get("/library/<name>/download")
def shipped_download(name: str):
    entry = shipped_scenario(name)
    return toml_attachment(entry.path.read_bytes(), entry.path.name)


@bp.post("/library/<name>/copy")
def shipped_copy(name: str):
    return _copy(shipped_scenario(name).text)


@bp.get("/library/<name>/preview")
def shipped_preview(name: str):
    entry = shipped_scenario(name)
    return _preview(entry.scenario, entry.text, shipped=entry, draft=None)


# --------------------------------------------------------------------------- own scenarios


@bp.get("/<int:draft_id>")
def show(draft_id: int):
    draft = own_draft(draft_id)
    return _show(
        service.scenario_of(draft),
        draft=draft,
        shipped=None,
        rewrites_file=service.has_unwritten_formatting(draft),
    )


@bp.get("/<int:draft_id>/download")
def download(draft_id: int):
    draft = own_draft(draft_id)
    return toml_attachment(draft.toml_text, f"{draft.slug}.toml")


@bp.post("/<int:draft_id>/copy")
def copy(draft_id: int):
    return _copy(own_draft(draft_id).toml_text)


def _copy(text: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    draft = service.copy_scenario(
        db.session,
        current_user,
        text,
        title_prefix=COPY_TITLE_PREFIX,
        title_zh_prefix=COPY_TITLE_ZH_PREFIX,
    )
    flash(_("Copied. This copy is yours to edit."), "success")
    return redirect(url_for(".show", draft_id=draft.id))


@bp.post("/<int:draft_id>/delete")
def delete(draft_id: int):
    draft = own_draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.delete_draft(db.session, draft)
    flash(_("Scenario deleted. Games that use it keep their own copy."), "success")
    return redirect(url_for(".index"))


@bp.get("/<int:draft_id>/preview")
def preview(draft_id: int):
    draft = own_draft(draft_id)
    return _preview(service.scenario_of(draft), draft.toml_text, draft=draft, shipped=None)


def _preview(scenario: Scenario, text: str, **context: Any):
    if not service.preview_allowed(scenario):
        flash(
            _(
                "This scenario is too large to preview on the server (%(work)s market-product-"
                "days; at most %(max)s). Run it on your own computer with “flask --app "
                "simshop simulate”.",
                work=f"{service.preview_work(scenario):,}",
                max=f"{service.MAX_PREVIEW_WORK:,}",
            ),
            "error",
        )
        draft, shipped = context.get("draft"), context.get("shipped")
        if draft is not None:
            return redirect(url_for("scenarios.show", draft_id=draft.id))
        return redirect(url_for("scenarios.shipped", name=shipped.name))
    run = service.preview(text)
    return render_template(
        "scenarios/preview.html",
        scenario=scenario,
        run=run,
        charts=_preview_charts(run),
        bots=service.PREVIEW_BOTS,
        **context,
    )


def _preview_charts(run: service.Preview) -> list[Markup]:
    """The preview's key numbers by round, as the data lab draws its charts (inline SVG,
    every point labelled)."""
    labels = [_("R%(n)s", n=n) for n in run.rounds]

    strategies = {team["team_id"]: team["strategy"] for team in run.teams}

    def bot_name(team_id: str) -> str:
        # Preview teams are "bot01-cost_plus": shown like a game's bot teams.
        number = int(team_id[3:5]) if team_id[3:5].isdigit() else 0
        return team_display_name(f"Bot {number} · {strategies.get(team_id, '')}")

    def chart(title: str, series: dict[str, list[Any]], name=lambda k: k) -> Markup:
        return charts.lines(title, labels, [charts.Series(name(k), v) for k, v in series.items()])

    return [
        chart(_("Revenue by market (CN¥)"), run.revenue_cny),
        chart(_("Units sold by market"), run.units_sold),
        chart(_("Cumulative profit of each bot team (CN¥)"), run.profit_cny, bot_name),
    ]


# --------------------------------------------------------------------------- editing


def _edit_context(draft: ScenarioDraft, **context: Any) -> dict[str, Any]:
    return {"draft": draft, "rewrites_file": service.has_unwritten_formatting(draft), **context}


@bp.route("/<int:draft_id>/settings", methods=["GET", "POST"])
def settings(draft_id: int):
    draft = own_draft(draft_id)
    form = SettingsForm.from_scenario(service.scenario_of(draft))
    others: list[str] = []
    if form.validate_on_submit():
        tables = form.tables()
        try:
            service.edit_draft(db.session, draft, lambda data: service.set_tables(data, tables))
        except ScenarioInvalid as exc:
            others = apply_problems(form, exc.problems, "")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for(".show", draft_id=draft.id))
    return render_template(
        "scenarios/settings.html", **_edit_context(draft, form=form, others=others)
    )


@bp.get(f"/<int:draft_id>/<{SECTION}:section>")
def section(draft_id: int, section: str):
    draft = own_draft(draft_id)
    scenario = service.scenario_of(draft)
    return render_template(
        "scenarios/section.html",
        **_edit_context(
            draft,
            section=section,
            scenario=scenario,
            timeline=service.events_by_round(scenario),
            action_form=ActionForm(),
            kinds=list(EVENT_KINDS),
        ),
    )


@bp.route(f"/<int:draft_id>/<{SECTION}:section>/new", methods=["GET", "POST"])
def add_item(draft_id: int, section: str):
    draft = own_draft(draft_id)
    scenario = service.scenario_of(draft)
    kind = request.args.get("kind", "")
    if section == "events" and kind not in EVENT_KINDS:
        return render_template(
            "scenarios/event_kinds.html", **_edit_context(draft, kinds=list(EVENT_KINDS))
        )
    return _item_page(draft, scenario, section, None, new_item(section, scenario, kind or "news"))


@bp.route(f"/<int:draft_id>/<{SECTION}:section>/<int:index>", methods=["GET", "POST"])
def edit_item(draft_id: int, section: str, index: int):
    draft = own_draft(draft_id)
    items = service.data_of(draft).get(section, [])
    if index >= len(items):
        abort(404)
    return _item_page(draft, service.scenario_of(draft), section, index, items[index])


def _item_page(
    draft: ScenarioDraft, scenario: Scenario, section: str, index: int | None, item: dict
):
    form = item_form(section, item, scenario)
    others: list[str] = []
    if form.validate_on_submit():
        new = form.to_item()
        try:
            service.edit_draft(
                db.session, draft, lambda data: service.put_item(data, section, index, new)
            )
        except ScenarioInvalid as exc:
            position = len(service.data_of(draft).get(section, [])) if index is None else index
            others = apply_problems(form, exc.problems, f"{section}[{position}]")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for(".section", draft_id=draft.id, section=section))
    return render_template(
        "scenarios/item.html",
        **_edit_context(
            draft, form=form, others=others, section=section, index=index, kind=item.get("kind")
        ),
    )


@bp.post(f"/<int:draft_id>/<{SECTION}:section>/<int:index>/delete")
def delete_item(draft_id: int, section: str, index: int):
    draft = own_draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if index >= len(service.data_of(draft).get(section, [])):
        abort(404)
    try:
        service.edit_draft(
            db.session, draft, lambda data: service.remove_item(data, section, index)
        )
    except ScenarioInvalid as exc:
        flash(_("Not deleted: without it the scenario would not be valid."), "error")
        for problem in exc.problems:
            flash(f"{problem.loc}: {problem_message(problem)}", "error")
    else:
        flash(_("Deleted."), "success")
    return redirect(url_for(".section", draft_id=draft.id, section=section))
