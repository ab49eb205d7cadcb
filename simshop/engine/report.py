"""Closing a round: returns, selling costs, the P&L, cash and debt, ratings, quality, the
published market statistics and the next :class:`GameState`.

Works on the arrays of :class:`simshop.engine.book.RoundBook` (axes market, product, team);
only the final conversion to per-team dictionaries loops over teams.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import numpy as np

from simshop.engine import accounting, research, sourcing
from simshop.engine.accounting import (
    DUTY_REFUND_LINE,
    cents,
)
from simshop.engine.book import RoundBook
from simshop.engine.conditions import MarketConditions
from simshop.engine.decisions import DecisionSheet
from simshop.engine.logistics import freight_cny_per_unit
from simshop.engine.results import RoundOutcome, TeamRoundResult
from simshop.engine.scenario import DutyRefund, Scenario
from simshop.engine.search import STATS, SearchRound
from simshop.engine.seeds import RoundStreams
from simshop.engine.state import GameState, TeamState


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b > 0)
    return out


def _returns(book: RoundBook, streams: RoundStreams) -> np.ndarray:
    """Returned units per offer: Binomial(sold, rate) with the rate of
    :func:`accounting.return_rate` (late delivery raises it, quality lowers it), one random
    stream per market and product (component ``returns``)."""
    returned = np.zeros(book.shape, dtype=np.int64)
    for p, product in enumerate(book.scenario.products):
        low, high = product.return_range
        for m, code in enumerate(book.mcodes):
            if book.sold[m, p].any():
                rate = accounting.return_rate(
                    product.return_rate,
                    low,
                    high,
                    product.base_quality,
                    book.quality[p],
                    book.delivery_days[m, p],
                )
                if book.sourcing and book.defect[p].any():
                    # defective units come back on top of the ordinary returns
                    rate = rate + book.defect[p] * (1.0 - rate)
                rng = streams(code, product.id, "returns")
                returned[m, p] = rng.binomial(book.sold[m, p], rate)
    return returned


def _selling_costs(book: RoundBook, streams: RoundStreams) -> dict[str, np.ndarray]:
    """Per-offer money of the round's sales (CNY, arrays [market, product, team])."""
    sc, cond = book.scenario, book.cond
    returned = _returns(book, streams)
    revenue = book.price * book.sold_fx
    unit_cost = book.unit_cost[None, :, :]
    out = {
        "revenue": revenue,
        "returned": returned,
        "refunds": returned * _div(revenue, book.sold),
        "cogs": book.sold * unit_cost,
        "commission": np.zeros(book.shape),
        "vat": np.zeros(book.shape),
        "fulfilment": np.zeros(book.shape),
        "storage": np.zeros(book.shape),
        "parcel_freight": np.zeros(book.shape),
        "parcel_duty": np.zeros(book.shape),
    }
    unit_revenue = _div(revenue, book.sold)
    usd = sc.model.reference_cny_per_usd
    for m, market in enumerate(sc.markets):
        mc = cond.markets[market.code]
        # the referral fee is refunded on returns, less the platform's administration fee
        fee_unit = mc.platform_fee * unit_revenue[m]
        admin_unit = np.minimum(
            market.refund_admin_fee_share * fee_unit, market.refund_admin_fee_cap_usd * usd
        )
        out["commission"][m] = accounting.commission_cny(mc.platform_fee, revenue[m]) - returned[
            m
        ] * (fee_unit - admin_unit)
        if mc.vat_seller_remits:
            # refunds reduce the taxable amount (EU VAT Directive art. 90)
            kept = revenue[m] - out["refunds"][m]
            out["vat"][m] = accounting.vat_in_price_cny(mc.vat_rate, kept)
        out["fulfilment"][m] = np.where(book.parcel[m], 0, book.sold[m]) * (
            mc.fulfilment_cny_per_unit
        )
        out["storage"][m] = book.stock_days[m] * mc.storage_cny_per_unit_day
        _parcel_costs(book, m, mc, out)
    return out


def _parcel_costs(
    book: RoundBook, m: int, mc: MarketConditions, out: dict[str, np.ndarray]
) -> None:
    lane = mc.lane("parcel")
    if lane is None:
        return
    for p, product in enumerate(book.scenario.products):
        units = np.where(book.parcel[m, p], book.sold[m, p], 0)
        freight = freight_cny_per_unit(product, lane)
        out["parcel_freight"][m, p] = units * freight
        # the value customs uses: price net of VAT (where included) + freight on CIF
        net = book.price[m, p] / (1.0 + mc.vat_rate) if mc.vat_seller_remits else book.price[m, p]
        cif_freight = freight if mc.customs_basis == "CIF" else 0.0
        value_local = net + cif_freight / mc.fx_cny_per_local[0]
        exempt = (mc.de_minimis_local > 0) & (value_local <= mc.de_minimis_local)
        if mc.parcel_duty_rate > 0 or mc.parcel_duty_per_item_local > 0:
            sold_fx = np.where(book.parcel[m, p], book.sold_fx[m, p], 0.0)
            duty = (
                mc.parcel_duty_rate * (net * sold_fx + units * cif_freight)
                + mc.parcel_duty_per_item_local * sold_fx
            )
        else:
            # goods bought from suppliers are declared at the stock's cost (transaction value)
            price = book.unit_cost[p] if product.suppliers else product.unit_cost_cny
            value = price + cif_freight
            duty = units * mc.tariff_rate(product.category) * value
        duty = np.where(exempt, 0.0, duty)
        if mc.parcel_category_duty_local > 0:
            flat = mc.parcel_category_duty_local * np.where(
                book.parcel[m, p], book.sold_fx[m, p], 0.0
            )
            duty = np.where(value_local <= mc.parcel_category_max_local, flat, duty)
        out["parcel_duty"][m, p] = duty
        book.duty_paid[m, p] += duty
        price = book.unit_cost[p] if product.suppliers else product.unit_cost_cny
        book.duty_basis[m, p] += units * (price + cif_freight)


def _team_lines(book: RoundBook, money: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """P&L lines per team (CNY, rounded to the cent), interest excluded."""
    sc = book.scenario
    lines = book.lines
    per_team = {k: v.sum(axis=(0, 1)) for k, v in money.items() if k != "returned"}
    lines["revenue_cny"] += per_team["revenue"]
    lines["refunds_cny"] += per_team["refunds"]
    lines["cogs_cny"] += per_team["cogs"]
    lines["commission_cny"] += per_team["commission"]
    lines["vat_cny"] += per_team["vat"]
    lines["fulfilment_cny"] += per_team["fulfilment"]
    lines["freight_cny"] += per_team["parcel_freight"]
    lines["duty_cny"] += per_team["parcel_duty"]
    china_rate = sc.economy.china_storage_cny_per_unit_round
    lines["storage_cny"] += per_team["storage"] + book.china.sum(axis=0) * china_rate
    return {k: cents(v) for k, v in lines.items()}


def _duty_records(book: RoundBook) -> list[list[dict[str, Any]]]:
    """Per team, the duty paid this round per (market, category) in markets that record it
    for a later refund (see :class:`simshop.engine.scenario.DutyRefund`), to the cent."""
    out: list[list[dict[str, Any]]] = [[] for _ in book.team_ids]
    categories = [p.category for p in book.scenario.products]
    for m, code in enumerate(book.mcodes):
        if not book.cond.markets[code].record_duty:
            continue
        for category in sorted(set(categories)):
            rows = [p for p, c in enumerate(categories) if c == category]
            duty = cents(book.duty_paid[m, rows].sum(axis=0))
            basis = cents(book.duty_basis[m, rows].sum(axis=0))
            for t in np.flatnonzero(duty > 0).tolist():
                out[t].append(
                    {
                        "market": code,
                        "category": category,
                        "round": book.cond.round_no,
                        "customs_value_cny": float(basis[t]),
                        "duty_cny": float(duty[t]),
                    }
                )
    return out


def _duty_refunds(book: RoundBook, log: list[dict[str, Any]]) -> np.ndarray:
    """Duty paid back this round per team (CNY): each ``duty_refund`` event of the round
    returns its share (or its voided rate, capped at the duty) of the covered records."""
    refunds = np.zeros(len(book.team_ids))
    events = [
        e
        for e in book.scenario.events
        if isinstance(e, DutyRefund) and e.round == book.cond.round_no
    ]
    for e in events:
        for t, team in enumerate(book.teams):
            amount = 0.0
            for r in team.duty_paid:
                if e.covers(r["market"], r["category"], r["round"]):
                    if e.share is not None:
                        amount += e.share * r["duty_cny"]
                    else:
                        amount += min(e.rate * r["customs_value_cny"], r["duty_cny"])
            amount = round(amount, 2)
            if amount <= 0:
                continue
            refunds[t] += amount
            book.book_to_market(DUTY_REFUND_LINE, book.m_index[e.market], t, amount)
            entry = {
                "day": book.cond.days,
                "kind": "duty_refund",
                "team": book.team_ids[t],
                "market": e.market,
                "event": e.id,
                "amount_cny": amount,
            }
            log.append(entry)
            book.messages[t].append(entry)
    return cents(refunds)


def has_duty_refunds(scenario: Scenario) -> bool:
    """True when the scenario pays duty back: its P&L then has a ``duty_refund_cny`` line."""
    return any(isinstance(e, DutyRefund) for e in scenario.events)


def _cash_and_debt(book: RoundBook, lines: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Interest, the cash identity and the automatic overdraft (see accounting)."""
    rate = book.scenario.economy.interest_rate_per_round
    borrowed, repaid = cents(book.borrowed), cents(book.repaid)
    debt_mid = book.debt_start + borrowed - repaid
    lines["interest_cny"] = cents(rate * debt_mid)
    purchases = cents(book.purchases + book.deposits + book.balances)
    outflows = sum(lines.get(k, 0.0) for k in accounting.ALL_CASH_COST_LINES) + purchases + repaid
    income = lines["revenue_cny"] + lines.get(DUTY_REFUND_LINE, 0.0)
    # cash frozen by IP claims comes back (an inflow) and is frozen (an outflow)
    none = np.zeros(len(book.team_ids))
    released: np.ndarray = book.compliance.released() if book.compliance is not None else none
    before = cents(book.cash_start + income + released + borrowed - outflows)
    overdraft = cents(np.maximum(0.0, -before))
    frozen: np.ndarray = book.compliance.freeze(before) if book.compliance is not None else none
    extra = (
        {
            "supplier_deposits_cny": cents(book.deposits),
            "supplier_balances_cny": cents(book.balances),
        }
        if book.sourcing
        else {}
    )
    cash = {
        **extra,
        "start_cny": book.cash_start,
        "end_cny": cents(before + overdraft - frozen),
        "debt_start_cny": book.debt_start,
        "debt_end_cny": cents(debt_mid + overdraft),
        "borrowed_cny": borrowed,
        "repaid_cny": repaid,
        "overdraft_cny": overdraft,
        "purchases_cny": purchases,
        "inflows_cny": cents(income + released + borrowed + overdraft),
        "outflows_cny": cents(outflows + frozen),
    }
    if book.compliance is not None:
        cash["frozen_cny"] = frozen
        cash["released_cny"] = released
    return cash


def _ratings(book: RoundBook) -> tuple[np.ndarray, np.ndarray]:
    params = book.scenario.model
    lost_fraction = _div((book.picks - book.sold).astype(float), book.picks)
    target = accounting.rating_target(book.quality[None], book.delivery_days, lost_fraction)
    if book.sourcing:
        target = np.clip(target - sourcing.DEFECT_RATING_PENALTY * book.defect[None], 1.0, 5.0)
    new_reviews = np.floor(book.sold * params.review_rate).astype(np.int64)
    rating = accounting.update_rating(
        book.rating, book.reviews, new_reviews, target, params.rating_prior_reviews
    )
    return rating, book.reviews + new_reviews


def _in_transit(book: RoundBook) -> np.ndarray:
    grid = np.zeros(book.shape, dtype=np.int64)
    for t, shipments in enumerate(book.transit_next):
        for s in shipments:
            grid[book.m_index[s.market], book.p_index[s.product], t] += s.quantity
    return grid


def _price_stats(prices: np.ndarray) -> dict[str, float] | None:
    if prices.size == 0:
        return None
    q = np.quantile(prices, [0.0, 0.25, 0.5, 0.75, 1.0])
    return {
        "min": float(q[0]),
        "q1": float(q[1]),
        "median": float(q[2]),
        "q3": float(q[3]),
        "max": float(q[4]),
        "mean": float(prices.mean()),
    }


def _market_stats(book: RoundBook, money: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for m, code in enumerate(book.mcodes):
        # a catalogue product's shoppers would read its hidden demand draw: not published
        hidden = [bool(p.demand_range.get(code)) for p in book.scenario.products]  # type: ignore[call-overload]
        stats[code] = {}
        for p, pid in enumerate(book.pids):
            listed = book.listed[m, p]
            sold = book.sold[m, p]
            total = int(sold.sum())
            idx = np.flatnonzero(listed)
            shares = (sold[idx] / total) if total else np.zeros(idx.size)
            stats[code][pid] = {
                "currency": book.cond.markets[code].currency,
                "shoppers": None if hidden[p] else int(book.shoppers[m, p]),
                "demand": int(book.first_inside[m, p]),
                "units_sold": total,
                "units_lost_stockout": int((book.picks[m, p] - sold).sum()),
                "offers_listed": int(idx.size),
                "revenue_cny": float(cents(money["revenue"][m, p].sum())),
                "price_local": _price_stats(book.price[m, p, idx]),
                "shares": {
                    book.team_ids[t]: float(s)
                    for t, s in zip(idx.tolist(), shares.tolist(), strict=True)
                },
            }
    return stats


def _search_stats(book: RoundBook, stats: dict[str, dict[str, Any]]) -> None:
    """Market research of the searched products: per term, searches and the average cost
    per sponsored click (local currency; None without sponsored clicks)."""
    search = book.search
    if search is None:
        return
    for (m, p), page in sorted(search.pages.items()):
        spend = page.acc[STATS.index("ad_spend_local")].sum(axis=1)
        clicks = page.acc[STATS.index("ad_clicks")].sum(axis=1)
        stats[book.mcodes[m]][book.pids[p]]["search_terms"] = {
            term: {
                "searches": int(search.searches[m, p, k]),
                "avg_cpc_local": round(float(spend[k] / clicks[k]), 2) if clicks[k] else None,
            }
            for k, term in enumerate(page.term_ids)
        }


def _accounts(
    book: RoundBook, streams: RoundStreams, log: list[dict[str, Any]]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The round's money per offer, P&L lines and cash per team."""
    money = _selling_costs(book, streams)
    lines = _team_lines(book, money)
    if has_duty_refunds(book.scenario):
        lines[DUTY_REFUND_LINE] = _duty_refunds(book, log)
    cash = _cash_and_debt(book, lines)
    costs = cast(np.ndarray, sum(lines.get(k, 0.0) for k in accounting.ALL_COST_LINES))
    lines["total_costs_cny"] = cents(costs)
    lines["profit_cny"] = cents(lines["revenue_cny"] + lines.get(DUTY_REFUND_LINE, 0.0) - costs)
    return money, lines, cash


OFFER_MONEY_LINES = {
    "revenue_cny": "revenue",
    "refunds_cny": "refunds",
    "cogs_cny": "cogs",
    "commission_cny": "commission",
    "vat_cny": "vat",
    "fulfilment_cny": "fulfilment",
    "storage_cny": "storage",
    "freight_cny": "parcel_freight",
}
"""P&L lines whose per-offer amounts (CNY, [market, product, team]) the round's selling
costs hold, by the key of that money."""


def pnl_by_market(
    book: RoundBook, money: dict[str, np.ndarray], lines: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each P&L line split by market: (line -> [market, team], line -> [team] unallocated),
    CNY to the cent, for every line of ``lines`` but the totals.

    Attributed to a market: what the engine books per offer (revenue, refunds, cost of goods,
    commission, VAT, fulfilment, overseas storage, parcel freight, duty on landings and
    parcels, advertising) and per market (entry fees, freight of shipments to it, duty
    refunds; :meth:`RoundBook.book_to_market`). The unallocated part of a line is the line
    minus its market parts: China storage, quality investment, interest, and all of any line
    nobody attributes. Hence, per line and team, markets + unallocated = the line, exactly to
    the cent; ``profit_cny`` and ``total_costs_cny`` of each part follow from
    :data:`accounting.INCOME_LINES` and :data:`accounting.ALL_COST_LINES`."""
    shape = (len(book.mcodes), len(book.team_ids))
    per_offer = {line: money[key] for line, key in OFFER_MONEY_LINES.items()}
    per_offer["duty_cny"] = book.duty_paid
    per_offer["advertising_cny"] = book.ad
    split: dict[str, np.ndarray] = {}
    rest: dict[str, np.ndarray] = {}
    for line, total in lines.items():
        if line in ("total_costs_cny", "profit_cny"):
            continue
        part = np.zeros(shape)
        if line in per_offer:
            part = part + per_offer[line].sum(axis=1)
        if line in book.market_lines:
            part = part + book.market_lines[line]
        split[line] = cents(part)
        rest[line] = cents(total - split[line].sum(axis=0))
    for parts in (split, rest):
        income = sum(parts[k] for k in accounting.INCOME_LINES if k in parts)
        costs = sum(parts[k] for k in accounting.ALL_COST_LINES if k in parts)
        parts["total_costs_cny"] = cents(np.asarray(costs, dtype=float))
        parts["profit_cny"] = cents(np.asarray(income, dtype=float) - parts["total_costs_cny"])
    return split, rest


def settle_totals(book: RoundBook, streams: RoundStreams) -> tuple[np.ndarray, np.ndarray]:
    """Only each team's profit (CNY, to the fen) and units sold, by team index: what
    :func:`settle_round` reports for them, without building results or the next state
    (the replays of :mod:`simshop.engine.explain`)."""
    _, lines, _ = _accounts(book, streams, [])
    return lines["profit_cny"], book.sold.sum(axis=(0, 1)).astype(float)


def settle_round(
    book: RoundBook,
    streams: RoundStreams,
    sheets: list[DecisionSheet],
    log: list[dict[str, Any]],
) -> RoundOutcome:
    """Turn the traded round into results and the next state (``streams``: the round's random
    streams; the ``returns`` stream of each market and product draws its returns)."""
    money, lines, cash = _accounts(book, streams, log)
    duty_records = _duty_records(book)
    rating, reviews = _ratings(book)
    transit = _in_transit(book)
    days = book.cond.days
    for t in np.flatnonzero(cash["overdraft_cny"] > 0).tolist():
        entry = {
            "day": days,
            "kind": "overdraft",
            "team": book.team_ids[t],
            "amount_cny": float(cash["overdraft_cny"][t]),
        }
        log.append(entry)
        book.messages[t].append(entry)
    quality = accounting.quality_after_investment(
        np.array([p.base_quality for p in book.scenario.products])[:, None],
        book.invested,
        book.scenario.model.quality_investment_half_cny,
    )
    by_market = pnl_by_market(book, money, lines)
    view = _TeamView(book, money, lines, cash, rating, reviews, transit, quality, by_market)
    view.streams, view.sheets = streams, sheets
    teams, states = {}, {}
    for t, tid in enumerate(book.team_ids):
        teams[tid] = view.result(t)
        states[tid] = view.next_state(t, sheets[t])
        states[tid].duty_paid = [*book.teams[t].duty_paid, *duty_records[t]]
        if book.compliance is not None:
            states[tid].certificates = dict(sorted(book.compliance.certificates[t].items()))
            states[tid].frozen_cash = book.compliance.frozen_after(t)
    state = GameState(round_no=book.cond.round_no, teams=states)
    markets = _market_stats(book, money)
    _search_stats(book, markets)
    return RoundOutcome(book.cond.round_no, teams, markets, log, state, book.cond)


def _changes(
    new: np.ndarray, start: np.ndarray
) -> tuple[list[int], list[int], list[Any], list[int]]:
    """Where an array over (market, product, team) differs from its start-of-round values:
    (markets, products, new values, bounds), sorted by team; team ``t``'s changes are the
    entries ``bounds[t]`` to ``bounds[t + 1]``. Building the next state from the old one plus
    these is the same as building it from the whole array, at a fraction of the cost when a
    team touches few of many products."""
    teams, markets, products = np.nonzero((new != start).transpose(2, 0, 1))
    values = new.transpose(2, 0, 1)[teams, markets, products].tolist()
    bounds = np.searchsorted(teams, np.arange(new.shape[2] + 1)).tolist()
    return markets.tolist(), products.tolist(), values, bounds


class _TeamView:
    """Per-team dictionaries out of the round's arrays (the only per-team loop). Offer rows
    are built lazily, per team, when a result's ``offers`` is first read."""

    def __init__(
        self,
        book: RoundBook,
        money: dict[str, np.ndarray],
        lines: dict[str, np.ndarray],
        cash: dict[str, np.ndarray],
        rating: np.ndarray,
        reviews: np.ndarray,
        transit: np.ndarray,
        quality: np.ndarray,
        by_market: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
    ) -> None:
        self.book, self.money = book, money
        self.streams = RoundStreams(0, 0)
        """The round's streams (set by :func:`settle_round`; studies draw their noise)."""
        self.sheets: list[DecisionSheet] = []
        self.arrays = {
            "listed": book.listed,
            "price_local": book.price,
            "ad_budget_cny": book.ad,
            "units_demanded": book.picks,
            "units_sold": book.sold,
            "units_lost_stockout": book.picks - book.sold,
            "units_returned": money["returned"],
            "revenue_cny": cents(money["revenue"]),
            "market_share": _div(book.sold.astype(float), book.sold.sum(axis=2, keepdims=True)),
            "ending_stock": book.wh,
            "in_transit": transit,
            "rating": np.round(rating, 4),
            "reviews": reviews,
            "adstock_cny": cents(book.adstock),
            "delivery_days": book.delivery_days,
        }
        starts = {
            "ending_stock": book.wh_start,
            "adstock_cny": book.adstock_prev,
            "rating": book.rating,
            "reviews": book.reviews,
        }
        self.changes = {k: _changes(self.arrays[k], old) for k, old in starts.items()}
        self.line_lists = {k: v.tolist() for k, v in lines.items()}
        self.cash_lists = {k: np.asarray(v, dtype=float).tolist() for k, v in cash.items()}
        self.china = book.china.T.tolist()
        self.quality_t = np.round(quality, 6).T.tolist()
        self.invested_t = cents(book.invested).T.tolist()
        self.sold_total = book.sold.sum(axis=(0, 1)).tolist()
        held = (book.wh > 0) | (transit > 0)
        held_by_market = cast(np.ndarray, held.any(axis=1))
        self.holds: list[list[bool]] = held_by_market.T.tolist()
        self.by_market = by_market
        self._market_lines: dict[str, list[list[float]]] | None = None
        self._unallocated: dict[str, list[float]] | None = None
        self.recent_sales = _recent_sales(book)
        self.listing_means = _listing_means(book)

    @property
    def unallocated_lists(self) -> dict[str, list[float]]:
        if self._unallocated is None:
            self._unallocated = {k: v.tolist() for k, v in self.by_market[1].items()}
        return self._unallocated

    def markets_pnl(self, t: int) -> dict[str, dict[str, float]]:
        """Market -> its P&L lines, for the markets the team is in, holds stock in or has
        any amount in this round."""
        if self._market_lines is None:
            self._market_lines = {k: v.T.tolist() for k, v in self.by_market[0].items()}
        rows: dict[str, dict[str, float]] = {}
        for m, code in enumerate(self.book.mcodes):
            row = {k: v[t][m] for k, v in self._market_lines.items()}
            if code in self.book.entered[t] or self.holds[t][m] or any(row.values()):
                rows[code] = row
        return rows

    def offers(self, t: int) -> list[dict[str, Any]]:
        book = self.book
        cols = {k: v[:, :, t].tolist() for k, v in self.arrays.items()}
        parcel = book.parcel[:, :, t].tolist()
        rows = []
        for m, code in enumerate(book.mcodes):
            if code not in book.entered[t] and not self.holds[t][m]:
                continue
            for p, pid in enumerate(book.pids):
                row = {k: v[m][p] for k, v in cols.items()}
                row["channel"] = "parcel" if parcel[m][p] else "warehouse"
                row["market"], row["product"] = code, pid
                rows.append(row)
        return rows

    def result(self, t: int) -> TeamRoundResult:
        book = self.book
        return TeamRoundResult(
            team_id=book.team_ids[t],
            round_no=book.cond.round_no,
            pnl={k: v[t] for k, v in self.line_lists.items()},
            cash={k: v[t] for k, v in self.cash_lists.items()},
            china_stock=dict(zip(book.pids, self.china[t], strict=True)),
            arrivals=book.arrivals[t],
            messages=book.messages[t],
            offers=lambda: self.offers(t),
            compliance=(book.compliance.result_rows(t) if book.compliance is not None else None),
            pnl_by_market=lambda: self.markets_pnl(t),
            pnl_unallocated=lambda: {k: v[t] for k, v in self.unallocated_lists.items()},
            sourcing=book.sourcing,
            research=(
                (lambda: self.research(t)) if book.sourcing and self.sheets[t].research else None
            ),
            samples=book.samples[t],
            products=(lambda: self.products(t)) if book.sourcing else None,
            search=lambda: _search_rows(book, t),
            listings=lambda: _listing_rows(book, t),
        )

    def research(self, t: int) -> list[dict[str, Any]]:
        """The studies team ``t`` bought, read (:func:`simshop.engine.research.readings`)."""
        book = self.book
        return research.readings(
            book, self.streams, self.money["returned"], t, self.sheets[t].research
        )

    def products(self, t: int) -> list[dict[str, Any]]:
        """Per market and product the team listed or sold in: its money (CNY)."""
        book, money = self.book, self.money
        selling = ("commission", "vat", "fulfilment", "storage", "parcel_freight", "parcel_duty")
        rows = []
        for m, code in enumerate(book.mcodes):
            for p, pid in enumerate(book.pids):
                if not (book.listed[m, p, t] or book.sold[m, p, t]):
                    continue
                revenue = float(money["revenue"][m, p, t])
                refunds = float(money["refunds"][m, p, t])
                cogs = float(money["cogs"][m, p, t])
                costs = float(sum(money[k][m, p, t] for k in selling))
                ads = float(book.ad[m, p, t])
                margin = revenue - refunds - cogs - costs - ads
                rows.append(
                    {
                        "market": code,
                        "product": pid,
                        "listed": bool(book.listed[m, p, t]),
                        "units_sold": int(book.sold[m, p, t]),
                        "units_returned": int(money["returned"][m, p, t]),
                        "revenue_cny": round(revenue, 2),
                        "refunds_cny": round(refunds, 2),
                        "cogs_cny": round(cogs, 2),
                        "selling_costs_cny": round(costs, 2),
                        "advertising_cny": round(ads, 2),
                        "margin_cny": round(margin, 2),
                        "margin_share": round(margin / revenue, 4) if revenue else None,
                    }
                )
        return rows

    def next_state(self, t: int, sheet: DecisionSheet) -> TeamState:
        book, pids = self.book, self.book.pids
        old = book.teams[t]

        def by_market(key: str, start: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            """The team's start-of-round values with this round's changes written in."""
            markets, products, values, bounds = self.changes[key]
            out = {code: dict(start[code]) for code in book.mcodes}
            for i in range(bounds[t], bounds[t + 1]):
                out[book.mcodes[markets[i]]][pids[products[i]]] = values[i]
            return out

        lines = self.line_lists
        spend = self.cash_lists["outflows_cny"][t] - self.cash_lists["repaid_cny"][t]
        spend -= self.cash_lists["frozen_cny"][t] if "frozen_cny" in self.cash_lists else 0.0
        cum = old.cumulative
        stock_cost, stock_mix = sourcing.next_stock(book, t)
        return TeamState(
            team_id=old.team_id,
            round_no=book.cond.round_no,
            cash_cny=self.cash_lists["end_cny"][t],
            debt_cny=self.cash_lists["debt_end_cny"][t],
            entered_markets=[c for c in book.mcodes if c in book.entered[t]],
            china_stock=dict(zip(pids, self.china[t], strict=True)),
            warehouse_stock=by_market("ending_stock", old.warehouse_stock),
            in_transit=book.transit_next[t],
            quality=dict(zip(pids, self.quality_t[t], strict=True)),
            quality_investment_cny=dict(zip(pids, self.invested_t[t], strict=True)),
            adstock_cny=by_market("adstock_cny", old.adstock_cny),
            rating=by_market("rating", old.rating),
            reviews=by_market("reviews", old.reviews),
            cumulative={
                "profit_cny": round(cum.get("profit_cny", 0.0) + lines["profit_cny"][t], 2),
                "revenue_cny": round(cum.get("revenue_cny", 0.0) + lines["revenue_cny"][t], 2),
                "spend_cny": round(cum.get("spend_cny", 0.0) + spend, 2),
                "units_sold": cum.get("units_sold", 0.0) + self.sold_total[t],
                "advertising_cny": round(
                    cum.get("advertising_cny", 0.0)
                    + lines["advertising_cny"][t]
                    + lines["search_ads_cny"][t],
                    2,
                ),
                **_listing_cumulative(cum, self.listing_means[t]),
            },
            last_decisions=sheet,
            in_production=book.production_next[t],
            stock_cost_cny=stock_cost,
            stock_mix=stock_mix,
            enhanced_content=[*old.enhanced_content, *book.enhanced_paid[t]],
            recent_sales=self.recent_sales[t],
        )


def _recent_sales(book: RoundBook) -> list[dict[str, dict[str, list[int]]]]:
    """Per team, the units sold on the round's last days by searched offer (market ->
    product -> the last 7 days, oldest first), offers that sold nothing left out."""
    out: list[dict[str, dict[str, list[int]]]] = [{} for _ in book.team_ids]
    search = book.search
    if search is None:
        return out
    for (m, p), page in sorted(search.pages.items()):
        code, pid = book.mcodes[m], book.pids[p]
        rings = page.ring.T.astype(np.int64)
        keep = np.flatnonzero(rings.sum(axis=1) > 0)
        for j, ring in zip(keep.tolist(), rings[keep].tolist(), strict=True):
            out[int(page.idx[j])].setdefault(code, {})[pid] = ring
    return out


def _team_pages(search: SearchRound, t: int) -> Iterator[tuple[int, int, Any, int]]:
    """The searched pages (in market, product order) where team ``t`` has an offer:
    ``(market index, product index, page, the team's column on the page)``."""
    for (m, p), page in sorted(search.pages.items()):
        j = int(np.searchsorted(page.idx, t))
        if j < page.idx.size and page.idx[j] == t:
            yield m, p, page, j


def _search_rows(book: RoundBook, t: int) -> list[dict[str, Any]]:
    """One team's search funnel (see :attr:`TeamRoundResult.search`)."""
    search = book.search
    if search is None:
        return []
    rows = []
    for m, p, page, j in _team_pages(search, t):
        cols = page.acc[:, :, j].T.tolist()
        for k, term in enumerate(page.term_ids):
            if not page.eligible[k, j]:
                continue
            v = dict(zip(STATS, cols[k], strict=True))
            searches = int(search.searches[m, p, k])
            rows.append(
                {
                    "market": book.mcodes[m],
                    "product": book.pids[p],
                    "term": term,
                    "impressions": int(v["impressions"]),
                    "clicks": int(v["clicks"]),
                    "orders": int(v["orders"]),
                    "ad_impressions": int(v["ad_impressions"]),
                    "ad_clicks": int(v["ad_clicks"]),
                    "ad_orders": int(v["ad_orders"]),
                    "ad_spend_local": round(v["ad_spend_local"], 2),
                    "ad_spend_cny": round(v["ad_spend_cny"], 2),
                    "ad_sales_local": round(v["ad_sales_local"], 2),
                    "ad_sales_cny": round(v["ad_sales_cny"], 2),
                    "avg_cpc_local": (
                        round(v["ad_spend_local"] / v["ad_clicks"], 2) if v["ad_clicks"] else None
                    ),
                    "avg_organic_position": (
                        round(v["position_sum"] / v["organic_impressions"], 2)
                        if v["organic_impressions"]
                        else None
                    ),
                    "top_of_search_share": round(v["top"] / searches, 4) if searches else 0.0,
                }
            )
    rows.sort(key=lambda r: (r["market"], r["product"], r["term"]))
    return rows


def _listing_means(book: RoundBook) -> list[float | None]:
    """Per team: the mean listing score (0..100) of its listed offers of searched products
    this round (the default page's score where it wrote no listing); None without any."""
    teams = book.sold.shape[2]
    if book.search is None:
        return [None] * teams
    total = np.zeros(teams)
    count = np.zeros(teams)
    for page in book.search.pages.values():
        scores = np.fromiter((s.score for s in page.scores), float, len(page.scores))
        total += np.bincount(page.idx, weights=scores, minlength=teams)
        count += np.bincount(page.idx, minlength=teams)
    return [float(total[t] / count[t]) if count[t] else None for t in range(teams)]


def _listing_cumulative(cum: dict[str, float], mean: float | None) -> dict[str, float]:
    """The running sum of a team's per-round mean listing scores and the number of rounds
    it had listings in (the scorecard's ``listing_quality`` is their ratio); absent until a
    round has listings, so states of games without search do not change."""
    if mean is None and "listing_rounds" not in cum:
        return {}
    return {
        "listing_score_sum": round(cum.get("listing_score_sum", 0.0) + (mean or 0.0), 4),
        "listing_rounds": cum.get("listing_rounds", 0.0) + (1.0 if mean is not None else 0.0),
    }


def _listing_rows(book: RoundBook, t: int) -> list[dict[str, Any]]:
    """One team's listing scores, per listed offer of a searched product."""
    search = book.search
    if search is None:
        return []
    rows = []
    for m, p, page, j in _team_pages(search, t):
        score = page.scores[j]
        rows.append(
            {
                "market": book.mcodes[m],
                "product": book.pids[p],
                "score": score.score,
                "relevance": dict(sorted(score.relevance.items())),
                "reasons": [dict(r) for r in score.reasons],
            }
        )
    rows.sort(key=lambda r: (r["market"], r["product"]))
    return rows
