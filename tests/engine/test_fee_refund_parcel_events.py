"""The 2026 event kinds, to the cent: warehouse fee changes, duty refunds and the flat parcel
duty per tariff category.

The tiny scenario (``engine_helpers.TINY``): one market (US, 7 CNY per USD, fulfilment 3 CNY a
unit, storage 0.1 CNY a unit-day), one product (gadget: 10 CNY, 0.5 kg, electronics at 25 %),
air freight 20 CNY/kg (5 days), parcel freight 30 CNY/kg.
"""

from __future__ import annotations

import pytest
from engine_helpers import listing, offer_row, play, stocked_state, tiny, tiny_dict

from simshop.engine.conditions import conditions_for_round
from simshop.engine.logistics import parcel_duty_cny
from simshop.engine.scenario import parse_scenario_dict

BIG = {"shoppers_per_size_day": 200.0}


def event(kind: str, round_no: int, **params) -> dict:
    return {"kind": kind, "id": f"{kind.replace('_', '-')}-{round_no}", "round": round_no,
            "headline": kind, **params}  # fmt: skip


# --------------------------------------------------------------------------- warehouse fees


def test_fee_change_adds_to_fulfilment_and_multiplies_storage_while_in_force():
    sc = tiny(
        events=[
            event("warehouse_fee_change", 2, market="US", fulfilment_add_cny=0.6),
            event("warehouse_fee_change", 3, market="US", storage_multiplier=3.2,
                  duration_rounds=1),
        ]
    )  # fmt: skip
    fees = [
        (m.fulfilment_cny_per_unit, m.storage_cny_per_unit_day)
        for m in (conditions_for_round(sc, r).markets["US"] for r in (1, 2, 3, 4))
    ]
    assert fees == [
        (3.0, 0.1),
        (pytest.approx(3.6), 0.1),
        (pytest.approx(3.6), pytest.approx(0.32)),  # the surcharge lasts one round
        (pytest.approx(3.6), 0.1),  # the fee rise lasts to the end
    ]


def test_fulfilment_fee_never_goes_below_zero():
    sc = tiny(events=[event("warehouse_fee_change", 1, market="US", fulfilment_add_cny=-5.0)])
    assert conditions_for_round(sc, 1).markets["US"].fulfilment_cny_per_unit == 0.0


def test_the_round_pays_the_changed_fees_to_the_cent():
    sc = parse_scenario_dict(
        tiny_dict(
            model=BIG,
            events=[
                event("warehouse_fee_change", 1, market="US", fulfilment_add_cny=0.6,
                      storage_multiplier=3.2),
            ],
        )
    )  # fmt: skip
    # a sells its 37 units at once; b lists nothing and stores 100 units all 30 days
    state = stocked_state(sc, ["a", "b"], warehouse=37)
    state.teams["b"].warehouse_stock["US"]["gadget"] = 100
    result = play(sc, state, {"a": listing(5.0), "b": {}}, seed=2)
    assert offer_row(result, "a")["units_sold"] == 37
    assert result.teams["a"].pnl["fulfilment_cny"] == 133.2  # 37 x (3.0 + 0.6)
    assert result.teams["b"].pnl["fulfilment_cny"] == 0.0
    assert result.teams["b"].pnl["storage_cny"] == 960.0  # 100 x 30 days x 0.1 x 3.2


# --------------------------------------------------------------------------- duty refunds


def refund_scenario(**refund):
    """Duty paid in rounds 1-2 comes back in round 3 (BIG demand: every parcel sells)."""
    return parse_scenario_dict(
        tiny_dict(
            model=BIG,
            events=[event("duty_refund", 3, market="US", paid_to_round=2, **refund)],
        )
    )


def play_refund_rounds(sc):
    """Round 1: 10 units by air (customs value 10 + 0.5 x 20 = 20 a unit: duty 50.00 on
    200.00). Round 2: 20 direct parcels (value 10 + 0.5 x 30 = 25: duty 125.00 on 500.00).
    Round 3: 10 more by air, after the refund window (duty 50.00, not refunded)."""
    state = stocked_state(sc, ["a"], china=30)
    air = {"shipments": [{"product": "gadget", "market": "US", "mode": "air", "quantity": 10}]}
    first = play(sc, state, {"a": air})
    second = play(sc, first.state, {"a": listing(5.0, channel="parcel")}, seed=2)
    assert offer_row(second, "a")["units_sold"] == 20
    third = play(sc, second.state, {"a": {**air, "factory_orders": {"gadget": 10}}})
    return first, second, third


def test_duty_paid_is_recorded_per_market_category_and_round_while_a_refund_may_return_it():
    first, second, third = play_refund_rounds(refund_scenario(share=1.0))
    assert first.teams["a"].pnl["duty_cny"] == 50.0
    assert second.teams["a"].pnl["duty_cny"] == 125.0
    assert third.teams["a"].pnl["duty_cny"] == 50.0
    assert third.state.teams["a"].duty_paid == [
        {"market": "US", "category": "electronics", "round": 1,
         "customs_value_cny": 200.0, "duty_cny": 50.0},
        {"market": "US", "category": "electronics", "round": 2,
         "customs_value_cny": 500.0, "duty_cny": 125.0},
    ]  # fmt: skip


def test_a_share_refund_pays_back_that_share_of_the_duty_paid():
    first, second, third = play_refund_rounds(refund_scenario(share=0.5))
    pnl, cash = third.teams["a"].pnl, third.teams["a"].cash
    assert first.teams["a"].pnl["duty_refund_cny"] == 0.0
    assert pnl["duty_refund_cny"] == 87.5  # (50 + 125) / 2
    assert pnl["profit_cny"] == pytest.approx(
        pnl["revenue_cny"] + 87.5 - pnl["total_costs_cny"], abs=0.001
    )
    assert cash["inflows_cny"] == pytest.approx(
        pnl["revenue_cny"] + 87.5 + cash["borrowed_cny"] + cash["overdraft_cny"], abs=0.001
    )
    assert cash["end_cny"] == pytest.approx(
        cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], abs=0.005
    )
    assert {"kind": "duty_refund", "team": "a", "market": "US", "amount_cny": 87.5,
            "event": "duty-refund-3", "day": 30} in third.teams["a"].messages  # fmt: skip


def test_a_voided_rate_refunds_that_rate_of_the_customs_value_at_most_the_duty():
    # 0.2 x 200 = 40 (of 50 paid) + 0.2 x 500 = 100 (of 125 paid) = 140
    assert play_refund_rounds(refund_scenario(rate=0.2))[2].teams["a"].pnl["duty_refund_cny"] == (
        140.0
    )
    # 0.3 x 200 = 60 is capped at the 50 paid; 0.3 x 500 = 150 at the 125 paid
    assert play_refund_rounds(refund_scenario(rate=0.3))[2].teams["a"].pnl["duty_refund_cny"] == (
        175.0
    )


def test_a_refund_for_another_category_or_window_returns_nothing():
    round_two_only = refund_scenario(share=1.0, categories=["*"], paid_from_round=2)
    assert play_refund_rounds(round_two_only)[2].teams["a"].pnl["duty_refund_cny"] == 125.0
    data = tiny_dict(model=BIG)
    data["products"].append({**data["products"][0], "id": "doll", "category": "toys"})
    data["events"] = [
        event("duty_refund", 3, market="US", categories=["toys"], paid_to_round=2, share=1.0)
    ]
    sc = parse_scenario_dict(data)
    state = stocked_state(sc, ["a"], china=40)
    air = {"shipments": [{"product": "gadget", "market": "US", "mode": "air", "quantity": 10}]}
    first = play(sc, state, {"a": air})
    assert [r["category"] for r in first.state.teams["a"].duty_paid] == ["electronics"]
    assert (
        play(sc, play(sc, first.state, {"a": {}}).state, {"a": {}})
        .teams["a"]
        .pnl["duty_refund_cny"]
        == 0.0
    )


def test_without_a_refund_event_no_duty_is_recorded_and_the_pnl_has_no_refund_line():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=10)
    air = {"shipments": [{"product": "gadget", "market": "US", "mode": "air", "quantity": 10}]}
    result = play(sc, state, {"a": air})
    assert result.teams["a"].pnl["duty_cny"] == 50.0
    assert "duty_refund_cny" not in result.teams["a"].pnl
    assert "duty_paid" not in result.state.teams["a"].to_dict()


# --------------------------------------------------------------------------- parcel duty


def category_duty_scenario(de_minimis: float, **duty):
    data = tiny_dict(model=BIG)
    data["markets"][0]["de_minimis_local"] = de_minimis
    data["events"] = [event("parcel_category_duty", 1, market="US", **duty)]
    return parse_scenario_dict(data)


def test_parcels_under_the_limit_pay_the_duty_per_category_shared_by_the_items():
    # 0.5 USD per category x 2 categories / 4 items = 0.25 USD an item, at 7 CNY per USD
    sc = category_duty_scenario(800.0, duty_per_category_local=0.5, max_value_local=150.0,
                                categories_per_parcel=2.0, items_per_parcel=4.0)  # fmt: skip
    result = play(sc, stocked_state(sc, ["a"], china=20), {"a": listing(5.0, channel="parcel")})
    assert offer_row(result, "a")["units_sold"] == 20
    assert result.teams["a"].pnl["duty_cny"] == 35.0  # 20 x 0.25 x 7
    mc = conditions_for_round(sc, 1).markets["US"]
    assert parcel_duty_cny(sc.products[0], mc, 5.0, 7.0) == pytest.approx(1.75)


def test_parcels_over_the_limit_keep_the_market_rule():
    # over the 4 USD limit the $800 de minimis applies again: no duty
    sc = category_duty_scenario(800.0, duty_per_category_local=3.0, max_value_local=4.0)
    result = play(sc, stocked_state(sc, ["a"], china=20), {"a": listing(5.0, channel="parcel")})
    assert result.teams["a"].pnl["duty_cny"] == 0.0
    # no exemption at all: the tariff stack on cost + parcel freight, 20 x 0.25 x 25
    sc = category_duty_scenario(0.0, duty_per_category_local=3.0, max_value_local=4.0)
    result = play(sc, stocked_state(sc, ["a"], china=20), {"a": listing(5.0, channel="parcel")})
    assert result.teams["a"].pnl["duty_cny"] == 125.0


def test_stock_shipped_to_a_warehouse_pays_ordinary_duty_not_the_parcel_duty():
    sc = category_duty_scenario(800.0, duty_per_category_local=3.0, max_value_local=150.0)
    air = {"shipments": [{"product": "gadget", "market": "US", "mode": "air", "quantity": 10}]}
    result = play(sc, stocked_state(sc, ["a"], china=10), {"a": air})
    assert result.teams["a"].pnl["duty_cny"] == 50.0


def test_a_later_parcel_duty_event_replaces_the_earlier_one():
    data = tiny_dict()
    data["events"] = [
        event("parcel_category_duty", 1, market="US", duty_per_category_local=2.0,
              max_value_local=150.0),
        event("parcel_category_duty", 3, market="US", duty_per_category_local=3.0,
              max_value_local=150.0),
    ]  # fmt: skip
    sc = parse_scenario_dict(data)
    duties = [conditions_for_round(sc, r).markets["US"].parcel_category_duty_local for r in (1, 3)]
    assert duties == [2.0, 3.0]
