"""Built-in bots play the tutorial sensibly and differently."""

from __future__ import annotations

import math

import pytest

from simshop.engine.bots import BOT_STRATEGIES, STRATEGIES, Strategy, make_view
from simshop.engine.decisions import validate_decisions
from simshop.engine.headless import play_game
from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_text
from simshop.engine.state import initial_state


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, float | int) and not isinstance(value, bool):
        yield value


@pytest.fixture(scope="module")
def record(tutorial_text):
    return play_game(tutorial_text, seed=3)


def test_registry_names_six_strategies():
    assert sorted(STRATEGIES) == [
        "cost_plus",
        "discounter",
        "festival_stocker",
        "parcel_seller",
        "premium",
        "rival_watcher",
    ]
    assert all(issubclass(cls, Strategy) and cls.name == key for key, cls in STRATEGIES.items())


def test_the_strategy_names_come_from_the_registry_alone():
    from simshop.engine import scenario

    assert tuple(STRATEGIES) == BOT_STRATEGIES  # what scenario files and new games may name
    assert not hasattr(scenario, "BOT_STRATEGIES")  # no second copy in the schema


def test_a_scenario_naming_an_unknown_strategy_is_refused_on_its_key(tutorial_text):
    old = 'strategies = ["cost_plus", "discounter", "premium"]'
    assert old in tutorial_text
    text = tutorial_text.replace(old, 'strategies = ["premium", "coin_flip"]')
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario_text(text, "x.toml")
    [problem] = caught.value.problems
    assert (problem.code, problem.loc) == ("unknown_strategy", "bots.strategies")
    assert problem.line == text.splitlines().index('strategies = ["premium", "coin_flip"]') + 1
    assert problem.params == {"unknown": "coin_flip", "known": ", ".join(BOT_STRATEGIES)}


def test_bots_play_six_rounds_with_clean_numbers(record):
    assert record["rounds_played"] == 6
    assert all(n is not None and math.isfinite(n) for n in _numbers(record))
    for rnd in record["rounds"]:
        for team in rnd["result"]["teams"].values():
            assert min(team["china_stock"].values()) >= 0
            for row in team["offers"]:
                assert row["ending_stock"] >= 0 and row["in_transit"] >= 0
                assert 0.0 <= row["market_share"] <= 1.0
                assert 1.0 <= row["rating"] <= 5.0
        for per_product in rnd["result"]["markets"].values():
            for stats in per_product.values():
                assert all(0.0 <= s <= 1.0 for s in stats["shares"].values())


def test_bots_sell_and_end_with_positive_cumulative_revenue(record):
    for team in record["final_state"]["teams"].values():
        assert team["cumulative"]["revenue_cny"] > 0
        assert team["cumulative"]["units_sold"] > 0


def test_strategies_price_in_the_expected_order(tutorial):
    state = initial_state(tutorial, ["a", "b", "c"])
    prices = {}
    for name, cls in STRATEGIES.items():
        team = state.teams["a"]
        sheet = cls().decide(make_view(tutorial, team, 3))
        validate_decisions(tutorial, team, sheet)  # raises if the bot is wrong
        prices[name] = sheet.offers["US"]["earbuds"].price_local
    assert prices["discounter"] < prices["cost_plus"] < prices["premium"]


def test_bots_are_deterministic(tutorial):
    state = initial_state(tutorial, ["a"])
    view = make_view(tutorial, state.teams["a"], 3)
    assert STRATEGIES["premium"]().decide(view) == STRATEGIES["premium"]().decide(view)


def _with_festival(tutorial, multiplier: float):
    from simshop.engine.scenario import Scenario

    data = tutorial.model_dump()
    data["events"] = [
        *data["events"],
        {
            "kind": "demand_shock",
            "id": "big-sale",
            "round": 3,
            "announce_round": 1,
            "headline": "Big sale",
            "market": "US",
            "multiplier": multiplier,
        },
    ]
    return Scenario.model_validate(data)


def test_the_festival_stocker_ships_more_ahead_of_an_announced_festival(tutorial):
    shipped = []
    for mult in (1.0, 2.5):
        sc = _with_festival(tutorial, mult)
        state = initial_state(sc, ["a", "b", "c", "d"])
        team = state.teams["a"]
        team.entered_markets = ["US"]
        sheet = STRATEGIES["festival_stocker"]().decide(make_view(sc, team, 4))
        validate_decisions(sc, team, sheet)
        shipped.append(sum(s.quantity for s in sheet.shipments if s.market == "US"))
    assert shipped[1] > 1.3 * shipped[0] > 0


def test_the_parcel_seller_sells_by_parcel_only(tutorial):
    state = initial_state(tutorial, ["a"])
    team = state.teams["a"]
    sheet = STRATEGIES["parcel_seller"]().decide(make_view(tutorial, team, 3))
    validate_decisions(tutorial, team, sheet)
    offers = [o for by_product in sheet.offers.values() for o in by_product.values()]
    assert offers and all(o.channel == "parcel" for o in offers)
    assert sheet.shipments == [] and sum(sheet.factory_orders.values()) > 0


def test_the_rival_watcher_prices_under_the_published_median(tutorial):
    state = initial_state(tutorial, ["a", "b"])
    team = state.teams["a"]
    team.entered_markets = ["US"]
    history = [{"US": {"earbuds": {"price_local": {"median": 40.0}}}}]
    sheet = STRATEGIES["rival_watcher"]().decide(make_view(tutorial, team, 2, history))
    assert sheet.offers["US"]["earbuds"].price_local == 39.2
