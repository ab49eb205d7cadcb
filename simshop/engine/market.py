"""One round of the market: a fresh SimPy environment built from the previous state.

The calendar is SimPy's: time ``d`` is day ``d`` of the round (time 0 is the moment the
decisions take effect). On each day, shipments landing that day and demand shocks switching
on or off are processed *before* the day's trading; the market processes (one per market)
then sell, in scenario market order. Customers are vectorised with NumPy per market, product
and day across all teams (see :mod:`simshop.engine.demand`); the team logic is arrays over
teams, never a Python loop per team inside a day.

Array axes: ``[market, product, team]`` with markets and products in scenario order and teams
sorted by id. Randomness comes from independent streams, one per (market, product,
component), each seeded by (game seed, round number, market, product, component) (see
:class:`simshop.engine.seeds.RoundStreams`): a change confined to one market leaves every
other market's draws, and so its results, untouched.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import simpy

from simshop.engine import sourcing
from simshop.engine.book import RoundBook
from simshop.engine.catalogue import demand_weight, product_season, realise
from simshop.engine.compliance import ComplianceWatch
from simshop.engine.conditions import DemandWindow, RoundConditions, conditions_for_round
from simshop.engine.decisions import DecisionSheet, carry_over, empty_decisions
from simshop.engine.demand import (
    ad_scale_cny,
    allocate_customers,
    first_choice_of,
    offer_utility,
    reference_price_local,
)
from simshop.engine.logistics import (
    arrival,
    customs_value_cny,
    freight_cny_per_unit,
    landing_duty_cny,
    search_budget_cny,
    upfront_spend_cny,
)
from simshop.engine.report import settle_round, settle_totals
from simshop.engine.results import RoundOutcome
from simshop.engine.scenario import Scenario
from simshop.engine.search import SearchRound
from simshop.engine.seeds import RoundStreams
from simshop.engine.sheet import Campaign, Offer
from simshop.engine.state import GameState, InTransit, TeamState

# --------------------------------------------------------------------------- decisions


def _resolve_sheets(
    book: RoundBook,
    state: GameState,
    decisions: Mapping[str, DecisionSheet],
    log: list[dict[str, Any]],
) -> list[DecisionSheet]:
    sheets = []
    for t, tid in enumerate(book.team_ids):
        sheet = decisions.get(tid)
        if sheet is None:
            last = state.teams[tid].last_decisions
            sheet = carry_over(last) if last is not None else empty_decisions()
        sheets.append(_fit_cash(book, t, state.teams[tid], sheet, log))
    return sheets


def _fit_cash(
    book: RoundBook, t: int, team: TeamState, sheet: DecisionSheet, log: list[dict[str, Any]]
) -> DecisionSheet:
    """Every sheet obeys the cash rule: its up-front spending must fit in cash plus new
    borrowing. A validated sheet always fits; a carried-over one (the same ad budgets again)
    may not: then its discretionary spending (advertising and quality investment) is scaled
    down by one factor (to the cent, rounded down) to what fits, and the team is told. No
    overdraft ever pays for it."""
    spend = upfront_spend_cny(book.scenario, book.cond, team, sheet)
    funds = max(team.cash_cny, 0.0) + max(sheet.borrow_cny, 0.0)
    if spend <= funds + 0.005:
        return sheet
    ads = sum(o.ad_budget_cny for by_product in sheet.offers.values() for o in by_product.values())
    campaigns = search_budget_cny(book.scenario, book.cond, sheet)
    discretionary = ads + campaigns + sum(sheet.quality_investment_cny.values())
    allowed = max(funds - (spend - discretionary), 0.0)
    factor = min(allowed / discretionary, 1.0) if discretionary > 0 else 0.0

    def down(amount: float) -> float:
        return math.floor(amount * factor * 100) / 100

    def budget_down(campaign: Campaign) -> Campaign:
        return campaign.model_copy(update={"daily_budget_local": down(campaign.daily_budget_local)})

    def scaled(offer: Offer) -> Offer:
        update: dict[str, Any] = {"ad_budget_cny": down(offer.ad_budget_cny)}
        if offer.campaigns:
            update["campaigns"] = {k: budget_down(c) for k, c in offer.campaigns.items()}
        if offer.auto_campaign is not None:
            update["auto_campaign"] = budget_down(offer.auto_campaign)
        return offer.model_copy(update=update)

    offers = {
        code: {pid: scaled(offer) for pid, offer in by_product.items()}
        for code, by_product in sheet.offers.items()
    }
    quality = {pid: down(v) for pid, v in sheet.quality_investment_cny.items()}
    fitted = sheet.model_copy(update={"offers": offers, "quality_investment_cny": quality})
    entry = {
        "day": 1,
        "kind": "carried_spending_scaled",
        "team": book.team_ids[t],
        "requested_cny": round(spend, 2),
        "allowed_cny": round(upfront_spend_cny(book.scenario, book.cond, team, fitted), 2),
        "cash_cny": round(team.cash_cny, 2),
    }
    log.append(entry)
    book.messages[t].append(entry)
    return fitted


def _apply_decisions(
    book: RoundBook, sheets: list[DecisionSheet], log: list[dict[str, Any]]
) -> None:
    """Entries, listings, orders, shipments, quality and borrowing: the start of the round."""
    sc, cond = book.scenario, book.cond
    offers_at = _OfferCells()
    for t, sheet in enumerate(sheets):
        entered = book.entered[t]
        for code in sheet.enter_markets:
            if code not in entered:
                entered.add(code)
                book.lines["entry_fees_cny"][t] += sc.market(code).entry_fee_cny
                book.book_to_market(
                    "entry_fees_cny", book.m_index[code], t, sc.market(code).entry_fee_cny
                )
        entered.difference_update(sheet.leave_markets)
        offers_at.add(book, t, sheet, entered)
        for pid, qty in sheet.factory_orders.items():
            p = book.p_index[pid]
            product = sc.products[p]
            if product.suppliers:
                sourcing.order(book, t, product, sheet, qty)
                continue
            book.china[p, t] += qty
            book.purchases[t] += qty * product.unit_cost_cny
        if book.sourcing:
            sourcing.samples(book, t, sheet)
            book.lines["research_cny"][t] += sum(s.budget_cny for s in sheet.research)
        for pid, amount in sheet.quality_investment_cny.items():
            book.invested[book.p_index[pid], t] += amount
            book.lines["quality_investment_cny"][t] += amount
        book.borrowed[t] = max(sheet.borrow_cny, 0.0)
        book.repaid[t] = max(-sheet.borrow_cny, 0.0)
        _ship(book, t, sheet, log)
        if book.compliance is not None:
            book.compliance.buy(t, sheet)
    offers_at.write(book)
    book.lines["advertising_cny"] += book.ad.sum(axis=(0, 1))
    if book.compliance is not None:
        book.compliance.charge_fees()
    _enforce_rules(book, cond, log)


class _OfferCells:
    """The sheets' offers as (market, product, team) cells, written into the book's arrays
    in one step each (a NumPy write per offer and field cost a fifth of a 2,000-team
    catalogue round). A team's sheet names each market and product once, so no cell is
    written twice."""

    def __init__(self) -> None:
        self.ad: list[tuple[int, int, int]] = []
        self.ad_cny: list[float] = []
        self.listed: list[tuple[int, int, int]] = []
        self.price: list[float] = []
        self.parcel: list[bool] = []

    def add(self, book: RoundBook, t: int, sheet: DecisionSheet, entered: set[str]) -> None:
        for code, offers in sheet.offers.items():
            m = book.m_index[code]
            if code not in entered:
                continue
            for pid, offer in offers.items():
                p = book.p_index[pid]
                self.ad.append((m, p, t))
                self.ad_cny.append(offer.ad_budget_cny)
                if offer.listing is not None or offer.campaigns or offer.auto_campaign:
                    _apply_listing(book, m, p, t, offer)
                if offer.listed and offer.price_local > 0:
                    self.listed.append((m, p, t))
                    self.price.append(offer.price_local)
                    self.parcel.append(offer.channel == "parcel")

    def write(self, book: RoundBook) -> None:
        if self.ad:
            book.ad[tuple(np.array(self.ad).T)] = self.ad_cny
        if self.listed:
            at = tuple(np.array(self.listed).T)
            book.listed[at] = True
            book.price[at] = self.price
            book.parcel[at] = self.parcel


def _apply_listing(book: RoundBook, m: int, p: int, t: int, offer: Offer) -> None:
    """Keep an offer's listing and campaigns for the search; pay its enhanced content the
    first round it is on (once per offer, :attr:`TeamState.enhanced_content`)."""
    book.search_offers.setdefault((m, p), {})[t] = offer
    if offer.listing is None or not offer.listing.enhanced:
        return
    key = [book.mcodes[m], book.pids[p]]
    if key in book.teams[t].enhanced_content or key in book.enhanced_paid[t]:
        return
    book.enhanced_paid[t].append(key)
    cost = book.scenario.markets[m].search.enhanced_content_cny
    book.lines["listing_content_cny"][t] += cost


def _ship(book: RoundBook, t: int, sheet: DecisionSheet, log: list[dict[str, Any]]) -> None:
    sc, cond, tid = book.scenario, book.cond, book.team_ids[t]
    for ship in sheet.shipments:
        p = book.p_index[ship.product]
        mc = cond.markets[ship.market]
        lane = mc.lane(ship.mode)
        qty = min(ship.quantity, int(book.china[p, t]))
        if lane is None or ship.mode in mc.closed_channels or ship.market not in book.entered[t]:
            qty = 0
        if qty < ship.quantity:
            entry = {
                "day": 1,
                "kind": "shipment_reduced",
                "team": tid,
                "market": ship.market,
                "product": ship.product,
                "mode": ship.mode,
                "requested": ship.quantity,
                "shipped": qty,
            }
            log.append(entry)
            book.messages[t].append(entry)
        if qty <= 0 or lane is None:
            continue
        product = sc.product(ship.product)
        book.china[p, t] -= qty
        book.lines["freight_cny"][t] += qty * freight_cny_per_unit(product, lane)
        book.book_to_market(
            "freight_cny", book.m_index[ship.market], t, qty * freight_cny_per_unit(product, lane)
        )
        arrive_round, arrive_day = arrival(cond.round_no, cond.days, lane.lead_days)
        _add_transit(
            book,
            t,
            InTransit(
                ship.product,
                ship.market,
                ship.mode,
                qty,
                cond.round_no,
                arrive_round,
                arrive_day,
                customs_value_cny(product, lane, mc.customs_basis),
            ),
        )


def _add_transit(book: RoundBook, t: int, shipment: InTransit) -> None:
    if shipment.arrive_round == book.cond.round_no:
        book.landing.setdefault(shipment.arrive_day, []).append((t, shipment))
    else:
        book.transit_next[t].append(shipment)


def _enforce_rules(book: RoundBook, cond: RoundConditions, log: list[dict[str, Any]]) -> None:
    """Market rules delist offers: below the minimum price, on a closed parcel channel,
    or beyond the per-team listing cap (products in scenario order)."""
    for m, code in enumerate(book.mcodes):
        mc = cond.markets[code]
        reasons = []
        if mc.min_price_local is not None:
            reasons.append(
                (
                    "min_price",
                    book.listed[m] & (book.price[m] < mc.min_price_local),
                    f"price below the minimum of {mc.min_price_local} {mc.currency}",
                )
            )
        if "parcel" in mc.closed_channels:
            reasons.append(
                (
                    "channel_closed",
                    book.listed[m] & book.parcel[m],
                    "the direct parcel channel is closed",
                )
            )
        for reason, mask, text in reasons:
            _delist(book, m, mask, reason, text, log)
        if mc.listing_cap is not None:
            over = np.cumsum(book.listed[m], axis=0) > mc.listing_cap
            _delist(
                book,
                m,
                book.listed[m] & over,
                "listing_cap",
                f"more than {mc.listing_cap} products listed",
                log,
            )


def _delist(
    book: RoundBook, m: int, mask: np.ndarray, reason: str, text: str, log: list[dict[str, Any]]
) -> None:
    for p, t in zip(*np.nonzero(mask), strict=True):
        book.listed[m, p, t] = False
        entry = {
            "day": 1,
            "kind": "delisted",
            "team": book.team_ids[t],
            "market": book.mcodes[m],
            "product": book.pids[p],
            "reason": reason,
            "message": f"{book.pids[p]} delisted in {book.mcodes[m]}: {text}",
        }
        log.append(entry)
        book.messages[t].append(entry)


# --------------------------------------------------------------------------- the model


class _MarketModel:
    """SimPy processes of one round: markets trading daily, shipment batches landing,
    demand windows switching on and off."""

    def __init__(self, book: RoundBook, streams: RoundStreams, log: list[dict[str, Any]]):
        self.book, self.streams, self.log = book, streams, log
        sc, cond = book.scenario, book.cond
        self.demand_rng = [
            [self.stream(m, p, "demand") for p in range(len(book.pids))]
            for m in range(len(book.mcodes))
        ]
        self.env = simpy.Environment()
        self.windows: list[list[DemandWindow]] = [[] for _ in book.mcodes]
        self.shock = np.ones((len(book.mcodes), len(book.pids)))
        self.fx = np.array([cond.markets[c].fx_cny_per_local for c in book.mcodes])
        self._prepare_offers(sc, cond)
        for day in sorted(book.landing):
            self.env.process(self.land(day, book.landing[day]))
        for day in sorted(book.deliveries):
            if day > 0:
                self.env.process(self.produce(day, book.deliveries[day]))
        for m, code in enumerate(book.mcodes):
            for window in cond.markets[code].demand_windows:
                self.env.process(self.demand_window(m, window))
        for m in range(len(book.mcodes)):
            self.env.process(self.market_days(m))
        if book.compliance is not None:
            for m in range(len(book.mcodes)):
                incidents = book.compliance.incidents(streams, m)
                if incidents:
                    self.env.process(
                        book.compliance.watch(self.env, incidents, self.is_live, self.withdraw, log)
                    )

    def is_live(self, m: int, p: int, t: int) -> bool:
        """True while team ``t``'s offer of product ``p`` in market ``m`` still trades."""
        return bool((self.offer_idx[m][p] == t).any()) and t not in self.hidden.get((m, p), ())

    def withdraw(self, m: int, p: int, t: int) -> None:
        """Take an offer off the market for the rest of the round (a compliance or IP
        delisting): shoppers no longer see it; it still counts as listed this round. On a
        searched market and product the offer stays in its page's columns with no stock;
        elsewhere it leaves the nest (the tallies so far are written to the book first)."""
        search = self.book.search
        if search is not None and (m, p) in search.pages:
            self.hidden.setdefault((m, p), set()).add(t)
            return
        keep = self.offer_idx[m][p] != t
        if keep.all():
            return
        self._flush(m, p)
        self.offer_idx[m][p] = self.offer_idx[m][p][keep]
        self.offer_u[m][p] = self.offer_u[m][p][keep]
        self.offer_parcel[m][p] = self.offer_parcel[m][p][keep]
        self._prepare_trading(m, p)

    def stream(self, m: int, p: int, component: str) -> np.random.Generator:
        """The random stream of market ``m``, product ``p`` and ``component`` this round."""
        return self.streams(self.book.mcodes[m], self.book.pids[p], component)

    def _prepare_shoppers(
        self, sc: Scenario, cond: RoundConditions
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Set the base shoppers per market and product; (alpha, reference price, days)."""
        book, params = self.book, sc.model
        M, P, T = book.shape
        self.base_shoppers = np.zeros((M, P))
        alpha = np.zeros((M, 1, 1))
        ref_local = np.zeros((M, P, 1))
        days = np.zeros(book.shape)
        for m, market in enumerate(sc.markets):
            mc = cond.markets[market.code]
            alpha[m] = params.price_alpha * market.price_sensitivity
            parcel = mc.lane("parcel")
            days[m] = np.where(
                book.parcel[m], parcel.lead_days if parcel else 0, market.warehouse_delivery_days
            )
            for p, product in enumerate(sc.products):
                ref_local[m, p] = reference_price_local(params, market, product)
                self.base_shoppers[m, p] = (
                    market.size
                    * params.shoppers_per_size_day
                    * demand_weight(sc, market.code, product)
                    * mc.seasonality
                    * product_season(product, cond.month)
                )
                if product.ip_risk is not None:
                    self.base_shoppers[m, p] *= product.ip_risk.demand_boost
        book.base_shoppers = self.base_shoppers
        return alpha, ref_local, days

    def _prepare_offers(self, sc: Scenario, cond: RoundConditions) -> None:
        book, params = self.book, sc.model
        M, P, T = book.shape
        alpha, ref_local, days = self._prepare_shoppers(sc, cond)
        n_listed = np.maximum(book.listed.sum(axis=2, keepdims=True), 1)
        ref_cny = ref_local * np.array([m.fx_cny_per_local for m in sc.markets])[:, None, None]
        ad_scale = ad_scale_cny(
            params.ad_saturation_share,
            self.base_shoppers[:, :, None] * cond.days,
            ref_cny,
            n_listed,
        )
        book.set_reach(days, params.ad_carryover, ad_scale)
        ratio = np.where(book.listed, book.price / ref_local, 1.0)
        utility = offer_utility(
            params,
            alpha,
            ratio,
            book.quality[None, :, :],
            book.rating,
            book.reviews,
            days,
            book.adstock,
            book.ad_scale,
        )
        self.lam = params.nest_lambda
        self.outside_utility = params.outside_utility
        self.offer_idx = [[np.flatnonzero(book.listed[m, p]) for p in range(P)] for m in range(M)]
        self.offer_u = [[utility[m, p, self.offer_idx[m][p]] for p in range(P)] for m in range(M)]
        self.offer_parcel = [
            [book.parcel[m, p, self.offer_idx[m][p]] for p in range(P)] for m in range(M)
        ]
        book.search = SearchRound(book, self.streams, self.offer_u, book.search_offers)
        self.hidden: dict[tuple[int, int], set[int]] = {}
        """Offers withdrawn on a searched market and product (their pages keep the offer's
        column; it shows no stock from then on)."""
        M, P = len(self.offer_idx), len(self.offer_idx[0]) if self.offer_idx else 0
        self.any_parcel = [[False] * P for _ in range(M)]
        self.tally: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [
            [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))] * P for _ in range(M)
        ]
        self.first_choice: list[list[tuple[np.ndarray, float, np.ndarray] | None]] = [
            [None] * P for _ in range(M)
        ]
        for m in range(M):
            for p in range(P):
                self._prepare_trading(m, p)

    def _prepare_trading(self, m: int, p: int) -> None:
        """Per market and product, fixed until an offer is withdrawn: whether any offer ships
        by parcel, the shoppers' first choice (computed once instead of daily), and the
        tallies of the listed offers' picks, units sold and units sold x fx (written into the
        book by :meth:`_flush`)."""
        idx, u = self.offer_idx[m][p], self.offer_u[m][p]
        self.any_parcel[m][p] = bool(self.offer_parcel[m][p].any())
        self.tally[m][p] = (
            np.zeros(idx.size, np.int64),
            np.zeros(idx.size, np.int64),
            np.zeros(idx.size),
        )
        self.first_choice[m][p] = (
            first_choice_of(u, self.lam, self.outside_utility) if u.size else None
        )

    def _flush(self, m: int, p: int) -> None:
        """Write the tallies of market ``m`` and product ``p`` into the book and zero them."""
        idx = self.offer_idx[m][p]
        if idx.size:
            picks, sold, sold_fx = self.tally[m][p]
            self.book.picks[m, p, idx] += picks
            self.book.sold[m, p, idx] += sold
            self.book.sold_fx[m, p, idx] += sold_fx
            picks[:], sold[:], sold_fx[:] = 0, 0, 0.0

    def run(self) -> None:
        self.env.run()
        # the round's picks and sales, kept per listed offer while trading, into the book
        for m, row in enumerate(self.offer_idx):
            for p in range(len(row)):
                self._flush(m, p)

    def market_days(self, m: int) -> Generator[Any, Any, None]:
        """Trade in market ``m`` once a day, after the day's arrivals and switches."""
        for day in range(1, self.book.cond.days + 1):
            yield self.env.timeout(1)
            yield self.env.timeout(0)
            self.trade(m, day)
            self.book.stock_days[m] += self.book.wh[m]

    def trade(self, m: int, day: int) -> None:
        """One day of market ``m``: every listed product's shoppers and stock first, the
        searched products' pages laid out together, then each product trades (each
        product's draws come from its own streams, in the same order as one by one)."""
        book, fx = self.book, self.fx[m, day - 1]
        search = book.search
        today = []
        for p in range(len(book.pids)):
            idx = self.offer_idx[m][p]
            if idx.size == 0:
                continue
            shoppers = int(
                self.demand_rng[m][p].poisson(self.base_shoppers[m, p] * self.shock[m, p])
            )
            stock = (
                np.where(self.offer_parcel[m][p], book.china[p, idx], book.wh[m, p, idx])
                if self.any_parcel[m][p]
                else book.wh[m, p, idx]
            )
            searched = search is not None and (m, p) in search.pages
            hidden = self.hidden.get((m, p)) if searched else None
            if hidden:
                stock = np.where(np.isin(idx, sorted(hidden)), 0, stock)
            today.append((p, shoppers, stock, searched))
        if search is not None and m in search.stacks:
            search.lay_out(m, {p: stock for p, _, stock, searched in today if searched})
        for p, shoppers, stock, searched in today:
            if searched:
                assert search is not None
                picks, sold, first = search.trade(m, p, day, shoppers, stock, fx)
            else:
                picks, sold, first = allocate_customers(
                    self.demand_rng[m][p],
                    shoppers,
                    self.offer_u[m][p],
                    self.lam,
                    self.outside_utility,
                    stock,
                    self.first_choice[m][p],
                )
            self._book_sales(m, p, shoppers, first, picks, sold, fx)

    def _book_sales(
        self,
        m: int,
        p: int,
        shoppers: int,
        first: int,
        picks: np.ndarray,
        sold: np.ndarray,
        fx: float,
    ) -> None:
        """A product's day into the round's tallies and the stock."""
        book, idx = self.book, self.offer_idx[m][p]
        book.shoppers[m, p] += shoppers
        book.first_inside[m, p] += first
        tally_picks, tally_sold, tally_fx = self.tally[m][p]
        tally_picks += picks  # in place: the arrays of self.tally
        tally_sold += sold
        tally_fx += sold * fx
        if self.any_parcel[m][p]:
            parcel = self.offer_parcel[m][p]
            book.wh[m, p, idx] -= np.where(parcel, 0, sold)
            book.china[p, idx] -= np.where(parcel, sold, 0)
        else:
            book.wh[m, p, idx] -= sold

    def land(self, day: int, batch: list[tuple[int, InTransit]]) -> Generator[Any, Any, None]:
        """A batch of shipments landing on ``day``: stock in, duty paid, arrivals logged."""
        yield self.env.timeout(day)
        book, cond = self.book, self.book.cond
        totals: dict[tuple[int, int, str], list[int]] = {}
        for t, s in batch:
            m, p = book.m_index[s.market], book.p_index[s.product]
            book.wh[m, p, t] += s.quantity
            rate = cond.markets[s.market].tariff_rate(book.scenario.product(s.product).category)
            duty = landing_duty_cny(s.quantity, s.customs_value_cny_per_unit, rate)
            book.lines["duty_cny"][t] += duty
            book.duty_paid[m, p, t] += duty
            book.duty_basis[m, p, t] += s.quantity * s.customs_value_cny_per_unit
            book.arrivals[t].append(
                {
                    "day": day,
                    "market": s.market,
                    "product": s.product,
                    "mode": s.mode,
                    "quantity": s.quantity,
                }
            )
            total = totals.setdefault((m, p, s.mode), [0, 0])
            total[0] += s.quantity
            total[1] += 1
        for (m, p, mode), (units, count) in sorted(totals.items()):
            self.log.append(
                {
                    "day": day,
                    "kind": "shipment_arrived",
                    "market": book.mcodes[m],
                    "product": book.pids[p],
                    "mode": mode,
                    "units": units,
                    "shipments": count,
                }
            )

    def produce(self, day: int, batch: list[tuple[int, Any]]) -> Generator[Any, Any, None]:
        """Factory batches reaching the China warehouse on ``day``, before its trading."""
        yield self.env.timeout(day)
        sourcing.deliver(self.book, day, batch)

    def demand_window(self, m: int, window: DemandWindow) -> Generator[Any, Any, None]:
        """Switch a demand multiplier on at the start of ``first_day`` and off after
        ``last_day``."""
        yield self.env.timeout(window.first_day)
        self.windows[m].append(window)
        self._refresh_shock(m)
        self.log.append(
            {
                "day": window.first_day,
                "kind": "demand_shock_on",
                "market": self.book.mcodes[m],
                "event": window.event_id,
                "multiplier": window.multiplier,
            }
        )
        if window.last_day >= self.book.cond.days:
            return
        yield self.env.timeout(window.last_day + 1 - window.first_day)
        self.windows[m].remove(window)
        self._refresh_shock(m)
        self.log.append(
            {
                "day": window.last_day + 1,
                "kind": "demand_shock_off",
                "market": self.book.mcodes[m],
                "event": window.event_id,
            }
        )

    def _refresh_shock(self, m: int) -> None:
        for p, product in enumerate(self.book.scenario.products):
            mult = 1.0
            for w in self.windows[m]:
                if w.applies_to(product.category):
                    mult *= w.multiplier
            self.shock[m, p] = mult


# --------------------------------------------------------------------------- round


def simulate_totals(
    scenario: Scenario,
    state: GameState,
    decisions: Mapping[str, DecisionSheet],
    game_seed: int,
    *,
    conditions: RoundConditions | None = None,
    stream_round: int | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`simulate_round`, reporting only (team ids, profit, units sold) per team: the
    same trading and accounts, without building results, statistics or the next state."""
    with _collector_paused():
        book, streams, _, _ = _trade_round(
            scenario, state, decisions, game_seed, conditions=conditions, stream_round=stream_round
        )
        profit, units = settle_totals(book, streams)
    return list(book.team_ids), profit, units


def simulate_round(
    scenario: Scenario,
    state: GameState,
    decisions: Mapping[str, DecisionSheet],
    game_seed: int,
    *,
    conditions: RoundConditions | None = None,
    stream_round: int | None = None,
) -> RoundOutcome:
    """Play round ``state.round_no + 1``. ``decisions`` are validated sheets by team id;
    teams without one carry their last sheet over (or do nothing). Pure: the same inputs give
    byte-identical results.

    The explanation of results (:mod:`simshop.engine.explain`) replays a round with some
    inputs set back to the previous round's: ``conditions`` (default: the round's own,
    :func:`conditions_for_round`) and ``stream_round`` (the round whose random streams are
    drawn; default: this round) let it mix them."""
    with _collector_paused():
        book, streams, sheets, log = _trade_round(
            scenario, state, decisions, game_seed, conditions=conditions, stream_round=stream_round
        )
        return settle_round(book, streams, sheets, log)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a round runs. The round frees what it
    allocates by reference counting; the collector would only rescan the live game (the
    state, the sheets, the book: hundreds of thousands of objects at 2,000 teams), which
    cost 15-20 % of the round. Its results do not depend on it; the collector runs again
    (if it ran before) when the round returns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _trade_round(
    scenario: Scenario,
    state: GameState,
    decisions: Mapping[str, DecisionSheet],
    game_seed: int,
    *,
    conditions: RoundConditions | None,
    stream_round: int | None,
) -> tuple[RoundBook, RoundStreams, list[DecisionSheet], list[dict[str, Any]]]:
    """The round up to its accounts: decisions applied, the market traded."""
    round_no = state.round_no + 1
    scenario = realise(scenario, game_seed)
    if round_no > scenario.calendar.rounds:
        raise ValueError(
            f"the scenario has {scenario.calendar.rounds} rounds; round {round_no} cannot be played"
        )
    unknown = sorted(set(decisions) - set(state.teams))
    if unknown:
        raise ValueError(f"decisions for unknown teams: {', '.join(unknown)}")
    cond = conditions_for_round(scenario, round_no) if conditions is None else conditions
    log: list[dict[str, Any]] = [
        {
            "day": 1,
            "kind": "event_effective",
            "event": e["id"],
            "event_kind": e["kind"],
            "headline": e["headline"],
        }
        for e in cond.took_effect
    ]
    book = RoundBook(scenario, cond, state)
    if scenario.has_compliance():
        book.compliance = ComplianceWatch(book)
    sheets = _resolve_sheets(book, state, decisions, log)
    for t, team in enumerate(book.teams):
        for shipment in team.in_transit:
            _add_transit(book, t, shipment)
    if book.sourcing:
        sourcing.carry_in(book)
    _apply_decisions(book, sheets, log)
    if book.sourcing:
        sourcing.settle_profiles(book)
    streams = RoundStreams(game_seed, round_no if stream_round is None else stream_round)
    model = _MarketModel(book, streams, log)
    model.run()
    if book.search is not None:
        book.lines["search_ads_cny"] += book.search.spend_cny()
    return book, streams, sheets, log
