"""The search funnel, read from published rounds: the data lab's "Search terms" tab, its
exports, and last round's campaign results beside the decision form.

Where the numbers come from (engine contract, ``engine/results.py``):

- per offer and search term: ``RoundResult.result["search"]`` rows (market, product, term,
  impressions, clicks, orders, ad_impressions, ad_clicks, ad_orders, ad_spend_local/_cny,
  ad_sales_local/_cny, avg_cpc_local, avg_organic_position, top_of_search_share) — a team's
  own results, so a student only ever reads the rows of their own team;
- per listing: ``RoundResult.result["listings"]`` rows (market, product, score, relevance,
  reasons);
- per market and term: ``Round.market_stats[market][product]["search_terms"]``
  (``{term: {"searches", "avg_cpc_local"}}``), the market research every team may see.

Derived figures, each ``None`` when its denominator is zero (never a made-up 0):
``ctr = clicks / impressions``, ``acos = ad_spend / ad_sales`` (same currency),
``avg_cpc_local`` as the engine reports it (ad spend per ad click). Money is in the market's
currency unless a name says ``_cny``. Every function takes the session explicitly and only
reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.scenario import Scenario, SearchTerm
from simshop.models import Game, Round, RoundResult, Team
from simshop.services.analysis import PUBLISHED, published_rounds
from simshop.services.games import game_scenario

COUNT_KEYS = ("impressions", "clicks", "orders", "ad_impressions", "ad_clicks", "ad_orders")
MONEY_KEYS = ("ad_spend_local", "ad_spend_cny", "ad_sales_local", "ad_sales_cny")

VOLUME_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 100),
    (100, 1_000),
    (1_000, 10_000),
    (10_000, 100_000),
    (100_000, 1_000_000),
    (1_000_000, 10_000_000),
    (10_000_000, None),
)
"""Search-volume bands of the keyword picker (searches per round, lower bound inclusive):
a team sees the order of magnitude the market research published, not a false precision."""


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def volume_band(searches: int | None) -> tuple[int, int | None] | None:
    """The band of :data:`VOLUME_BANDS` that holds ``searches`` (None: no research)."""
    if searches is None:
        return None
    for low, high in VOLUME_BANDS:
        if high is None or searches < high:
            return (low, high)
    return VOLUME_BANDS[-1]  # pragma: no cover - the last band is open


def search_terms_of(scenario: Scenario, product_id: str) -> list[SearchTerm]:
    """The product's search terms in scenario order (a product without any has its one
    generic term, :meth:`Product.terms`); none for an unknown product."""
    product = next((p for p in scenario.products if p.id == product_id), None)
    return product.terms() if product is not None else []


def term_rank(scenario: Scenario, product_id: str, term_id: str) -> tuple[int, str]:
    """Where a term sits in its product's scenario order (unknown terms last, by id)."""
    ids = [t.id for t in search_terms_of(scenario, product_id)]
    return (ids.index(term_id) if term_id in ids else len(ids), term_id)


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class TermResult:
    """One offer's funnel on one search term in one round."""

    round: Round
    team_id: int
    team_name: str
    market: str
    product: str
    term: str
    impressions: int
    clicks: int
    orders: int
    ad_impressions: int
    ad_clicks: int
    ad_orders: int
    ad_spend_local: float
    ad_spend_cny: float
    ad_sales_local: float
    ad_sales_cny: float
    avg_cpc_local: float | None
    avg_organic_position: float | None
    top_of_search_share: float | None
    bid_local: float | None = None
    daily_budget_local: float | None = None

    @property
    def ctr(self) -> float | None:
        return ratio(self.clicks, self.impressions)

    @property
    def acos(self) -> float | None:
        return ratio(self.ad_spend_local, self.ad_sales_local)


@dataclass(frozen=True)
class MarketTerm:
    """A search term of one product in one market in one round: the public research."""

    round: Round
    market: str
    product: str
    term: str
    searches: int | None
    avg_cpc_local: float | None

    @property
    def band(self) -> tuple[int, int | None] | None:
        return volume_band(self.searches)


@dataclass
class OfferTerms:
    """One team's offer (market, product) with its terms' rows over the shown rounds."""

    team_id: int
    team_name: str
    market: str
    product: str
    rows: list[TermResult] = field(default_factory=list)

    def for_round(self, rnd: Round) -> list[TermResult]:
        return [r for r in self.rows if r.round.id == rnd.id]


@dataclass
class SearchReport:
    rounds: list[Round]
    """Published rounds, in order."""
    chosen: Round | None
    """The round the per-offer tables show (default: the latest published)."""
    offers: list[OfferTerms]
    market_terms: list[MarketTerm]
    staff: bool

    def research_for(self, market: str, product: str) -> list[MarketTerm]:
        return [t for t in self.market_terms if t.market == market and t.product == product]

    @property
    def research_keys(self) -> list[tuple[str, str]]:
        """(market, product) pairs that have research, first-seen order."""
        seen: dict[tuple[str, str], None] = {}
        for t in self.market_terms:
            seen.setdefault((t.market, t.product), None)
        return list(seen)


def _campaign(sheet: dict[str, Any], market: str, product: str, term: str) -> dict[str, Any]:
    offer = ((sheet or {}).get("offers") or {}).get(market, {}).get(product) or {}
    return (offer.get("campaigns") or {}).get(term) or {}


def term_result(rnd: Round, team: Team, row: dict[str, Any], sheet: dict[str, Any]) -> TermResult:
    """A stored ``search`` row of ``team`` in ``rnd``, with the bid the team played."""
    campaign = _campaign(sheet, row["market"], row["product"], row["term"])
    return TermResult(
        round=rnd,
        team_id=team.id,
        team_name=team.name,
        market=row["market"],
        product=row["product"],
        term=row["term"],
        **{k: int(row.get(k) or 0) for k in COUNT_KEYS},
        **{k: float(row.get(k) or 0.0) for k in MONEY_KEYS},
        avg_cpc_local=row.get("avg_cpc_local"),
        avg_organic_position=row.get("avg_organic_position"),
        top_of_search_share=row.get("top_of_search_share"),
        bid_local=campaign.get("bid_local"),
        daily_budget_local=campaign.get("daily_budget_local"),
    )


def _results(session: Session, game: Game, team_ids: list[int] | None):
    stmt = (
        select(Round, RoundResult, Team)
        .join(RoundResult, RoundResult.round_id == Round.id)
        .join(Team, Team.id == RoundResult.team_id)
        .where(Round.game_id == game.id, Round.status == PUBLISHED)
        .order_by(Round.number, Team.id)
    )
    if team_ids is not None:
        stmt = stmt.where(RoundResult.team_id.in_(team_ids))
    return session.execute(stmt).all()


def term_results(session: Session, game: Game, team_ids: list[int] | None) -> list[TermResult]:
    """Every ``search`` row of ``team_ids`` (None: every team) in published rounds, by
    round, team, then the engine's order (market, product, term)."""
    out = []
    for rnd, rr, team in _results(session, game, team_ids):
        for row in (rr.result or {}).get("search") or []:
            out.append(term_result(rnd, team, row, rr.decisions_used))
    return out


def market_terms(rounds: Iterable[Round]) -> list[MarketTerm]:
    """The published search-term research of ``rounds`` (market, product and term sorted)."""
    out = []
    for rnd in rounds:
        for market, products in sorted((rnd.market_stats or {}).items()):
            for product, stats in sorted((products or {}).items()):
                for term, numbers in sorted(((stats or {}).get("search_terms") or {}).items()):
                    out.append(
                        MarketTerm(
                            round=rnd,
                            market=market,
                            product=product,
                            term=term,
                            searches=numbers.get("searches"),
                            avg_cpc_local=numbers.get("avg_cpc_local"),
                        )
                    )
    return out


def search_report(
    session: Session,
    game: Game,
    *,
    team: Team | None,
    staff: bool,
    round_number: int | None = None,
) -> SearchReport:
    """The "Search terms" tab: ``team``'s offers (staff with ``team=None``: every team's),
    and the research of every market. ``round_number`` picks the round of the per-offer
    tables (an unknown or unpublished number falls back to the latest)."""
    if team is None and not staff:
        raise ValueError("a student's report needs their team")
    rounds = published_rounds(session, game)
    chosen = next((r for r in rounds if r.number == round_number), None)
    chosen = chosen or (rounds[-1] if rounds else None)
    rows = term_results(session, game, [team.id] if team is not None else None)
    offers: dict[tuple[int, str, str], OfferTerms] = {}
    for row in rows:
        key = (row.team_id, row.market, row.product)
        if key not in offers:
            offers[key] = OfferTerms(row.team_id, row.team_name, row.market, row.product)
        offers[key].rows.append(row)
    scenario = game_scenario(game)
    markets = [m.code for m in scenario.markets]
    products = [p.id for p in scenario.products]
    for offer in offers.values():
        offer.rows.sort(key=lambda r: (r.round.number, term_rank(scenario, r.product, r.term)))

    def order(o: OfferTerms) -> tuple[int, int, int]:
        return (
            o.team_id,
            markets.index(o.market) if o.market in markets else len(markets),
            products.index(o.product) if o.product in products else len(products),
        )

    return SearchReport(
        rounds=rounds,
        chosen=chosen,
        offers=sorted(offers.values(), key=order),
        market_terms=sorted(
            market_terms(rounds),
            key=lambda t: (
                t.round.number,
                t.market,
                t.product,
                term_rank(scenario, t.product, t.term),
            ),
        ),
        staff=staff,
    )


# --------------------------------------------------------------------------- decision page


@dataclass(frozen=True)
class DecisionContext:
    """What the listing editor and campaign table show beside the form: last published
    round's results of the team and the latest published research (public)."""

    last_round: Round | None
    results: dict[tuple[str, str, str], TermResult]
    """(market, product, term) -> the team's row in the last published round."""
    listings: dict[tuple[str, str], dict[str, Any]]
    """(market, product) -> the engine's listing row (score, reasons) of that round."""
    research: dict[tuple[str, str, str], MarketTerm]
    """(market, product, term) -> the latest published research on the term."""

    def result(self, market: str, product: str, term: str) -> TermResult | None:
        return self.results.get((market, product, term))

    def volume(self, market: str, product: str, term: str) -> MarketTerm | None:
        return self.research.get((market, product, term))


def decision_context(session: Session, game: Game, team: Team) -> DecisionContext:
    rounds = published_rounds(session, game)
    last = rounds[-1] if rounds else None
    results: dict[tuple[str, str, str], TermResult] = {}
    listings: dict[tuple[str, str], dict[str, Any]] = {}
    if last is not None:
        rr = session.scalar(
            select(RoundResult).where(
                RoundResult.round_id == last.id, RoundResult.team_id == team.id
            )
        )
        if rr is not None:
            for row in (rr.result or {}).get("search") or []:
                found = term_result(last, team, row, rr.decisions_used)
                results[(found.market, found.product, found.term)] = found
            for row in (rr.result or {}).get("listings") or []:
                listings[(row["market"], row["product"])] = row
    research = {(t.market, t.product, t.term): t for t in market_terms(rounds)}
    return DecisionContext(last, results, listings, research)
