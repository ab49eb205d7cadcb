"""Golden traces: exact event logs and a P&L checked to the cent by hand."""

from __future__ import annotations

import pytest
from engine_helpers import play, stocked_state, tiny, tiny_dict

from simshop.engine.decisions import DecisionSheet
from simshop.engine.state import initial_state


def trace(result):
    return [(e["kind"], e["day"], e.get("market"), e.get("units")) for e in result.events]


def test_shipments_land_after_their_lead_time_in_one_batch_per_day():
    sc = tiny()
    state = stocked_state(sc, ["a", "b"], china=1000)
    ship = {
        "shipments": [
            {"product": "gadget", "market": "US", "mode": "sea", "quantity": 40},
            {"product": "gadget", "market": "US", "mode": "air", "quantity": 5},
        ]
    }
    result = play(sc, state, {"a": ship, "b": ship})
    assert trace(result) == [("shipment_arrived", 5, "US", 10), ("shipment_arrived", 10, "US", 80)]
    assert result.events[1]["shipments"] == 2
    assert result.teams["a"].arrivals == [
        {"day": 5, "market": "US", "product": "gadget", "mode": "air", "quantity": 5},
        {"day": 10, "market": "US", "product": "gadget", "mode": "sea", "quantity": 40},
    ]


def test_a_lead_time_past_the_round_lands_in_the_next_round():
    data = tiny_dict()
    data["markets"][0]["lanes"][0]["lead_days"] = 35
    sc = tiny(markets=data["markets"])
    state = stocked_state(sc, ["a"], china=100)
    ship = {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 30}]}
    first = play(sc, state, {"a": ship})
    assert trace(first) == []
    assert first.state.teams["a"].in_transit[0].arrive_round == 2
    assert first.state.teams["a"].in_transit[0].arrive_day == 5
    second = play(sc, first.state, {"a": {}})
    assert trace(second) == [("shipment_arrived", 5, "US", 30)]
    assert second.state.teams["a"].in_transit == []


def test_a_disruption_adds_its_extra_days_to_the_lead_time():
    event = {
        "kind": "shipping_disruption",
        "id": "red-sea",
        "round": 1,
        "headline": "Closed",
        "markets": ["US"],
        "mode": "sea",
        "extra_days": 12,
        "cost_multiplier": 2.0,
    }
    sc = tiny(events=[event])
    state = stocked_state(sc, ["a"], china=100)
    ship = {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 10}]}
    result = play(sc, state, {"a": ship})
    assert trace(result) == [("event_effective", 1, None, None), ("shipment_arrived", 22, "US", 10)]
    # freight doubled: 10 units x 0.5 kg x 2.0 CNY/kg x 2
    assert result.teams["a"].pnl["freight_cny"] == 20.0


def test_a_demand_shock_switches_on_and_off_on_its_days():
    event = {
        "kind": "demand_shock",
        "id": "festival",
        "round": 1,
        "headline": "11.11",
        "market": "US",
        "multiplier": 3.0,
        "first_day": 10,
        "last_day": 12,
    }
    sc = tiny(events=[event])
    result = play(sc, stocked_state(sc, ["a"]), {"a": {}})
    assert [(e["kind"], e["day"]) for e in result.events] == [
        ("event_effective", 1),
        ("demand_shock_on", 10),
        ("demand_shock_off", 13),
    ]


def test_pnl_without_sales_to_the_cent():
    """Enter, order 300, ship 100 by sea (lands day 10), borrow, invest, advertise, list
    nothing. Every line by hand:

    entry 1,000.00; purchases 300 x 10 = 3,000.00 (inventory, not a cost);
    freight 100 x 0.5 kg x 2 = 100.00; duty on arrival 100 x (10 + 1) x 25 % = 275.00;
    storage: 100 units on days 10..30 (21 end-of-day counts) x 0.1 = 210.00, plus China
    200 x 0.2 = 40.00; advertising 200.00; quality 500.00; interest 2 % x 20,000 = 400.00.
    """
    sc = tiny()
    state = initial_state(sc, ["a"])
    sheet = {
        "enter_markets": ["US"],
        "offers": {"US": {"gadget": {"listed": False, "ad_budget_cny": 200.0}}},
        "factory_orders": {"gadget": 300},
        "shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 100}],
        "quality_investment_cny": {"gadget": 500.0},
        "borrow_cny": 20000.0,
    }
    result = play(sc, state, {"a": sheet})
    team = result.teams["a"]
    assert team.pnl == {
        "revenue_cny": 0.0,
        "refunds_cny": 0.0,
        "cogs_cny": 0.0,
        "freight_cny": 100.0,
        "duty_cny": 275.0,
        "vat_cny": 0.0,
        "commission_cny": 0.0,
        "fulfilment_cny": 0.0,
        "storage_cny": 250.0,
        "advertising_cny": 200.0,
        "search_ads_cny": 0.0,
        "listing_content_cny": 0.0,
        "entry_fees_cny": 1000.0,
        "quality_investment_cny": 500.0,
        "interest_cny": 400.0,
        "total_costs_cny": 2725.0,
        "profit_cny": -2725.0,
    }
    assert team.cash["end_cny"] == 114275.0  # 100,000 + 20,000 - 2,725 - 3,000
    assert team.cash["debt_end_cny"] == 20000.0
    assert team.china_stock == {"gadget": 200}
    end = result.state.teams["a"]
    assert end.warehouse_stock == {"US": {"gadget": 100}}
    assert end.quality["gadget"] == pytest.approx(0.5 + 0.5 * 500 / 50500)


def test_pnl_with_sales_follows_units_sold_to_the_cent():
    """Revenue = units x price x fx; commission 15 %; fulfilment 3 per unit; cost of goods
    10 per unit; storage 0.1 per unit-day of end-of-day stock."""
    sc = tiny()
    state = stocked_state(sc, ["a"], warehouse=5000)
    result = play(
        sc,
        state,
        {"a": DecisionSheet.model_validate({"offers": {"US": {"gadget": {"price_local": 9.99}}}})},
    )
    team, row = result.teams["a"], result.teams["a"].offers[0]
    units = row["units_sold"]
    assert 0 < units < 5000
    revenue = round(units * 9.99 * 7.0, 2)
    assert team.pnl["revenue_cny"] == revenue
    assert team.pnl["commission_cny"] == round(0.15 * units * 9.99 * 7.0, 2)
    assert team.pnl["fulfilment_cny"] == round(3.0 * units, 2)
    assert team.pnl["cogs_cny"] == round(10.0 * units, 2)
    assert row["ending_stock"] == 5000 - units
    assert team.pnl["profit_cny"] == round(
        revenue
        - sum(
            v
            for k, v in team.pnl.items()
            if k not in ("revenue_cny", "profit_cny", "total_costs_cny")
        ),
        2,
    )
