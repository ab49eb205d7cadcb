"""One round of the market: a fresh SimPy environment built from the previous state.

The calendar is SimPy's: time ``d`` is day ``d`` of the round (time 0 is the moment the
decisions take effect). On each day, shipments landing that day and demand shocks switching
on or off are processed *before* the day's trading; the market processes (one per market)
then sell, in scenario market order. Customers are vectorised with NumPy per market, product
and day across all teams (see :mod:`simshop.engine.demand`); the team logic is arrays over
teams, never a Python loop per team inside a day.

Array axes: ``[market, product, team]`` with markets and products in scenario order and teams
sorted by id. All randomness comes from one generator seeded by (game seed, round number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import simpy

from simshop.engine.accounting import PNL_COST_LINES
from simshop.engine.conditions import DemandWindow, RoundConditions, conditions_for_round
from simshop.engine.decisions import DecisionSheet, carry_over, empty_decisions
from simshop.engine.demand import allocate_customers, offer_utility
from simshop.engine.logistics import arrival, customs_value_cny, freight_cny_per_unit
from simshop.engine.scenario import Scenario
from simshop.engine.state import GameState, InTransit


def round_rng(game_seed: int, round_no: int) -> np.random.Generator:
    """The round's only random generator."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([game_seed, round_no])))


# --------------------------------------------------------------------------- results


class TeamRoundResult:
    """One team's round. Money in CNY. ``offers`` (built on first access) has one row per
    product in each market the team is in or holds stock in."""

    def __init__(
        self,
        team_id: str,
        round_no: int,
        pnl: dict[str, float],
        cash: dict[str, float],
        china_stock: dict[str, int],
        arrivals: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        offers: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]],
    ):
        self.team_id, self.round_no = team_id, round_no
        self.pnl, self.cash, self.china_stock = pnl, cash, china_stock
        self.arrivals, self.messages = arrivals, messages
        self._offers = offers

    @property
    def offers(self) -> list[dict[str, Any]]:
        if callable(self._offers):
            self._offers = self._offers()
        return self._offers

    def to_dict(self) -> dict[str, Any]:
        return {
            "arrivals": [dict(sorted(a.items())) for a in self.arrivals],
            "cash": dict(sorted(self.cash.items())),
            "china_stock": dict(sorted(self.china_stock.items())),
            "messages": [dict(sorted(m.items())) for m in self.messages],
            "offers": [dict(sorted(o.items())) for o in self.offers],
            "pnl": dict(sorted(self.pnl.items())),
            "round_no": self.round_no,
            "team_id": self.team_id,
        }


@dataclass
class RoundResult:
    round_no: int
    teams: dict[str, TeamRoundResult]
    markets: dict[str, dict[str, dict[str, Any]]]
    """market -> product -> research statistics (published to every team)."""
    events: list[dict[str, Any]]
    state: GameState
    conditions: RoundConditions = field(repr=False, default=None)  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Everything but the end state (which :meth:`GameState.to_dict` gives)."""
        return {
            "events": [dict(sorted(e.items())) for e in self.events],
            "markets": {
                m: {p: dict(sorted(s.items())) for p, s in sorted(ps.items())}
                for m, ps in sorted(self.markets.items())
            },
            "round_no": self.round_no,
            "teams": {tid: self.teams[tid].to_dict() for tid in sorted(self.teams)},
        }


# --------------------------------------------------------------------------- the book


class _Book:
    """Arrays over (market, product, team) for one round, built from the state."""

    def __init__(self, scenario: Scenario, cond: RoundConditions, state: GameState):
        self.scenario, self.cond = scenario, cond
        self.team_ids = sorted(state.teams)
        self.teams = [state.teams[t] for t in self.team_ids]
        self.mcodes = [m.code for m in scenario.markets]
        self.pids = [p.id for p in scenario.products]
        self.m_index = {c: i for i, c in enumerate(self.mcodes)}
        self.p_index = {p: i for i, p in enumerate(self.pids)}
        T, M, P = len(self.teams), len(self.mcodes), len(self.pids)
        self.shape = (M, P, T)
        self._load_state(M, P, T)
        self.lines = {line: np.zeros(T) for line in PNL_COST_LINES}
        self.lines["revenue_cny"] = np.zeros(T)
        self.purchases = np.zeros(T)
        self.borrowed = np.zeros(T)
        self.repaid = np.zeros(T)
        self.listed = np.zeros(self.shape, dtype=bool)
        self.parcel = np.zeros(self.shape, dtype=bool)
        self.price = np.zeros(self.shape)
        self.ad = np.zeros(self.shape)
        self.picks = np.zeros(self.shape, dtype=np.int64)
        self.sold = np.zeros(self.shape, dtype=np.int64)
        self.sold_fx = np.zeros(self.shape)
        self.stock_days = np.zeros(self.shape)
        self.duty_paid = np.zeros(self.shape)
        """Duty paid this round per offer (CNY), stock landings and parcels."""
        self.duty_basis = np.zeros(self.shape)
        """The customs value (CNY) that duty was paid on, per offer."""
        self.shoppers = np.zeros((M, P), dtype=np.int64)
        self.first_inside = np.zeros((M, P), dtype=np.int64)
        self.arrivals: list[list[dict[str, Any]]] = [[] for _ in range(T)]
        self.messages: list[list[dict[str, Any]]] = [[] for _ in range(T)]
        self.transit_next: list[list[InTransit]] = [[] for _ in range(T)]
        self.landing: dict[int, list[tuple[int, InTransit]]] = {}

    def _load_state(self, M: int, P: int, T: int) -> None:
        mc, pids = self.mcodes, self.pids
        teams = self.teams

        take = itemgetter(*pids) if P > 1 else (lambda d: (d[pids[0]],))

        def grid(attr: str, dtype: type) -> np.ndarray:
            rows = [[take(getattr(t, attr)[m]) for m in mc] for t in teams]
            return np.array(rows, dtype=dtype).reshape(T, M, P).transpose(1, 2, 0).copy()

        self.wh = grid("warehouse_stock", np.int64)
        self.adstock_prev = grid("adstock_cny", float)
        self.rating = grid("rating", float)
        self.reviews = grid("reviews", np.int64)
        self.china = (
            np.array([take(t.china_stock) for t in teams], dtype=np.int64).reshape(T, P).T.copy()
        )
        self.quality = (
            np.array([take(t.quality) for t in teams], dtype=float).reshape(T, P).T.copy()
        )
        self.invested = (
            np.array([take(t.quality_investment_cny) for t in teams], dtype=float)
            .reshape(T, P)
            .T.copy()
        )
        self.cash_start = np.array([t.cash_cny for t in teams], dtype=float)
        self.debt_start = np.array([t.debt_cny for t in teams], dtype=float)
        self.entered = [set(t.entered_markets) for t in teams]


# --------------------------------------------------------------------------- decisions


def _resolve_sheets(state: GameState, decisions: Mapping[str, DecisionSheet]) -> list:
    sheets = []
    for tid in sorted(state.teams):
        sheet = decisions.get(tid)
        if sheet is None:
            last = state.teams[tid].last_decisions
            sheet = carry_over(last) if last is not None else empty_decisions()
        sheets.append(sheet)
    return sheets


def _apply_decisions(book: _Book, sheets: list[DecisionSheet], log: list) -> None:
    """Entries, listings, orders, shipments, quality and borrowing: the start of the round."""
    sc, cond = book.scenario, book.cond
    for t, sheet in enumerate(sheets):
        entered = book.entered[t]
        for code in sheet.enter_markets:
            if code not in entered:
                entered.add(code)
                book.lines["entry_fees_cny"][t] += sc.market(code).entry_fee_cny
        entered.difference_update(sheet.leave_markets)
        for code, offers in sheet.offers.items():
            m = book.m_index[code]
            if code not in entered:
                continue
            for pid, offer in offers.items():
                p = book.p_index[pid]
                book.ad[m, p, t] = offer.ad_budget_cny
                if offer.listed and offer.price_local > 0:
                    book.listed[m, p, t] = True
                    book.price[m, p, t] = offer.price_local
                    book.parcel[m, p, t] = offer.channel == "parcel"
        for pid, qty in sheet.factory_orders.items():
            p = book.p_index[pid]
            book.china[p, t] += qty
            book.purchases[t] += qty * sc.product(pid).unit_cost_cny
        for pid, amount in sheet.quality_investment_cny.items():
            book.invested[book.p_index[pid], t] += amount
            book.lines["quality_investment_cny"][t] += amount
        book.borrowed[t] = max(sheet.borrow_cny, 0.0)
        book.repaid[t] = max(-sheet.borrow_cny, 0.0)
        _ship(book, t, sheet, log)
    book.lines["advertising_cny"] += book.ad.sum(axis=(0, 1))
    _enforce_rules(book, cond, log)


def _ship(book: _Book, t: int, sheet: DecisionSheet, log: list) -> None:
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
        if qty <= 0:
            continue
        product = sc.product(ship.product)
        book.china[p, t] -= qty
        book.lines["freight_cny"][t] += qty * freight_cny_per_unit(product, lane)
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
                customs_value_cny(product, lane),
            ),
        )


def _add_transit(book: _Book, t: int, shipment: InTransit) -> None:
    if shipment.arrive_round == book.cond.round_no:
        book.landing.setdefault(shipment.arrive_day, []).append((t, shipment))
    else:
        book.transit_next[t].append(shipment)


def _enforce_rules(book: _Book, cond: RoundConditions, log: list) -> None:
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


def _delist(book: _Book, m: int, mask: np.ndarray, reason: str, text: str, log: list) -> None:
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

    def __init__(self, book: _Book, rng: np.random.Generator, log: list):
        self.book, self.rng, self.log = book, rng, log
        sc, cond = book.scenario, book.cond
        self.env = simpy.Environment()
        self.windows: list[list[DemandWindow]] = [[] for _ in book.mcodes]
        self.shock = np.ones((len(book.mcodes), len(book.pids)))
        self.fx = np.array([cond.markets[c].fx_cny_per_local for c in book.mcodes])
        self._prepare_offers(sc, cond)
        for day in sorted(book.landing):
            self.env.process(self.land(day, book.landing[day]))
        for m, code in enumerate(book.mcodes):
            for window in cond.markets[code].demand_windows:
                self.env.process(self.demand_window(m, window))
        for m in range(len(book.mcodes)):
            self.env.process(self.market_days(m))

    def _prepare_offers(self, sc: Scenario, cond: RoundConditions) -> None:
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
                ref_local[m, p] = (
                    product.reference_price_usd
                    * params.reference_cny_per_usd
                    / market.fx_cny_per_local
                )
                self.base_shoppers[m, p] = (
                    market.size
                    * params.shoppers_per_size_day
                    * product.demand_weight
                    * mc.seasonality
                )
        book.delivery_days = days
        book.adstock = book.ad + params.ad_carryover * book.adstock_prev
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
        )
        weights = np.where(book.listed, np.exp(utility), 0.0)
        self.outside_weight = float(np.exp(params.outside_utility))
        self.offer_idx = [[np.flatnonzero(book.listed[m, p]) for p in range(P)] for m in range(M)]
        self.offer_w = [[weights[m, p, self.offer_idx[m][p]] for p in range(P)] for m in range(M)]
        self.offer_parcel = [
            [book.parcel[m, p, self.offer_idx[m][p]] for p in range(P)] for m in range(M)
        ]

    def run(self) -> None:
        self.env.run()

    def market_days(self, m: int):
        """Trade in market ``m`` once a day, after the day's arrivals and switches."""
        for day in range(1, self.book.cond.days + 1):
            yield self.env.timeout(1)
            yield self.env.timeout(0)
            self.trade(m, day)
            self.book.stock_days[m] += self.book.wh[m]

    def trade(self, m: int, day: int) -> None:
        book, fx = self.book, self.fx[m, day - 1]
        for p in range(len(book.pids)):
            idx = self.offer_idx[m][p]
            if idx.size == 0:
                continue
            shoppers = int(self.rng.poisson(self.base_shoppers[m, p] * self.shock[m, p]))
            parcel = self.offer_parcel[m][p]
            stock = np.where(parcel, book.china[p, idx], book.wh[m, p, idx])
            picks, sold, first = allocate_customers(
                self.rng, shoppers, self.offer_w[m][p], self.outside_weight, stock
            )
            book.shoppers[m, p] += shoppers
            book.first_inside[m, p] += first
            book.picks[m, p, idx] += picks
            book.sold[m, p, idx] += sold
            book.sold_fx[m, p, idx] += sold * fx
            book.wh[m, p, idx] -= np.where(parcel, 0, sold)
            book.china[p, idx] -= np.where(parcel, sold, 0)

    def land(self, day: int, batch: list[tuple[int, InTransit]]):
        """A batch of shipments landing on ``day``: stock in, duty paid, arrivals logged."""
        yield self.env.timeout(day)
        book, cond = self.book, self.book.cond
        totals: dict[tuple[int, int, str], list[int]] = {}
        for t, s in batch:
            m, p = book.m_index[s.market], book.p_index[s.product]
            book.wh[m, p, t] += s.quantity
            rate = cond.markets[s.market].tariff_rate(book.scenario.product(s.product).category)
            duty = s.quantity * s.customs_value_cny_per_unit * rate
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

    def demand_window(self, m: int, window: DemandWindow):
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


def simulate_round(
    scenario: Scenario,
    state: GameState,
    decisions: Mapping[str, DecisionSheet],
    game_seed: int,
) -> RoundResult:
    """Play round ``state.round_no + 1``. ``decisions`` are validated sheets by team id;
    teams without one carry their last sheet over (or do nothing). Pure: the same inputs give
    byte-identical results."""
    round_no = state.round_no + 1
    if round_no > scenario.calendar.rounds:
        raise ValueError(
            f"the scenario has {scenario.calendar.rounds} rounds; round {round_no} cannot be played"
        )
    unknown = sorted(set(decisions) - set(state.teams))
    if unknown:
        raise ValueError(f"decisions for unknown teams: {', '.join(unknown)}")
    cond = conditions_for_round(scenario, round_no)
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
    book = _Book(scenario, cond, state)
    sheets = _resolve_sheets(state, decisions)
    for t, team in enumerate(book.teams):
        for shipment in team.in_transit:
            _add_transit(book, t, shipment)
    _apply_decisions(book, sheets, log)
    model = _MarketModel(book, round_rng(game_seed, round_no), log)
    model.run()
    from simshop.engine.report import close_round

    return close_round(book, model, sheets, log)
