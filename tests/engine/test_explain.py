"""Results explained: the parts of a change add up to it, cause by cause."""

from __future__ import annotations

import dataclasses

import pytest
from engine_helpers import listing, stocked_state, tiny
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simshop.engine.conditions import conditions_for_round
from simshop.engine.decisions import validate_decisions
from simshop.engine.explain import (
    CAUSES,
    CHANCE,
    PRICES,
    RIVALS,
    TARIFFS,
    RoundSide,
    explain_round,
    no_action_side,
    play_for_explanation,
    to_cents,
)
from simshop.engine.market import simulate_round

BOTS = {"1": "cost_plus", "2": "discounter", "3": "premium", "4": "parcel_seller"}


def cents(outcome, tid):
    return round(outcome.teams[tid].pnl["profit_cny"] * 100)


def units(outcome, tid):
    return sum(o["units_sold"] for o in outcome.teams[tid].offers)


def parcel_world(price_b: float = 12.0):
    """Three parcel sellers of the tiny scenario, their sheets and round 1's side."""
    scenario = tiny()
    state = stocked_state(scenario, ["a", "b", "c"], china=400)
    prices = {"a": 11.0, "b": price_b, "c": 13.0}
    sheets = {
        tid: validate_decisions(
            scenario,
            state.teams[tid],
            listing(price, ad=200.0, channel="parcel").to_dict(),
        )
        for tid, price in prices.items()
    }
    side = RoundSide(state, sheets, conditions_for_round(scenario, 1), 1)
    return scenario, side


def test_the_parts_add_up_to_the_published_change_to_the_cent(tutorial):
    played = play_for_explanation(tutorial, 7, BOTS, 3)
    (prev, before), (cur, after) = played[1], played[2]
    explanation = explain_round(tutorial, 7, prev, cur)
    assert set(explanation.teams) == set(BOTS)
    assert explanation.changed[-1] == CHANCE  # every round draws new luck
    for tid, team in explanation.teams.items():
        assert team.profit_before_cents == cents(before, tid)
        assert team.profit_after_cents == cents(after, tid)
        assert list(team.profit_parts_cents) == list(CAUSES)
        assert sum(team.profit_parts_cents.values()) == cents(after, tid) - cents(before, tid)
        assert team.units_before == units(before, tid)
        assert team.units_after == units(after, tid)
        assert sum(team.units_parts.values()) == units(after, tid) - units(before, tid)


def test_an_unchanged_replay_gives_every_part_zero():
    scenario, side = parcel_world()
    explanation = explain_round(scenario, 3, side, side)
    assert explanation.replays == 1
    assert explanation.changed == []
    for team in explanation.teams.values():
        assert team.profit_before_cents == team.profit_after_cents
        assert team.profit_parts_cents == dict.fromkeys(CAUSES, 0)
        assert team.units_parts == dict.fromkeys(CAUSES, 0)


def test_a_round_where_only_a_tariff_changed_is_explained_by_tariffs():
    scenario, prev = parcel_world()
    cond = prev.conditions
    us = cond.markets["US"]
    raised = dataclasses.replace(us, tariffs={**us.tariffs, "electronics": 0.6})
    cur = dataclasses.replace(prev, conditions=dataclasses.replace(cond, markets={"US": raised}))
    explanation = explain_round(scenario, 3, prev, cur)
    assert explanation.changed == [TARIFFS]
    for team in explanation.teams.values():
        change = team.profit_after_cents - team.profit_before_cents
        assert change < 0
        assert team.profit_parts_cents[TARIFFS] / change >= 0.9


def test_a_round_where_only_the_teams_own_price_changed_is_explained_by_its_prices():
    scenario, prev = parcel_world(price_b=12.0)
    _, moved = parcel_world(price_b=15.0)
    cur = dataclasses.replace(prev, sheets={**prev.sheets, "b": moved.sheets["b"]})
    explanation = explain_round(scenario, 3, prev, cur)
    assert explanation.changed == [PRICES]
    b = explanation.teams["b"]
    change = b.profit_after_cents - b.profit_before_cents
    assert change != 0
    assert b.profit_parts_cents[PRICES] / change >= 0.9
    # the rivals did nothing: what happened to them is b's move, i.e. their rivals'
    for tid in ("a", "c"):
        rival = explanation.teams[tid]
        assert rival.profit_parts_cents[PRICES] == 0
        assert rival.profit_parts_cents[RIVALS] == (
            rival.profit_after_cents - rival.profit_before_cents
        )


def test_round_one_is_explained_against_doing_nothing(tutorial):
    (side, outcome), *_ = play_for_explanation(tutorial, 5, BOTS, 1)
    explanation = explain_round(tutorial, 5, no_action_side(side), side)
    idle = simulate_round(tutorial, side.state, no_action_side(side).sheets, 5)
    for tid, team in explanation.teams.items():
        assert team.profit_before_cents == cents(idle, tid)
        assert team.profit_after_cents == cents(outcome, tid)
        assert team.profit_parts_cents[CHANCE] == 0  # same luck on both sides
        assert sum(team.profit_parts_cents.values()) == cents(outcome, tid) - cents(idle, tid)


@pytest.mark.parametrize(
    ("total", "parts", "expected"),
    [
        (100, {"a": 33.4, "b": 33.3, "c": 33.3}, {"a": 34, "b": 33, "c": 33}),
        (-1, {"a": -0.5, "b": -0.5}, {"a": 0, "b": -1}),
        (0, {"a": 0.0, "b": 0.0}, {"a": 0, "b": 0}),
    ],
)
def test_rounding_keeps_the_sum_exact(total, parts, expected):
    assert to_cents(total, parts) == expected


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_the_sum_is_exact_for_any_seed(seed):
    scenario = tiny()
    played = play_for_explanation(scenario, seed, {"x": "cost_plus", "y": "parcel_seller"}, 2)
    (prev, before), (cur, after) = played
    explanation = explain_round(scenario, seed, prev, cur)
    for tid, team in explanation.teams.items():
        assert sum(team.profit_parts_cents.values()) == cents(after, tid) - cents(before, tid)
        assert sum(team.units_parts.values()) == units(after, tid) - units(before, tid)
