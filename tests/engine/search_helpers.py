"""Builders for the search tests (issue 15): a one-market scenario whose product has search
terms, teams with ample stock, sheets with listings and campaigns."""

from __future__ import annotations

from typing import Any

from engine_helpers import play, stocked_state, tiny_dict

from simshop.engine.results import RoundOutcome
from simshop.engine.scenario import Scenario, parse_scenario_dict

TERMS = [
    {
        "id": "wireless-earbuds",
        "text": "wireless earbuds",
        "share": 0.5,
        "intent": "generic",
        "min_cpc_usd": 0.3,
    },
    {
        "id": "bluetooth-earbuds",
        "text": "bluetooth earbuds",
        "share": 0.3,
        "intent": "generic",
        "min_cpc_usd": 0.3,
    },
]
FULL_TITLE = "Wireless bluetooth earbuds"
PRICE = 30.0


def search_scenario(**search: Any) -> Scenario:
    """The tiny scenario (US at 7 CNY per USD) selling wireless earbuds at about $30, with
    two search terms and the given search settings."""
    data = tiny_dict()
    data["products"][0].update(
        name="Wireless earbuds",
        reference_price_usd=29.99,
        unit_cost_cny=45.0,
        weight_kg=0.15,
        search_terms=TERMS,
    )
    data["markets"][0]["search"] = search
    return parse_scenario_dict(data)


def offer(
    title: str = FULL_TITLE,
    *,
    campaigns: dict[str, tuple[float, float]] | None = None,
    price: float = PRICE,
    **listing: Any,
) -> dict[str, Any]:
    """A sheet listing the earbuds with ``title`` (five bullets, seven images unless given)
    and campaigns ``{term: (bid, daily budget)}``."""
    page = {"title": title, "bullets": ["a", "b", "c", "d", "e"], "images": 7, **listing}
    body: dict[str, Any] = {"listed": True, "price_local": price, "listing": page}
    if campaigns:
        body["campaigns"] = {
            term: {"bid_local": bid, "daily_budget_local": budget}
            for term, (bid, budget) in campaigns.items()
        }
    return {"offers": {"US": {"gadget": body}}}


def play_search(
    scenario: Scenario, sheets: dict[str, dict[str, Any]], seed: int = 1, stock: int = 100_000
) -> RoundOutcome:
    state = stocked_state(scenario, sorted(sheets), warehouse=stock)
    return play(scenario, state, sheets, seed=seed)


def row(result: RoundOutcome, team: str, term: str) -> dict[str, Any] | None:
    return next((r for r in result.teams[team].search if r["term"] == term), None)
