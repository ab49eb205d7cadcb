"""Economic properties of the market model, one behaviour per test."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import listing, offer_row, play, stocked_state, tiny, with_model

from simshop.engine.conditions import conditions_for_round
from simshop.engine.demand import allocate_customers, choice_probabilities, offer_utility
from simshop.engine.headless import play_game
from simshop.engine.logistics import customs_value_cny, landed_cost_cny

BIG = {"shoppers_per_size_day": 200.0}
SMALL_BIG = {"shoppers_per_size_day": 20.0}


def test_raising_own_price_lowers_own_units():
    sc = with_model(**BIG)
    state = stocked_state(sc, ["a", "b"], warehouse=10**6)
    units = []
    for price in (9.0, 10.0, 11.0):
        result = play(sc, state, {"a": listing(price), "b": listing(10.0)}, seed=5)
        units.append(offer_row(result, "a")["units_sold"])
    assert units[0] > units[1] > units[2]


def test_two_identical_teams_split_a_market_evenly():
    sc = with_model(**BIG)
    state = stocked_state(sc, ["a", "b"], warehouse=10**6)
    result = play(sc, state, {"a": listing(10.0), "b": listing(10.0)}, seed=11)
    a, b = offer_row(result, "a")["units_sold"], offer_row(result, "b")["units_sold"]
    total = a + b
    assert total > 20000
    # binomial split: sd of the share is sqrt(0.25 / total) < 0.0035; allow 5 sd
    assert abs(a / total - 0.5) < 5 * (0.25 / total) ** 0.5


def test_more_advertising_raises_demand_with_diminishing_returns():
    sc = tiny()
    params = sc.model

    def share(ad_cny: float) -> float:
        u = offer_utility(
            params,
            2.6,
            np.array([1.0]),
            np.array([0.5]),
            np.array([4.0]),
            np.array([0.0]),
            np.array([2.0]),
            np.array([ad_cny]),
            20000.0,
        )
        return float(choice_probabilities(u, params.nest_lambda, params.outside_utility)[0][0])

    steps = [share(a) for a in (0.0, 20000.0, 40000.0, 60000.0)]
    gains = np.diff(steps)
    assert (gains > 0).all()
    assert gains[0] > gains[1] > gains[2]
    # and in the simulation: advertising raises units sold (the ad scale of this market
    # is 0.015 x 60,000 shoppers x 70 CNY = 63,000 CNY, so a budget of that order)
    big = with_model(**SMALL_BIG)
    state = stocked_state(big, ["a"], warehouse=10**6)
    quiet = offer_row(play(big, state, {"a": listing(10.0)}, seed=3), "a")["units_sold"]
    loud = offer_row(play(big, state, {"a": listing(10.0, ad=60000.0)}, seed=3), "a")
    assert loud["units_sold"] > quiet * 1.05


def test_a_tariff_rise_raises_landed_cost_by_the_rate_on_the_customs_value():
    event = {
        "kind": "tariff_change",
        "id": "hike",
        "round": 2,
        "headline": "Hike",
        "market": "US",
        "categories": ["electronics"],
        "add_points": 0.2,
    }
    sc = tiny(events=[event])
    product = sc.product("gadget")
    before = conditions_for_round(sc, 1).markets["US"]
    after = conditions_for_round(sc, 2).markets["US"]
    value = customs_value_cny(product, before.lane("sea"))
    assert value == 10.0 + 0.5 * 2.0
    assert landed_cost_cny(product, after, "sea") - landed_cost_cny(
        product, before, "sea"
    ) == pytest.approx(0.2 * value, abs=1e-12)
    assert after.tariff_rate("electronics") == pytest.approx(0.45)


def test_duty_is_paid_on_arrival_at_the_rate_then_in_force():
    event = {
        "kind": "tariff_change",
        "id": "hike",
        "round": 2,
        "headline": "Hike",
        "market": "US",
        "rate": 1.0,
    }
    data_lanes = tiny().model_dump()["markets"]
    data_lanes[0]["lanes"][0]["lead_days"] = 40
    sc = tiny(events=[event], markets=data_lanes)
    state = stocked_state(sc, ["a"], china=100)
    ship = {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 10}]}
    first = play(sc, state, {"a": ship})
    assert first.teams["a"].pnl["duty_cny"] == 0.0
    second = play(sc, first.state, {"a": {}})
    assert second.teams["a"].pnl["duty_cny"] == 10 * 11.0 * 1.0


def test_units_sold_never_exceed_the_stock_available():
    sc = with_model(**BIG)
    state = stocked_state(sc, ["a", "b"], warehouse=37)
    result = play(sc, state, {"a": listing(5.0), "b": listing(5.0)}, seed=2)
    for team in ("a", "b"):
        row = offer_row(result, team)
        assert row["units_sold"] == 37
        assert row["ending_stock"] == 0
        assert row["units_lost_stockout"] > 0
        assert row["units_demanded"] == row["units_sold"] + row["units_lost_stockout"]


def test_parcel_offers_sell_from_china_stock_only():
    sc = with_model(**BIG)
    state = stocked_state(sc, ["a"], warehouse=500, china=20)
    result = play(sc, state, {"a": listing(5.0, channel="parcel")}, seed=2)
    row = offer_row(result, "a")
    assert row["units_sold"] == 20
    assert row["ending_stock"] == 500
    assert result.teams["a"].china_stock == {"gadget": 0}
    assert row["delivery_days"] == 9
    # parcel freight per unit sold, no fulfilment; the tariff stack on cost + parcel freight
    assert result.teams["a"].pnl["freight_cny"] == 20 * 0.5 * 30.0
    assert result.teams["a"].pnl["fulfilment_cny"] == 0.0
    assert result.teams["a"].pnl["duty_cny"] == 20 * 0.25 * (10.0 + 15.0)


def test_cash_identity_holds_to_the_cent_every_round(tutorial_text):
    record = play_game(tutorial_text, seed=4, rounds=4)
    for rnd in record["rounds"]:
        for team in rnd["result"]["teams"].values():
            cash = team["cash"]
            assert cash["end_cny"] == pytest.approx(
                cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], abs=0.005
            )
            assert cash["end_cny"] >= 0.0


def test_a_team_with_no_listings_sells_nothing():
    sc = with_model(**BIG)
    state = stocked_state(sc, ["a", "b"], warehouse=1000)
    result = play(sc, state, {"a": {}, "b": listing(10.0)})
    row = offer_row(result, "a")
    assert (row["units_sold"], row["units_demanded"], row["revenue_cny"]) == (0, 0, 0.0)
    assert result.teams["a"].pnl["revenue_cny"] == 0.0


def test_stocked_out_customers_take_the_next_best_offer():
    rng = np.random.default_rng(0)
    picks, sold, first = allocate_customers(
        rng, 1000, np.log(np.array([5.0, 1.0])), 1.0, -700.0, np.array([0, 10**6])
    )
    # no outside option to speak of (utility -700): whoever picked the empty offer buys
    # the other one
    assert sold.tolist() == [0, 1000]
    assert picks[0] > 700 and picks[1] == 1000 and first == 1000


def test_stocked_out_customers_go_elsewhere_or_leave_in_the_simulation():
    sc = with_model(**BIG)
    plenty = stocked_state(sc, ["a", "b"], warehouse=10**6)
    empty_a = stocked_state(sc, ["a", "b"], warehouse=10**6)
    empty_a.teams["a"].warehouse_stock["US"]["gadget"] = 0
    sheets = {"a": listing(10.0), "b": listing(10.0)}
    shared = offer_row(play(sc, plenty, sheets, seed=8), "b")["units_sold"]
    spilled = play(sc, empty_a, sheets, seed=8)
    alone = offer_row(play(sc, plenty, {"a": {}, "b": listing(10.0)}, seed=8), "b")
    a_row = offer_row(spilled, "a")
    assert a_row["units_sold"] == 0 and a_row["units_lost_stockout"] == a_row["units_demanded"]
    b_units = offer_row(spilled, "b")["units_sold"]
    assert b_units > shared  # some of A's customers come to B; most leave (outside option)
    # under IIA, B with A stocked out sells like B alone (within 5 Poisson sd)
    assert abs(b_units - alone["units_sold"]) < 5 * alone["units_sold"] ** 0.5


def test_min_price_rule_delists_cheap_offers_with_a_message():
    event = {
        "kind": "market_rule",
        "id": "floor",
        "round": 1,
        "headline": "Floor",
        "market": "US",
        "min_price_local": 8.0,
    }
    sc = tiny(events=[event])
    state = stocked_state(sc, ["a", "b"], warehouse=100)
    result = play(sc, state, {"a": listing(7.5), "b": listing(9.0)})
    delisted = [e for e in result.events if e["kind"] == "delisted"]
    assert [(e["team"], e["reason"]) for e in delisted] == [("a", "min_price")]
    assert result.teams["a"].messages == delisted
    assert offer_row(result, "a")["listed"] is False


def test_fx_move_is_interpolated_per_day():
    event = {
        "kind": "fx_move",
        "id": "eur",
        "round": 2,
        "headline": "USD up",
        "currency": "USD",
        "change": 0.3,
        "over_rounds": 3,
    }
    sc = tiny(events=[event])
    assert conditions_for_round(sc, 1).markets["US"].fx_cny_per_local == (7.0,) * 30
    day1 = conditions_for_round(sc, 2).markets["US"].fx_cny_per_local[0]
    assert day1 == pytest.approx(7.0 * (1 + 0.3 / 90))
    assert conditions_for_round(sc, 4).markets["US"].fx_cny_per_local[-1] == pytest.approx(9.1)
    # the move is complete after over_rounds rounds: day 1 of round 5 carries all of it
    assert conditions_for_round(sc, 5).markets["US"].fx_cny_per_local[0] == pytest.approx(9.1)


def test_listing_cap_and_closed_parcel_channel_delist_with_reasons():
    data = tiny().model_dump()
    second = dict(data["products"][0], id="widget", name="Widget")
    rule = {
        "kind": "market_rule",
        "id": "rules",
        "round": 1,
        "headline": "Rules",
        "market": "US",
        "listing_cap": 1,
        "channel_closed": "parcel",
    }
    sc = tiny(products=[data["products"][0], second], events=[rule])
    state = stocked_state(sc, ["a", "b"], warehouse=10, china=10)
    both = {"offers": {"US": {"gadget": {"price_local": 9.0}, "widget": {"price_local": 9.0}}}}
    parcel = {"offers": {"US": {"gadget": {"price_local": 9.0, "channel": "parcel"}}}}
    result = play(sc, state, {"a": both, "b": parcel})
    reasons = [(e["team"], e["product"], e["reason"]) for e in result.events[1:]]
    assert reasons == [("b", "gadget", "channel_closed"), ("a", "widget", "listing_cap")]
