"""Market conditions of a round: a pure function of (scenario, round number).

Everything a team faces in a round that the scenario's events can change — tariff stacks,
platform fees, exchange rates (per day), lane lead times and freight rates, parcel rules,
market rules and demand multipliers — is computed here from the scenario alone. The same
scenario and round number always give the same :class:`RoundConditions`.

Event semantics (events are applied in (round, file order)):

- ``tariff_change``: from its round on, ``rate`` sets and ``add_points`` adds to the stack of
  the listed categories (``"*"`` = every category); the stack never goes below 0.
- ``platform_fee_change``: the same for the market's commission, kept within [0, 0.6].
- ``de_minimis``: from its round on, replaces the market's parcel threshold and parcel duties.
- ``shipping_disruption``: during rounds ``round .. round + duration_rounds - 1`` adds
  ``extra_days`` to the lane and multiplies its freight by ``cost_multiplier``.
- ``fx_move``: moves the currency (CNY per local unit) by ``change`` linearly over
  ``over_rounds`` rounds, interpolated per day: day ``d`` of round ``r`` carries the fraction
  ``((r - round) * days + d) / (over_rounds * days)`` (clamped to [0, 1]) of the move.
- ``demand_shock``: only in its round, multiplies shoppers on days ``first_day..last_day``.
- ``market_rule``: from its round on, each field given replaces the previous value
  (``channel_closed`` accumulates: a closed channel stays closed).
- ``warehouse_fee_change``: while in force, ``fulfilment_add_cny`` is added to the fulfilment
  fee (never below 0) and ``storage_multiplier`` multiplies the storage fee.
- ``parcel_category_duty``: from its round on, replaces the flat duty per item on direct
  parcels at or below its value (a later one replaces it).
- ``duty_refund``: while its window is open, the market records each team's duty paid
  (``record_duty``); in its round the report pays back its part of that record.
- ``new_requirement`` (and ``[[compliance]]`` requirements): from their start round the
  market enforces them (``requirements``); ``compliance_sweep``: while it lasts, multiplies
  the detection of missing requirements for its categories (``sweeps``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from simshop.engine.scenario import (
    ANY_CATEGORY,
    ComplianceSweep,
    DemandShock,
    DeMinimisChange,
    DutyRefund,
    EventBase,
    ExchangeRateMove,
    LaneMode,
    Market,
    MarketRule,
    ParcelCategoryDuty,
    PlatformFeeChange,
    Scenario,
    ShippingDisruption,
    TariffChange,
    WarehouseFeeChange,
)


@dataclass(frozen=True)
class LaneConditions:
    """A lane in this round: lead time in days and freight in CNY per kg, disruptions included."""

    mode: str
    lead_days: int
    cost_cny_per_kg: float
    extra_days: int = 0
    cost_multiplier: float = 1.0


@dataclass(frozen=True)
class DemandWindow:
    """A demand multiplier on days ``first_day..last_day`` (inclusive) for some categories."""

    event_id: str
    categories: tuple[str, ...]
    multiplier: float
    first_day: int
    last_day: int

    def applies_to(self, category: str) -> bool:
        return ANY_CATEGORY in self.categories or category in self.categories


@dataclass(frozen=True)
class RequirementInForce:
    """A compliance requirement a market enforces this round (see
    :class:`simshop.engine.scenario.Requirement`)."""

    id: str
    categories: tuple[str, ...]
    detection_per_round: float
    fine_cny: float
    removal_cny_per_unit: float

    def applies_to(self, category: str) -> bool:
        return ANY_CATEGORY in self.categories or category in self.categories


@dataclass(frozen=True)
class SweepInForce:
    """A compliance sweep running this round: detection x ``multiplier`` for its categories."""

    event_id: str
    categories: tuple[str, ...]
    multiplier: float

    def applies_to(self, category: str) -> bool:
        return ANY_CATEGORY in self.categories or category in self.categories


@dataclass(frozen=True)
class MarketConditions:
    """One market in one round. Money is local currency unless the name says ``_cny``."""

    code: str
    currency: str
    platform_fee: float
    vat_rate: float
    vat_seller_remits: bool
    tariffs: dict[str, float]
    """Duty rate (fraction of the customs value) per product category."""
    de_minimis_local: float
    parcel_duty_rate: float
    parcel_duty_per_item_local: float
    lanes: dict[str, LaneConditions]
    fx_cny_per_local: tuple[float, ...]
    """CNY per local unit on each day of the round (index 0 = day 1)."""
    seasonality: float
    min_price_local: float | None = None
    closed_channels: tuple[str, ...] = ()
    listing_cap: int | None = None
    demand_windows: tuple[DemandWindow, ...] = ()
    customs_basis: str = "CIF"
    """"FOB" (customs value = goods) or "CIF" (goods + international freight)."""
    fulfilment_cny_per_unit: float = 0.0
    """Overseas-warehouse fulfilment per unit sold (CNY), fee changes included."""
    storage_cny_per_unit_day: float = 0.0
    """Overseas-warehouse storage per unit and day (CNY), fee changes included."""
    parcel_category_duty_local: float = 0.0
    """Flat duty per item on direct parcels valued at or below
    ``parcel_category_max_local`` (0 = none); replaces the de-minimis rule for them."""
    parcel_category_max_local: float = 0.0
    record_duty: bool = False
    """True when a later duty refund covers duty paid here this round, so it is recorded."""
    requirements: tuple[RequirementInForce, ...] = ()
    """Compliance requirements enforced this round, in the scenario's order."""
    sweeps: tuple[SweepInForce, ...] = ()
    """Compliance sweeps running this round."""

    def detection(self, requirement: RequirementInForce, category: str) -> float:
        """The chance (0..1) that one live listing of ``category`` lacking ``requirement`` is
        found this round: its detection times every sweep running for the category."""
        chance = requirement.detection_per_round
        for sweep in self.sweeps:
            if sweep.applies_to(category):
                chance *= sweep.multiplier
        return min(1.0, chance)

    def tariff_rate(self, category: str) -> float:
        return self.tariffs.get(category, 0.0)

    def lane(self, mode: str) -> LaneConditions | None:
        return self.lanes.get(mode)


@dataclass(frozen=True)
class RoundConditions:
    round_no: int
    month: int
    """Calendar month 1..12 of this round."""
    days: int
    markets: dict[str, MarketConditions]
    took_effect: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """Scenario events whose ``round`` is this round: ``{"id", "kind", "headline"}``."""
    news: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """Headlines announced in this round (for the round after, usually)."""


def round_month(scenario: Scenario, round_no: int) -> int:
    """Calendar month (1..12) of a round; round 1 is ``calendar.start_month``."""
    return (scenario.calendar.start_month - 1 + round_no - 1) % 12 + 1


def conditions_for_round(scenario: Scenario, round_no: int) -> RoundConditions:
    """The market conditions of ``round_no`` (1-based). Pure and deterministic."""
    if round_no < 1:
        raise ValueError(f"round_no must be >= 1, got {round_no}")
    events = _by_round(scenario)
    effective = [e for _, e in events if e.round <= round_no]
    month = round_month(scenario, round_no)
    markets: dict[str, MarketConditions] = {
        m.code: _market_conditions(scenario, m.code, round_no, month, effective)
        for m in scenario.markets
    }
    took_effect = tuple(
        {"id": e.id, "kind": e.kind, "headline": e.headline}
        for e in effective
        if e.round == round_no
    )
    return RoundConditions(
        round_no,
        month,
        scenario.calendar.days_per_round,
        markets,
        took_effect,
        _news(events, round_no),
    )


def round_news(scenario: Scenario, round_no: int) -> tuple[dict[str, Any], ...]:
    """The news announced in ``round_no``: ``conditions_for_round(scenario, round_no).news``
    without computing the markets' conditions (a bot reads every past round's news)."""
    return _news(_by_round(scenario), round_no)


def _by_round(scenario: Scenario) -> list[tuple[int, EventBase]]:
    """The events with their file positions, by effective round, then file order."""
    return sorted(enumerate(scenario.events), key=lambda pair: (pair[1].round, pair[0]))


def _news(events: list[tuple[int, EventBase]], round_no: int) -> tuple[dict[str, Any], ...]:
    return tuple(
        {"id": e.id, "kind": e.kind, "headline": e.headline, "effective_round": e.round}
        for _, e in events
        if e.announced_in == round_no
    )


def _market_conditions(
    scenario: Scenario, code: str, round_no: int, month: int, effective: Sequence[EventBase]
) -> MarketConditions:
    market = scenario.market(code)
    days = scenario.calendar.days_per_round
    mine = [e for e in effective if code in e.referenced_markets()]
    de_min, min_price, cap, closed = _market_rules(market, mine)
    fulfilment, storage = _warehouse_fees(market, round_no, mine)
    category_duty = next((e for e in reversed(mine) if isinstance(e, ParcelCategoryDuty)), None)
    return MarketConditions(
        code=code,
        currency=market.currency,
        platform_fee=_platform_fee(market.platform_fee, mine),
        vat_rate=market.vat_rate,
        vat_seller_remits=market.vat_seller_remits,
        tariffs=_tariff_stack(scenario, code, mine),
        de_minimis_local=de_min[0],
        parcel_duty_rate=de_min[1],
        parcel_duty_per_item_local=de_min[2],
        lanes=_lanes(market, round_no, mine),
        fx_cny_per_local=_fx_path(scenario, market, round_no, effective),
        seasonality=market.seasonality[month - 1],
        min_price_local=min_price,
        closed_channels=tuple(sorted(closed)),
        listing_cap=cap,
        customs_basis=market.customs_basis,
        demand_windows=_demand_windows(mine, round_no, days),
        fulfilment_cny_per_unit=fulfilment,
        storage_cny_per_unit_day=storage,
        parcel_category_duty_local=category_duty.duty_per_item_local if category_duty else 0.0,
        parcel_category_max_local=category_duty.max_value_local if category_duty else 0.0,
        record_duty=any(
            isinstance(e, DutyRefund)
            and e.market == code
            and e.paid_from_round <= round_no
            and round_no <= e.paid_to_round
            for e in scenario.events
        ),
        requirements=_requirements_in_force(scenario, code, round_no),
        sweeps=tuple(
            SweepInForce(e.id, tuple(e.categories), e.detection_multiplier)
            for e in mine
            if isinstance(e, ComplianceSweep) and e.active_in(round_no)
        ),
    )


def _market_rules(
    market: Market, mine: Sequence[EventBase]
) -> tuple[tuple[float, float, float], float | None, int | None, list[LaneMode]]:
    """The de minimis terms, minimum price, listing cap and closed channels ``mine`` set."""
    de_min = (market.de_minimis_local, market.parcel_duty_rate, market.parcel_duty_per_item_local)
    min_price, cap, closed = None, None, []
    for e in mine:
        if isinstance(e, DeMinimisChange):
            de_min = (e.threshold_local, e.parcel_duty_rate, e.parcel_duty_per_item_local)
        elif isinstance(e, MarketRule):
            min_price = e.min_price_local if e.min_price_local is not None else min_price
            cap = e.listing_cap if e.listing_cap is not None else cap
            if e.channel_closed is not None and e.channel_closed not in closed:
                closed.append(e.channel_closed)
    return de_min, min_price, cap, closed


def _demand_windows(
    mine: Sequence[EventBase], round_no: int, days: int
) -> tuple[DemandWindow, ...]:
    """The demand shocks of ``mine`` that fall in ``round_no``, as demand windows."""
    return tuple(
        DemandWindow(
            e.id,
            tuple(e.categories),
            e.multiplier,
            e.first_day,
            e.last_day if e.last_day is not None else days,
        )
        for e in mine
        if isinstance(e, DemandShock) and e.round == round_no
    )


def _requirements_in_force(
    scenario: Scenario, code: str, round_no: int
) -> tuple[RequirementInForce, ...]:
    """The compliance requirements ``code`` enforces in ``round_no``, in scenario order."""
    if not scenario.compliance and not any(e.kind == "new_requirement" for e in scenario.events):
        return ()
    return tuple(
        RequirementInForce(
            r.id, tuple(r.categories), r.detection_per_round, r.fine_cny, r.removal_cny_per_unit
        )
        for r in scenario.requirements()
        if r.market == code and r.in_force(round_no)
    )


def _warehouse_fees(
    market: Market, round_no: int, events: Sequence[EventBase]
) -> tuple[float, float]:
    """Fulfilment (per unit) and storage (per unit and day) fees in force, in CNY."""
    fulfilment, storage = market.fulfilment_cny_per_unit, market.storage_cny_per_unit_day
    for e in events:
        if isinstance(e, WarehouseFeeChange) and e.active_in(round_no):
            if e.fulfilment_add_cny is not None:
                fulfilment = max(0.0, fulfilment + e.fulfilment_add_cny)
            if e.storage_multiplier is not None:
                storage *= e.storage_multiplier
    return fulfilment, storage


def _tariff_stack(scenario: Scenario, code: str, events: Sequence[EventBase]) -> dict[str, float]:
    categories = sorted({p.category for p in scenario.products})
    stack = {
        cat: sum(
            t.rate
            for t in scenario.tariffs
            if t.market == code and t.category in (cat, ANY_CATEGORY)
        )
        for cat in categories
    }
    for e in events:
        if not isinstance(e, TariffChange):
            continue
        hit = (
            categories
            if ANY_CATEGORY in e.categories
            else [c for c in categories if c in e.categories]
        )
        for cat in hit:
            new = e.rate if e.rate is not None else stack[cat] + (e.add_points or 0.0)
            stack[cat] = max(0.0, new)
    return stack


def _platform_fee(base: float, events: Sequence[EventBase]) -> float:
    fee = base
    for e in events:
        if isinstance(e, PlatformFeeChange):
            fee = e.fee if e.fee is not None else fee + (e.add_points or 0.0)
    return min(0.6, max(0.0, fee))


def _lanes(market: Market, round_no: int, events: Sequence[EventBase]) -> dict[str, LaneConditions]:
    lanes: dict[str, LaneConditions] = {}
    for lane in market.lanes:
        extra, mult = 0, 1.0
        for e in events:
            if not isinstance(e, ShippingDisruption):
                continue
            active = e.round <= round_no < e.round + e.duration_rounds
            if e.mode == lane.mode and active:
                extra += e.extra_days
                mult *= e.cost_multiplier
        lanes[lane.mode] = LaneConditions(
            lane.mode, lane.lead_days + extra, lane.cost_cny_per_kg * mult, extra, mult
        )
    return lanes


def _fx_path(
    scenario: Scenario, market: Market, round_no: int, events: Sequence[EventBase]
) -> tuple[float, ...]:
    days = scenario.calendar.days_per_round
    path = []
    moves = [e for e in events if isinstance(e, ExchangeRateMove) and e.currency == market.currency]
    for day in range(1, days + 1):
        factor = 1.0
        for e in moves:
            progress = ((round_no - e.round) * days + day) / (e.over_rounds * days)
            factor *= 1.0 + e.change * min(1.0, max(0.0, progress))
        path.append(market.fx_cny_per_local * factor)
    return tuple(path)
