"""The plan of a sheet: unit economics, arrivals, cash and warnings, exact and checked
against what the simulated round then charges and delivers."""

from __future__ import annotations

import pytest
from engine_helpers import listing, play, stocked_state, tiny, tiny_dict, with_market

from simshop.engine.conditions import conditions_for_round
from simshop.engine.plan import plan_round
from simshop.engine.scenario import parse_scenario_dict
from simshop.engine.sheet import DecisionSheet

SEA_200 = [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 200}]


def plan_for(scenario, state, sheet, team="a", last_sales=None):
    cond = conditions_for_round(scenario, state.round_no + 1)
    return plan_round(scenario, cond, state.teams[team], sheet, last_sales)


def test_a_sea_shipped_offer_costs_unit_cost_freight_and_duty_and_pays_its_fees():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=1000)
    plan = plan_for(sc, state, listing(5.0, shipments=SEA_200))
    [offer] = plan.offers
    # 0.5 kg x 2 CNY/kg freight; duty 25 % of the CIF value 10 + 1
    assert (offer.mode, offer.freight_cny, offer.duty_cny, offer.landed_cny) == (
        "sea",
        1.0,
        2.75,
        13.75,
    )
    # 5 USD x 7 = 35 CNY: commission 15 %, no VAT, fulfilment 3 CNY
    assert (offer.price_cny, offer.commission_cny, offer.vat_cny, offer.fulfilment_cny) == (
        35.0,
        5.25,
        0.0,
        3.0,
    )
    assert offer.fees_cny == 8.25
    assert offer.margin_cny == 13.0
    assert offer.margin_local == pytest.approx(13.0 / 7.0)
    # (13.75 + 3) / (7 x 0.85)
    assert offer.break_even_local == pytest.approx(16.75 / 5.95)
    assert offer.stock_units == 200


def test_vat_inside_the_price_is_a_fee_and_raises_the_break_even():
    sc = with_market(vat_rate=0.2, vat_seller_remits=True)
    state = stocked_state(sc, ["a"], warehouse=50)
    [offer] = plan_for(sc, state, listing(6.0)).offers
    # 42 CNY x 0.2 / 1.2
    assert offer.vat_cny == pytest.approx(7.0)
    assert offer.margin_cny == pytest.approx(42.0 - 6.3 - 7.0 - 3.0 - 13.75)
    assert offer.break_even_local == pytest.approx(16.75 / (7.0 * (1 - 0.15 - 0.2 / 1.2)))


def test_a_parcel_pays_parcel_freight_and_duty_and_no_fulfilment():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=300)
    [offer] = plan_for(sc, state, listing(8.0, channel="parcel")).offers
    # 0.5 kg x 30 CNY/kg; no de minimis: 25 % of 10 + 15
    assert (offer.mode, offer.freight_cny, offer.duty_cny, offer.fulfilment_cny) == (
        "parcel",
        15.0,
        6.25,
        0.0,
    )
    assert offer.landed_cny == 31.25
    assert offer.stock_units == 300


def test_the_plan_is_what_the_simulated_round_charges_and_delivers():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=1000)
    sheet = listing(5.0, shipments=SEA_200)
    plan = plan_for(sc, state, sheet)
    [offer], [shipment] = plan.offers, plan.shipments
    result = play(sc, state, {"a": sheet}).teams["a"]
    pnl, sold = result.pnl, sum(row["units_sold"] for row in result.offers)
    assert sold > 0
    assert result.arrivals == [
        {
            "day": shipment.arrive_day,
            "market": "US",
            "product": "gadget",
            "mode": "sea",
            "quantity": 200,
        }
    ]
    assert (shipment.arrive_round, shipment.arrive_day, shipment.selling_days) == (1, 10, 21)
    assert pnl["freight_cny"] == pytest.approx(200 * offer.freight_cny, abs=0.005)
    assert pnl["duty_cny"] == pytest.approx(200 * offer.duty_cny, abs=0.005)
    assert pnl["cogs_cny"] == pytest.approx(sold * offer.unit_cost_cny, abs=0.005)
    landed_charged = (pnl["cogs_cny"] / sold) + (pnl["freight_cny"] + pnl["duty_cny"]) / 200
    assert landed_charged == pytest.approx(offer.landed_cny)
    fees_charged = (pnl["commission_cny"] + pnl["vat_cny"] + pnl["fulfilment_cny"]) / sold
    assert fees_charged == pytest.approx(offer.fees_cny, abs=0.0001)
    margin_charged = pnl["revenue_cny"] / sold - fees_charged - landed_charged
    assert margin_charged == pytest.approx(offer.margin_cny, abs=0.0001)


def test_a_parcel_plan_is_what_the_round_charges_per_parcel():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=500)
    sheet = listing(8.0, channel="parcel")
    [offer] = plan_for(sc, state, sheet).offers
    result = play(sc, state, {"a": sheet}).teams["a"]
    sold = sum(row["units_sold"] for row in result.offers)
    assert sold > 0
    assert result.pnl["duty_cny"] == pytest.approx(sold * offer.duty_cny, abs=0.005)
    assert result.pnl["freight_cny"] == pytest.approx(sold * offer.freight_cny, abs=0.005)
    assert result.pnl["fulfilment_cny"] == 0.0


def test_a_shipment_landing_after_the_round_leaves_no_selling_days_and_is_flagged():
    data = tiny_dict()
    data["markets"][0]["lanes"][0]["lead_days"] = 35
    sc = parse_scenario_dict(data)
    state = stocked_state(sc, ["a"], china=100)
    plan = plan_for(
        sc,
        state,
        listing(5.0, shipments=[{**SEA_200[0], "quantity": 30}]),
    )
    [shipment] = plan.shipments
    assert (shipment.arrive_round, shipment.arrive_day, shipment.selling_days) == (2, 5, 0)
    codes = [(w.code, w.params) for w in plan.warnings]
    assert ("lands_after_round", {"mode": "sea", "round": 2, "day": 5}) in codes
    assert ("no_stock", {}) in codes


def test_stock_below_last_rounds_sales_is_flagged_and_enough_stock_is_not():
    sc = tiny()
    state = stocked_state(sc, ["a"], warehouse=80)
    short = plan_for(sc, state, listing(5.0), last_sales={("US", "gadget"): 120})
    assert [(w.code, w.params) for w in short.warnings] == [
        ("stock_short", {"stock": 80, "sold": 120})
    ]
    enough = plan_for(sc, state, listing(5.0), last_sales={("US", "gadget"): 60})
    assert enough.warnings == []


def test_a_price_under_break_even_is_flagged():
    sc = tiny()
    state = stocked_state(sc, ["a"], warehouse=80)
    plan = plan_for(sc, state, listing(2.5))
    assert [w.code for w in plan.warnings] == ["below_break_even"]
    assert plan.warnings[0].params == {"break_even": 2.82}


def test_the_cash_plan_lists_every_spending_line_and_what_is_left():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=1000)
    sheet = listing(
        5.0,
        ad=500.0,
        shipments=SEA_200,
        factory_orders={"gadget": 100},
        quality_investment_cny={"gadget": 300.0},
        borrow_cny=2000.0,
    )
    cash = plan_for(sc, state, sheet).cash
    assert cash.lines == {
        "entry_fees_cny": 0.0,
        "factory_orders_cny": 1000.0,
        "freight_cny": 200.0,
        "advertising_cny": 500.0,
        "search_ads_cny": 0.0,
        "listing_content_cny": 0.0,
        "quality_investment_cny": 300.0,
        "repayment_cny": 0.0,
    }
    assert (cash.total_cny, cash.cash_cny, cash.borrow_cny) == (2000.0, 100000.0, 2000.0)
    assert (cash.cash_after_cny, cash.credit_left_cny) == (100000.0, 48000.0)


def test_spending_beyond_cash_and_borrowing_is_flagged_with_the_shortfall():
    sc = tiny()
    state = stocked_state(sc, ["a"], warehouse=10)
    state.teams["a"].cash_cny = 400.0
    plan = plan_for(sc, state, listing(5.0, ad=1000.0))
    assert [(w.code, w.params) for w in plan.warnings] == [("insufficient_cash", {"short": 600.0})]


def test_an_empty_sheet_plans_nothing():
    sc = tiny()
    plan = plan_for(sc, stocked_state(sc, ["a"]), DecisionSheet())
    assert (plan.offers, plan.shipments, plan.warnings) == ([], [], [])
    assert plan.cash.total_cny == 0.0
    assert plan.to_dict()["cash"]["cash_after_cny"] == 100000.0
