"""The optional TACoS metric: ad spend over total revenue, capped, lower ranks higher."""

from __future__ import annotations

from engine_helpers import play, stocked_state, tiny

from simshop.engine.scenario import Scoring
from simshop.engine.scoring import LOWER_IS_BETTER, METRICS, TACOS_CAP, standings, tacos


def test_tacos_is_ad_spend_over_revenue_capped_at_one():
    assert tacos(250.0, 1000.0) == 0.25
    assert tacos(0.0, 1000.0) == 0.0
    assert tacos(3000.0, 1000.0) == TACOS_CAP == 1.0
    assert tacos(0.0, 0.0) == 1.0  # no sales: nothing to be efficient about


def test_tacos_is_an_optional_metric_off_by_default():
    assert "tacos" in METRICS and "tacos" in LOWER_IS_BETTER
    assert Scoring().tacos == 0.0


def test_a_lower_tacos_normalises_higher():
    rows = [
        {"team_id": "a", "profit": 0.0, "tacos": 0.10},
        {"team_id": "b", "profit": 0.0, "tacos": 0.30},
        {"team_id": "c", "profit": 0.0, "tacos": 0.20},
    ]
    table = standings(rows, {"tacos": 1.0})
    assert [(r["team_id"], r["score"]) for r in table] == [("a", 1.0), ("c", 0.5), ("b", 0.0)]
    assert table[0]["metrics"]["tacos"] == 0.10


def test_the_cumulative_advertising_of_a_round_feeds_the_metric():
    sc = tiny()
    state = stocked_state(sc, ["a"], china=500)
    sheet = {
        "offers": {
            "US": {
                "gadget": {
                    "listed": True,
                    "price_local": 20.0,
                    "ad_budget_cny": 300.0,
                    "channel": "warehouse",
                }
            }
        }
    }
    result = play(sc, state, {"a": sheet})
    team = result.state.teams["a"]
    advertising = result.teams["a"].pnl["advertising_cny"]
    assert advertising > 0
    assert team.cumulative["advertising_cny"] == round(advertising, 2)
    again = play(sc, result.state, {"a": sheet})
    assert again.state.teams["a"].cumulative["advertising_cny"] == round(
        round(advertising, 2) + again.teams["a"].pnl["advertising_cny"], 2
    )
