"""Goods bought from a supplier are declared to customs at the price paid for them (the
transaction value, WTO Customs Valuation Agreement Art. 1): the stock's unit cost this
round, not the product's reference ``unit_cost_cny``. Products without suppliers keep it."""

from __future__ import annotations

import pytest
from catalogue_helpers import catalogue_dict
from engine_helpers import play, stocked_state

from simshop.engine.scenario import parse_scenario_dict

SEA = {"product": "gadget", "market": "US", "mode": "sea", "quantity": 500}


def world(basis: str = "CIF"):
    data = catalogue_dict()
    data["markets"][0]["customs_basis"] = basis
    return parse_scenario_dict(data)


def test_a_shipment_is_declared_at_the_supplier_s_tier_price_plus_freight_on_cif():
    """500 units from Fast Trading at its first tier (12 CNY; the product's reference cost is
    10): customs value 12 + 0.5 kg x 2 CNY/kg sea freight = 13 CNY, duty 25 % on landing."""
    sc = world()
    state = stocked_state(sc, ["a"])
    raw = {"factory_orders": {"gadget": 500}, "shipments": [SEA]}
    result = play(sc, state, {"a": raw})
    team = result.teams["a"]
    assert team.cash["purchases_cny"] == 500 * 12.0
    assert team.arrivals[0]["quantity"] == 500
    assert team.pnl["duty_cny"] == pytest.approx(500 * 13.0 * 0.25, abs=0.005)


def test_on_a_fob_market_the_declared_value_is_the_price_paid_alone():
    sc = world("FOB")
    state = stocked_state(sc, ["a"])
    raw = {"factory_orders": {"gadget": 500}, "shipments": [SEA]}
    team = play(sc, state, {"a": raw}).teams["a"]
    assert team.pnl["duty_cny"] == pytest.approx(500 * 12.0 * 0.25, abs=0.005)


def test_a_shipment_landing_next_round_carries_the_value_it_was_declared_at():
    data = catalogue_dict()
    data["markets"][0]["lanes"][0]["lead_days"] = 35
    sc = parse_scenario_dict(data)
    state = stocked_state(sc, ["a"])
    raw = {"factory_orders": {"gadget": 500}, "shipments": [SEA]}
    first = play(sc, state, {"a": raw})
    (shipment,) = first.state.teams["a"].in_transit
    assert shipment.customs_value_cny_per_unit == 13.0
    second = play(sc, first.state, {"a": {}})
    assert second.teams["a"].pnl["duty_cny"] == pytest.approx(500 * 13.0 * 0.25, abs=0.005)


def test_held_stock_and_new_goods_are_declared_at_their_average_cost():
    """1,000 units held at 6 CNY and 500 bought at 12: shipped at (6,000 + 6,000) / 1,500 = 8
    CNY a unit (the product's reference cost is 10)."""
    sc = world("FOB")
    state = stocked_state(sc, ["a"], china=1000)
    state.teams["a"].stock_cost_cny = {"gadget": 6.0}
    state.teams["a"].stock_mix = {"gadget": {"mid": 1.0}}
    raw = {"factory_orders": {"gadget": 500}, "shipments": [SEA]}
    team = play(sc, state, {"a": raw}).teams["a"]
    assert team.pnl["duty_cny"] == pytest.approx(500 * 8.0 * 0.25, abs=0.005)


def test_a_parcel_taxed_by_the_tariff_stack_is_valued_at_the_supplier_s_price():
    """No parcel rules in the market: the parcel's duty is the tariff stack on the goods'
    value, 12 CNY paid plus 0.5 kg x 30 CNY/kg parcel freight (CIF)."""
    sc = world()
    state = stocked_state(sc, ["a"])
    offer = {"listed": True, "price_local": 12.0, "channel": "parcel"}
    raw = {"offers": {"US": {"gadget": offer}}, "factory_orders": {"gadget": 500}}
    team = play(sc, state, {"a": raw}).teams["a"]
    sold = team.offers[0]["units_sold"]
    assert sold > 0
    assert team.pnl["duty_cny"] == pytest.approx(sold * (12.0 + 15.0) * 0.25, abs=0.005)


def test_products_without_suppliers_are_still_declared_at_their_unit_cost():
    from engine_helpers import tiny

    sc = tiny()
    state = stocked_state(sc, ["a"], china=500)
    team = play(sc, state, {"a": {"shipments": [SEA]}}).teams["a"]
    assert team.pnl["duty_cny"] == pytest.approx(500 * (10.0 + 1.0) * 0.25, abs=0.005)


def test_the_plan_prices_supplier_goods_at_the_cost_and_customs_value_the_round_uses():
    """The plan's unit cost and duty of a supplier product are the round's own: 500 units at
    the 12 CNY tier (reference cost 10), declared at 12 + 1 CNY sea freight."""
    from simshop.engine.conditions import conditions_for_round
    from simshop.engine.decisions import validate_decisions
    from simshop.engine.plan import plan_round

    sc = world()
    state = stocked_state(sc, ["a"])
    offer = {"listed": True, "price_local": 12.0, "channel": "warehouse"}
    raw = {"offers": {"US": {"gadget": offer}}, "factory_orders": {"gadget": 500}}
    raw["shipments"] = [SEA]
    sheet = validate_decisions(sc, state.teams["a"], raw)
    plan = plan_round(sc, conditions_for_round(sc, 1), state.teams["a"], sheet)
    (row,) = plan.offers
    assert row.unit_cost_cny == 12.0
    assert row.duty_cny == pytest.approx(13.0 * 0.25)
    team = play(sc, state, {"a": raw}).teams["a"]
    sold = team.offers[0]["units_sold"]
    assert team.pnl["cogs_cny"] == pytest.approx(sold * row.unit_cost_cny, abs=0.005)
    assert team.pnl["duty_cny"] == pytest.approx(500 * row.duty_cny, abs=0.005)
