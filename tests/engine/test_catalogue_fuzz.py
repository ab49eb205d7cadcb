"""Property: catalogue scenarios (demand ranges, suppliers, studies) with every number
inside the schema's bounds, and sheets choosing suppliers, ordering at or above the minimum
order quantity, buying samples and studies, play three rounds (the later ones carried over,
batches in production carried across rounds) to finite numbers with the cash identity
``cash_end = cash_start + inflows - outflows`` for every team and round. Fixed seed
(``derandomize=True``), a bounded number of examples."""

from __future__ import annotations

import math
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from catalogue_helpers import catalogue_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simshop.engine.catalogue import realise
from simshop.engine.decisions import DecisionErrors, decision_limits, validate_decisions
from simshop.engine.market import simulate_round
from simshop.engine.scenario import ResearchSettings, Supplier, parse_scenario_dict
from simshop.engine.state import initial_state

TEAMS = ("a", "b")


def bounds(model: type, name: str) -> tuple[float, float]:
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
    return low, high


def number(model: type, name: str) -> st.SearchStrategy[float]:
    low, high = bounds(model, name)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def ranges(draw: st.DrawFn, low: float, high: float) -> list[float]:
    a, b = draw(st.floats(low, high)), draw(st.floats(low, high))
    return [min(a, b), max(a, b)]


@st.composite
def suppliers(draw: st.DrawFn, index: int) -> dict[str, Any]:
    mins = sorted(set(draw(st.lists(st.integers(1, 20000), min_size=1, max_size=3))))
    return {
        "id": f"s{index}",
        "name": f"Supplier {index}",
        "tiers": [{"min_units": m, "unit_cost_cny": draw(st.floats(0.01, 500.0))} for m in mins],
        "lead_days": draw(st.integers(*map(int, bounds(Supplier, "lead_days")))),
        "quality_range": draw(ranges(0.0, 1.0)),
        "defect_rate_range": draw(ranges(0.0, 0.5)),
        "deposit_share": draw(st.floats(0.0, 1.0)),
        "sample_cost_cny": draw(st.floats(0.0, 5000.0)),
    }


@st.composite
def games(draw: st.DrawFn):
    data = catalogue_dict()
    data["calendar"]["days_per_round"] = draw(st.integers(1, 92))
    for product in data["products"]:
        product["demand_range"] = {"US": draw(ranges(0.01, 10.0))}
        product["suppliers"] = [draw(suppliers(i)) for i in range(draw(st.integers(1, 4)))]
    data["research"] = {
        "min_budget_cny": draw(st.floats(0.0, 5000.0)),
        "reference_budget_cny": draw(number(ResearchSettings, "reference_budget_cny")),
        "noise_sd": draw(number(ResearchSettings, "noise_sd")),
    }
    sc = parse_scenario_dict(data)
    limits = decision_limits(sc)
    state = initial_state(sc, list(TEAMS))
    sheets: dict[str, Any] = {}
    for tid in TEAMS:
        team = state.teams[tid]
        team.entered_markets = ["US"]
        team.cash_cny = draw(st.floats(1000.0, 1e7))
        orders, chosen, samples = {}, {}, []
        for product in sc.products:
            supplier = draw(st.sampled_from(product.suppliers))
            chosen[product.id] = supplier.id
            if draw(st.booleans()):
                top = max(supplier.moq, min(limits.max_units[product.id], 50000))
                orders[product.id] = draw(st.integers(supplier.moq, top))
            if draw(st.booleans()):
                samples.append({"product": product.id, "supplier": supplier.id})
        offer = {
            "listed": True,
            "price_local": draw(st.floats(1.0, 100.0)),
            "channel": draw(st.sampled_from(["warehouse", "parcel"])),
        }
        raw = {
            "offers": {"US": {p.id: offer for p in sc.products}},
            "suppliers": chosen,
            "factory_orders": orders,
            "samples": samples,
            "research": [
                {"market": "US", "category": c, "budget_cny": draw(st.floats(5000.0, 20000.0))}
                for c in sorted({p.category for p in sc.products})
                if draw(st.booleans())
            ],
        }
        try:
            sheets[tid] = validate_decisions(sc, team, raw)
        except DecisionErrors as exc:
            # only the cash rule may refuse such a sheet; then it plays without orders
            assert {i.code for i in exc.issues} == {"insufficient_cash"}, exc
            sheets[tid] = validate_decisions(sc, team, {"offers": raw["offers"]})
    return sc, state, sheets


def finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite(v) for v in value)
    return True


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(games(), st.integers(0, 2**32 - 1))
def test_any_accepted_catalogue_round_completes_finite_with_the_cash_identity(game, seed):
    sc, state, sheets = game
    assert realise(sc, seed) is not sc
    for decisions in (sheets, {}, {}):
        if state.round_no >= sc.calendar.rounds:
            break
        result = simulate_round(sc, state, decisions, seed)
        assert finite(result.to_dict()) and finite(result.state.to_dict())
        for tid, team in result.teams.items():
            cash = team.cash
            expected = cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"]
            scale = abs(cash["start_cny"]) + abs(cash["inflows_cny"]) + abs(cash["outflows_cny"])
            assert math.isclose(cash["end_cny"], expected, abs_tol=max(0.01, 1e-12 * scale)), tid
            assert cash["end_cny"] >= 0.0
            assert cash["purchases_cny"] == round(
                cash["supplier_deposits_cny"] + cash["supplier_balances_cny"], 2
            )
            assert all(q >= 0 for q in team.china_stock.values())
        state = result.state
