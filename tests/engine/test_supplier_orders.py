"""Suppliers: minimum order quantities, price tiers, production lead days (a SimPy process,
carried into a later round), deposits and balances in cash, samples, defects."""

from __future__ import annotations

import pytest
from catalogue_helpers import catalogue
from engine_helpers import stocked_state

from simshop.engine.catalogue import realise, supplier_truth
from simshop.engine.decisions import DecisionErrors, validate_decisions
from simshop.engine.market import simulate_round
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import GameState


def issues(sc, state, raw):
    with pytest.raises(DecisionErrors) as excinfo:
        validate_decisions(sc, state.teams["a"], raw)
    return [(i.loc, i.code, i.params) for i in excinfo.value.issues]


def play(sc, state, sheets, seed=7):
    decided = {t: validate_decisions(sc, state.teams[t], raw) for t, raw in sheets.items()}
    return simulate_round(sc, state, decided, seed)


def fresh(teams=("a",)) -> tuple:
    sc = catalogue()
    return sc, stocked_state(sc, list(teams))


def test_an_order_below_the_chosen_supplier_s_moq_is_refused_with_its_minimum() -> None:
    sc, state = fresh()
    raw = {"suppliers": {"gadget": "slow"}, "factory_orders": {"gadget": 499}}
    assert issues(sc, state, raw) == [
        (
            ("factory_orders", "gadget"),
            "below_moq",
            {"product": "gadget", "supplier": "slow", "min_units": 500, "quantity": 499},
        )
    ]
    # the first supplier is the default: its MOQ is 100
    assert issues(sc, state, {"factory_orders": {"gadget": 99}})[0][2]["min_units"] == 100
    validate_decisions(sc, state.teams["a"], {"factory_orders": {"gadget": 100}})


def test_unknown_suppliers_and_samples_are_located() -> None:
    sc, state = fresh()
    raw = {
        "suppliers": {"gadget": "nobody"},
        "samples": [{"product": "widget", "supplier": "fast"}],
    }
    assert issues(sc, state, raw) == [
        (
            ("suppliers", "gadget"),
            "unknown_supplier",
            {"product": "gadget", "supplier": "nobody", "choices": ["fast", "slow", "mid"]},
        ),
        (
            ("samples", 0, "supplier"),
            "unknown_supplier",
            {"product": "widget", "supplier": "fast", "choices": ["mid"]},
        ),
    ]


def test_the_order_costs_its_tier_the_deposit_now_and_the_balance_on_delivery() -> None:
    sc, state = fresh()
    # fast: 1,000 units reach the 10 CNY tier; deposit 100 %, no lead time
    first = play(sc, state, {"a": {"factory_orders": {"gadget": 1000}}})
    cash = first.teams["a"].cash
    assert cash["supplier_deposits_cny"] == 10000.0
    assert cash["supplier_balances_cny"] == 0.0
    assert cash["purchases_cny"] == 10000.0
    assert first.teams["a"].china_stock["gadget"] == 1000
    assert first.state.teams["a"].stock_cost_cny == {"gadget": 10.0}
    assert first.state.teams["a"].stock_mix == {"gadget": {"fast": 1.0}}
    # mid: 200 units at 9 CNY, 50 % deposit, lands on day 12 of the round
    second = play(
        sc, state, {"a": {"suppliers": {"gadget": "mid"}, "factory_orders": {"gadget": 200}}}
    )
    cash = second.teams["a"].cash
    assert (cash["supplier_deposits_cny"], cash["supplier_balances_cny"]) == (900.0, 900.0)
    assert second.teams["a"].messages == [
        {
            "day": 12,
            "kind": "production_arrived",
            "team": "a",
            "product": "gadget",
            "supplier": "mid",
            "quantity": 200,
            "balance_cny": 900.0,
        }
    ]
    assert cash["end_cny"] == pytest.approx(
        cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], abs=0.005
    )


def test_a_lead_time_past_the_round_arrives_in_a_later_round() -> None:
    sc, state = fresh()
    raw = {"suppliers": {"gadget": "slow"}, "factory_orders": {"gadget": 500}}
    first = play(sc, state, {"a": raw})
    (batch,) = first.state.teams["a"].in_production
    assert (batch.arrive_round, batch.arrive_day, batch.quantity) == (2, 10, 500)
    assert (batch.unit_cost_cny, batch.balance_cny) == (8.0, 2800.0)  # 70 % of 4,000
    assert first.teams["a"].china_stock["gadget"] == 0
    assert first.teams["a"].cash["supplier_deposits_cny"] == 1200.0
    # the state survives JSON and the batch lands on day 10 of round 2
    restored = GameState.from_dict(first.state.to_dict())
    second = simulate_round(sc, restored, {}, 7)
    assert second.teams["a"].china_stock["gadget"] == 500
    assert second.teams["a"].cash["supplier_balances_cny"] == 2800.0
    assert [m["day"] for m in second.teams["a"].messages] == [10]
    assert second.state.teams["a"].in_production == []


def test_an_order_with_a_lead_time_cannot_be_shipped_in_its_own_round() -> None:
    sc, state = fresh()
    ship = [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 200}]
    later = {"suppliers": {"gadget": "mid"}, "factory_orders": {"gadget": 200}, "shipments": ship}
    assert issues(sc, state, later) == [
        (
            ("shipments", 0, "quantity"),
            "exceeds_stock",
            {"product": "gadget", "available": 0, "requested": 200},
        )
    ]
    at_once = {"factory_orders": {"gadget": 200}, "shipments": ship}  # fast: no lead time
    validate_decisions(sc, state.teams["a"], at_once)


def test_parcel_sales_start_on_the_day_the_batch_reaches_china() -> None:
    sc, state = fresh()
    offer = {"listed": True, "price_local": 12.0, "channel": "parcel"}
    raw = {
        "offers": {"US": {"gadget": offer}},
        "suppliers": {"gadget": "mid"},
        "factory_orders": {"gadget": 5000},
    }
    result = play(sc, state, {"a": raw})
    sold = result.teams["a"].offers[0]["units_sold"]
    assert 0 < sold < 5000
    # nothing to sell on days 1-11: a lost pick each day before the batch landed
    assert result.teams["a"].offers[0]["units_lost_stockout"] > 0


def test_a_sample_reveals_the_supplier_s_true_quality_and_defect_rate() -> None:
    sc, state = fresh(("a", "b"))
    raw = {"samples": [{"product": "gadget", "supplier": "slow"}]}
    result = play(sc, state, {"a": raw, "b": {}}, seed=11)
    quality, defects = supplier_truth(realise(sc, 11), "gadget", "slow")
    assert result.teams["a"].samples == [
        {
            "product": "gadget",
            "supplier": "slow",
            "cost_cny": 100.0,
            "quality": round(quality, 4),
            "defect_rate": round(defects, 4),
        }
    ]
    assert result.teams["a"].pnl["samples_cny"] == 100.0
    assert result.teams["b"].samples == [] and result.teams["b"].pnl["samples_cny"] == 0.0


def defects_world(defect: float):
    from catalogue_helpers import catalogue_dict

    data = catalogue_dict()
    supplier = data["products"][0]["suppliers"][0]
    supplier["defect_rate_range"] = [defect, defect]
    supplier["quality_range"] = [0.5, 0.5]
    return catalogue(products=data["products"])


def test_defects_come_back_as_returns_and_lower_the_rating() -> None:
    results = {}
    for defect in (0.0, 0.3):
        sc = defects_world(defect)
        state = stocked_state(sc, ["a"])
        offer = {"listed": True, "price_local": 12.0, "channel": "parcel"}
        raw = {"offers": {"US": {"gadget": offer}}, "factory_orders": {"gadget": 3000}}
        results[defect] = play(sc, state, {"a": raw}).teams["a"].offers[0]
    clean, faulty = results[0.0], results[0.3]
    assert clean["units_sold"] == faulty["units_sold"]  # same quality, same demand draws
    assert faulty["units_returned"] > clean["units_returned"] + 0.2 * faulty["units_sold"]
    assert faulty["rating"] < clean["rating"]


def test_the_cost_of_goods_sold_is_the_stock_s_average_cost() -> None:
    sc, state = fresh()
    offer = {"listed": True, "price_local": 12.0, "channel": "parcel"}
    raw = {"offers": {"US": {"gadget": offer}}, "factory_orders": {"gadget": 1000}}
    first = play(sc, state, {"a": raw})
    sold = first.teams["a"].offers[0]["units_sold"]
    assert first.teams["a"].pnl["cogs_cny"] == pytest.approx(sold * 10.0)
    # 500 more at 12 CNY (the first tier): average (left x 10 + 500 x 12) / (left + 500)
    left = first.state.teams["a"].china_stock["gadget"]
    second = play(sc, first.state, {"a": {**raw, "factory_orders": {"gadget": 500}}})
    average = (left * 10.0 + 500 * 12.0) / (left + 500)
    assert second.state.teams["a"].stock_cost_cny["gadget"] == pytest.approx(average, abs=1e-6)
    sold2 = second.teams["a"].offers[0]["units_sold"]
    assert second.teams["a"].pnl["cogs_cny"] == pytest.approx(sold2 * average, abs=0.01)


def test_a_scenario_without_suppliers_keeps_its_sheets_and_results_as_before() -> None:
    from engine_helpers import tiny

    sc = tiny()
    state = stocked_state(sc, ["a"])
    result = play(sc, state, {"a": {"factory_orders": {"gadget": 10}}})
    team = result.teams["a"]
    # no sourcing keys (products, research, samples); the other features' keys are always there
    assert set(team.to_dict()) == {
        "arrivals", "cash", "china_stock", "listings", "messages", "offers", "pnl",
        "pnl_by_market", "pnl_unallocated", "round_no", "search", "team_id",
    }  # fmt: skip
    assert "supplier_deposits_cny" not in team.cash and "samples_cny" not in team.pnl
    assert team.cash["purchases_cny"] == 100.0 and team.china_stock["gadget"] == 10
    assert DecisionSheet(factory_orders={"gadget": 1}).to_dict() == {
        "borrow_cny": 0.0, "enter_markets": [], "factory_orders": {"gadget": 1},
        "leave_markets": [], "offers": {}, "quality_investment_cny": {}, "shipments": [],
    }  # fmt: skip
    assert "in_production" not in result.state.teams["a"].to_dict()
