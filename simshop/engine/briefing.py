"""The students' briefing: what a real seller could know at the start of a round.

A pure function of (scenario, round number): the markets as this round's conditions make them
(:func:`simshop.engine.conditions.conditions_for_round` — events in force are ones already
announced, since an event is announced no later than the round it takes effect) and the
news announced so far (:meth:`Scenario.announced_events`). Never a future event whose news is
not out yet.

Market size is shown either exactly (shoppers expected per product over the round at the
round's season, before events) or as an index (the market's size relative to the largest
market of the scenario = 100, rounded to a whole number), as the game's instructor chooses.
"""

from __future__ import annotations

from dataclasses import dataclass

from simshop.engine.catalogue import product_season
from simshop.engine.conditions import RoundConditions, conditions_for_round
from simshop.engine.demand import reference_price_local
from simshop.engine.scenario import EventBase, Market, Scenario


@dataclass(frozen=True)
class LaneBrief:
    mode: str
    lead_days: int
    cost_cny_per_kg: float
    disrupted: bool
    """True when a shipping disruption changes the lane this round."""


@dataclass(frozen=True)
class ProductBrief:
    product: str
    category: str
    reference_price_local: float
    """The product's price level in the market (local currency, VAT included where prices
    include it): a price of this is "priced like a typical listing"."""
    shoppers_per_round: float | None
    """Shoppers expected over the round (exact sizes only; None with the index)."""


@dataclass(frozen=True)
class MarketBrief:
    code: str
    currency: str
    fx_cny_per_local: float
    """Today's rate: CNY per local unit on day 1 of the round."""
    platform_fee: float
    vat_rate: float
    vat_seller_remits: bool
    tariffs: dict[str, float]
    """The tariff stack per product category (fraction of the customs value)."""
    customs_basis: str
    de_minimis_local: float
    parcel_duty_rate: float
    parcel_duty_per_item_local: float
    parcel_category_duty_local: float
    parcel_category_max_local: float
    lanes: list[LaneBrief]
    fulfilment_cny_per_unit: float
    storage_cny_per_unit_day: float
    entry_fee_cny: float
    warehouse_delivery_days: int
    size_index: int
    """Size relative to the scenario's largest market (= 100)."""
    size: float | None
    """The scenario's size figure (exact sizes only)."""
    seasonality: float
    """This round's season multiplier on shoppers (1 = an average month)."""
    min_price_local: float | None
    closed_channels: tuple[str, ...]
    products: list[ProductBrief]


@dataclass(frozen=True)
class Briefing:
    round_no: int
    month: int
    days_per_round: int
    rounds: int
    starting_cash_cny: float
    credit_line_cny: float
    interest_rate_per_round: float
    exact_sizes: bool
    markets: list[MarketBrief]
    announced: list[EventBase]
    """Events whose news is out by this round, newest news first."""


def briefing(scenario: Scenario, round_no: int, *, exact_sizes: bool = False) -> Briefing:
    """The briefing for the start of ``round_no`` (1-based; clamped to the scenario's
    rounds). ``exact_sizes``: show shoppers per round and the size figure, else only the
    size index."""
    round_no = min(max(round_no, 1), scenario.calendar.rounds)
    cond = conditions_for_round(scenario, round_no)
    largest = max(m.size for m in scenario.markets)
    return Briefing(
        round_no=round_no,
        month=cond.month,
        days_per_round=cond.days,
        rounds=scenario.calendar.rounds,
        starting_cash_cny=scenario.economy.starting_cash_cny,
        credit_line_cny=scenario.economy.credit_line_cny,
        interest_rate_per_round=scenario.economy.interest_rate_per_round,
        exact_sizes=exact_sizes,
        markets=[
            _market_brief(scenario, cond, market, largest, exact_sizes)
            for market in scenario.markets
        ],
        announced=scenario.announced_events(round_no),
    )


def _market_brief(
    scenario: Scenario, cond: RoundConditions, market: Market, largest: float, exact_sizes: bool
) -> MarketBrief:
    """One market's facts for the round (``largest``: the largest market's size, = 100)."""
    params = scenario.model
    mc = cond.markets[market.code]
    products = [
        ProductBrief(
            product=p.id,
            category=p.category,
            reference_price_local=reference_price_local(params, market, p),
            shoppers_per_round=(
                market.size
                * params.shoppers_per_size_day
                * p.public_demand_weight(market.code)  # a catalogue: its range's middle
                * mc.seasonality
                * product_season(p, cond.month)
                * cond.days
                if exact_sizes
                else None
            ),
        )
        for p in scenario.products
    ]
    return MarketBrief(
        code=market.code,
        currency=mc.currency,
        fx_cny_per_local=mc.fx_cny_per_local[0],
        platform_fee=mc.platform_fee,
        vat_rate=mc.vat_rate,
        vat_seller_remits=mc.vat_seller_remits,
        tariffs=dict(mc.tariffs),
        customs_basis=mc.customs_basis,
        de_minimis_local=mc.de_minimis_local,
        parcel_duty_rate=mc.parcel_duty_rate,
        parcel_duty_per_item_local=mc.parcel_duty_per_item_local,
        parcel_category_duty_local=mc.parcel_category_duty_local,
        parcel_category_max_local=mc.parcel_category_max_local,
        lanes=[
            LaneBrief(
                lane.mode,
                lane.lead_days,
                lane.cost_cny_per_kg,
                lane.extra_days != 0 or lane.cost_multiplier != 1.0,
            )
            for lane in mc.lanes.values()
        ],
        fulfilment_cny_per_unit=mc.fulfilment_cny_per_unit,
        storage_cny_per_unit_day=mc.storage_cny_per_unit_day,
        entry_fee_cny=market.entry_fee_cny,
        warehouse_delivery_days=market.warehouse_delivery_days,
        size_index=round(100 * market.size / largest),
        size=market.size if exact_sizes else None,
        seasonality=mc.seasonality,
        min_price_local=mc.min_price_local,
        closed_channels=mc.closed_channels,
        products=products,
    )
