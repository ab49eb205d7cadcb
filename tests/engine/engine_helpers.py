"""Small builders shared by engine tests."""

from __future__ import annotations

import copy
from typing import Any

from simshop.engine.decisions import DecisionSheet, validate_decisions
from simshop.engine.market import simulate_round
from simshop.engine.results import RoundOutcome
from simshop.engine.scenario import Scenario, parse_scenario_dict
from simshop.engine.state import GameState, initial_state

TINY: dict[str, Any] = {
    "meta": {"id": "tiny", "title": "Tiny"},
    "calendar": {"rounds": 4, "days_per_round": 30, "start_month": 1},
    "economy": {
        "starting_cash_cny": 100000.0,
        "credit_line_cny": 50000.0,
        "interest_rate_per_round": 0.02,
        "china_storage_cny_per_unit_round": 0.2,
    },
    "markets": [
        {
            "code": "US",
            "name": "United States",
            "currency": "USD",
            "fx_cny_per_local": 7.0,
            "size": 100.0,
            "platform_fee": 0.15,
            "entry_fee_cny": 1000.0,
            "fulfilment_cny_per_unit": 3.0,
            "storage_cny_per_unit_day": 0.1,
            "warehouse_delivery_days": 2,
            "lanes": [
                {"mode": "sea", "lead_days": 10, "cost_cny_per_kg": 2.0},
                {"mode": "air", "lead_days": 5, "cost_cny_per_kg": 20.0},
                {"mode": "parcel", "lead_days": 9, "cost_cny_per_kg": 30.0},
            ],
        }
    ],
    "products": [
        {
            "id": "gadget",
            "name": "Gadget",
            "category": "electronics",
            "unit_cost_cny": 10.0,
            "weight_kg": 0.5,
            "base_quality": 0.5,
            "return_rate": 0.0,
            "reference_price_usd": 10.0,
        }
    ],
    "tariffs": [{"market": "US", "category": "electronics", "rate": 0.25}],
}


def tiny_dict(**changes: Any) -> dict[str, Any]:
    """A deep copy of the tiny scenario; ``changes`` replace top-level sections."""
    data = copy.deepcopy(TINY)
    data.update(changes)
    return data


def tiny(**changes: Any) -> Scenario:
    return parse_scenario_dict(tiny_dict(**changes))


def with_model(**params: Any) -> Scenario:
    return tiny(model=params)


def with_market(**fields: Any) -> Scenario:
    data = tiny_dict()
    data["markets"][0].update(fields)
    return parse_scenario_dict(data)


def stocked_state(
    scenario: Scenario,
    teams: list[str],
    *,
    warehouse: int = 0,
    china: int = 0,
    markets: tuple[str, ...] = ("US",),
) -> GameState:
    """Teams already in ``markets`` with ``warehouse`` units of every product in each and
    ``china`` units at home."""
    state = initial_state(scenario, teams)
    for team in state.teams.values():
        team.entered_markets = list(markets)
        for code in markets:
            team.warehouse_stock[code] = {p.id: warehouse for p in scenario.products}
        team.china_stock = {p.id: china for p in scenario.products}
    return state


def listing(
    price: float,
    *,
    ad: float = 0.0,
    channel: str = "warehouse",
    market: str = "US",
    product: str = "gadget",
    **extra: Any,
) -> DecisionSheet:
    offer = {"listed": True, "price_local": price, "ad_budget_cny": ad, "channel": channel}
    return DecisionSheet.model_validate({"offers": {market: {product: offer}}, **extra})


def play(
    scenario: Scenario,
    state: GameState,
    sheets: dict[str, Any],
    seed: int = 1,
    validate: bool = True,
) -> RoundOutcome:
    decided = {}
    for tid, sheet in sheets.items():
        raw = sheet.to_dict() if isinstance(sheet, DecisionSheet) else sheet
        decided[tid] = (
            validate_decisions(scenario, state.teams[tid], raw)
            if validate
            else DecisionSheet.model_validate(raw)
        )
    return simulate_round(scenario, state, decided, seed)


def offer_row(
    result: RoundOutcome, team: str, market: str = "US", product: str = "gadget"
) -> dict[str, Any]:
    return next(
        o for o in result.teams[team].offers if (o["market"], o["product"]) == (market, product)
    )
