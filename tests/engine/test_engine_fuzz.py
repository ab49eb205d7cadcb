"""Property: anything the validators accept plays to finite numbers with the cash identity.

Hypothesis draws scenarios with every number anywhere inside the schema's own bounds (read
from the pydantic fields, so a bound changed in the schema is fuzzed at once) and decision
sheets anywhere inside :func:`decision_limits` (prices across the whole band, quantities and
money up to their limits, all within the team's cash). Each example must validate, play two
rounds (the second carries the sheets over) and produce only finite numbers, with
``cash_end = cash_start + inflows - outflows`` for every team and round, and a finite
scorecard. Fixed seed (``derandomize=True``) and a bounded number of examples.
"""

from __future__ import annotations

import math
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from engine_helpers import tiny_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simshop.engine.conditions import conditions_for_round
from simshop.engine.decisions import decision_limits, validate_decisions
from simshop.engine.logistics import upfront_spend_cny
from simshop.engine.market import simulate_round
from simshop.engine.scenario import (
    DemandShock,
    Economy,
    ExchangeRateMove,
    Lane,
    Market,
    ModelParams,
    Product,
    Scoring,
    SearchSettings,
    SearchTerm,
    Tariff,
    parse_scenario_dict,
)
from simshop.engine.scoring import standings, team_metrics
from simshop.engine.state import initial_state

TEAMS = ("a", "b", "c")


def field_bounds(model: type, name: str) -> tuple[float, float]:
    """The closed range a float field of the schema accepts (open ends nudged inwards)."""
    low, high = -math.inf, math.inf
    for item in model.model_fields[name].metadata:
        if isinstance(item, Ge):
            low = float(item.ge)
        elif isinstance(item, Gt):
            low = math.nextafter(float(item.gt), math.inf)
        elif isinstance(item, Le):
            high = float(item.le)
        elif isinstance(item, Lt):
            high = math.nextafter(float(item.lt), -math.inf)
    assert math.isfinite(low) and math.isfinite(high), f"{model.__name__}.{name} is unbounded"
    return low, high


def in_bounds(model: type, name: str) -> st.SearchStrategy[float]:
    low, high = field_bounds(model, name)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def int_in_bounds(model: type, name: str) -> st.SearchStrategy[int]:
    low, high = field_bounds(model, name)
    return st.integers(int(low), int(high))


def fields(model: type, *names: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({n: in_bounds(model, n) for n in names})


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    data = tiny_dict()
    data["calendar"]["days_per_round"] = draw(st.integers(1, 92))
    data["economy"] = draw(
        fields(
            Economy,
            "starting_cash_cny",
            "credit_line_cny",
            "interest_rate_per_round",
            "china_storage_cny_per_unit_round",
        )
    )
    market = data["markets"][0]
    market.update(
        draw(
            fields(
                Market,
                "fx_cny_per_local",
                "size",
                "price_sensitivity",
                "platform_fee",
                "vat_rate",
                "fulfilment_cny_per_unit",
                "storage_cny_per_unit_day",
                "de_minimis_local",
                "parcel_duty_rate",
                "parcel_duty_per_item_local",
            )
        )
    )
    market["vat_seller_remits"] = draw(st.booleans())
    market["warehouse_delivery_days"] = draw(int_in_bounds(Market, "warehouse_delivery_days"))
    market["seasonality"] = [draw(st.floats(math.nextafter(0.0, 1.0), 20.0))] * 12
    for lane in market["lanes"]:
        lane["lead_days"] = draw(int_in_bounds(Lane, "lead_days"))
        lane["cost_cny_per_kg"] = draw(in_bounds(Lane, "cost_cny_per_kg"))
    data["products"][0].update(
        draw(
            fields(
                Product,
                "unit_cost_cny",
                "weight_kg",
                "base_quality",
                "return_rate",
                "reference_price_usd",
                "demand_weight",
            )
        )
    )
    shares = [draw(st.floats(0.0, 1.0)) for _ in range(draw(st.integers(0, 4)))]
    total = max(1.0, sum(shares))
    data["products"][0]["search_terms"] = [
        {
            "id": f"term-{i}",
            "text": draw(st.sampled_from(["gadget", "cheap gadget", "gadget gift", "thing"])),
            "share": share / total,
            "intent": draw(st.sampled_from(["generic", "long_tail", "brand"])),
            "min_cpc_usd": draw(in_bounds(SearchTerm, "min_cpc_usd")),
        }
        for i, share in enumerate(shares)
    ]
    search = draw(
        fields(
            SearchSettings,
            "english_penalty",
            "relevance_threshold",
            "searches_per_shopper",
            "browse_click_rate",
            "expected_ctr",
            "velocity_weight",
            "rating_weight",
            "relevance_weight",
            "completeness_beta",
            "enhanced_content_cny",
        )
    )
    search["organic_slots"] = draw(int_in_bounds(SearchSettings, "organic_slots"))
    search["sponsored_slots"] = draw(int_in_bounds(SearchSettings, "sponsored_slots"))
    market["search"] = search
    data["tariffs"][0]["rate"] = draw(in_bounds(Tariff, "rate"))
    data["model"] = draw(fields(ModelParams, *ModelParams.model_fields))
    data["scoring"] = draw(fields(Scoring, *Scoring.model_fields))
    data["scoring"]["profit"] = max(data["scoring"]["profit"], 0.001)
    data["events"] = [
        {
            "kind": "demand_shock",
            "id": "shock",
            "round": 1,
            "headline": "Shock",
            "market": "US",
            "multiplier": draw(in_bounds(DemandShock, "multiplier")),
        },
        {
            "kind": "fx_move",
            "id": "fx",
            "round": 2,
            "headline": "FX",
            "currency": "USD",
            "change": draw(in_bounds(ExchangeRateMove, "change")),
        },
    ]
    return data


@st.composite
def games(draw: st.DrawFn):
    scenario = parse_scenario_dict(draw(scenarios()))
    limits = decision_limits(scenario)
    product = scenario.products[0]
    cond = conditions_for_round(scenario, 1)
    state = initial_state(scenario, list(TEAMS))
    sheets = {}
    for tid in TEAMS:
        team = state.teams[tid]
        team.entered_markets = ["US"]
        team.warehouse_stock["US"] = {"gadget": draw(st.integers(0, limits.max_units["gadget"]))}
        team.china_stock = {"gadget": draw(st.integers(0, limits.max_units["gadget"]))}
        cash = team.cash_cny
        low, high = limits.prices[("US", "gadget")]
        spread = draw(st.floats(0.0, 1.0))
        price = min(max(low * (high / low) ** spread, low), high)
        shares = [draw(st.floats(0.0, 1.0)) for _ in range(5)]
        scale = 0.99 / max(1.0, sum(shares))
        ad, order, shipped, quality, search = (s * scale * cash for s in shares)
        content = scenario.markets[0].search.enhanced_content_cny
        enhanced = draw(st.booleans()) and content <= quality
        quality -= content if enhanced else 0.0
        mode = draw(st.sampled_from(["sea", "air"]))
        freight = product.weight_kg * cond.markets["US"].lane(mode).cost_cny_per_kg
        ship_qty = min(team.china_stock["gadget"], limits.max_units["gadget"])
        if freight > 0:
            ship_qty = int(min(shipped / freight, ship_qty))
        raw = {
            "offers": {
                "US": {
                    "gadget": {
                        "listed": draw(st.booleans()),
                        "price_local": price,
                        "ad_budget_cny": min(ad, limits.max_money_cny),
                        "channel": draw(st.sampled_from(["warehouse", "parcel"])),
                        "listing": {
                            "title": draw(st.sampled_from(["", "Gadget", "cheap gadget gift"])),
                            "bullets": ["point"] * draw(st.integers(0, 5)),
                            "images": draw(st.integers(0, 9)),
                            "enhanced": enhanced,
                        },
                        **campaigns(draw, scenario, cond, search, limits.max_money_cny),
                    }
                }
            },
            "factory_orders": {
                "gadget": min(int(order / product.unit_cost_cny), limits.max_units["gadget"])
            },
            "quality_investment_cny": {"gadget": min(quality, limits.max_money_cny)},
            "borrow_cny": draw(st.floats(0.0, 1.0)) * scenario.economy.credit_line_cny,
        }
        if ship_qty > 0:
            raw["shipments"] = [
                {"product": "gadget", "market": "US", "mode": mode, "quantity": ship_qty}
            ]
        sheet = validate_decisions(scenario, team, raw)
        assert upfront_spend_cny(scenario, cond, team, sheet) <= cash + sheet.borrow_cny + 0.01
        sheets[tid] = sheet
    return scenario, state, sheets


def campaigns(draw: st.DrawFn, scenario, cond, budget_cny: float, max_cny: float):
    """Campaigns on the product's terms and maybe an automatic one, their daily budgets
    together within ``budget_cny`` over the round (at its highest rate)."""
    terms = [t.id for t in scenario.products[0].terms()]
    chosen = draw(st.lists(st.sampled_from(terms), unique=True))
    auto = draw(st.booleans())
    count = len(chosen) + auto
    if count == 0:
        return {}
    fx = float(max(cond.markets["US"].fx_cny_per_local))
    daily = min(budget_cny, max_cny) / (count * cond.days * fx)
    daily = math.floor(daily * 100) / 100

    def campaign():
        return {
            "bid_local": min(draw(st.floats(0.0, 1.0)) * daily, daily),
            "daily_budget_local": daily,
        }

    out: dict[str, Any] = {"campaigns": {t: campaign() for t in chosen}}
    if auto:
        out["auto_campaign"] = campaign()
    return out


def finite_numbers(value: Any, path: str = "") -> list[str]:
    """Paths of every non-finite float nested in ``value``."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in finite_numbers(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in finite_numbers(v, f"{path}[{i}]")]
    return []


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(games(), st.integers(0, 2**32 - 1))
def test_any_accepted_round_completes_finite_with_the_cash_identity(game, seed):
    scenario, state, sheets = game
    for decisions in (sheets, {}):
        result = simulate_round(scenario, state, decisions, seed)
        assert finite_numbers(result.to_dict()) == []
        assert finite_numbers(result.state.to_dict()) == []
        for tid, team in result.teams.items():
            cash = team.cash
            expected = cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"]
            # to the cent, or to float precision when the flows are in the trillions
            scale = abs(cash["start_cny"]) + abs(cash["inflows_cny"]) + abs(cash["outflows_cny"])
            assert math.isclose(cash["end_cny"], expected, abs_tol=max(0.01, 1e-12 * scale)), tid
            assert cash["end_cny"] >= 0.0
        state = result.state
    table = standings(team_metrics(scenario, state), scenario.scoring.as_dict())
    assert finite_numbers(table) == []
