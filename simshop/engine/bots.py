"""Bot teams: a small strategy API and six built-in strategies.

A strategy sees a :class:`TeamView` (what a team may know before a round) and returns a
:class:`DecisionSheet`. Built-ins share one plan — enter affordable markets, list every
product, price off the landed cost, keep stock flowing (order and ship enough for expected
demand over the lead time), advertise a share of expected revenue — and differ:

- ``cost_plus``: 60 % over break-even, sea freight, moderate advertising;
- ``discounter``: thin margin, cheapest lanes, little advertising, more stock;
- ``premium``: high markup, rail or air, heavy advertising, invests in quality;
- ``parcel_seller``: no overseas stock: sells by direct parcel from China wherever a parcel
  lane is open, prices off the parcel's landed cost (parcel duty and de minimis included) and
  keeps its price at the de minimis threshold when that is cheaper than paying duty; it buys
  a compliance certificate only when the chance of being found is high (a sweep);
- ``festival_stocker``: reads the announced demand events (festivals, slumps) of the rounds
  its stock will serve and scales its stock plan and ad budget by their multipliers: stocks
  ahead (by rail where there is a rail lane, else sea) and advertises into the event;
- ``rival_watcher``: prices against the rivals' published prices of the last round (just
  under the median, never below break-even), cost-plus in a market with no history.

Any randomness comes from a generator seeded by (team id, round), so bots are deterministic.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from simshop.engine.accounting import DUTY_REFUND_LINE
from simshop.engine.catalogue import product_season
from simshop.engine.conditions import (
    MarketConditions,
    RoundConditions,
    conditions_for_round,
    round_news,
)
from simshop.engine.decisions import Campaign, DecisionSheet, Listing, Offer, Shipment
from simshop.engine.demand import inside_share, offer_utility, reference_price_local
from simshop.engine.listing import EXPECTED_IMAGES, TITLE_SOFT_MAX
from simshop.engine.logistics import (
    chosen_supplier,
    freight_cny_per_unit,
    landed_cost_cny,
    order_terms,
    parcel_duty_cny,
    upfront_spend_cny,
)
from simshop.engine.research import settings as research_settings
from simshop.engine.scenario import DemandShock, Market, Product, Scenario, Supplier
from simshop.engine.search import min_cpc_local
from simshop.engine.sheet import BULLETS_MAX, StockMode, StudyOrder
from simshop.engine.state import TeamState


@dataclass
class TeamView:
    """What a team may see before round ``round_no``: the scenario, its own state, the
    round's (announced) conditions, the published market statistics of past rounds
    (``market_history[i]`` is round i + 1's ``RoundOutcome.markets``), its own past results
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
    certify_from_risk: float | None = None
    """None: buy every compliance requirement the listings need. A number: buy one only
    when the chance of being found this round (sweeps included) is at least this."""

    bid_multiple = 0.7
    """Sponsored bid per click as a multiple of expected margin per unit x conversion
    (issue 15: the break-even bid is margin x conversion; bidding 70 % of it aims at an ad
    cost of sale of at most 70 % of the margin)."""
    campaign_terms = 2
    """Sponsored campaigns on the product's head terms (highest shares)."""
    enhanced_content = False

    def decide(self, view: TeamView) -> DecisionSheet:
        sc, team, cond = view.scenario, view.team, view.conditions
        rng = team_rng(team.team_id, view.round_no)
        enter = self.markets_to_enter(view)
        entered = [m.code for m in sc.markets if m.code in team.entered_markets or m.code in enter]
        offers: dict[str, dict[str, Offer]] = {}
        plans: list[tuple[str, Product, float]] = []
        for code in entered:
            market, mc = sc.market(code), cond.markets[code]
            offers[code] = {}
            for product in self.assortment(view, code):
                price_local = self.price_local(sc, market, mc, self.costed(product), rng)
                expected = self.expected_units(view, market, mc, product, price_local)
                expected *= self.demand_boost(view, code, product)
                revenue_cny = expected * price_local * mc.fx_cny_per_local[0]
                if product.suppliers and not _stock_this_round(view, code, product.id):
                    revenue_cny = 0.0  # no advertising for an offer with nothing to sell
                offers[code][product.id] = Offer(
                    listed=True,
                    price_local=price_local,
                    channel="warehouse",
                    ad_budget_cny=round(self.ad_share * revenue_cny, 2),
                )
                plans.append((code, product, expected))
        self.add_search(view, offers, {(c, p.id): e for c, p, e in plans})
        shipments = self.shipments(view, plans)
        sheet = DecisionSheet(
            enter_markets=enter,
            offers=offers,
            shipments=shipments,
            factory_orders=self.factory_orders(view, shipments),
            quality_investment_cny=_only_listed(self.quality(view), offers, sc),
            research=self.studies(view, entered),
        )
        return self.finance(view, sheet)

    # ---- the parts a subclass may override

    catalogue_picks = 8
    """How many products a bot lists per market in a catalogue scenario (at most the
    market's listing cap)."""

    def assortment(self, view: TeamView, code: str) -> list[Product]:
        """The products to list in market ``code``: every product, except in a catalogue
        scenario (demand drawn per game), where the bot ranks the products by what it can
        know (:meth:`product_score`: its own studies, the published statistics, the public
        ranges) and lists the best :attr:`catalogue_picks`, products it holds stock of
        first. Never the hidden draws: a bot sees the public scenario only."""
        sc = view.scenario
        if not any(p.demand_range for p in sc.products):
            return list(sc.products)
        cap = view.conditions.markets[code].listing_cap
        picks = self.catalogue_picks if cap is None else min(cap, self.catalogue_picks)
        held = view.team.warehouse_stock.get(code, {})
        ranked = sorted(
            sc.products,
            key=lambda p: (-int(held.get(p.id, 0) > 0), -self.product_score(view, code, p), p.id),
        )
        return [
            p
            for p in ranked[:picks]
            if held.get(p.id, 0) > 0 or self.product_score(view, code, p) > 0
        ]

    def product_score(self, view: TeamView, code: str, product: Product) -> float:
        """Expected round profit of a typical listing: shoppers (own study, else the public
        range's middle) x unit margin at the reference price / (1 + competing listings
        published last round or counted by the team's own study)."""
        sc, cond = view.scenario, view.conditions
        market, mc = sc.market(code), cond.markets[code]
        reading = _own_reading(view, code, product.id)
        if reading is not None:
            shoppers = float(reading["search_volume"]["estimate"])
            rivals = float(reading["competing_listings"])
        else:
            shoppers = (
                market.size
                * sc.model.shoppers_per_size_day
                * product.public_demand_weight(code)
                * product_season(product, cond.month)
                * mc.seasonality
                * cond.days
            )
            last = (
                view.market_history[-1].get(code, {}).get(product.id)
                if view.market_history
                else None
            )
            rivals = float(last["offers_listed"]) if last else 0.0
        ref_cny = reference_price_local(sc.model, market, product) * mc.fx_cny_per_local[0]
        landed = landed_cost_cny(self.costed(product), mc, self.stock_lane(mc))
        margin = ref_cny * (1.0 - mc.platform_fee) - landed - mc.fulfilment_cny_per_unit
        return shoppers * max(margin, 0.0) / (1.0 + rivals)

    def studies(self, view: TeamView, entered: Sequence[str]) -> list[StudyOrder]:
        """In a catalogue scenario's first two rounds: one study per market the bot is in,
        of the category of its best-ranked product, at the reference budget."""
        sc = view.scenario
        if not any(p.demand_range for p in sc.products) or view.round_no > 2:
            return []
        budget = research_settings(sc).reference_budget_cny
        out = []
        for code in entered:
            best = max(sc.products, key=lambda p: (self.product_score(view, code, p), p.id))
            out.append(StudyOrder(market=code, category=best.category, budget_cny=budget))
        return out

    def choose_supplier(self, product: Product) -> Supplier:
        """The supplier for a product with suppliers: the lowest first-tier unit cost, a
        day of lead time counted as 0.5 % of it (public terms only, never the hidden
        quality or defect draws)."""
        return min(
            product.suppliers,
            key=lambda s: (s.tiers[0].unit_cost_cny * (1.0 + 0.005 * s.lead_days), s.id),
        )

    def costed(self, product: Product) -> Product:
        """The product at the unit cost the bot pays (its supplier's first tier)."""
        if not product.suppliers:
            return product
        cost = self.choose_supplier(product).tiers[0].unit_cost_cny
        return product.model_copy(update={"unit_cost_cny": cost})

    def add_search(
        self,
        view: TeamView,
        offers: dict[str, dict[str, Offer]],
        expected: dict[tuple[str, str], float],
    ) -> None:
        """Write a listing and sponsored campaigns for every offer of a product with search
        terms (in place): the title carries the head terms' words in the market's listing
        language, five bullets, seven images; campaigns on the ``campaign_terms`` head terms
        bid ``bid_multiple`` x margin per unit x expected conversion, with a daily budget
        for the clicks of the term's share of the expected units."""
        sc, cond = view.scenario, view.conditions
        for code, by_product in offers.items():
            market = sc.market(code)
            for pid, offer in list(by_product.items()):
                product = sc.product(pid)
                if not product.search_terms:
                    continue
                listing = bot_listing(product, market, self.enhanced_content)
                margin = offer.price_local * (1.0 - 1.0 / self.markup)
                bid = round(self.bid_multiple * margin * EXPECTED_CONVERSION, 2)
                units_day = expected.get((code, pid), 0.0) / max(cond.days, 1)
                campaigns = {}
                head = sorted(product.search_terms, key=lambda t: -t.share)
                for term in head[: self.campaign_terms]:
                    if bid < min_cpc_local(sc, code, term.min_cpc_usd):
                        continue
                    clicks = max(units_day * term.share * AD_ORDER_SHARE / EXPECTED_CONVERSION, 1.0)
                    campaigns[term.id] = Campaign(
                        bid_local=bid, daily_budget_local=round(max(bid * clicks, bid), 2)
                    )
                by_product[pid] = offer.model_copy(
                    update={"listing": listing, "campaigns": campaigns}
                )

    def demand_boost(self, view: TeamView, code: str, product: Product) -> float:
        """Multiplier on the expected units the stock plan and ad budget cover (1 = none)."""
        return 1.0

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
        reading = _own_reading(view, market.code, product.id)
        params = view.scenario.model
        ref = reference_price_local(params, market, product)
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
        share = inside_share(np.repeat(u, n), params.nest_lambda, params.outside_utility) / n
        shoppers = (
            market.size
            * params.shoppers_per_size_day
            * product.public_demand_weight(market.code)
            * product_season(product, view.conditions.month)
            * mc.seasonality
            * view.conditions.days
        )
        if reading is not None:
            shoppers = float(reading["search_volume"]["estimate"])
        return shoppers * share

    def shipments(self, view: TeamView, plans: list[tuple[str, Product, float]]) -> list[Shipment]:
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
                    Shipment(
                        product=product.id,
                        market=code,
                        mode=cast(StockMode, fast),
                        quantity=math.ceil(urgent),
                    )
                )
                need -= urgent
            if need >= 1 and lane.lead_days <= rounds_left * days:
                out.append(
                    Shipment(
                        product=product.id,
                        market=code,
                        mode=cast(StockMode, lane.mode),
                        quantity=math.ceil(need),
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
        sheet = sheet.model_copy(update={"certificates": self.certificates(view, sheet)})
        reserve = 0.05 * sc.economy.starting_cash_cny
        credit = max(0.0, sc.economy.credit_line_cny - team.debt_cny)
        sheet = self.sourced(view, self.order_budget(view, sheet), bump=True)
        for _ in range(60):
            spend = upfront_spend_cny(sc, view.conditions, team, sheet) + _payables(view, sheet)
            if spend + reserve - team.cash_cny <= credit:
                break
            factor = (team.cash_cny + credit - reserve) / max(spend, 1.0)
            sheet = self.sourced(view, _scaled(sheet, team, factor, sc), bump=False)
        else:
            sheet = self.sourced(view, _scaled(sheet, team, 0.0, sc), bump=False)
        spend = upfront_spend_cny(sc, view.conditions, team, sheet) + _payables(view, sheet)
        gap = spend + reserve - team.cash_cny
        if gap > 0:
            borrow = min(credit, math.ceil(gap))
        else:
            borrow = -min(team.debt_cny, max(0.0, -gap - reserve))
        return sheet.model_copy(update={"borrow_cny": round(float(borrow), 2)})

    order_share = 0.5
    """With suppliers: factory orders (their full value) take at most this share of the
    bot's means (cash plus unused credit, less balances already due)."""

    def certificates(self, view: TeamView, sheet: DecisionSheet) -> list[str]:
        """The compliance requirements the sheet's listings need that the team neither
        holds nor is obtaining: those in force, and those announced that will be in force
        by the time they are obtained."""
        sc, team, round_no = view.scenario, view.team, view.round_no
        rules = sc.requirements()
        if not rules:
            return []
        known = {e.id for e in sc.announced_events(round_no)}
        listed = {
            (code, sc.product(pid).category)
            for code, by_product in sheet.offers.items()
            for pid, offer in by_product.items()
            if offer.listed
        }
        wanted: list[str] = []
        for rule in rules:
            announced = rule in sc.compliance or rule.id in known
            due = rule.start_round <= round_no + rule.rounds_to_obtain
            needed = [c for code, c in listed if rule.applies_to(code, c)]
            if not (announced and due and needed and rule.id not in team.certificates):
                continue
            if self.certify_from_risk is not None:
                mc = view.conditions.markets[rule.market]
                force = next((r for r in mc.requirements if r.id == rule.id), None)
                risk = max((mc.detection(force, c) for c in needed), default=0.0) if force else 0.0
                if risk < self.certify_from_risk:
                    continue
            wanted.append(rule.id)
        return wanted

    def order_budget(self, view: TeamView, sheet: DecisionSheet) -> DecisionSheet:
        """Scale the orders of products with suppliers down to :attr:`order_share` of the
        bot's means (an order's balance falls due on delivery, after the deposit)."""
        sc, team = view.scenario, view.team
        value = 0.0
        for pid, qty in sheet.factory_orders.items():
            product = sc.product(pid)
            if product.suppliers and qty > 0:
                value += qty * self.choose_supplier(product).unit_cost_cny(qty)
        credit = max(0.0, sc.economy.credit_line_cny - team.debt_cny)
        due = sum(b.balance_cny for b in team.in_production)
        budget = max(0.0, self.order_share * (team.cash_cny + credit) - due)
        if value <= budget or value <= 0:
            return sheet
        factor = budget / value
        orders = {
            pid: (int(qty * factor) if sc.product(pid).suppliers else qty)
            for pid, qty in sheet.factory_orders.items()
        }
        return sheet.model_copy(update={"factory_orders": orders})

    def sourced(self, view: TeamView, sheet: DecisionSheet, *, bump: bool) -> DecisionSheet:
        """Products with suppliers: the chosen supplier; shipments only from the stock in
        China now (an order with a lead time arrives later); orders less what is already in
        production, raised to the minimum order quantity (``bump``) or dropped below it."""
        sc, team = view.scenario, view.team
        if not any(p.suppliers for p in sc.products):
            return sheet
        suppliers = dict(sheet.suppliers)
        orders = dict(sheet.factory_orders)
        room: dict[str, int] = {}
        for product in sc.products:
            if not product.suppliers:
                continue
            supplier = self.choose_supplier(product)
            suppliers[product.id] = supplier.id
            coming = sum(b.quantity for b in team.in_production if b.product == product.id)
            qty = max(0, orders.get(product.id, 0) - (coming if bump else 0))
            if 0 < qty < supplier.moq:
                qty = supplier.moq if bump else 0
            if qty > 0:
                orders[product.id] = qty
            else:
                orders.pop(product.id, None)
            instant = supplier.lead_days <= 0
            room[product.id] = team.china_stock.get(product.id, 0) + (qty if instant else 0)
        shipments = []
        for ship in sheet.shipments:
            if ship.product in room:
                qty = min(ship.quantity, room[ship.product])
                room[ship.product] -= qty
                if qty <= 0:
                    continue
                ship = ship.model_copy(update={"quantity": qty})
            shipments.append(ship)
        return sheet.model_copy(
            update={"suppliers": suppliers, "factory_orders": orders, "shipments": shipments}
        )


def _payables(view: TeamView, sheet: DecisionSheet) -> float:
    """Supplier balances the bot keeps cash for: batches due this round and the balance of
    every order on this sheet (paid on delivery, this round or later)."""
    sc, team = view.scenario, view.team
    if not any(p.suppliers for p in sc.products):
        return 0.0
    due = sum(b.balance_cny for b in team.in_production if b.arrive_round <= view.round_no)
    for pid, qty in sheet.factory_orders.items():
        product = sc.product(pid)
        if product.suppliers and qty > 0:
            due += order_terms(chosen_supplier(product, sheet), qty)[2]
    return due


def _stock_this_round(view: TeamView, code: str, product_id: str) -> bool:
    """True when the team has stock of the product in market ``code`` or landing there
    this round."""
    team = view.team
    if team.warehouse_stock.get(code, {}).get(product_id, 0) > 0:
        return True
    return any(
        (s.market, s.product) == (code, product_id) and s.arrive_round <= view.round_no
        for s in team.in_transit
    )


def _only_listed(
    amounts: dict[str, float], offers: dict[str, dict[str, Offer]], sc: Scenario
) -> dict[str, float]:
    """In a catalogue scenario, quality investment only in products the bot lists."""
    if not any(p.demand_range for p in sc.products):
        return amounts
    listed = {pid for by_product in offers.values() for pid in by_product}
    return {pid: v for pid, v in amounts.items() if pid in listed}


def _own_reading(view: TeamView, code: str, product_id: str) -> dict[str, Any] | None:
    """The latest reading of ``product_id`` in market ``code`` from a study the team bought
    (its own results), or None."""
    for past in reversed(view.own_results):
        for study in past.get("research", []):
            if study["market"] != code:
                continue
            for row in study["readings"]:
                if row["product"] == product_id:
                    return cast(dict[str, Any], row)
    return None


def _scaled(
    sheet: DecisionSheet, team: TeamState, factor: float, scenario: Scenario | None = None
) -> DecisionSheet:
    factor = min(max(factor, 0.0), 0.95)
    ships = [s.model_copy(update={"quantity": int(s.quantity * factor)}) for s in sheet.shipments]
    ships = [s for s in ships if s.quantity > 0]
    wanted: dict[str, int] = {}
    for s in ships:
        wanted[s.product] = wanted.get(s.product, 0) + s.quantity
    orders = {pid: max(0, q - team.china_stock.get(pid, 0)) for pid, q in wanted.items()}
    if scenario is not None:
        # products with suppliers: their orders (future stock) scale with the plan
        for product in scenario.products:
            if product.suppliers:
                orders.pop(product.id, None)
                qty = int(sheet.factory_orders.get(product.id, 0) * factor)
                if qty > 0:
                    orders[product.id] = qty

    def scaled(o: Offer) -> Offer:
        campaigns = {
            k: c.model_copy(
                update={"daily_budget_local": math.floor(c.daily_budget_local * factor * 100) / 100}
            )
            for k, c in o.campaigns.items()
        }
        return o.model_copy(
            update={"ad_budget_cny": round(o.ad_budget_cny * factor, 2), "campaigns": campaigns}
        )

    offers = {code: {pid: scaled(o) for pid, o in ps.items()} for code, ps in sheet.offers.items()}
    return sheet.model_copy(
        update={
            "shipments": ships,
            "factory_orders": orders,
            "offers": offers,
            "quality_investment_cny": {},
        }
    )


class CostPlus(Strategy):
    """Steady: 60 % over break-even, sea freight, moderate advertising; a duty refund is a
    windfall it puts back into its products' quality the round after."""

    name = "cost_plus"

    def quality(self, view: TeamView) -> dict[str, float]:
        last = view.own_results[-1]["pnl"] if view.own_results else {}
        refund = float(last.get(DUTY_REFUND_LINE, 0.0))
        if refund <= 0:
            return super().quality(view)
        products = view.scenario.products
        return {p.id: round(refund / len(products), 2) for p in products}


class Discounter(Strategy):
    """Volume: thin margin, cheapest lanes, little advertising, more stock."""

    name = "discounter"
    markup = 1.2
    ad_share = 0.02
    cover_rounds = 1.6
    bid_multiple = 0.5
    campaign_terms = 1


class Premium(Strategy):
    """Quality and speed: high markup, rail or air, heavy advertising, invests in quality."""

    name = "premium"
    markup = 2.1
    lane_preference = ("rail", "air", "sea")
    ad_share = 0.12
    quality_budget_cny = 15000.0
    cover_rounds = 1.0
    bid_multiple = 0.9
    campaign_terms = 3
    enhanced_content = True


class ParcelSeller(Strategy):
    """Direct parcels from China only: no overseas stock, so parcel rules and de minimis
    thresholds drive its prices and margins."""

    name = "parcel_seller"
    markup = 1.5
    ad_share = 0.05
    cover_rounds = 1.2
    certify_from_risk = 0.25
    """Thin margins, no stock to strand: it certifies only when the risk is high (a sweep)."""

    def markets_to_enter(self, view: TeamView) -> list[str]:
        cond = view.conditions
        return [code for code in super().markets_to_enter(view) if _parcel_open(cond.markets[code])]

    def decide(self, view: TeamView) -> DecisionSheet:
        sc, team, cond = view.scenario, view.team, view.conditions
        rng = team_rng(team.team_id, view.round_no)
        enter = self.markets_to_enter(view)
        offers: dict[str, dict[str, Offer]] = {}
        needed: dict[str, float] = {}
        plans: dict[tuple[str, str], float] = {}
        for market in sc.markets:
            code = market.code
            if code not in team.entered_markets and code not in enter:
                continue
            mc = cond.markets[code]
            if not _parcel_open(mc):
                continue
            offers[code] = {}
            for product in self.assortment(view, code):
                price_local = self.parcel_price_local(mc, product, rng)
                expected = self.expected_units(view, market, mc, product, price_local)
                revenue_cny = expected * price_local * mc.fx_cny_per_local[0]
                offers[code][product.id] = Offer(
                    listed=True,
                    price_local=price_local,
                    channel="parcel",
                    ad_budget_cny=round(self.ad_share * revenue_cny, 2),
                )
                needed[product.id] = needed.get(product.id, 0.0) + expected * self.cover_rounds
                plans[(code, product.id)] = expected
        self.add_search(view, offers, plans)
        orders = {
            pid: math.ceil(q - team.china_stock.get(pid, 0))
            for pid, q in needed.items()
            if q - team.china_stock.get(pid, 0) >= 1
        }
        sheet = DecisionSheet(enter_markets=enter, offers=offers, factory_orders=orders)
        return self.finance(view, sheet)

    def parcel_price_local(
        self, mc: MarketConditions, product: Product, rng: np.random.Generator
    ) -> float:
        """Break-even of a parcel (unit cost, parcel freight, parcel duty at that price)
        x markup; dropped to the de minimis threshold when that is still profitable."""
        fx = mc.fx_cny_per_local[0]
        vat_share = mc.vat_rate / (1 + mc.vat_rate) if mc.vat_seller_remits else 0.0
        keep = max(0.2, 1.0 - mc.platform_fee - vat_share - product.return_rate - self.ad_share)
        base = product.unit_cost_cny + freight_cny_per_unit(product, mc.lanes["parcel"])
        price = base / keep * self.markup * float(rng.uniform(0.98, 1.02)) / fx
        for _ in range(3):  # the duty depends on the price: settle it
            duty = parcel_duty_cny(product, mc, price, fx)
            price = (base + duty) / keep * self.markup / fx
        threshold = mc.de_minimis_local
        if threshold > 0 and price > threshold and base / keep * 1.05 / fx <= threshold:
            price = threshold
        if mc.min_price_local is not None:
            price = max(price, mc.min_price_local * 1.01)
        return round(price, 2)


EXPECTED_CONVERSION = 0.10
"""Share of clicks that buy, as the bots expect it (Amazon ~10 %: domain.md §4 [S94-S96])."""
AD_ORDER_SHARE = 0.5
"""Share of a term's expected orders the bots budget to buy through the sponsored slot."""


def bot_listing(product: Product, market: Market, enhanced: bool = False) -> Listing:
    """A bot's listing: the head terms' words (in the market's listing language) in the
    title, each word once; one bullet per term (the product's name in the last), seven
    images and a description."""
    terms = sorted(product.search_terms, key=lambda t: -t.share)
    foreign = market.search.listing_language != "en"
    texts = [t.text_for(market.code) if foreign else t.text for t in terms]
    words: list[str] = []
    for text in texts[:3]:
        for word in text.split():
            if word.casefold() not in {w.casefold() for w in words}:
                words.append(word)
    title = " ".join(words)[:TITLE_SOFT_MAX]
    bullets = [*texts, product.name][:BULLETS_MAX]
    return Listing(
        title=title,
        bullets=bullets,
        description=f"{product.name}: " + ", ".join(texts),
        images=EXPECTED_IMAGES,
        enhanced=enhanced,
    )


def _parcel_open(mc: MarketConditions) -> bool:
    return "parcel" in mc.lanes and "parcel" not in mc.closed_channels


class FestivalStocker(Strategy):
    """Cost-plus pricing, but stocks ahead of announced demand events: the expected units its
    stock plan covers are scaled by the multipliers of the festivals and slumps announced so
    far for the market, in the rounds that stock will serve."""

    name = "festival_stocker"
    markup = 1.5
    lane_preference = ("rail", "sea", "air")
    """Rail first where there is one: faster than sea, so stock lands before the event."""
    cover_rounds = 1.3

    def demand_boost(self, view: TeamView, code: str, product: Product) -> float:
        sc, cond = view.scenario, view.conditions
        lane = cond.markets[code].lanes.get(self.stock_lane(cond.markets[code]))
        horizon = view.round_no + (math.ceil(lane.lead_days / cond.days) if lane else 0) + 1
        boost = 1.0
        for event in sc.events:
            if (
                isinstance(event, DemandShock)
                and event.market == code
                and event.announced_in <= view.round_no
                and view.round_no <= event.round <= horizon
                and any(c in ("*", product.category) for c in event.categories)
            ):
                last = event.last_day if event.last_day is not None else cond.days
                days = max(0, min(last, cond.days) - event.first_day + 1)
                boost *= 1.0 + (event.multiplier - 1.0) * days / cond.days
        return boost


class RivalWatcher(Strategy):
    """Prices against the rivals: 2 % under the median price the market published last
    round, never below 1.1 x break-even; cost-plus where nothing was published yet."""

    name = "rival_watcher"
    markup = 1.6
    undercut = 0.02

    def __init__(self) -> None:
        self._history: list[dict[str, Any]] = []

    def price_local(
        self,
        sc: Scenario,
        market: Market,
        mc: MarketConditions,
        product: Product,
        rng: np.random.Generator,
    ) -> float:
        own = super().price_local(sc, market, mc, product, rng)
        floor = own / self.markup * 1.1
        for past in reversed(self._history):
            stats = past.get(market.code, {}).get(product.id)
            if stats and stats.get("price_local"):
                median = float(stats["price_local"]["median"])
                return round(max(floor, median * (1.0 - self.undercut)), 2)
        return own

    def decide(self, view: TeamView) -> DecisionSheet:
        self._history = view.market_history
        return super().decide(view)


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (CostPlus, Discounter, Premium, ParcelSeller, FestivalStocker, RivalWatcher)
}
"""The registry, by name: the one list of bot strategies."""

BOT_STRATEGIES: tuple[str, ...] = tuple(STRATEGIES)
"""The strategies' names, in the registry's order: what ``[bots] strategies`` in a scenario
file may name (checked when a file is loaded, :mod:`simshop.engine.scenario_errors`) and what
a new game offers."""


def make_view(
    scenario: Scenario,
    team: TeamState,
    n_teams: int,
    market_history: list[dict[str, Any]] | None = None,
    own_results: list[dict[str, Any]] | None = None,
) -> TeamView:
    """The view a team has before its next round (``team.round_no + 1``)."""
    round_no = team.round_no + 1
    news = [n for r in range(1, round_no + 1) for n in round_news(scenario, r)]
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
