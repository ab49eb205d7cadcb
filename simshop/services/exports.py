"""Exports: a team's own data, or a whole game for its staff, as CSV and XLSX.

This module builds the rows; the tables and their columns are fixed in
:mod:`simshop.services.export_tables` (``TABLES``, with the CSV and XLSX writers) and
documented one by one in ``docs/data-dictionary.md`` (a test checks that every column is
there). Column names are stable English snake_case identifiers, whatever the user's
language, so notebooks keep working; values are raw numbers in the unit the name says
(``_cny``, ``_local``, fractions). CSV is UTF-8 with a BOM and string cells are neutralised
against spreadsheet injection (see ``export_tables``).

A team export holds its own results and decisions plus the market research it can see
(rivals anonymised unless the game shows names); a game export holds every team.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.conditions import conditions_for_round
from simshop.engine.explain import CAUSES
from simshop.models import Game, Round, RoundExplanation, RoundResult, Team, TeamExplanation
from simshop.services import analysis, product_report, research, search_report
from simshop.services.cells import FORMULA_PREFIXES, neutralise  # noqa: F401 (re-exported)
from simshop.services.compliance_report import incident_values
from simshop.services.export_tables import (  # noqa: F401 (re-exported)
    CASH_KEYS,
    LISTING_BULLETS,
    OFFER_KEYS,
    PNL_KEYS,
    PRICE_KEYS,
    RESEARCH_STATS,
    TABLES,
    TERM_RESULT_KEYS,
    Table,
    table_named,
    to_csv,
    to_xlsx,
)
from simshop.services.games import game_scenario

# --------------------------------------------------------------------------- building


def _round_cols(rnd: Round) -> dict[str, Any]:
    return {
        "round_number": rnd.number,
        "scenario_round": rnd.scenario_round,
        "is_practice": bool(rnd.is_practice),
    }


def _team_results(session: Session, game: Game, team_ids: list[int] | None):
    stmt = (
        select(Round, RoundResult, Team)
        .join(RoundResult, RoundResult.round_id == Round.id)
        .join(Team, Team.id == RoundResult.team_id)
        .where(Round.game_id == game.id, Round.status == analysis.PUBLISHED)
        .order_by(Round.number, Team.id)
    )
    if team_ids is not None:
        stmt = stmt.where(RoundResult.team_id.in_(team_ids))
    return session.execute(stmt).all()


def _decision_rows(base: dict[str, Any], sheet: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for market in sheet.get("enter_markets", []):
        yield {**base, "item": "enter_market", "market": market}
    for market in sheet.get("leave_markets", []):
        yield {**base, "item": "leave_market", "market": market}
    for market, products in sorted(sheet.get("offers", {}).items()):
        for product, offer in sorted(products.items()):
            yield {
                **base,
                "item": "offer",
                "market": market,
                "product": product,
                "listed": bool(offer.get("listed")),
                "channel": offer.get("channel"),
                "price_local": offer.get("price_local"),
                "ad_budget_cny": offer.get("ad_budget_cny"),
            }
    for product, qty in sorted(sheet.get("factory_orders", {}).items()):
        yield {**base, "item": "factory_order", "product": product, "quantity": qty}
    for s in sheet.get("shipments", []):
        yield {
            **base,
            "item": "shipment",
            "market": s["market"],
            "product": s["product"],
            "mode": s["mode"],
            "quantity": s["quantity"],
        }
    for product, amount in sorted(sheet.get("quality_investment_cny", {}).items()):
        yield {**base, "item": "quality_investment", "product": product, "amount_cny": amount}
    if sheet.get("borrow_cny"):
        yield {**base, "item": "borrow", "amount_cny": sheet["borrow_cny"]}
    for requirement in sheet.get("certificates", []):
        yield {**base, "item": "certificate", "requirement": requirement}
    for product, supplier in sorted((sheet.get("suppliers") or {}).items()):
        yield {**base, "item": "supplier", "product": product, "supplier": supplier}
    for sample in sheet.get("samples") or []:
        yield {
            **base,
            "item": "sample",
            "product": sample.get("product"),
            "supplier": sample.get("supplier"),
        }
    for study in sheet.get("research") or []:
        yield {
            **base,
            "item": "study",
            "market": study.get("market"),
            "category": study.get("category"),
            "amount_cny": study.get("budget_cny"),
        }


def team_tables(session: Session, game: Game, team_ids: list[int] | None) -> list[Table]:
    """Results, offers and decisions of ``team_ids`` (None: every team)."""
    scenario = game_scenario(game)
    currency = {m.code: m.currency for m in scenario.markets}
    results, offers, decisions, products, studies = [], [], [], [], []
    incidents: list[dict[str, Any]] = []
    for rnd, rr, team in _team_results(session, game, team_ids):
        base = {**_round_cols(rnd), "team_id": team.id, "team_name": team.name}
        r = rr.result
        units = sum(o.get("units_sold", 0) for o in r.get("offers", []))
        row = {
            **base,
            "decision_source": rr.decision_source,
            "rank": rr.rank,
            "score": rr.score,
            **{k: r.get("pnl", {}).get(k) for k in PNL_KEYS},
            **{f"cash_{k}": r.get("cash", {}).get(k) for k in CASH_KEYS},
            "units_sold": units,
        }
        results.append(row)
        for o in r.get("offers", []):
            offers.append(
                {
                    **base,
                    "market": o["market"],
                    "product": o["product"],
                    "currency": currency.get(o["market"]),
                    **{k: o.get(k) for k in OFFER_KEYS},
                }
            )
        decisions.extend(
            _decision_rows({**base, "decision_source": rr.decision_source}, rr.decisions_used)
        )
        incidents.extend({**base, **incident_values(row)} for row in r.get("compliance", []))
        products.extend(product_report.export_rows(base, rnd, r))
        studies.extend(research.export_rows(base, rnd, r))
    return [
        Table("results", TABLES["results"], results),
        Table("offers", TABLES["offers"], offers),
        Table("decisions", TABLES["decisions"], decisions),
        Table("explanations", TABLES["explanations"], _explanation_rows(session, game, team_ids)),
        Table("compliance", TABLES["compliance"], incidents),
        Table("products", TABLES["products"], products),
        Table("studies", TABLES["studies"], studies),
    ]


def _explanation_rows(
    session: Session, game: Game, team_ids: list[int] | None
) -> list[dict[str, Any]]:
    """Stored explanations of published rounds (a round still being explained has none)."""
    stmt = (
        select(Round, RoundExplanation, TeamExplanation, Team)
        .join(RoundExplanation, RoundExplanation.round_id == Round.id)
        .join(TeamExplanation, TeamExplanation.round_id == Round.id)
        .join(Team, Team.id == TeamExplanation.team_id)
        .where(Round.game_id == game.id, Round.status == analysis.PUBLISHED)
        .order_by(Round.number, Team.id)
    )
    if team_ids is not None:
        stmt = stmt.where(TeamExplanation.team_id.in_(team_ids))
    rows = []
    for rnd, head, te, team in session.execute(stmt):
        rows.append(
            {
                **_round_cols(rnd),
                "team_id": team.id,
                "team_name": team.name,
                "baseline": head.baseline,
                "profit_before_cny": te.profit_before_cents / 100,
                "profit_after_cny": te.profit_after_cents / 100,
                "profit_change_cny": (te.profit_after_cents - te.profit_before_cents) / 100,
                **{f"profit_{c}_cny": te.profit_parts_cents.get(c, 0) / 100 for c in CAUSES},
                "units_before": te.units_before,
                "units_after": te.units_after,
                "units_change": te.units_after - te.units_before,
                **{f"units_{c}": te.units_parts.get(c, 0) for c in CAUSES},
            }
        )
    return rows


def research_tables(
    session: Session, game: Game, viewer_team_id: int | None, *, staff: bool
) -> list[Table]:
    """Market statistics, shares, conditions and announced events, as the viewer sees them."""
    scenario = game_scenario(game)
    rounds = analysis.published_rounds(session, game)
    labels = analysis.team_labels(session, game, viewer_team_id, staff=staff)
    mine = str(viewer_team_id) if viewer_team_id is not None else None
    research, shares, conditions = [], [], []
    for rnd in rounds:
        base = _round_cols(rnd)
        cond = conditions_for_round(scenario, rnd.scenario_round)
        for market in scenario.markets:
            for product in scenario.products:
                stats = ((rnd.market_stats or {}).get(market.code) or {}).get(product.id)
                if not stats:
                    continue
                where = {**base, "market": market.code, "product": product.id}
                research.append(_research_row(where, stats, market.currency))
                for tid, share in sorted((stats.get("shares") or {}).items()):
                    shares.append(
                        {
                            **where,
                            "team_label": labels.get(tid, "?"),
                            "is_own_team": tid == mine,
                            "market_share": share,
                        }
                    )
            conditions += _condition_rows(base, market.code, cond.markets[market.code])
    up_to = scenario.calendar.rounds if staff else analysis.announced_round(session, game)
    events = [
        {
            "announced_round": e["announced_round"],
            "effective_round": e["effective_round"],
            "event_id": e["id"],
            "kind": e["kind"],
            "headline": e["headline"],
        }
        for e in analysis.announced_events(scenario, up_to, game.scored_rounds)
    ]
    return [
        Table("research", TABLES["research"], research),
        Table("shares", TABLES["shares"], shares),
        Table("conditions", TABLES["conditions"], conditions),
        Table("events", TABLES["events"], events),
    ]


def _research_row(where: dict[str, Any], stats: dict[str, Any], currency: str) -> dict[str, Any]:
    """One market and product in one round: the market statistics every team may see."""
    price = stats.get("price_local") or {}
    return {
        **where,
        "currency": stats.get("currency", currency),
        **{k: stats.get(k) for k in RESEARCH_STATS},
        **{f"price_{k}_local": price.get(k) for k in PRICE_KEYS},
    }


def _condition_rows(base: dict[str, Any], market: str, mc: Any) -> list[dict[str, Any]]:
    """A market's conditions in one round, one row per product category's tariff."""
    fx = mc.fx_cny_per_local
    return [
        {
            **base,
            "market": market,
            "category": category,
            "tariff_rate": rate,
            "platform_fee": mc.platform_fee,
            "vat_rate": mc.vat_rate,
            "fx_cny_per_local_start": fx[0],
            "fx_cny_per_local_end": fx[-1],
            "fx_cny_per_local_mean": round(sum(fx) / len(fx), 6),
            "de_minimis_local": mc.de_minimis_local,
        }
        for category, rate in sorted(mc.tariffs.items())
    ]


def search_tables(session: Session, game: Game, team_ids: list[int] | None) -> list[Table]:
    """The search funnel of ``team_ids`` (None: every team), the public search-term
    research, and the listings the teams played (their text exactly as written)."""
    scenario = game_scenario(game)
    currency = {m.code: m.currency for m in scenario.markets}

    def text(product: str, term: str) -> str:
        found = [t for t in search_report.search_terms_of(scenario, product) if t.id == term]
        return found[0].text if found else term

    terms = []
    for r in search_report.term_results(session, game, team_ids):
        terms.append(
            {
                **_round_cols(r.round),
                "team_id": r.team_id,
                "team_name": r.team_name,
                "market": r.market,
                "product": r.product,
                "currency": currency.get(r.market),
                "term": r.term,
                "term_text": text(r.product, r.term),
                **{k: getattr(r, k) for k in TERM_RESULT_KEYS},
            }
        )
    research = [
        {
            **_round_cols(t.round),
            "market": t.market,
            "product": t.product,
            "currency": currency.get(t.market),
            "term": t.term,
            "term_text": text(t.product, t.term),
            "searches": t.searches,
            "avg_cpc_local": t.avg_cpc_local,
        }
        for t in search_report.market_terms(analysis.published_rounds(session, game))
    ]
    return [
        Table("search_terms", TABLES["search_terms"], terms),
        Table("search_research", TABLES["search_research"], research),
        Table("listings", TABLES["listings"], _listing_rows(session, game, team_ids)),
    ]


def _listing_rows(session: Session, game: Game, team_ids: list[int] | None) -> list[dict]:
    rows = []
    for rnd, rr, team in _team_results(session, game, team_ids):
        scores = {(x["market"], x["product"]): x for x in (rr.result or {}).get("listings") or []}
        for market, products in sorted((rr.decisions_used.get("offers") or {}).items()):
            for product, offer in sorted(products.items()):
                listing = offer.get("listing")
                if not listing:
                    continue
                bullets = list(listing.get("bullets") or [])
                scored = scores.get((market, product)) or {}
                rows.append(
                    {
                        **_round_cols(rnd),
                        "team_id": team.id,
                        "team_name": team.name,
                        "market": market,
                        "product": product,
                        "title": listing.get("title", ""),
                        **{
                            f"bullet_{i}": bullets[i - 1] if i <= len(bullets) else None
                            for i in range(1, LISTING_BULLETS + 1)
                        },
                        "description": listing.get("description", ""),
                        "images": listing.get("images"),
                        "enhanced": listing.get("enhanced"),
                        "score": scored.get("score"),
                        "reasons": " ".join(x["code"] for x in scored.get("reasons") or []),
                    }
                )
    return rows


def team_export(session: Session, game: Game, team: Team) -> list[Table]:
    """What a team may download: its own results and decisions, and its market research."""
    return (
        team_tables(session, game, [team.id])
        + research_tables(session, game, team.id, staff=False)
        + search_tables(session, game, [team.id])
    )


def game_export(session: Session, game: Game) -> list[Table]:
    """Everything for the game's staff: every team, real names, every event."""
    return (
        team_tables(session, game, None)
        + research_tables(session, game, None, staff=True)
        + search_tables(session, game, None)
    )
