"""Freight, duty, landed cost and arrival timing. All money in CNY unless named ``_local``.

Stock shipments (sea/rail/air) leave the China warehouse at the start of a round (time 0)
and land at time ``lead_days`` (disruptions included), possibly in a later round. Freight is
paid when shipped; duty is paid on arrival at the arrival round's tariff rate on the customs
value: unit cost on a "FOB" market (the US: 19 U.S.C. 1401a(b)(4)(A)), unit cost + freight
per unit on a "CIF" market (EU, UK, Japan, Russia, Mexico, the Gulf). Direct parcels pay
freight per unit sold and parcel duty (see :func:`parcel_duty_cny`).
"""

from __future__ import annotations

from simshop.engine.conditions import LaneConditions, MarketConditions, RoundConditions
from simshop.engine.scenario import Product, Scenario, Supplier
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import TeamState


def freight_cny_per_unit(product: Product, lane: LaneConditions) -> float:
    """Freight for one unit on a lane: weight (kg) x rate (CNY/kg, disruption included)."""
    return product.weight_kg * lane.cost_cny_per_kg


def customs_value_cny(
    product: Product,
    lane: LaneConditions | None,
    basis: str = "CIF",
    unit_cost_cny: float | None = None,
) -> float:
    """Customs value of one unit (CNY): the price paid for the goods on a "FOB" basis, plus
    the international freight per unit on a "CIF" basis. The price paid is
    ``unit_cost_cny`` when given (goods bought from a supplier: the stock's cost, see
    :func:`simshop.engine.sourcing.declare_customs_values`), else the product's
    ``unit_cost_cny``."""
    price = product.unit_cost_cny if unit_cost_cny is None else unit_cost_cny
    if basis == "FOB" or lane is None:
        return price
    return price + freight_cny_per_unit(product, lane)


def duty_cny_per_unit(product: Product, market: MarketConditions, customs_value: float) -> float:
    """Import duty on one unit: the category's tariff stack times the customs value (CNY)."""
    return market.tariff_rate(product.category) * customs_value


def landed_cost_cny(product: Product, market: MarketConditions, mode: str) -> float:
    """Unit cost + freight + duty of one unit brought into a market's warehouse by ``mode``
    (CNY, before fulfilment, storage and selling fees)."""
    lane = market.lane(mode)
    if lane is None:
        raise ValueError(f"market {market.code} has no {mode} lane")
    value = customs_value_cny(product, lane, market.customs_basis)
    return (
        freight_cny_per_unit(product, lane)
        + product.unit_cost_cny
        + duty_cny_per_unit(product, market, value)
    )


def parcel_customs_value_local(
    product: Product, market: MarketConditions, price_local: float, fx_cny_per_local: float
) -> float:
    """The value customs puts on one direct parcel (local currency): the price net of VAT
    where shelf prices include it, plus the parcel freight on a CIF market. De minimis
    thresholds and parcel duty rates apply to this value."""
    value = price_local / (1.0 + market.vat_rate) if market.vat_seller_remits else price_local
    lane = market.lane("parcel")
    if market.customs_basis == "CIF" and lane is not None:
        value += freight_cny_per_unit(product, lane) / fx_cny_per_local
    return value


def parcel_duty_cny(
    product: Product, market: MarketConditions, price_local: float, fx_cny_per_local: float
) -> float:
    """Duty on one direct parcel (CNY). Customs value ``v`` from
    :func:`parcel_customs_value_local`. At or below a flat per-category duty's value limit:
    that duty per item. At or below a positive de-minimis threshold: none.
    Else, if the market has parcel rules (rate or per-item duty): ``rate * v + per_item``
    (local, converted at ``fx``). Else the tariff stack on the customs value (unit cost, plus
    parcel freight on a CIF market)."""
    value_local = parcel_customs_value_local(product, market, price_local, fx_cny_per_local)
    if market.parcel_category_duty_local > 0 and value_local <= market.parcel_category_max_local:
        return market.parcel_category_duty_local * fx_cny_per_local
    if market.de_minimis_local > 0 and value_local <= market.de_minimis_local:
        return 0.0
    if market.parcel_duty_rate > 0 or market.parcel_duty_per_item_local > 0:
        local = market.parcel_duty_rate * value_local + market.parcel_duty_per_item_local
        return local * fx_cny_per_local
    value = customs_value_cny(product, market.lane("parcel"), market.customs_basis)
    return duty_cny_per_unit(product, market, value)


def landing_duty_cny(quantity: float, customs_value_cny_per_unit: float, rate: float) -> float:
    """Duty on a shipment landing (CNY): quantity x customs value per unit x the tariff stack
    of the category in the arrival round (the factors multiplied in this order)."""
    return quantity * customs_value_cny_per_unit * rate


def selling_days_left(arrive_round: int, arrive_day: int, round_no: int, days: int) -> int:
    """Days of ``round_no`` on which stock landing on (``arrive_round``, ``arrive_day``) can
    be sold: arrivals are stocked before that day's trading, so a landing on day ``d`` sells
    on days ``d..days``; none if it lands in a later round."""
    if arrive_round > round_no:
        return 0
    if arrive_round < round_no:
        return days
    return days - arrive_day + 1


def arrival(round_no: int, days_per_round: int, lead_days: int) -> tuple[int, int]:
    """(round, day) on which a shipment sent at the start of ``round_no`` lands.

    Day ``d`` of a round is time ``d`` in that round's environment; a lead time of
    ``days_per_round`` lands on the last day, one day more on day 1 of the next round."""
    absolute = (round_no - 1) * days_per_round + lead_days
    arrive_round = (absolute - 1) // days_per_round + 1
    return arrive_round, absolute - (arrive_round - 1) * days_per_round


def chosen_supplier(product: Product, sheet: DecisionSheet) -> Supplier:
    """The supplier a sheet's factory order of ``product`` goes to (the product has
    suppliers): the sheet's choice, else the product's first."""
    wanted = sheet.suppliers.get(product.id)
    supplier = product.supplier(wanted) if wanted is not None else None
    return supplier if supplier is not None else product.suppliers[0]


def order_terms(supplier: Supplier, quantity: int) -> tuple[float, float, float]:
    """(unit cost, deposit, balance) of a factory order, CNY; deposit and balance to the fen."""
    unit = supplier.unit_cost_cny(quantity)
    value = quantity * unit
    deposit = round(value * supplier.deposit_share, 2)
    return unit, deposit, round(value - deposit, 2)


def factory_order_cny(product: Product, sheet: DecisionSheet, quantity: int) -> float:
    """What a factory order costs at the start of the round: the units at ``unit_cost_cny``,
    or, for a product with suppliers, the chosen supplier's deposit."""
    if quantity <= 0:
        return 0.0
    if not product.suppliers:
        return product.unit_cost_cny * quantity
    return order_terms(chosen_supplier(product, sheet), quantity)[1]


SPENDING_LINES = (
    "entry_fees_cny",
    "factory_orders_cny",
    "freight_cny",
    "advertising_cny",
    "search_ads_cny",
    "listing_content_cny",
    "quality_investment_cny",
    "repayment_cny",
)
"""The lines of a sheet's start-of-round spending, in the order they are added up."""


def search_budget_cny(scenario: Scenario, cond: RoundConditions, sheet: DecisionSheet) -> float:
    """The most a sheet's sponsored campaigns can spend this round (CNY): every daily budget
    (term campaigns and automatic ones) x the round's days, at the round's highest rate."""
    total = 0.0
    for code, offers in sheet.offers.items():
        budgets = 0.0
        for offer in offers.values():
            if offer.campaigns:
                budgets += sum(c.daily_budget_local for c in offer.campaigns.values())
            if offer.auto_campaign is not None:
                budgets += offer.auto_campaign.daily_budget_local
        if budgets > 0 and code in cond.markets:
            total += budgets * cond.days * float(max(cond.markets[code].fx_cny_per_local))
    return total


def listing_content_cny(scenario: Scenario, sheet: DecisionSheet, team: TeamState | None) -> float:
    """Enhanced content switched on for offers that have not paid for it yet (CNY)."""
    paid = set() if team is None else {(m, p) for m, p in team.enhanced_content}
    total = 0.0
    for code, offers in sheet.offers.items():
        for pid, offer in offers.items():
            listing = offer.listing
            if listing is not None and listing.enhanced and (code, pid) not in paid:
                total += scenario.market(code).search.enhanced_content_cny
    return total


def upfront_spend_items(
    scenario: Scenario,
    cond: RoundConditions,
    sheet: DecisionSheet,
    team: TeamState | None = None,
) -> list[tuple[str, float]]:
    """A sheet's start-of-round spending as (line, CNY) items in the order
    :func:`upfront_spend_cny` adds them: entry fees, factory orders, the freight of each
    shipment (one item per shipment on an existing lane), advertising, the sponsored
    campaigns' budgets (:func:`search_budget_cny`), enhanced listing content not yet paid by
    ``team`` (:func:`listing_content_cny`), quality investment and repayment; then sample
    orders and studies (``samples_cny``, ``research_cny``) when the sheet has any. Lines are
    :data:`SPENDING_LINES`; a factory order of a product with suppliers counts its deposit
    only (the balance is paid on delivery)."""
    items = [
        (
            "entry_fees_cny",
            sum(scenario.market(code).entry_fee_cny for code in sheet.enter_markets),
        ),
        (
            "factory_orders_cny",
            sum(
                factory_order_cny(scenario.product(pid), sheet, q)
                for pid, q in sheet.factory_orders.items()
            ),
        ),
    ]
    for ship in sheet.shipments:
        lane = cond.markets[ship.market].lane(ship.mode)
        if lane is not None:
            items.append(
                (
                    "freight_cny",
                    freight_cny_per_unit(scenario.product(ship.product), lane) * ship.quantity,
                )
            )
    items.append(
        (
            "advertising_cny",
            sum(o.ad_budget_cny for offers in sheet.offers.values() for o in offers.values()),
        )
    )
    items.append(("search_ads_cny", search_budget_cny(scenario, cond, sheet)))
    items.append(("listing_content_cny", listing_content_cny(scenario, sheet, team)))
    items.append(("quality_investment_cny", sum(sheet.quality_investment_cny.values())))
    items.append(("repayment_cny", max(0.0, -sheet.borrow_cny)))
    items += _optional_spend_items(scenario, sheet)
    return items


def _optional_spend_items(scenario: Scenario, sheet: DecisionSheet) -> list[tuple[str, float]]:
    """The certificates, samples and research items, each only when the sheet has any."""
    items: list[tuple[str, float]] = []
    if sheet.certificates:
        # compliance certificates (an item only when some are bought)
        rules = {r.id: r for r in scenario.requirements()}
        items.append(
            (
                "certificates_cny",
                sum(rules[rid].cost_cny for rid in sheet.certificates if rid in rules),
            )
        )
    if sheet.samples:
        items.append(
            (
                "samples_cny",
                sum(
                    supplier.sample_cost_cny
                    for s in sheet.samples
                    if (supplier := scenario.product(s.product).supplier(s.supplier)) is not None
                ),
            )
        )
    if sheet.research:
        items.append(("research_cny", sum(s.budget_cny for s in sheet.research)))
    return items


def upfront_spend_cny(
    scenario: Scenario, cond: RoundConditions, team: TeamState, sheet: DecisionSheet
) -> float:
    """Cash a sheet spends at the start of the round: entry fees, factory orders, freight of
    shipments, advertising, search campaign budgets, listing content, quality investment
    and repayment (CNY); the sum of
    :func:`upfront_spend_items`, added in their order."""
    total = 0.0
    for _line, amount in upfront_spend_items(scenario, cond, sheet, team):
        total += amount
    return total
