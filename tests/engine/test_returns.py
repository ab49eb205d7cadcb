"""Returns rise with late delivery and fall with quality, within the product's range
(issue 13 §8; domain.md §4: electronics 8-15 %)."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import listing, offer_row, play, stocked_state, tiny_dict

from simshop.engine.accounting import return_rate
from simshop.engine.scenario import parse_scenario_dict


def test_the_rate_rises_with_lateness_and_falls_with_quality():
    days = np.array([2.0, 11.0, 20.0, 40.0])
    late = return_rate(0.10, 0.08, 0.15, 0.5, np.full(4, 0.5), days)
    assert late.tolist() == pytest.approx([0.10, 0.13, 0.15, 0.15])  # capped at 15 %
    quality = np.array([0.5, 0.6, 0.75, 1.0])
    better = return_rate(0.10, 0.08, 0.15, 0.5, quality, np.full(4, 2.0))
    assert better.tolist() == pytest.approx([0.10, 0.092, 0.08, 0.08])  # floor at 8 %


def test_the_default_range_is_0_8_to_1_5_times_the_rate():
    data = tiny_dict()
    sc = parse_scenario_dict(data)
    assert sc.product("gadget").return_range == (0.0, 0.0)
    data["products"][0]["return_rate"] = 0.1
    assert parse_scenario_dict(data).product("gadget").return_range == pytest.approx((0.08, 0.15))
    data["products"][0].update(return_rate_low=0.05, return_rate_high=0.4)
    assert parse_scenario_dict(data).product("gadget").return_range == (0.05, 0.4)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_slow_parcels_come_back_more_often_than_fast_warehouse_deliveries(seed):
    data = tiny_dict()
    data["products"][0]["return_rate"] = 0.1
    data["model"] = {"shoppers_per_size_day": 200.0}
    sc = parse_scenario_dict(data)
    state = stocked_state(sc, ["a", "b"], warehouse=10**6, china=10**6)
    result = play(sc, state, {"a": listing(10.0), "b": listing(10.0, channel="parcel")}, seed=seed)
    fast, slow = offer_row(result, "a"), offer_row(result, "b")
    # 2 days: 10 %; 9 parcel days: 10 % x (1 + 0.6 x 7/18) = 12.33 %
    assert fast["units_returned"] / fast["units_sold"] == pytest.approx(0.10, abs=0.01)
    assert slow["units_returned"] / slow["units_sold"] == pytest.approx(0.1233, abs=0.01)
