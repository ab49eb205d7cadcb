"""Market studies: bought with money, read with noise that falls with the budget, seen only
by the team that bought them, and showing the demand nobody served."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from catalogue_helpers import catalogue
from engine_helpers import stocked_state, tiny

from simshop.engine.catalogue import draws_of, realise
from simshop.engine.decisions import DecisionErrors, validate_decisions
from simshop.engine.demand import inside_share, offer_utility
from simshop.engine.market import simulate_round
from simshop.engine.research import noise_sd
from simshop.engine.scenario import ResearchSettings

SEEDS = list(range(1, 41))
OFFER = {"listed": True, "price_local": 14.0}


def study(budget: float, category: str = "electronics") -> dict:
    return {"market": "US", "category": category, "budget_cny": budget}


def play(sc, state, sheets, seed):
    decided = {t: validate_decisions(sc, state.teams[t], raw) for t, raw in sheets.items()}
    return simulate_round(sc, state, decided, seed)


def lone_offer_share(sc) -> float:
    params, market, product = sc.model, sc.markets[0], sc.product("widget")
    u = offer_utility(
        params,
        params.price_alpha * market.price_sensitivity,
        np.array([1.0]),
        np.array([product.base_quality]),
        np.array([params.initial_rating]),
        np.array([0.0]),
        np.array([float(market.warehouse_delivery_days)]),
        np.array([0.0]),
    )
    return inside_share(u, params.nest_lambda, params.outside_utility)


def test_the_noise_formula_falls_with_the_square_root_of_the_budget() -> None:
    research = ResearchSettings(min_budget_cny=1000.0, reference_budget_cny=5000.0, noise_sd=0.5)
    assert noise_sd(research, 5000.0) == 0.5
    assert noise_sd(research, 20000.0) == pytest.approx(0.25)
    assert noise_sd(research, 1250.0) == pytest.approx(1.0)
    assert noise_sd(research, 1.0) == 3.0  # capped: a reading stays finite


def test_only_the_buyer_sees_its_study_and_pays_for_it() -> None:
    sc = catalogue()
    state = stocked_state(sc, ["a", "b"], warehouse=100)
    sheets = {"a": {"research": [study(5000.0)]}, "b": {}}
    result = play(sc, state, sheets, 7)
    (bought,) = result.teams["a"].research
    assert (bought["market"], bought["category"], bought["budget_cny"]) == (
        "US",
        "electronics",
        5000.0,
    )
    assert bought["noise_sd"] == 0.5
    assert [r["product"] for r in bought["readings"]] == ["gadget"]
    assert result.teams["a"].pnl["research_cny"] == 5000.0
    assert result.teams["a"].cash["outflows_cny"] >= 5000.0
    assert result.teams["b"].research == [] and result.teams["b"].pnl["research_cny"] == 0.0


def test_errors_in_a_study_order_are_located() -> None:
    sc = catalogue()
    state = stocked_state(sc, ["a"])
    raw = {
        "research": [
            study(999.0),
            {"market": "US", "category": "garden", "budget_cny": 2000.0},
            study(2000.0),
        ]
    }
    with pytest.raises(DecisionErrors) as excinfo:
        validate_decisions(sc, state.teams["a"], raw)
    assert [(i.loc, i.code) for i in excinfo.value.issues] == [
        (("research", 0, "budget_cny"), "budget_too_small"),
        (("research", 1, "category"), "unknown_category"),
        (("research", 2), "duplicate_study"),
    ]
    plain = tiny()
    with pytest.raises(DecisionErrors) as excinfo:
        validate_decisions(
            plain, stocked_state(plain, ["a"]).teams["a"], {"research": [study(5000.0)]}
        )
    assert [(i.loc, i.code) for i in excinfo.value.issues] == [
        (("research", 0), "research_unavailable")
    ]


def log_errors(budget: float) -> list[float]:
    """log(estimate / truth) of the search volume of ``widget`` (nobody lists it) over the
    fixed seeds; the truth is the drawn weight x size x shoppers per size-day x days."""
    sc = catalogue()
    errors = []
    for seed in SEEDS:
        state = stocked_state(sc, ["a"])
        result = play(sc, state, {"a": {"research": [study(budget, "home")]}}, seed)
        (reading,) = result.teams["a"].research[0]["readings"]
        weight = draws_of(realise(sc, seed))["demand"][("US", "widget")]
        truth = 100 * 10 * weight * 30
        errors.append(math.log(reading["search_volume"]["estimate"] / truth))
    return errors


def test_research_noise_falls_with_the_money_spent() -> None:
    spread = {b: statistics.pstdev(log_errors(b)) for b in (1250.0, 5000.0, 80000.0)}
    # formula: 1.0, 0.5 and 0.125; 40 fixed seeds measure each within a third
    assert spread[1250.0] == pytest.approx(1.0, rel=0.33)
    assert spread[5000.0] == pytest.approx(0.5, rel=0.33)
    assert spread[80000.0] == pytest.approx(0.125, rel=0.33)
    assert spread[1250.0] > spread[5000.0] > spread[80000.0]


def test_a_study_shows_the_demand_nobody_served() -> None:
    sc = catalogue()
    huge = 1.25e7  # noise sd 0.01: the estimate is within a few % of the truth
    state = stocked_state(sc, ["a"], warehouse=50)
    state.teams["a"].cash_cny = 3e7  # rich enough for two such studies
    sheets = {
        "a": {"offers": {"US": {"gadget": OFFER}}, "research": [study(huge), study(huge, "home")]}
    }
    result = play(sc, state, sheets, 7)
    electronics, home = result.teams["a"].research
    (gadget,) = electronics["readings"]
    stats = result.markets["US"]["gadget"]
    # listed but sold out: the shoppers who chose it and found no stock
    assert stats["units_sold"] == 50
    unserved = stats["demand"] - stats["units_sold"]
    assert gadget["unserved"]["estimate"] == pytest.approx(unserved, rel=0.05)
    assert gadget["competing_listings"] == 1 and gadget["avg_rating"] == 4.0
    assert sum(band["listings"] for band in gadget["price_bands"]) == 1
    # nobody listed widget: a typical lone offer's shoppers
    (widget,) = home["readings"]
    weight = draws_of(realise(sc, 7))["demand"][("US", "widget")]
    expected = 100 * 10 * weight * 30 * lone_offer_share(sc)
    assert widget["unserved"]["estimate"] == pytest.approx(expected, rel=0.05)
    assert widget["competing_listings"] == 0 and widget["avg_rating"] is None
    assert widget["unserved"]["low"] <= widget["unserved"]["estimate"] <= widget["unserved"]["high"]
