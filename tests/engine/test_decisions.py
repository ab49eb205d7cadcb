"""validate_decisions: every error code with its location; carry_over; JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import stocked_state, tiny

from simshop.engine.decisions import (
    DecisionErrors,
    DecisionSheet,
    carry_over,
    decision_limits,
    empty_decisions,
    validate_decisions,
)
from simshop.engine.state import initial_state

ROOT = Path(__file__).resolve().parents[2]


def issues(raw, *, state=None, scenario=None):
    sc = scenario or tiny()
    team = (state or stocked_state(sc, ["a"], warehouse=10, china=50)).teams["a"]
    with pytest.raises(DecisionErrors) as info:
        validate_decisions(sc, team, raw)
    return [(i.code, i.loc) for i in info.value.issues]


OFFER = {"price_local": 10.0}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"offers": {"US": {"gadget": {"price_local": 0.0}}}},
            ("price_not_positive", ("offers", "US", "gadget", "price_local")),
        ),
        (
            {"offers": {"US": {"gadget": {"price_local": 5.0, "ad_budget_cny": -1.0}}}},
            ("negative_amount", ("offers", "US", "gadget", "ad_budget_cny")),
        ),
        ({"offers": {"XX": {"gadget": OFFER}}}, ("unknown_market", ("offers", "XX"))),
        ({"offers": {"US": {"nope": OFFER}}}, ("unknown_product", ("offers", "US", "nope"))),
        ({"enter_markets": ["US"]}, ("already_entered", ("enter_markets", 0))),
        (
            {"leave_markets": ["US"], "offers": {"US": {"gadget": OFFER}}},
            ("not_entered", ("offers", "US")),
        ),
        ({"factory_orders": {"gadget": -5}}, ("negative_quantity", ("factory_orders", "gadget"))),
        (
            {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 0}]},
            ("quantity_not_positive", ("shipments", 0, "quantity")),
        ),
        (
            {"shipments": [{"product": "gadget", "market": "US", "mode": "rail", "quantity": 1}]},
            ("no_lane", ("shipments", 0, "mode")),
        ),
        (
            {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 51}]},
            ("exceeds_stock", ("shipments", 0, "quantity")),
        ),
        (
            {"quality_investment_cny": {"gadget": -1.0}},
            ("negative_amount", ("quality_investment_cny", "gadget")),
        ),
        ({"borrow_cny": 50000.01}, ("credit_exceeded", ("borrow_cny",))),
        ({"borrow_cny": -1.0}, ("repay_exceeds_debt", ("borrow_cny",))),
        ({"factory_orders": {"gadget": 10001}}, ("insufficient_cash", ())),
        (
            {"offers": {"US": {"gadget": {"price_local": "10"}}}},
            ("invalid_type", ("offers", "US", "gadget", "price_local")),
        ),
        ({"offerz": {}}, ("unknown_field", ("offerz",))),
        (
            {"shipments": [{"product": "gadget", "market": "US", "mode": "boat", "quantity": 1}]},
            ("invalid_choice", ("shipments", 0, "mode")),
        ),
        (
            {"shipments": [{"product": "gadget", "market": "US", "quantity": 1}]},
            ("missing", ("shipments", 0, "mode")),
        ),
    ],
)
def test_each_error_code_is_located(raw, expected):
    assert issues(raw) == [expected]


def test_limits_are_derived_from_the_scenario():
    limits = decision_limits(tiny())
    # US reference price: 10 USD x 7.107 CNY/USD / 7.0 CNY/USD = 10.1529 USD, band x/÷ 100
    assert limits.prices[("US", "gadget")] == pytest.approx(
        (10 * 7.107 / 7 / 100, 10 * 7.107 / 7 * 100)
    )
    # peak shoppers per round: size 100 x 10 per size-day x 30 days = 30,000; x 100 headroom
    assert limits.max_units == {"gadget": 3_000_000}
    # 100 x (starting cash 100,000 + credit line 50,000)
    assert limits.max_money_cny == 15_000_000.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"offers": {"US": {"gadget": {"price_local": 1e-200}}}},
            ("price_out_of_range", ("offers", "US", "gadget", "price_local")),
        ),
        (
            {"offers": {"US": {"gadget": {"price_local": 1015.29}}}},
            ("price_out_of_range", ("offers", "US", "gadget", "price_local")),
        ),
        (
            {"offers": {"US": {"gadget": {"price_local": 10.0, "ad_budget_cny": 1.6e7}}}},
            ("amount_too_large", ("offers", "US", "gadget", "ad_budget_cny")),
        ),
        (
            {"quality_investment_cny": {"gadget": 1e300}},
            ("amount_too_large", ("quality_investment_cny", "gadget")),
        ),
        (
            {"factory_orders": {"gadget": 3_000_001}},
            ("quantity_too_large", ("factory_orders", "gadget")),
        ),
        (
            {
                "shipments": [
                    {"product": "gadget", "market": "US", "mode": "sea", "quantity": 2**70}
                ]
            },
            ("quantity_too_large", ("shipments", 0, "quantity")),
        ),
        (
            {"offers": {"US": {"gadget": {"price_local": float("inf")}}}},
            ("not_a_number", ("offers", "US", "gadget", "price_local")),
        ),
        ({"borrow_cny": float("nan")}, ("not_a_number", ("borrow_cny",))),
    ],
)
def test_values_beyond_the_scenario_limits_are_located(raw, expected):
    assert issues(raw) == [expected]


def test_prices_at_both_ends_of_the_band_are_accepted():
    sc = tiny()
    team = stocked_state(sc, ["a"]).teams["a"]
    low, high = decision_limits(sc).prices[("US", "gadget")]
    for price in (low, high):
        sheet = validate_decisions(sc, team, {"offers": {"US": {"gadget": {"price_local": price}}}})
        assert sheet.offers["US"]["gadget"].price_local == price


def test_not_entered_market_for_shipments():
    sc = tiny()
    state = initial_state(sc, ["a"])
    state.teams["a"].china_stock = {"gadget": 10}
    raw = {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 1}]}
    assert issues(raw, state=state) == [("not_entered", ("shipments", 0, "market"))]


def test_channel_closed_and_no_parcel_lane():
    event = {
        "kind": "market_rule",
        "id": "shut",
        "round": 1,
        "headline": "Shut",
        "market": "US",
        "channel_closed": "sea",
    }
    sc = tiny(events=[event])
    raw = {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 1}]}
    assert issues(raw, scenario=sc) == [("channel_closed", ("shipments", 0, "mode"))]
    data = tiny().model_dump()
    data["markets"][0]["lanes"] = data["markets"][0]["lanes"][:2]
    no_parcel = tiny(markets=data["markets"])
    raw = {"offers": {"US": {"gadget": {"price_local": 5.0, "channel": "parcel"}}}}
    assert issues(raw, scenario=no_parcel) == [
        ("no_parcel_lane", ("offers", "US", "gadget", "channel"))
    ]


def test_every_issue_is_reported_with_params_and_message():
    sc = tiny()
    team = stocked_state(sc, ["a"]).teams["a"]
    raw = {"offers": {"US": {"gadget": {"price_local": -1.0}}}, "factory_orders": {"x": 1}}
    with pytest.raises(DecisionErrors) as info:
        validate_decisions(sc, team, raw)
    found = info.value.issues
    assert [i.code for i in found] == ["price_not_positive", "unknown_product"]
    assert found[1].params == {"product": "x", "choices": ["gadget"]}
    assert "not a product" in found[1].message
    assert json.dumps([i.to_dict() for i in found])


def test_carry_over_keeps_listings_and_drops_orders():
    sheet = DecisionSheet.model_validate(
        {
            "enter_markets": ["US"],
            "offers": {"US": {"gadget": {"price_local": 9.0}}},
            "factory_orders": {"gadget": 5},
            "borrow_cny": 100.0,
        }
    )
    carried = carry_over(sheet)
    assert carried.offers == sheet.offers
    assert (carried.enter_markets, carried.factory_orders, carried.borrow_cny) == ([], {}, 0.0)
    assert carry_over(None) == empty_decisions()


def test_sheet_round_trips_with_sorted_keys():
    sheet = DecisionSheet.model_validate({"offers": {"US": {"gadget": OFFER}}})
    data = sheet.to_dict()
    assert list(data) == sorted(data)
    assert DecisionSheet.from_dict(json.loads(json.dumps(data))) == sheet


def test_example_decisions_file_is_valid_for_the_tutorial(tutorial):
    from simshop.engine.headless import play_game

    plan = json.loads((ROOT / "examples" / "decisions.json").read_text(encoding="utf-8"))
    record = play_game(tutorial, seed=1, rounds=2, bots=1, human_teams=plan["teams"])
    assert [t["team_id"] for t in record["teams"]] == ["bot01-cost_plus", "team-a"]
    assert record["rounds"][0]["decisions"]["team-a"]["enter_markets"] == ["US", "EU"]
