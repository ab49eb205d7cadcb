"""A catalogue's hidden demand and supplier draws: made once per game from the scenario's
ranges, seeded by the game, the same in every caller, never in the scenario's own data."""

from __future__ import annotations

import json

import pytest
from catalogue_helpers import catalogue, catalogue_dict
from engine_helpers import stocked_state, tiny

from simshop.engine.catalogue import demand_weight, draws_of, public, realise, supplier_truth
from simshop.engine.decisions import decision_limits, validate_decisions
from simshop.engine.market import simulate_round
from simshop.engine.round_step import play_round
from simshop.engine.scenario import parse_scenario_dict

SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]


def draws(seed: int) -> dict:
    found = draws_of(realise(catalogue(), seed))
    assert found is not None
    return found


def test_the_same_game_seed_draws_the_same_values() -> None:
    assert draws(7) == draws(7)
    assert draws(7)["seed"] == 7


def test_every_game_seed_draws_its_own_demand_and_supplier_truth() -> None:
    demand = [draws(s)["demand"][("US", "gadget")] for s in SEEDS]
    quality = [draws(s)["suppliers"][("gadget", "slow")][0] for s in SEEDS]
    assert len(set(demand)) == len(SEEDS)
    assert len(set(quality)) == len(SEEDS)


def test_draws_stay_within_their_ranges() -> None:
    for seed in SEEDS:
        found = draws(seed)
        assert 0.5 <= found["demand"][("US", "gadget")] <= 2.0
        assert 0.2 <= found["demand"][("US", "widget")] <= 3.0
        quality, defects = found["suppliers"][("gadget", "slow")]
        assert 0.3 <= quality <= 0.5 and 0.05 <= defects <= 0.1
        assert found["suppliers"][("gadget", "mid")] == (0.5, 0.0)  # a range of one value


def test_demand_is_log_uniform_around_the_geometric_middle() -> None:
    below = [draws(s)["demand"][("US", "gadget")] < 1.0 for s in range(200)]
    # the median of a log-uniform draw on [0.5, 2] is sqrt(0.5 x 2) = 1
    assert 80 <= sum(below) <= 120


def test_a_market_the_scenario_does_not_have_is_ignored() -> None:
    data = catalogue_dict()
    data["products"][0]["demand_range"]["JP"] = [1.0, 4.0]
    found = draws_of(realise(parse_scenario_dict(data), 7))
    assert found is not None
    assert set(found["demand"]) == {("US", "gadget"), ("US", "widget")}
    # adding a market's range moves no other draw
    assert found["demand"][("US", "gadget")] == draws(7)["demand"][("US", "gadget")]


def test_unrealised_and_public_scenarios_show_only_the_ranges_middle() -> None:
    sc = catalogue()
    realised = realise(sc, 7)
    gadget = sc.product("gadget")
    assert demand_weight(sc, "US", gadget) == 1.0  # sqrt(0.5 x 2)
    assert demand_weight(public(realised), "US", gadget) == 1.0
    assert demand_weight(realised, "US", gadget) == draws(7)["demand"][("US", "gadget")]
    assert supplier_truth(sc, "gadget", "slow") == pytest.approx((0.4, 0.075))
    assert draws_of(public(realised)) is None


def test_realising_is_idempotent_and_a_plain_scenario_is_untouched() -> None:
    realised = realise(catalogue(), 7)
    assert realise(realised, 7) is realised
    assert draws_of(realise(realised, 8)) == draws(8)
    plain = tiny()
    assert realise(plain, 7) is plain


def test_the_draws_are_never_serialised_with_the_scenario() -> None:
    sc = catalogue()
    realised = realise(sc, 7)
    assert realised.model_dump() == sc.model_dump()
    text = json.dumps(realised.model_dump(mode="json"))
    value = draws(7)["demand"][("US", "gadget")]
    assert repr(value) not in text and f"{value:.4f}" not in text


def test_decision_limits_do_not_depend_on_the_draws() -> None:
    sc = catalogue()
    assert decision_limits(realise(sc, 1)) == decision_limits(realise(sc, 2)) == decision_limits(sc)


def listing_sheet() -> dict:
    offer = {"listed": True, "price_local": 14.0, "channel": "warehouse"}
    return {"offers": {"US": {"gadget": offer, "widget": offer}}}


def test_every_caller_plays_the_same_draws() -> None:
    sc = catalogue()
    state = stocked_state(sc, ["a", "b"], warehouse=100000)
    sheets = {t: validate_decisions(sc, state.teams[t], listing_sheet()) for t in ("a", "b")}
    by_step = play_round(sc, state, seed=7, team_sheets=sheets).outcome.to_dict()
    by_market = simulate_round(sc, state, sheets, 7).to_dict()  # realises the scenario itself
    by_realised = simulate_round(realise(sc, 7), state, sheets, 7).to_dict()
    assert by_step == by_market == by_realised


def test_demand_follows_the_draw_and_differs_between_games() -> None:
    sc = catalogue()
    state = stocked_state(sc, ["a"], warehouse=1_000_000)
    sheets = {"a": validate_decisions(sc, state.teams["a"], listing_sheet())}
    picks = {}
    for seed in SEEDS[:4]:
        outcome = simulate_round(sc, state, sheets, seed)
        picks[seed] = outcome.markets["US"]["gadget"]["demand"]
        weight = draws(seed)["demand"][("US", "gadget")]
        # shoppers ~ Poisson(size x shoppers_per_size_day x weight x days): 100 x 10 x w x 30
        offer = outcome.teams["a"].offers[0]
        assert offer["product"] == "gadget"
        expected_shoppers = 100 * 10 * weight * 30
        nest = picks[seed] / expected_shoppers
        assert 0.0 < nest < 1.0
    assert len(set(picks.values())) == 4


def test_the_public_statistics_publish_no_shopper_count_of_a_catalogue_product() -> None:
    sc = catalogue()
    state = stocked_state(sc, ["a"], warehouse=1000)
    sheets = {"a": validate_decisions(sc, state.teams["a"], listing_sheet())}
    stats = simulate_round(sc, state, sheets, 7).markets["US"]
    assert stats["gadget"]["shoppers"] is None and stats["widget"]["shoppers"] is None
    assert stats["gadget"]["units_sold"] > 0
    plain = tiny()
    plain_state = stocked_state(plain, ["a"], warehouse=1000)
    offer = {"listed": True, "price_local": 14.0}
    plain_sheet = validate_decisions(
        plain, plain_state.teams["a"], {"offers": {"US": {"gadget": offer}}}
    )
    shoppers = simulate_round(plain, plain_state, {"a": plain_sheet}, 7).markets["US"]["gadget"]
    assert isinstance(shoppers["shoppers"], int) and shoppers["shoppers"] > 0
