"""Bot teams: a small strategy API and three built-in strategies.

A strategy sees a :class:`TeamView` (what a team may know before a round) and returns a
:class:`DecisionSheet`. Built-ins share one plan — enter affordable markets, list every
product, price off the landed cost, keep stock flowing (order and ship enough for expected
demand over the lead time), advertise a share of expected revenue — and differ in markup,
lane, advertising and quality investment. Any randomness comes from a generator seeded by
(team id, round), so bots are deterministic.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simshop.engine.conditions import MarketConditions, RoundConditions, conditions_for_round
from simshop.engine.decisions import DecisionSheet, Offer, Shipment
from simshop.engine.demand import inside_share, offer_utility
from simshop.engine.logistics import landed_cost_cny, upfront_spend_cny
from simshop.engine.scenario import Market, Product, Scenario
from simshop.engine.state import TeamState


@dataclass
class TeamView:
    """What a team may see before round ``round_no``: the scenario, its own state, the
    round's (announced) conditions, the published market statistics of past rounds
    (``market_history[i]`` is round i + 1's ``RoundResult.markets``), its own past results
    (``own_results[i]`` is ``TeamRoundResult.to_dict()``) and the news so far."""

    scenario: Scenario
    round_no: int
    team: TeamState
    n_teams: int
    conditions: RoundConditions
    market_history: list[dict[str, Any]] = field(default_factory=list)
    own_results: list[dict[str, Any]] = field(default_factory=list)
    news: list[dict[str, Any]] = field(default_factory=list)


def team_rng(team_id: str, round_no: int) -> np.random.Generator:
    """A bot's generator: seeded by the team id (hashed, stable across processes) and round."""
    digest = int.from_bytes(hashlib.sha256(team_id.encode()).digest()[:8], "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([digest, round_no])))


class Strategy:
    """Base strategy; subclasses set the knobs below or override :meth:`decide`."""

    name = "base"
    markup = 1.6
    """Price / break-even price (break-even covers landed cost and selling costs)."""
    lane_preference: tuple[str, ...] = ("sea", "rail", "air")
    ad_share = 0.06
    """Advertising budget as a share of expected revenue."""
    quality_budget_cny = 0.0
    """Quality investment per product per round, while cash allows."""
    cover_rounds = 1.3
    """Stock to hold beyond the lead time, in rounds of expected demand."""

    def decide(self, view: TeamView) -> DecisionSheet:
        sc, team, cond = view.scenario, view.team, view.conditions
        rng = team_rng(team.team_id, view.round_no)
        enter = self.markets_to_enter(view)
        entered = [m.code for m in sc.markets if m.code in team.entered_markets or m.code in enter]
        offers: dict[str, dict[str, Offer]] = {}
        plans = []
        for code in entered:
            market, mc = sc.market(code), cond.markets[code]
            offers[code] = {}
            for product in sc.products:
                price_local = self.price_local(sc, market, mc, product, rng)
                expected = self.expected_units(view, market, mc, product, price_local)
                revenue_cny = expected * price_local * mc.fx_cny_per_local[0]
                offers[code][product.id] = Offer(
                    listed=True,
                    price_local=price_local,
                    channel="warehouse",
                    ad_budget_cny=round(self.ad_share * revenue_cny, 2),
                )
                plans.append((code, product, expected))
        shipments = self.shipments(view, plans)
        sheet = DecisionSheet(
            enter_markets=enter,
            offers=offers,
            shipments=shipments,
            factory_orders=self.factory_orders(view, shipments),
            quality_investment_cny=self.quality(view),
        )
        return self.finance(view, sheet)

    # ---- the parts a subclass may override

    def markets_to_enter(self, view: TeamView) -> list[str]:
        cash = view.team.cash_cny
        return [
            m.code
            for m in view.scenario.markets
            if m.code not in view.team.entered_markets
            and m.entry_fee_cny <= 0.1 * cash
            and view.round_no < view.scenario.calendar.rounds
        ]

    def stock_lane(self, mc: MarketConditions) -> str:
        for mode in self.lane_preference:
            if mode in mc.lanes and mode not in mc.closed_channels:
                return mode
        raise LookupError(f"no stock lane to {mc.code}")

    def price_local(
        self,
        sc: Scenario,
        market: Market,
        mc: MarketConditions,
        product: Product,
        rng: np.random.Generator,
    ) -> float:
        """Break-even price x markup x a small team-specific jitter, in local currency."""
        landed = landed_cost_cny(product, mc, self.stock_lane(mc)) + (
            mc.fulfilment_cny_per_unit + 30 * mc.storage_cny_per_unit_day
        )
        vat_share = mc.vat_rate / (1 + mc.vat_rate) if mc.vat_seller_remits else 0.0
        keep = max(0.2, 1.0 - mc.platform_fee - vat_share - product.return_rate - self.ad_share)
        price = landed / keep * self.markup * float(rng.uniform(0.98, 1.02))
        price_local = price / mc.fx_cny_per_local[0]
        if mc.min_price_local is not None:
            price_local = max(price_local, mc.min_price_local * 1.01)
        return round(price_local, 2)

    def expected_units(
        self,
        view: TeamView,
        market: Market,
        mc: MarketConditions,
        product: Product,
        price_local: float,
    ) -> float:
        """Units this team may sell in a round: last round's own sales when it sold, else
        the demand model with every team at this price."""
        for past in reversed(view.own_results):
            for row in past["offers"]:
                if (row["market"], row["product"]) == (market.code, product.id) and (
                    row["units_demanded"] > 0
                ):
                    return float(row["units_demanded"]) * 1.05
        params = view.scenario.model
        ref = product.reference_price_usd * params.reference_cny_per_usd / market.fx_cny_per_local
        u = offer_utility(
            params,
            params.price_alpha * market.price_sensitivity,
            np.array([price_local / ref]),
            np.array([product.base_quality]),
            np.array([params.initial_rating]),
            np.array([0.0]),
            np.array([market.warehouse_delivery_days]),
            np.array([0.0]),
        )
        n = max(1, view.n_teams)
        share = inside_share(np.repeat(u, n), params.outside_utility) / n
        shoppers = (
            market.size
            * params.shoppers_per_size_day
            * product.demand_weight
            * mc.seasonality
            * view.conditions.days
        )
        return shoppers * share

    def shipments(self, view: TeamView, plans: list) -> list[Shipment]:
        """Ship to cover expected demand through the lead time plus ``cover_rounds``;
        the part needed this round goes by the fastest lane that lands in time."""
        sc, team, cond = view.scenario, view.team, view.conditions
        days, rounds_left = cond.days, sc.calendar.rounds - view.round_no + 1
        out = []
        for code, product, expected in plans:
            mc = cond.markets[code]
            lane = mc.lanes[self.stock_lane(mc)]
            on_hand = team.warehouse_stock[code][product.id]
            coming = [s for s in team.in_transit if (s.market, s.product) == (code, product.id)]
            soon = sum(s.quantity for s in coming if s.arrive_round == view.round_no)
            cover = min(lane.lead_days / days + self.cover_rounds, rounds_left)
            need = expected * cover - on_hand - sum(s.quantity for s in coming)
            urgent = max(0.0, min(need, expected - on_hand - soon))
            fast = self.fast_lane(mc, days)
            if fast is not None and urgent >= 1 and rounds_left >= 1:
                out.append(
                    Shipment(product=product.id, market=code, mode=fast, quantity=math.ceil(urgent))
                )
                need -= urgent
            if need >= 1 and lane.lead_days <= rounds_left * days:
                out.append(
                    Shipment(
                        product=product.id, market=code, mode=lane.mode, quantity=math.ceil(need)
                    )
                )
        return out

    @staticmethod
    def fast_lane(mc: MarketConditions, days: int) -> str | None:
        lanes = [
            lane
            for mode, lane in mc.lanes.items()
            if mode != "parcel" and mode not in mc.closed_channels and lane.lead_days < days
        ]
        return min(lanes, key=lambda lane: lane.lead_days).mode if lanes else None

    def factory_orders(self, view: TeamView, shipments: list[Shipment]) -> dict[str, int]:
        wanted: dict[str, int] = {}
        for s in shipments:
            wanted[s.product] = wanted.get(s.product, 0) + s.quantity
        return {pid: max(0, q - view.team.china_stock.get(pid, 0)) for pid, q in wanted.items()}

    def quality(self, view: TeamView) -> dict[str, float]:
        if self.quality_budget_cny <= 0 or view.team.cash_cny < 5 * self.quality_budget_cny:
            return {}
        return {p.id: self.quality_budget_cny for p in view.scenario.products}

    def finance(self, view: TeamView, sheet: DecisionSheet) -> DecisionSheet:
        """Borrow what the sheet needs beyond cash (keeping a reserve), scale the stock
        plan down if even the credit line is not enough, repay debt from spare cash."""
        sc, team = view.scenario, view.team
        reserve = 0.05 * sc.economy.starting_cash_cny
        credit = max(0.0, sc.economy.credit_line_cny - team.debt_cny)
        for _ in range(60):
            spend = upfront_spend_cny(sc, view.conditions, team, sheet)
            if spend + reserve - team.cash_cny <= credit:
                break
            sheet = _scaled(sheet, team, (team.cash_cny + credit - reserve) / max(spend, 1.0))
        else:
            sheet = _scaled(sheet, team, 0.0)
        spend = upfront_spend_cny(sc, view.conditions, team, sheet)
        gap = spend + reserve - team.cash_cny
        if gap > 0:
            borrow = min(credit, math.ceil(gap))
        else:
            borrow = -min(team.debt_cny, max(0.0, -gap - reserve))
        return sheet.model_copy(update={"borrow_cny": round(float(borrow), 2)})


def _scaled(sheet: DecisionSheet, team: TeamState, factor: float) -> DecisionSheet:
    factor = min(max(factor, 0.0), 0.95)
    ships = [s.model_copy(update={"quantity": int(s.quantity * factor)}) for s in sheet.shipments]
    ships = [s for s in ships if s.quantity > 0]
    wanted: dict[str, int] = {}
    for s in ships:
        wanted[s.product] = wanted.get(s.product, 0) + s.quantity
    orders = {pid: max(0, q - team.china_stock.get(pid, 0)) for pid, q in wanted.items()}
    offers = {
        code: {
            pid: o.model_copy(update={"ad_budget_cny": round(o.ad_budget_cny * factor, 2)})
            for pid, o in ps.items()
        }
        for code, ps in sheet.offers.items()
    }
    return sheet.model_copy(
        update={
            "shipments": ships,
            "factory_orders": orders,
            "offers": offers,
            "quality_investment_cny": {},
        }
    )


class CostPlus(Strategy):
    """Steady: 60 % over break-even, sea freight, moderate advertising."""

    name = "cost_plus"


class Discounter(Strategy):
    """Volume: thin margin, cheapest lanes, little advertising, more stock."""

    name = "discounter"
    markup = 1.2
    ad_share = 0.02
    cover_rounds = 1.6


class Premium(Strategy):
    """Quality and speed: high markup, rail or air, heavy advertising, invests in quality."""

    name = "premium"
    markup = 2.1
    lane_preference = ("rail", "air", "sea")
    ad_share = 0.12
    quality_budget_cny = 15000.0
    cover_rounds = 1.0


STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (CostPlus, Discounter, Premium)}
"""The registry, by name. Scenario files are validated against
:data:`simshop.engine.scenario.BOT_STRATEGIES` (the schema cannot import the bots, which
import the schema); a test keeps the two the same."""


def make_view(
    scenario: Scenario,
    team: TeamState,
    n_teams: int,
    market_history: list[dict[str, Any]] | None = None,
    own_results: list[dict[str, Any]] | None = None,
) -> TeamView:
    """The view a team has before its next round (``team.round_no + 1``)."""
    round_no = team.round_no + 1
    news = [n for r in range(1, round_no + 1) for n in conditions_for_round(scenario, r).news]
    return TeamView(
        scenario,
        round_no,
        team,
        n_teams,
        conditions_for_round(scenario, round_no),
        list(market_history or []),
        list(own_results or []),
        news,
    )
