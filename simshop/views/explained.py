"""Results explained, in words and a waterfall, for the pages that show a stored explanation
(the student's results and season, the instructor's debrief). The numbers come from
:mod:`simshop.services.explanations`; this module only says them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from simshop.engine.explain import CAUSES, DEMAND, FX, TARIFFS
from simshop.engine.scenario import Scenario
from simshop.extensions import db
from simshop.i18n import chinese_page, localized_name
from simshop.models import Game, Team
from simshop.numbers import money, number
from simshop.services import games as games_service
from simshop.services import round_state
from simshop.services import season as season_service
from simshop.services.explanations import NO_ACTION, Explained
from simshop.views import charts

CAUSE_LABELS = {
    "prices": _l("Your prices"),
    "advertising": _l("Your advertising"),
    "stock": _l("Your stock and shipping"),
    "rivals": _l("Rivals' moves"),
    "tariffs": _l("Tariffs, fees and freight"),
    "fx": _l("Exchange rates"),
    "demand": _l("Season and demand"),
    "chance": _l("Chance"),
}
"""Short names of the causes (chart rows, table rows, export headers' words)."""


@dataclass
class ExplanationView:
    chart: Markup
    sentences: list[str]
    rows: list[dict[str, Any]]
    """Per cause: ``cause``, ``label``, ``profit_cny``, ``units``."""
    baseline_text: str
    change_cny: float
    units_change: int


def _joined(names: list[str]) -> str:
    return ("、" if chinese_page() else ", ").join(names)


def _markets(scenario: Scenario, codes: dict[str, str]) -> str:
    names = []
    for m in scenario.markets:
        if m.code in codes:
            names.append(localized_name(m))
    return _joined(names)


def _currencies(scenario: Scenario, codes: dict[str, str]) -> str:
    return _joined([m.currency for m in scenario.markets if m.code in codes])


def sentence(cause: str, amount: str, context: dict[str, Any], scenario: Scenario) -> str:
    """One plain sentence for one bar ("Tariff rise in United States: −¥38,200")."""
    changed: dict[str, str] = context.get(cause, {}) if cause in (TARIFFS, FX, DEMAND) else {}
    if cause == "prices":
        return _("Your own price changes: %(amount)s", amount=amount)
    if cause == "advertising":
        return _("Your own advertising changes: %(amount)s", amount=amount)
    if cause == "stock":
        return _(
            "Your stock and shipping (stock that ran out, arrived late or sat in the "
            "warehouse): %(amount)s",
            amount=amount,
        )
    if cause == "rivals":
        return _(
            "What rival teams did (their prices, advertising and stock): %(amount)s", amount=amount
        )
    if cause == TARIFFS:
        if not changed:
            return _("Tariffs, fees and freight: %(amount)s", amount=amount)
        markets = _markets(scenario, changed)
        directions = set(changed.values())
        if directions == {"up"}:
            return _("Tariff rise in %(markets)s: %(amount)s", markets=markets, amount=amount)
        if directions == {"down"}:
            return _("Tariff cut in %(markets)s: %(amount)s", markets=markets, amount=amount)
        return _(
            "Tariff, fee and freight changes in %(markets)s: %(amount)s",
            markets=markets,
            amount=amount,
        )
    if cause == FX:
        if not changed:
            return _("Exchange rates: %(amount)s", amount=amount)
        return _(
            "Exchange-rate moves (%(currencies)s): %(amount)s",
            currencies=_currencies(scenario, changed),
            amount=amount,
        )
    if cause == DEMAND:
        if not changed:
            return _("Season and demand events: %(amount)s", amount=amount)
        return _(
            "Season and demand events in %(markets)s: %(amount)s",
            markets=_markets(scenario, changed),
            amount=amount,
        )
    return _("Chance (which shoppers came and what they sent back): %(amount)s", amount=amount)


def signed_money(value: float) -> str:
    text = money(abs(value), "CNY")
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def explanation_view(explained: Explained, scenario: Scenario) -> ExplanationView:
    """The waterfall, one sentence per cause and the table of parts of one explanation."""
    if explained.baseline == NO_ACTION:
        start_label = _("Doing nothing")
        baseline_text = _(
            "The first round is compared with doing nothing in it: the same market and the "
            "same luck, with no listings, advertising, orders or shipments."
        )
    else:
        start_label = _("Round %(number)s", number=explained.round_number - 1)
        baseline_text = _(
            "Compared with the previous round: the round is replayed with each group of "
            "causes set back to the previous round's, and each cause gets its average "
            "effect, so the parts add up to the change."
        )
    end_label = _("Round %(number)s", number=explained.round_number)
    steps = [
        (
            str(CAUSE_LABELS[c]),
            explained.profit_parts_cny[c],
            signed_money(explained.profit_parts_cny[c]),
        )
        for c in CAUSES
    ]
    chart = charts.waterfall(
        _("Change in profit by cause (CN¥)"),
        (start_label, explained.profit_before_cny, money(explained.profit_before_cny, "CNY")),
        steps,
        (end_label, explained.profit_after_cny, money(explained.profit_after_cny, "CNY")),
    )
    sentences = [
        sentence(c, signed_money(explained.profit_parts_cny[c]), explained.context, scenario)
        for c in CAUSES
        if explained.profit_parts_cny[c] != 0 or explained.units_parts[c] != 0
    ]
    rows = [
        {
            "cause": c,
            "label": CAUSE_LABELS[c],
            "profit_cny": explained.profit_parts_cny[c],
            "units": explained.units_parts[c],
        }
        for c in CAUSES
    ]
    return ExplanationView(
        chart=chart,
        sentences=sentences,
        rows=rows,
        baseline_text=baseline_text,
        change_cny=explained.profit_change_cny,
        units_change=explained.units_after - explained.units_before,
    )


def signed_units(value: int) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + number(abs(value))


def render_season(game: Game, team: Team, team_names: dict[str, str], *, staff: bool) -> str:
    """The season review page of ``team`` (for its players, or ``staff`` from the data lab);
    ``team_names`` as the viewer sees them."""
    review = season_service.season_review(db.session, game, team)
    return render_template(
        "student/season.html",
        game=game,
        team=team,
        review=review,
        staff_view=staff,
        scenario=games_service.game_scenario(game),
        cause_labels=CAUSE_LABELS,
        team_names=team_names,
        standings_reviews=round_state.review_counts(db.session, review.final_round.id)
        if review.final_round
        else {},
        last_published=review.final_round,
        highlight_team=str(team.id),
        chart=charts,
        Series=charts.Series,
    )
