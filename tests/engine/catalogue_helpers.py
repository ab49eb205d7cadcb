"""A tiny catalogue world for the catalogue, supplier and research tests: the tiny scenario
(one market, US) with two products whose demand is drawn per game, suppliers with tiers,
lead times, deposits and hidden quality and defect rates, and studies for sale."""

from __future__ import annotations

import copy
from typing import Any

from engine_helpers import tiny_dict

from simshop.engine.scenario import Scenario, parse_scenario_dict

FAST = {
    "id": "fast",
    "name": "Fast Trading",
    "tiers": [
        {"min_units": 100, "unit_cost_cny": 12.0},
        {"min_units": 1000, "unit_cost_cny": 10.0},
    ],
    "lead_days": 0,
    "quality_range": [0.6, 0.8],
    "defect_rate_range": [0.01, 0.05],
    "deposit_share": 1.0,
    "sample_cost_cny": 200.0,
}
SLOW = {
    "id": "slow",
    "name": "Slow Factory",
    "tiers": [{"min_units": 500, "unit_cost_cny": 8.0}],
    "lead_days": 40,
    "quality_range": [0.3, 0.5],
    "defect_rate_range": [0.05, 0.1],
    "deposit_share": 0.3,
    "sample_cost_cny": 100.0,
}
MID = {
    "id": "mid",
    "name": "Mid Factory",
    "tiers": [{"min_units": 200, "unit_cost_cny": 9.0}],
    "lead_days": 12,
    "quality_range": [0.5, 0.5],
    "defect_rate_range": [0.0, 0.0],
    "deposit_share": 0.5,
    "sample_cost_cny": 50.0,
}


def catalogue_dict(**changes: Any) -> dict[str, Any]:
    """The tiny scenario with a catalogue: ``gadget`` (electronics, three suppliers) and
    ``widget`` (home, one supplier), both with a demand range in the US."""
    data = tiny_dict()
    gadget = data["products"][0]
    gadget["demand_range"] = {"US": [0.5, 2.0]}
    gadget["suppliers"] = [copy.deepcopy(FAST), copy.deepcopy(SLOW), copy.deepcopy(MID)]
    widget = copy.deepcopy(gadget)
    widget.update(
        id="widget",
        name="Widget",
        category="home",
        demand_range={"US": [0.2, 3.0]},
        suppliers=[copy.deepcopy(MID)],
    )
    data["products"].append(widget)
    data["tariffs"].append({"market": "US", "category": "home", "rate": 0.1})
    data["research"] = {"min_budget_cny": 1000.0, "reference_budget_cny": 5000.0, "noise_sd": 0.5}
    data.update(changes)
    return data


def catalogue(**changes: Any) -> Scenario:
    return parse_scenario_dict(catalogue_dict(**changes))
