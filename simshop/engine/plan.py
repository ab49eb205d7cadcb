"""The plan of a decision sheet before it is played: unit economics, arrivals, cash, warnings.

A pure function of (scenario's round conditions, the team's state, a sheet, last round's
sales). Every number comes from the functions the simulation itself charges with
(:mod:`simshop.engine.logistics`, :mod:`simshop.engine.accounting`), so the plan shows what
the round will charge and deliver:

- **landed cost** per unit (CNY) = unit cost + freight + duty; the unit cost of a product
  with suppliers is the stock's average cost the round will compute
  (:func:`stock_cost_estimate`), also its customs value. Stock: by the lane the sheet
  ships that offer's stock by this round (the largest shipment; else the lane of the stock
  last sent on its way; else the market's first open stock lane, sea before rail before air),
  duty at this round's tariff stack on the market's customs value. Parcels: parcel freight
  and the parcel duty at the offer's price.
- **fees** per unit (CNY) at the offer's price and today's rate (day 1 of the round):
  platform commission, the VAT inside the price where the seller remits it, warehouse
  fulfilment (not for parcels).
- **contribution margin** per unit = price in CNY − fees − landed cost; the **break-even
  price** (local) is the price whose margin is 0 (for parcels the duty depends on the price:
  solved by fixed-point iteration).
- **shipments**: the round and day each lands (:func:`logistics.arrival`) and the selling
  days it leaves in this round.
- **cash**: the start-of-round spending lines of :func:`logistics.upfront_spend_items` (the
  cash rule's own sum), cash, new borrowing, the credit left.
- **warnings** (codes): ``stock_short`` (less stock this round than last round's sales),
  ``no_stock`` (listed, nothing in stock and nothing arriving this round),
  ``lands_after_round`` (a shipment lands in a later round), ``below_break_even``,
  ``insufficient_cash``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simshop.engine.accounting import commission_cny, vat_in_price_cny
from simshop.engine.conditions import MarketConditions, RoundConditions
from simshop.engine.logistics import (
    SPENDING_LINES,
    arrival,
    chosen_supplier,
    customs_value_cny,
    freight_cny_per_unit,
    landing_duty_cny,
    parcel_duty_cny,
    selling_days_left,
    upfront_spend_cny,
    upfront_spend_items,
)
from simshop.engine.scenario import Product, Scenario
from simshop.engine.sheet import DecisionSheet, Offer
from simshop.engine.state import TeamState

STOCK_LANES = ("sea", "rail", "air")
_BREAK_EVEN_STEPS = 30


@dataclass(frozen=True)
class OfferPlan:
    """One listed offer's unit economics (CNY unless named ``_local``)."""

    market: str
    product: str
    channel: str
    mode: str
    """The lane the landed cost is computed for (``parcel`` for direct parcels)."""
    currency: str
    price_local: float
    fx_cny_per_local: float
    unit_cost_cny: float
    freight_cny: float
    duty_cny: float
    landed_cny: float
    price_cny: float
    commission_cny: float
    vat_cny: float
    fulfilment_cny: float
    fees_cny: float
    margin_cny: float
    margin_local: float
    margin_rate: float
    """Margin / price in CNY (0 for a zero price)."""
    break_even_local: float | None
    """None when no price covers the costs (fees take the whole price)."""
    stock_units: int
    """Units this offer can sell this round: stock in the warehouse plus everything landing
    this round (parcels: China stock after this round's order and shipments)."""
    last_units_sold: int | None


@dataclass(frozen=True)
class ShipmentPlan:
    market: str
    product: str
    mode: str
    quantity: int
    lead_days: int
    arrive_round: int
    arrive_day: int
    selling_days: int
    freight_cny: float


@dataclass(frozen=True)
class CashPlan:
    """Start-of-round cash (CNY): ``lines`` per :data:`logistics.SPENDING_LINES`."""

    cash_cny: float
    debt_cny: float
    borrow_cny: float
    credit_left_cny: float
    lines: dict[str, float]
    total_cny: float
    cash_after_cny: float
    """Cash + new borrowing − spending: below 0 means the sheet cannot be saved."""


@dataclass(frozen=True)
class PlanWarning:
    code: str
    market: str | None = None
    product: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoundPlan:
    round_no: int
    days: int
    offers: list[OfferPlan]
    shipments: list[ShipmentPlan]
    cash: CashPlan
    warnings: list[PlanWarning]

    def to_dict(self) -> dict[str, Any]:
        return {
            "round_no": self.round_no,
            "days": self.days,
            "offers": [vars(o) for o in self.offers],
            "shipments": [vars(s) for s in self.shipments],
            "cash": vars(self.cash),
            "warnings": [vars(w) for w in self.warnings],
        }


def stock_unit_costs(
    product: Product, mc: MarketConditions, mode: str
) -> tuple[float, float] | None:
    """(freight, duty) of one unit shipped to ``mc`` by ``mode`` (CNY): what the round
    charges when it ships (freight) and when it lands (duty at this round's stack on the
    market's customs value). None when the market has no such lane."""
    lane = mc.lane(mode)
    if lane is None:
        return None
    value = customs_value_cny(product, lane, mc.customs_basis)
    duty = landing_duty_cny(1, value, mc.tariff_rate(product.category))
    return freight_cny_per_unit(product, lane), duty


def selling_fees_cny(
    mc: MarketConditions, channel: str, price_cny: float
) -> tuple[float, float, float]:
    """(commission, VAT, fulfilment) on one unit sold at ``price_cny`` (CNY)."""
    vat = vat_in_price_cny(mc.vat_rate, price_cny) if mc.vat_seller_remits else 0.0
    fulfilment = mc.fulfilment_cny_per_unit if channel == "warehouse" else 0.0
    return commission_cny(mc.platform_fee, price_cny), vat, fulfilment


def _kept_share(mc: MarketConditions) -> float:
    """Share of the price (CNY) left after commission and VAT."""
    vat_share = mc.vat_rate / (1.0 + mc.vat_rate) if mc.vat_seller_remits else 0.0
    return 1.0 - mc.platform_fee - vat_share


def _lane_for(
    code: str, pid: str, mc: MarketConditions, team: TeamState, sheet: DecisionSheet
) -> str | None:
    shipped = [s for s in sheet.shipments if (s.market, s.product) == (code, pid)]
    if shipped:
        return max(shipped, key=lambda s: s.quantity).mode
    on_way = [s for s in team.in_transit if (s.market, s.product) == (code, pid)]
    if on_way:
        return on_way[-1].mode
    return next(
        (m for m in STOCK_LANES if m in mc.lanes and m not in mc.closed_channels),
        None,
    )


def _stock_this_round(
    code: str,
    pid: str,
    channel: str,
    team: TeamState,
    sheet: DecisionSheet,
    arrivals: list[tuple[str, str, int]],
) -> int:
    if channel == "parcel":
        shipped = sum(s.quantity for s in sheet.shipments if s.product == pid)
        return max(0, team.china_stock.get(pid, 0) + sheet.factory_orders.get(pid, 0) - shipped)
    stock = team.warehouse_stock.get(code, {}).get(pid, 0)
    return stock + sum(q for m, p, q in arrivals if (m, p) == (code, pid))


def stock_cost_estimate(
    product: Product, team: TeamState, sheet: DecisionSheet, cond: RoundConditions
) -> float:
    """The unit cost (CNY) the round will give the team's stock of ``product``: its
    ``unit_cost_cny``, or for a product with suppliers the weighted average the round computes
    (:func:`simshop.engine.sourcing.settle_profiles`) over the units held at the start (at
    their cost) and the batches reaching China this round: those ordered earlier and this
    sheet's order when its supplier delivers within the round. It is also what customs is
    told the goods cost (:func:`simshop.engine.sourcing.declare_customs_values`). A team with
    no such stock gets the price of the sheet's order, else the product's ``unit_cost_cny``."""
    if not product.suppliers:
        return product.unit_cost_cny
    pid = product.id
    held = team.china_stock.get(pid, 0) + sum(
        by_product.get(pid, 0) for by_product in team.warehouse_stock.values()
    )
    held += sum(s.quantity for s in team.in_transit if s.product == pid)
    units, value = float(held), held * team.stock_cost_cny.get(pid, product.unit_cost_cny)
    for batch in team.in_production:
        if batch.product == pid and batch.arrive_round == cond.round_no:
            units += batch.quantity
            value += batch.quantity * batch.unit_cost_cny
    quantity = sheet.factory_orders.get(pid, 0)
    supplier = chosen_supplier(product, sheet) if quantity > 0 else None
    if supplier is not None and arrival(cond.round_no, cond.days, supplier.lead_days)[0] == (
        cond.round_no
    ):
        units += quantity
        value += quantity * supplier.unit_cost_cny(quantity)
    if units > 0:
        return value / units
    return supplier.unit_cost_cny(quantity) if supplier is not None else product.unit_cost_cny


def _offer_plan(
    mc: MarketConditions,
    code: str,
    product: Product,
    offer: Offer,
    mode: str,
    stock: int,
    last_sold: int | None,
) -> OfferPlan:
    """One offer's plan; ``product`` carries the unit cost its stock will have this round."""
    pid = product.id
    fx = mc.fx_cny_per_local[0]
    price_cny = offer.price_local * fx
    if offer.channel == "parcel":
        lane = mc.lane("parcel")
        freight = freight_cny_per_unit(product, lane) if lane else 0.0
        duty = parcel_duty_cny(product, mc, offer.price_local, fx)
    else:
        costs = stock_unit_costs(product, mc, mode)
        freight, duty = costs if costs is not None else (0.0, 0.0)
    landed = product.unit_cost_cny + freight + duty
    commission, vat, fulfilment = selling_fees_cny(mc, offer.channel, price_cny)
    fees = commission + vat + fulfilment
    margin = price_cny - fees - landed
    return OfferPlan(
        market=code,
        product=pid,
        channel=offer.channel,
        mode=mode,
        currency=mc.currency,
        price_local=offer.price_local,
        fx_cny_per_local=fx,
        unit_cost_cny=product.unit_cost_cny,
        freight_cny=freight,
        duty_cny=duty,
        landed_cny=landed,
        price_cny=price_cny,
        commission_cny=commission,
        vat_cny=vat,
        fulfilment_cny=fulfilment,
        fees_cny=fees,
        margin_cny=margin,
        margin_local=margin / fx,
        margin_rate=margin / price_cny if price_cny > 0 else 0.0,
        break_even_local=_break_even_local(
            product, mc, offer.channel, product.unit_cost_cny + freight, duty, fulfilment
        ),
        stock_units=stock,
        last_units_sold=last_sold,
    )


def _break_even_local(
    product: Product,
    mc: MarketConditions,
    channel: str,
    before_duty_cny: float,
    duty_cny: float,
    fulfilment_cny: float,
) -> float | None:
    """The local price whose margin is 0: (landed + fulfilment) / (fx x kept share). A
    parcel's duty depends on its price: iterate to the fixed point."""
    keep, fx = _kept_share(mc), mc.fx_cny_per_local[0]
    if keep <= 0:
        return None
    price = (before_duty_cny + duty_cny + fulfilment_cny) / (fx * keep)
    if channel == "parcel":
        for _ in range(_BREAK_EVEN_STEPS):
            duty = parcel_duty_cny(product, mc, price, fx)
            price = (before_duty_cny + duty + fulfilment_cny) / (fx * keep)
    return price


def _listed(
    scenario: Scenario, team: TeamState, sheet: DecisionSheet
) -> list[tuple[str, str, Offer]]:
    """Offers the round will list: in markets the team is in after its entries and exits,
    in scenario order."""
    markets = (set(team.entered_markets) | set(sheet.enter_markets)) - set(sheet.leave_markets)
    out: list[tuple[str, str, Offer]] = []
    for m in scenario.markets:
        if m.code not in markets:
            continue
        for p in scenario.products:
            offer = sheet.offers.get(m.code, {}).get(p.id)
            if offer is not None and offer.listed and offer.price_local > 0:
                out.append((m.code, p.id, offer))
    return out


def _shipment_plans(
    scenario: Scenario, cond: RoundConditions, sheet: DecisionSheet
) -> list[ShipmentPlan]:
    plans = []
    for s in sheet.shipments:
        mc = cond.markets.get(s.market)
        lane = mc.lane(s.mode) if mc is not None else None
        if lane is None or s.quantity <= 0:
            continue
        arrive_round, arrive_day = arrival(cond.round_no, cond.days, lane.lead_days)
        plans.append(
            ShipmentPlan(
                market=s.market,
                product=s.product,
                mode=s.mode,
                quantity=s.quantity,
                lead_days=lane.lead_days,
                arrive_round=arrive_round,
                arrive_day=arrive_day,
                selling_days=selling_days_left(arrive_round, arrive_day, cond.round_no, cond.days),
                freight_cny=freight_cny_per_unit(scenario.product(s.product), lane) * s.quantity,
            )
        )
    return plans


def _cash_plan(
    scenario: Scenario, cond: RoundConditions, team: TeamState, sheet: DecisionSheet
) -> CashPlan:
    lines = dict.fromkeys(SPENDING_LINES, 0.0)
    for line, amount in upfront_spend_items(scenario, cond, sheet, team):
        lines[line] = lines.get(line, 0.0) + amount
    total = upfront_spend_cny(scenario, cond, team, sheet)
    borrow = max(sheet.borrow_cny, 0.0)
    return CashPlan(
        cash_cny=team.cash_cny,
        debt_cny=team.debt_cny,
        borrow_cny=borrow,
        credit_left_cny=max(0.0, scenario.economy.credit_line_cny - team.debt_cny - borrow),
        lines=lines,
        total_cny=total,
        cash_after_cny=team.cash_cny + borrow - total,
    )


def plan_round(
    scenario: Scenario,
    cond: RoundConditions,
    team: TeamState,
    sheet: DecisionSheet,
    last_sales: Mapping[tuple[str, str], int] | None = None,
) -> RoundPlan:
    """The plan of ``sheet`` for round ``cond.round_no`` from the team's state at its start.
    ``last_sales``: units sold last round per (market, product); unknown pairs have none.
    Unknown markets, products or lanes in the sheet are left out (validation reports them)."""
    last_sales = last_sales or {}
    known_p = {p.id for p in scenario.products}
    sheet = sheet.model_copy(
        update={
            "shipments": [
                s for s in sheet.shipments if s.market in cond.markets and s.product in known_p
            ]
        }
    )
    shipments = _shipment_plans(scenario, cond, sheet)
    arriving = [
        (s.market, s.product, s.quantity)
        for s in team.in_transit
        if s.arrive_round == cond.round_no
    ] + [(s.market, s.product, s.quantity) for s in shipments if s.arrive_round == cond.round_no]
    offers: list[OfferPlan] = []
    warnings: list[PlanWarning] = []
    for code, pid, offer in _listed(scenario, team, sheet):
        mc = cond.markets[code]
        mode = "parcel" if offer.channel == "parcel" else _lane_for(code, pid, mc, team, sheet)
        if mode is None or (mode == "parcel" and mc.lane("parcel") is None):
            continue
        stock = _stock_this_round(code, pid, offer.channel, team, sheet, arriving)
        product = scenario.product(pid)
        cost = stock_cost_estimate(product, team, sheet, cond)
        if cost != product.unit_cost_cny:
            product = product.model_copy(update={"unit_cost_cny": cost})
        plan = _offer_plan(mc, code, product, offer, mode, stock, last_sales.get((code, pid)))
        offers.append(plan)
        warnings.extend(_offer_warnings(plan))
    for s in shipments:
        if s.arrive_round > cond.round_no:
            warnings.append(
                PlanWarning(
                    "lands_after_round",
                    s.market,
                    s.product,
                    {"mode": s.mode, "round": s.arrive_round, "day": s.arrive_day},
                )
            )
    cash = _cash_plan(scenario, cond, team, sheet)
    if cash.cash_after_cny < -0.005:
        warnings.append(
            PlanWarning("insufficient_cash", params={"short": round(-cash.cash_after_cny, 2)})
        )
    return RoundPlan(cond.round_no, cond.days, offers, shipments, cash, warnings)


def _offer_warnings(plan: OfferPlan) -> list[PlanWarning]:
    out = []
    where = (plan.market, plan.product)
    if plan.stock_units == 0:
        out.append(PlanWarning("no_stock", *where))
    elif plan.last_units_sold is not None and plan.stock_units < plan.last_units_sold:
        out.append(
            PlanWarning(
                "stock_short",
                *where,
                params={"stock": plan.stock_units, "sold": plan.last_units_sold},
            )
        )
    if plan.break_even_local is not None and plan.price_local < plan.break_even_local:
        out.append(
            PlanWarning(
                "below_break_even",
                *where,
                params={"break_even": round(plan.break_even_local, 2)},
            )
        )
    return out
