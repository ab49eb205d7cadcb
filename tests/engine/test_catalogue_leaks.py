"""Nothing of a catalogue's hidden draws reaches what a team did not pay for.

A round is played in which team ``a`` buys a study and a sample and team ``b`` buys
nothing. Every public output of the round (the published market statistics, the event log,
the next state, the standings, team ``b``'s results and the decision limits) is serialised
and searched for the drawn values (each demand weight and each supplier's true quality and
defect rate, as written at 3, 4 and 6 decimals and in full). Team ``a``'s own results, the
positive control, do contain its sample's truth.
"""

from __future__ import annotations

import json
from typing import Any

from catalogue_helpers import catalogue
from engine_helpers import stocked_state

from simshop.engine.bots import make_view
from simshop.engine.catalogue import draws_of, realise
from simshop.engine.decisions import decision_limits
from simshop.engine.round_step import play_round

SEEDS = [3, 11, 29]


def numbers(value: Any) -> set[float]:
    """Every number in a JSON value."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return set()
    if isinstance(value, int | float):
        return {float(value)}
    if isinstance(value, dict):
        return set().union(*(numbers(v) for v in value.values())) if value else set()
    return set().union(*(numbers(v) for v in value)) if value else set()


def written_forms(value: float) -> set[float]:
    return {value, round(value, 3), round(value, 4), round(value, 6)}


def hidden_values(seed: int) -> set[float]:
    found = draws_of(realise(catalogue(), seed))
    assert found is not None
    values = set(found["demand"].values())
    for quality, defects in found["suppliers"].values():
        values |= {quality, defects}
    # ranges of one value (the "mid" supplier: quality 0.5, defects 0) are public anyway
    public_ends = {0.5, 0.0}
    return {form for v in values - public_ends for form in written_forms(v)}


def played(seed: int):
    sc = catalogue()
    state = stocked_state(sc, ["a", "b"], warehouse=500, china=200)
    offer = {"listed": True, "price_local": 14.0, "ad_budget_cny": 100.0}
    listing = {"offers": {"US": {"gadget": offer, "widget": offer}}}
    buyer = {
        **listing,
        "suppliers": {"gadget": "slow"},
        "factory_orders": {"gadget": 600},
        "samples": [{"product": "gadget", "supplier": "slow"}],
        "research": [{"market": "US", "category": "electronics", "budget_cny": 5000.0}],
    }
    return sc, play_round(sc, state, seed=seed, team_sheets={"a": buyer, "b": listing})


def test_no_public_output_of_a_round_carries_a_hidden_draw() -> None:
    for seed in SEEDS:
        sc, played_round = played(seed)
        outcome = played_round.outcome
        public = {
            "markets": outcome.markets,
            "events": outcome.events,
            "state": outcome.state.to_dict(),
            "standings": played_round.standings,
            "team_b": outcome.teams["b"].to_dict(),
            "limits": {
                "units": decision_limits(sc).max_units,
                "money": decision_limits(sc).max_money_cny,
            },
            "bot_view_scenario": make_view(sc, outcome.state.teams["b"], 2).scenario.model_dump(
                mode="json"
            ),
        }
        found = numbers(json.loads(json.dumps(public))) & hidden_values(seed)
        assert found == set(), seed


def test_the_buyer_alone_sees_its_sample_s_truth() -> None:
    for seed in SEEDS:
        _, played_round = played(seed)
        quality, defects = draws_of(realise(catalogue(), seed))["suppliers"][("gadget", "slow")]
        mine = numbers(played_round.outcome.teams["a"].to_dict())
        assert {round(quality, 4), round(defects, 4)} <= mine
        assert played_round.outcome.teams["b"].samples == []
        assert played_round.outcome.teams["b"].research == []
