"""A catalogue game for the web tests: the tutorial's markets with 30 catalogue products
(demand drawn per game from ranges), two suppliers each, studies for sale.

``catalogue_dir(tmp)`` writes ``catalogue.toml`` into a scenarios folder for
``games.create_game``; :func:`hidden_values` lists the game's hidden draws as the texts a
page could show them by (for the leak sweep).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from simshop.engine.catalogue import draws_of, realise
from simshop.engine.scenario import Scenario
from simshop.engine.seeds import phase_seed
from simshop.services.scenario_toml import dumps
from tests.reliability.gamekit import SCENARIOS_DIR

PRODUCTS = 30
FILE_NAME = "catalogue.toml"


def product(i: int) -> dict[str, Any]:
    toy = i % 2 == 1
    cost = 20.0 + 3 * i
    return {
        "id": f"item-{i:02d}",
        "name": f"Item {i:02d}",
        "name_zh": f"商品{i:02d}",
        "category": "toys" if toy else "electronics",
        "unit_cost_cny": cost,
        "weight_kg": round(0.1 + 0.05 * i, 2),
        "reference_price_usd": round(cost / 2.0 + 9.99, 2),
        "demand_range": {"US": [0.2, 2.5], "EU": [0.1, 1.8]},
        "seasonality": [1.0] * 10 + [1.6, 2.0] if toy else None,
        "suppliers": [
            {
                "id": "fast",
                "name": "Shenzhen Quick Works",
                "name_zh": "深圳快工厂",
                "tiers": [
                    {"min_units": 200, "unit_cost_cny": cost},
                    {"min_units": 1000, "unit_cost_cny": round(cost * 0.9, 2)},
                ],
                "lead_days": 10,
                "quality_range": [0.35, 0.75],
                "defect_rate_range": [0.01, 0.09],
                "deposit_share": 0.3,
                "sample_cost_cny": 300.0,
            },
            {
                "id": "cheap",
                "name": "Yiwu Budget Factory",
                "name_zh": "义乌实惠工厂",
                "tiers": [{"min_units": 500, "unit_cost_cny": round(cost * 0.8, 2)}],
                "lead_days": 40,
                "quality_range": [0.2, 0.6],
                "defect_rate_range": [0.03, 0.15],
                "deposit_share": 0.5,
                "sample_cost_cny": 150.0,
            },
        ],
    }


def catalogue_toml() -> str:
    data = tomllib.loads((SCENARIOS_DIR / "tutorial.toml").read_text())
    data["meta"]["id"] = "catalogue-test"
    data["meta"]["title"] = "Catalogue test"
    data["products"] = [product(i) for i in range(PRODUCTS)]
    data["research"] = {"min_budget_cny": 1000.0, "reference_budget_cny": 5000.0}
    data["bots"]["count"] = 0
    return dumps(data)


def catalogue_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILE_NAME).write_text(catalogue_toml())
    return folder


def hidden_draws(scenario: Scenario, game_seed: int) -> dict[str, Any]:
    """The game's hidden draws of the scored phase (engine.catalogue.realise)."""
    draws = draws_of(realise(scenario, phase_seed(game_seed, practice=False)))
    assert draws is not None
    return draws


def hidden_values(scenario: Scenario, game_seed: int) -> dict[str, list[str]]:
    """Each hidden draw (demand weight per market and product, a supplier's true quality
    and defect rate) -> the texts a page would show it as (raw repr and rounded forms)."""
    draws = hidden_draws(scenario, game_seed)
    out: dict[str, list[str]] = {}
    for (market, pid), weight in draws["demand"].items():
        out[f"demand {market} {pid}"] = shown_forms(weight)
    for (pid, sid), (quality, defects) in draws["suppliers"].items():
        out[f"quality {pid} {sid}"] = shown_forms(quality)
        out[f"defects {pid} {sid}"] = shown_forms(defects) + [f"{defects * 100:.2f}%"]
    return out


def shown_forms(value: float) -> list[str]:
    """Texts that would give a hidden float away: its repr and 4- to 6-decimal roundings
    (shorter roundings collide with ordinary numbers on any page)."""
    return [repr(value)] + [f"{value:.{d}f}" for d in (4, 5, 6)]
