"""Suppliers inside a round: factory orders, batches in production, the cost, quality and
defect rate of a team's stock, and sample orders.

A factory order for a product with suppliers goes to the sheet's chosen supplier (or the
product's first). It costs the unit cost of the highest tier the quantity reaches; the
supplier's ``deposit_share`` of it is paid when ordering (start of the round), the balance
when the batch reaches the China warehouse ``lead_days`` later: at once with no lead time,
else on a later day (a SimPy process in :mod:`simshop.engine.market`), or in a later round
(the batch waits in ``TeamState.in_production``). Stock that reaches China during a round
can be sold by direct parcel from that day; shipments leave China at the start of a round,
so it is shipped from the next round on.

The stock of a product is valued by the periodic weighted average (IAS 2.25): at the start of
each round the units held (China, overseas, in transit) and the round's deliveries are
averaged into one unit cost (the cost of goods sold this round) and one supplier mix, whose
true quality and defect rate (:func:`simshop.engine.catalogue.supplier_truth`) set the quality
of the team's offers (``quality + (stock quality - base quality)``) and its defects (returned
on top of ordinary returns; each point of defect rate lowers the rating buyers give by 4
points of a star: 5 % defects cost 0.2 stars).

Goods bought from a supplier are declared to customs at the price paid for them: the
round's average cost of the stock they are shipped from (the transaction value of the WTO
Customs Valuation Agreement, Art. 1; see :func:`declare_customs_values`).
"""

from __future__ import annotations

import numpy as np

from simshop.engine.book import RoundBook
from simshop.engine.catalogue import supplier_truth
from simshop.engine.logistics import arrival, chosen_supplier, customs_value_cny, order_terms
from simshop.engine.scenario import Product
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import InProduction

__all__ = ["DEFECT_RATING_PENALTY", "chosen_supplier", "order_terms"]

DEFECT_RATING_PENALTY = 4.0
"""Stars the rating target loses per unit of defect rate (0.05 defects -> -0.2 stars)."""


def carry_in(book: RoundBook) -> None:
    """Batches ordered in earlier rounds: due this round go to the day they arrive, the rest
    wait; and the units each team holds at the start (for the average cost)."""
    round_no = book.cond.round_no
    held = book.china + book.wh.sum(axis=0)
    for t, team in enumerate(book.teams):
        for s in team.in_transit:
            held[book.p_index[s.product], t] += s.quantity
        for batch in team.in_production:
            if batch.arrive_round == round_no:
                book.deliveries.setdefault(batch.arrive_day, []).append((t, batch))
            else:
                book.production_next[t].append(batch)
    book.held_start = held


def order(book: RoundBook, t: int, product: Product, sheet: DecisionSheet, quantity: int) -> None:
    """A factory order of a product with suppliers: deposit now, the batch on its way."""
    if quantity <= 0:
        return
    cond = book.cond
    supplier = chosen_supplier(product, sheet)
    unit, deposit, balance = order_terms(supplier, quantity)
    book.deposits[t] += deposit
    if supplier.lead_days <= 0:
        batch = InProduction(
            product.id, supplier.id, quantity, cond.round_no, cond.round_no, 0, unit, balance
        )
        book.china[book.p_index[product.id], t] += quantity
        book.balances[t] += balance
        book.deliveries.setdefault(0, []).append((t, batch))
        return
    arrive_round, arrive_day = arrival(cond.round_no, cond.days, supplier.lead_days)
    batch = InProduction(
        product.id, supplier.id, quantity, cond.round_no, arrive_round, arrive_day, unit, balance
    )
    if arrive_round == cond.round_no:
        book.deliveries.setdefault(arrive_day, []).append((t, batch))
    else:
        book.production_next[t].append(batch)


def deliver(book: RoundBook, day: int, batch: list[tuple[int, InProduction]]) -> None:
    """Batches reaching China on ``day``: stock in, balance paid, the team told."""
    for t, b in batch:
        book.china[book.p_index[b.product], t] += b.quantity
        book.balances[t] += b.balance_cny
        book.messages[t].append(
            {
                "day": day,
                "kind": "production_arrived",
                "team": book.team_ids[t],
                "product": b.product,
                "supplier": b.supplier,
                "quantity": b.quantity,
                "balance_cny": b.balance_cny,
            }
        )


def samples(book: RoundBook, t: int, sheet: DecisionSheet) -> None:
    """Sample orders: their cost, and the supplier's truth for this team's results."""
    for s in sheet.samples:
        supplier = book.scenario.product(s.product).supplier(s.supplier)
        if supplier is None:
            continue
        quality, defects = supplier_truth(book.scenario, s.product, s.supplier)
        book.lines["samples_cny"][t] += supplier.sample_cost_cny
        book.samples[t].append(
            {
                "product": s.product,
                "supplier": s.supplier,
                "cost_cny": supplier.sample_cost_cny,
                "quality": round(quality, 4),
                "defect_rate": round(defects, 4),
            }
        )


def settle_profiles(book: RoundBook) -> None:
    """The round's average cost and supplier mix per (product, team) over the units held at
    the start and this round's deliveries; sets the offers' quality shift, the defect rate
    and the unit cost of goods sold."""
    sc = book.scenario
    T = len(book.team_ids)
    book.unit_cost = np.broadcast_to(book.unit_cost, (len(book.pids), T)).copy()
    delivered: dict[str, list[tuple[int, InProduction]]] = {}
    for batch in book.deliveries.values():
        for t, b in batch:
            delivered.setdefault(b.product, []).append((t, b))
    costed: dict[str, list[tuple[int, float, dict[str, float]]]] = {}
    for t, team in enumerate(book.teams):  # teams that hold priced stock (sparse)
        for pid, price in team.stock_cost_cny.items():
            costed.setdefault(pid, []).append((t, price, team.stock_mix.get(pid, {})))
    for p, product in enumerate(sc.products):
        if not product.suppliers:
            continue
        pid, index = product.id, {s.id: i for i, s in enumerate(product.suppliers)}
        cost = np.full(T, product.unit_cost_cny)
        mix = np.zeros((len(index), T))
        for t, value, shares in costed.get(pid, []):
            cost[t] = value
            for sid, share in shares.items():
                if sid in index:
                    mix[index[sid], t] = share
        units, value_in, units_by = np.zeros(T), np.zeros(T), np.zeros((len(index), T))
        for t, b in delivered.get(pid, []):
            units[t] += b.quantity
            value_in[t] += b.quantity * b.unit_cost_cny
            units_by[index[b.supplier], t] += b.quantity
        held = book.held_start[p].astype(float)
        total = held + units
        safe = np.maximum(total, 1.0)
        cost = np.where(total > 0, (cost * held + value_in) / safe, cost)
        mix = np.where(total > 0, (mix * held + units_by) / safe, mix)
        truth = np.array([supplier_truth(sc, pid, s.id) for s in product.suppliers])
        weight = mix.sum(axis=0)
        has = weight > 0
        norm = np.where(has, weight, 1.0)
        lot_quality = (mix * truth[:, 0:1]).sum(axis=0) / norm
        lot_defects = (mix * truth[:, 1:2]).sum(axis=0) / norm
        shifted = np.clip(book.quality[p] + lot_quality - product.base_quality, 0.0, 1.0)
        book.quality[p] = np.where(has, shifted, book.quality[p])
        book.defect[p] = np.where(has, lot_defects, 0.0)
        book.unit_cost[p] = cost
        ids = [s.id for s in product.suppliers]
        teams = np.flatnonzero(has).tolist()
        book.stock_cost[pid] = dict(zip(teams, np.round(cost[teams], 6).tolist(), strict=True))
        book.stock_mix[pid] = {
            t: {sid: round(v, 6) for sid, v in zip(ids, column, strict=True) if v > 0}
            for t, column in zip(teams, mix[:, teams].T.tolist(), strict=True)
        }
    declare_customs_values(book)


def declare_customs_values(book: RoundBook) -> None:
    """The customs value of this round's shipments of products with suppliers: the price
    paid for the goods, i.e. the stock's unit cost this round (:attr:`RoundBook.unit_cost`,
    the periodic weighted average of :func:`settle_profiles`), plus the freight per unit on
    a CIF market. Shipments of other products keep the product's ``unit_cost_cny``.

    Transaction value, WTO Agreement on Customs Valuation Art. 1: "the price actually paid or
    payable for the goods when sold for export to the country of importation"; a seller
    shipping its own stock to an overseas warehouse declares the price it paid its supplier
    (the sale for export). Called once the stock's cost is known (after the round's orders)."""
    cond, sc = book.cond, book.scenario
    shipped = [
        (t, s) for day in book.landing.values() for t, s in day if s.shipped_round == cond.round_no
    ]
    shipped += [
        (t, s)
        for t, batch in enumerate(book.transit_next)
        for s in batch
        if s.shipped_round == cond.round_no
    ]
    for t, s in shipped:
        p = book.p_index[s.product]
        product = sc.products[p]
        if not product.suppliers:
            continue
        mc = cond.markets[s.market]
        s.customs_value_cny_per_unit = customs_value_cny(
            product, mc.lane(s.mode), mc.customs_basis, book.stock_unit_cost(p, t)
        )


def next_stock(book: RoundBook, t: int) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """A team's ``stock_cost_cny`` and ``stock_mix`` for the next state."""
    if book.stock_by_team is None:  # invert once: product -> team into team -> product
        by_team: dict[int, tuple[dict[str, float], dict[str, dict[str, float]]]] = {}
        for pid, costs in book.stock_cost.items():
            for team, value in costs.items():
                by_team.setdefault(team, ({}, {}))[0][pid] = value
        for pid, mixes in book.stock_mix.items():
            for team, shares in mixes.items():
                by_team.setdefault(team, ({}, {}))[1][pid] = shares
        book.stock_by_team = by_team
    return book.stock_by_team.get(t, ({}, {}))
