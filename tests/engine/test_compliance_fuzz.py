"""Property: rounds with compliance requirements, sweeps, look-alike products and any
certificates bought stay finite, keep the cash identity, never charge a negative penalty and
never find a listing whose team holds the requirement. Fixed seed (``derandomize=True``)."""

from __future__ import annotations

import math

from engine_helpers import tiny_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simshop.engine.compliance import holds
from simshop.engine.decisions import validate_decisions
from simshop.engine.market import simulate_round
from simshop.engine.scenario import parse_scenario_dict
from simshop.engine.state import initial_state

TEAMS = ("a", "b", "c")


@st.composite
def compliance_games(draw: st.DrawFn):
    data = tiny_dict()
    fraction = st.floats(0.0, 1.0, allow_nan=False)
    money = st.floats(0.0, 20000.0, allow_nan=False)
    data["compliance"] = [
        {
            "id": "ce",
            "name": "CE",
            "market": "US",
            "cost_cny": draw(money),
            "rounds_to_obtain": draw(st.integers(0, 3)),
            "yearly_fee_cny": draw(money),
            "detection_per_round": draw(fraction),
            "fine_cny": draw(money),
            "removal_cny_per_unit": draw(st.floats(0.0, 10000.0, allow_nan=False)),
        }
    ]
    data["events"] = [
        {
            "kind": "compliance_sweep",
            "id": "sweep",
            "round": draw(st.integers(1, 3)),
            "headline": "Sweep",
            "market": "US",
            "detection_multiplier": draw(st.floats(1.0, 100.0, allow_nan=False)),
            "duration_rounds": draw(st.integers(1, 3)),
        },
        {
            "kind": "new_requirement",
            "id": "gpsr",
            "round": 2,
            "headline": "GPSR",
            "name": "GPSR",
            "market": "US",
            "cost_cny": draw(money),
            "rounds_to_obtain": draw(st.integers(0, 2)),
            "detection_per_round": draw(fraction),
            "fine_cny": draw(money),
        },
    ]
    if draw(st.booleans()):
        data["products"][0]["ip_risk"] = {
            "demand_boost": draw(st.floats(1.0, 5.0, allow_nan=False)),
            "claim_per_round": draw(fraction),
            "freeze_share": draw(fraction),
            "freeze_rounds": draw(st.integers(1, 12)),
        }
    scenario = parse_scenario_dict(data)
    state = initial_state(scenario, list(TEAMS))
    raws = {}
    for tid in TEAMS:
        team = state.teams[tid]
        team.entered_markets = ["US"]
        team.warehouse_stock["US"] = {"gadget": draw(st.integers(0, 5000))}
        raws[tid] = {
            "offers": {"US": {"gadget": {"listed": draw(st.booleans()), "price_local": 12.0}}},
            "certificates": draw(st.sampled_from([[], ["ce"], ["gpsr"], ["ce", "gpsr"]])),
        }
    return scenario, state, raws


def finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list):
        return all(finite(v) for v in value)
    return True


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(compliance_games(), st.integers(0, 2**32 - 1))
def test_compliance_rounds_stay_finite_and_keep_the_cash_identity(game, seed):
    scenario, state, raws = game
    for round_no in (1, 2, 3):
        sheets = {
            tid: validate_decisions(
                scenario,
                state.teams[tid],
                raws[tid] if round_no == 1 else {"offers": raws[tid]["offers"]},
            )
            for tid in TEAMS
        }
        result = simulate_round(scenario, state, sheets, seed)
        assert finite(result.to_dict()) and finite(result.state.to_dict())
        for tid, team in result.teams.items():
            cash = team.cash
            assert math.isclose(
                cash["end_cny"],
                cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"],
                abs_tol=0.011,
            ), tid
            assert cash["end_cny"] >= 0.0 and cash["frozen_cny"] >= 0.0
            assert team.pnl["compliance_penalties_cny"] >= 0.0
            assert team.pnl["compliance_penalties_cny"] == round(
                sum(r["cost_cny"] for r in team.compliance), 2
            )
            for row in team.compliance:
                if row["requirement"] is not None:
                    assert not holds(result.state.teams[tid], row["requirement"], round_no)
        state = result.state
