"""Market research and team dashboards, read from published rounds.

What a team may see (the rules every function here keeps):

- market statistics of **published** rounds only (``Round.market_stats``, written at publish);
- rivals as "Rival A", "Rival B"… unless the game's ``show_rival_names`` is on; a team always
  sees its own name; staff always see every name;
- market conditions (tariffs, fees, exchange rates) of the rounds played so far, from
  :func:`conditions_for_round` — never of a future round;
- scenario events whose news has been announced (``announced_in`` at most the latest round
  that has opened) — never unannounced ones;
- its own results only (dashboards take one team).

Money is CNY unless a name says ``_local``. Every function takes the session explicitly and
only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.accounting import COMPLIANCE_LINES, PNL_COST_LINES
from simshop.engine.conditions import conditions_for_round
from simshop.engine.scenario import Market, Product, Scenario
from simshop.i18n import team_display_name
from simshop.models import Game, Round, RoundResult, RoundStatus, Team
from simshop.services.games import game_scenario

PUBLISHED = RoundStatus.PUBLISHED.value
NOT_YET_OPENED = (RoundStatus.SCHEDULED.value, RoundStatus.CANCELLED.value)

COST_LINES = PNL_COST_LINES
"""The P&L cost lines of the engine, in the order the cost breakdown stacks them."""


def english_rival(letter: str) -> str:
    return f"Rival {letter}"


def rival_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB…"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --------------------------------------------------------------------------- rounds


def published_rounds(session: Session, game: Game) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .where(Round.game_id == game.id, Round.status == PUBLISHED)
            .order_by(Round.number)
        )
    )


def published_round(session: Session, game: Game, number: int) -> Round | None:
    return session.scalar(
        select(Round).where(
            Round.game_id == game.id, Round.number == number, Round.status == PUBLISHED
        )
    )


def announced_round(session: Session, game: Game) -> int:
    """The latest scenario round whose news is out: the highest ``scenario_round`` of the
    rounds that have opened (0 before the game starts)."""
    rounds = session.scalars(
        select(Round.scenario_round).where(
            Round.game_id == game.id, Round.status.not_in(NOT_YET_OPENED)
        )
    )
    return max(rounds, default=0)


def announced_events(
    scenario: Scenario, up_to_round: int, last_round: int | None = None
) -> list[dict[str, Any]]:
    """Scenario events announced in rounds ``<= up_to_round``, in announcement order;
    with ``last_round`` (the game's last scenario round), none that takes effect after it."""
    items = [
        {
            "id": event.id,
            "kind": event.kind,
            "announced_round": event.announced_in,
            "effective_round": event.round,
            "headline": event.headline,
            "headline_zh": event.text("headline", chinese=True),
        }
        for event in scenario.announced_events(up_to_round)
        if last_round is None or event.round <= last_round
    ]
    return sorted(items, key=lambda e: (e["announced_round"], e["effective_round"], e["id"]))


# --------------------------------------------------------------------------- team names


def team_labels(
    session: Session,
    game: Game,
    viewer_team_id: int | None,
    *,
    staff: bool = False,
    rival: Callable[[str], str] = english_rival,
) -> dict[str, str]:
    """Engine team id -> the name this viewer sees: THE one place rival names are decided
    (research, exports, the leaderboard, the projector and competitions all call it), so the
    game's ``show_rival_names`` governs every page and file alike.

    Anonymised rivals get letters in the order teams were created, the same in every round
    and on every page (a team can follow "Rival B"). ``viewer_team_id=None`` and
    ``staff=False`` (the classroom projector) anonymise every team."""
    teams = session.execute(
        select(Team.id, Team.name).where(Team.game_id == game.id).order_by(Team.id)
    ).all()
    if staff or game.show_rival_names:
        return {str(tid): team_display_name(name) for tid, name in teams}
    labels: dict[str, str] = {}
    letters = 0
    for tid, name in teams:
        if tid == viewer_team_id:
            labels[str(tid)] = team_display_name(name)
        else:
            labels[str(tid)] = rival(rival_letter(letters))
            letters += 1
    return labels


# --------------------------------------------------------------------------- research


@dataclass
class ProductResearch:
    """One product in one market, one value per published round (None: no statistics)."""

    product: Product
    shoppers: list[int | None] = field(default_factory=list)
    demand: list[int | None] = field(default_factory=list)
    units_sold: list[int | None] = field(default_factory=list)
    units_lost_stockout: list[int | None] = field(default_factory=list)
    offers_listed: list[int | None] = field(default_factory=list)
    revenue_cny: list[float | None] = field(default_factory=list)
    price_local: list[dict[str, float] | None] = field(default_factory=list)
    shares: list[list[tuple[str, float, bool]]] = field(default_factory=list)
    """Per round: (team label, share of units sold, is the viewer's team), largest first."""

    @property
    def latest_shares(self) -> list[tuple[str, float, bool]]:
        return self.shares[-1] if self.shares else []


@dataclass
class ConditionsRow:
    """A market's conditions in one played round."""

    round: Round
    tariffs: dict[str, float]
    """Duty rate (fraction) per product category."""
    platform_fee: float
    vat_rate: float
    fx_start: float
    fx_end: float
    fx_mean: float
    """CNY per unit of local currency: first day, last day, mean over the round."""
    de_minimis_local: float
    lanes: dict[str, tuple[int, float]]
    """mode -> (lead days, freight CNY/kg)."""


@dataclass
class MarketResearch:
    market: Market
    rounds: list[Round]
    products: list[ProductResearch]
    conditions: list[ConditionsRow]
    categories: list[str]
    events: list[dict[str, Any]]


def conditions_history(scenario: Scenario, market: str, rounds: Sequence[Round]) -> list:
    """Conditions of ``market`` in each of ``rounds`` (rounds already played)."""
    rows = []
    for rnd in rounds:
        m = conditions_for_round(scenario, rnd.scenario_round).markets[market]
        fx = m.fx_cny_per_local
        rows.append(
            ConditionsRow(
                round=rnd,
                tariffs=dict(sorted(m.tariffs.items())),
                platform_fee=m.platform_fee,
                vat_rate=m.vat_rate,
                fx_start=fx[0],
                fx_end=fx[-1],
                fx_mean=sum(fx) / len(fx),
                de_minimis_local=m.de_minimis_local,
                lanes={
                    mode: (lane.lead_days, lane.cost_cny_per_kg) for mode, lane in m.lanes.items()
                },
            )
        )
    return rows


def market_research(
    session: Session,
    game: Game,
    market: str,
    *,
    viewer_team_id: int | None,
    staff: bool = False,
    rival: Callable[[str], str] = english_rival,
) -> MarketResearch | None:
    """Research on one market over the published rounds (None: no such market)."""
    scenario = game_scenario(game)
    market_obj = next((m for m in scenario.markets if m.code == market), None)
    if market_obj is None:
        return None
    rounds = published_rounds(session, game)
    labels = team_labels(session, game, viewer_team_id, staff=staff, rival=rival)
    mine = str(viewer_team_id) if viewer_team_id is not None else None
    products = []
    for product in scenario.products:
        pr = ProductResearch(product)
        for rnd in rounds:
            stats = ((rnd.market_stats or {}).get(market) or {}).get(product.id)
            stats = stats or {}
            pr.shoppers.append(stats.get("shoppers"))
            pr.demand.append(stats.get("demand"))
            pr.units_sold.append(stats.get("units_sold"))
            pr.units_lost_stockout.append(stats.get("units_lost_stockout"))
            pr.offers_listed.append(stats.get("offers_listed"))
            pr.revenue_cny.append(stats.get("revenue_cny"))
            pr.price_local.append(stats.get("price_local"))
            shares = [
                (labels.get(tid, "?"), float(share), tid == mine)
                for tid, share in (stats.get("shares") or {}).items()
            ]
            pr.shares.append(sorted(shares, key=lambda s: (-s[1], s[0])))
        products.append(pr)
    return MarketResearch(
        market=market_obj,
        rounds=rounds,
        products=products,
        conditions=conditions_history(scenario, market, rounds),
        categories=sorted({p.category for p in scenario.products}),
        events=announced_events(scenario, announced_round(session, game), game.scored_rounds),
    )


# --------------------------------------------------------------------------- dashboard


@dataclass
class TeamRound:
    round: Round
    result: dict[str, Any]
    decisions: dict[str, Any]
    decision_source: str
    rank: int | None
    score: float | None

    @property
    def pnl(self) -> dict[str, float]:
        return self.result.get("pnl", {})

    @property
    def cash(self) -> dict[str, float]:
        return self.result.get("cash", {})

    @property
    def offers(self) -> list[dict[str, Any]]:
        return self.result.get("offers", [])

    @property
    def units_sold(self) -> int:
        return int(sum(o.get("units_sold", 0) for o in self.offers))

    def market_total(self, market: str, key: str) -> float:
        return sum(o.get(key) or 0 for o in self.offers if o["market"] == market)


@dataclass
class Dashboard:
    team: Team
    rounds: list[TeamRound]
    markets: list[str]
    """Markets the team sold in or held stock in, scenario order."""
    products: list[str]
    cost_lines: tuple[str, ...] = COST_LINES

    @property
    def latest(self) -> TeamRound | None:
        return self.rounds[-1] if self.rounds else None

    def series(self, getter: Callable[[TeamRound], Any]) -> list[Any]:
        return [getter(r) for r in self.rounds]

    def by_market(self, key: str) -> list[tuple[str, list[float]]]:
        """(market, [sum of ``key`` over the market's offers per round])."""
        return [(m, [r.market_total(m, key) for r in self.rounds]) for m in self.markets]

    def offer_history(self, market: str, product: str, key: str) -> list[Any]:
        out = []
        for r in self.rounds:
            row = next(
                (o for o in r.offers if o["market"] == market and o["product"] == product), None
            )
            out.append(row.get(key) if row else None)
        return out

    def rating_history(self, market: str, product: str) -> list[float | None]:
        """The offer's star rating per round, ``None`` while it has no reviews: the engine's
        starting rating is a prior, not something shoppers said."""
        ratings = self.offer_history(market, product, "rating")
        reviews = self.offer_history(market, product, "reviews")
        return [r if n else None for r, n in zip(ratings, reviews, strict=True)]

    def active_offers(self) -> list[tuple[str, str]]:
        """(market, product) pairs that appear in any round."""
        seen = {(o["market"], o["product"]) for r in self.rounds for o in r.offers}
        return [(m, p) for m in self.markets for p in self.products if (m, p) in seen]


def team_rounds(session: Session, game: Game, team: Team) -> list[TeamRound]:
    """The team's results of every published round, in order."""
    rows = session.execute(
        select(Round, RoundResult)
        .join(RoundResult, RoundResult.round_id == Round.id)
        .where(
            Round.game_id == game.id,
            Round.status == PUBLISHED,
            RoundResult.team_id == team.id,
        )
        .order_by(Round.number)
    ).all()
    return [
        TeamRound(rnd, rr.result, rr.decisions_used, rr.decision_source, rr.rank, rr.score)
        for rnd, rr in rows
    ]


def team_dashboard(session: Session, game: Game, team: Team) -> Dashboard:
    scenario = game_scenario(game)
    rounds = team_rounds(session, game, team)
    used = {o["market"] for r in rounds for o in r.offers}
    return Dashboard(
        team=team,
        rounds=rounds,
        markets=[m.code for m in scenario.markets if m.code in used],
        products=[p.id for p in scenario.products],
        cost_lines=COST_LINES + (COMPLIANCE_LINES if scenario.has_compliance() else ()),
    )
