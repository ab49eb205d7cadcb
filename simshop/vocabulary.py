"""Words for the engine's vocabularies, for the web layer: one table per vocabulary.

Each table is keyed by the ids of the engine registry it names (``tests/test_vocabulary.py``
fails when a registry gains an id without a label here, or a label outlives its id):

- P&L lines: :data:`simshop.engine.accounting.PNL_LINES`;
- scorecard metrics: :data:`simshop.engine.scoring.METRICS`;
- bot strategies: :data:`simshop.engine.bots.STRATEGIES`;
- event kinds: :data:`simshop.engine.scenario.EVENT_KINDS`.

Labels are lazy (``lazy_gettext``), so they translate on the page that shows them. Templates
get the tables as globals (:func:`init_app`).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from simshop.engine.accounting import COMPLIANCE_LINES, PNL_COST_LINES, PNL_LINES

PNL_LINE_LABELS = {
    "revenue_cny": _l("Revenue"),
    "duty_refund_cny": _l("Duty refunded"),
    "refunds_cny": _l("Refunds (returns)"),
    "cogs_cny": _l("Cost of goods sold"),
    "freight_cny": _l("Freight"),
    "duty_cny": _l("Duty"),
    "vat_cny": _l("VAT"),
    "commission_cny": _l("Platform commission"),
    "fulfilment_cny": _l("Fulfilment fees"),
    "storage_cny": _l("Storage fees"),
    "advertising_cny": _l("Advertising"),
    "search_ads_cny": _l("Sponsored search ads"),
    "listing_content_cny": _l("Listing content"),
    "entry_fees_cny": _l("Market entry"),
    "quality_investment_cny": _l("Quality investment"),
    "interest_cny": _l("Interest"),
    "compliance_cny": _l("Compliance (certificates and fees)"),
    "compliance_penalties_cny": _l("Compliance penalties (fines and removals)"),
    "stock_written_off_cny": _l("Stock written off (destroyed)"),
    "samples_cny": _l("Samples"),
    "research_cny": _l("Market research"),
    "total_costs_cny": _l("Total costs"),
    "profit_cny": _l("Net profit"),
}

METRIC_NAMES = {
    "profit": _l("Profit"),
    "revenue": _l("Revenue"),
    "market_share": _l("Market share"),
    "rating": _l("Rating"),
    "roi": _l("Return on investment (ROI)"),
    "tacos": _l("Ad efficiency (TACoS, lower is better)"),
    "listing_quality": _l("Listing quality"),
}
"""A metric's name, as a scoring weight is labelled in forms."""

METRIC_LABELS = {
    "profit": _l("Cumulative profit (CN¥)"),
    "revenue": _l("Cumulative revenue (CN¥)"),
    "market_share": _l("Market share"),
    "rating": _l("Rating"),
    "roi": _l("Return on investment (ROI)"),
    "tacos": _l("TACoS (ad spend ÷ revenue, lower is better)"),
    "listing_quality": _l("Listing quality (mean listing score, 0–100)"),
}
"""A metric as a column of the standings (what the value is, with its unit)."""

METRIC_SHORT_LABELS = {
    "profit": _l("Profit (CN¥)"),
    "revenue": _l("Revenue (CN¥)"),
    "market_share": _l("Market share"),
    "rating": _l("Rating"),
    "roi": _l("ROI"),
    "tacos": _l("TACoS"),
    "listing_quality": _l("Listing score"),
}

METRIC_RULES = {
    "profit": _l("profit added up over every round so far, in yuan"),
    "revenue": _l("sales revenue added up over every round so far, in yuan"),
    "market_share": _l("the team's units sold so far divided by all teams' units sold"),
    "rating": _l(
        "the team's star rating (1–5), averaged over its listings and weighted by their "
        "number of reviews"
    ),
    "roi": _l("cumulative profit divided by the starting cash every team received"),
    "tacos": _l(
        "advertising spent so far divided by all revenue so far (organic sales included), "
        "capped at 1; lower is better, and a team with no revenue gets the cap"
    ),
    "listing_quality": _l(
        "the listing score (0–100: search terms in the title, bullet points, images, "
        "description, no keyword stuffing) of the team's listed products, averaged over "
        "them and over the rounds played; the decision page shows each score's reasons"
    ),
}

BOT_STRATEGY_LABELS = {
    "cost_plus": _l("Cost plus (steady margin)"),
    "discounter": _l("Discounter (low prices, high volume)"),
    "premium": _l("Premium (quality, fast lanes, heavy ads)"),
    "parcel_seller": _l("Parcel seller (direct parcels from China, no overseas stock)"),
    "festival_stocker": _l("Festival stocker (stocks ahead of announced demand events)"),
    "rival_watcher": _l("Rival watcher (prices just under the rivals' median)"),
}

EVENT_KIND_LABELS = {
    "tariff_change": _l("Tariff change"),
    "de_minimis": _l("Low-value parcel (de minimis) rule"),
    "shipping_disruption": _l("Shipping disruption"),
    "fx_move": _l("Exchange-rate move"),
    "demand_shock": _l("Demand shock or festival"),
    "platform_fee_change": _l("Platform commission change"),
    "market_rule": _l("Market rule"),
    "warehouse_fee_change": _l("Warehouse fee change"),
    "duty_refund": _l("Duty refund"),
    "parcel_category_duty": _l("Parcel duty per tariff category"),
    "compliance_sweep": _l("Compliance sweep"),
    "new_requirement": _l("New compliance requirement"),
    "news": _l("News only"),
}


CATEGORY_LABELS = {
    "apparel": _l("Apparel"),
    "electronics": _l("Electronics"),
    "home": _l("Home goods"),
    "pet": _l("Pet supplies"),
    "toys": _l("Toys"),
}
"""Names of the common tariff categories: the fallback for a scenario without a
``[categories]`` section (:func:`simshop.i18n.category_name`); an id with no name at all is
shown as the id."""


def init_app(app: Flask) -> None:
    """Make the tables and the engine's orders available to every template."""
    app.jinja_env.globals.update(
        pnl_lines=PNL_LINES,
        pnl_cost_lines=PNL_COST_LINES,
        pnl_compliance_lines=COMPLIANCE_LINES,
        pnl_line_labels=PNL_LINE_LABELS,
        metric_labels=METRIC_LABELS,
        metric_short_labels=METRIC_SHORT_LABELS,
        metric_rules=METRIC_RULES,
    )
