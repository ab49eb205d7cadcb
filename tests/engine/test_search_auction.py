"""The sponsored-slot auction (issue 15): generalised second price, bids, budgets, relevance."""

from __future__ import annotations

import numpy as np
import pytest
from search_helpers import offer, play_search, row, search_scenario

from simshop.engine.search import NONE, gsp_prices, min_cpc_local


def test_each_winner_pays_the_next_rank_over_its_own_quality_plus_a_cent():
    ranks = np.array([0.004, 0.006, 0.002, NONE])
    quality = np.array([0.004, 0.005, 0.004, 0.004])
    bids = np.array([1.0, 1.2, 0.5, 3.0])
    winners, prices = gsp_prices(ranks, quality, bids, reserve=0.3, slots=2)
    assert winners.tolist() == [1, 0]
    # slot 1 (offer 1): 0.004 / 0.005 + 0.01 = 0.81; slot 2 (offer 0): 0.002 / 0.004 + 0.01
    assert prices.tolist() == [0.81, 0.51]


def test_the_price_is_never_above_the_bid_and_never_below_the_reserve():
    ranks = np.array([0.010, 0.0099, 0.0001])
    quality = np.array([0.001, 0.010, 0.010])
    bids = np.array([10.0, 0.99, 0.01])
    winners, prices = gsp_prices(ranks, quality, bids, reserve=0.3, slots=3)
    assert winners.tolist() == [0, 1, 2]
    # offer 0 would pay 0.0099 / 0.001 + 0.01 = 9.91 (below its bid of 10);
    # offer 1 would pay 0.0001 / 0.010 + 0.01 = 0.02, lifted to the reserve 0.30;
    # offer 2 has nobody below it: the reserve, capped at its bid of 0.01
    assert prices.tolist() == [9.91, 0.3, 0.01]


def test_the_minimum_cpc_is_converted_at_the_starting_rate_and_rounded_up():
    sc = search_scenario()
    # $0.30 x 7.107 CNY per USD / 7.0 CNY per USD (the market's rate) = 0.3046 -> 0.31
    assert min_cpc_local(sc, "US", 0.3) == 0.31


def test_in_a_round_the_price_equals_the_rule_to_the_cent_and_nobody_pays_above_the_bid():
    sc = search_scenario(sponsored_slots=2)
    term = "wireless-earbuds"
    sheets = {
        "a": offer(campaigns={term: (1.00, 300.0)}),
        "b": offer(campaigns={term: (0.80, 300.0)}),
        "c": offer(campaigns={term: (0.50, 300.0)}),
    }
    result = play_search(sc, sheets)
    a, b, c = (row(result, t, term) for t in "abc")
    # identical listings and ratings: the same quality, so the rank order is the bid order
    # and each pays the next bid plus a cent; the third is below the two slots
    assert a["ad_clicks"] > 0 and b["ad_clicks"] > 0
    assert a["avg_cpc_local"] == 0.81 and b["avg_cpc_local"] == 0.51
    assert a["ad_spend_local"] == round(a["ad_clicks"] * 0.81, 2)
    assert b["ad_spend_local"] == round(b["ad_clicks"] * 0.51, 2)
    assert (c["ad_impressions"], c["ad_clicks"], c["ad_spend_local"]) == (0, 0, 0.0)
    assert a["top_of_search_share"] == 1.0 and b["top_of_search_share"] == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_click_no_charge_and_spend_never_exceeds_bids_or_budgets(seed):
    sc = search_scenario(sponsored_slots=2)
    term = "wireless-earbuds"
    budget = 2.5
    sheets = {
        t: offer(campaigns={term: (bid, budget), "bluetooth-earbuds": (bid, 300.0)})
        for t, bid in (("a", 1.2), ("b", 0.9), ("c", 0.6), ("d", 0.4))
    }
    result = play_search(sc, sheets, seed=seed)
    days = sc.calendar.days_per_round
    for t, bid in (("a", 1.2), ("b", 0.9), ("c", 0.6), ("d", 0.4)):
        for r in result.teams[t].search:
            if r["ad_clicks"] == 0:
                assert r["ad_spend_local"] == 0.0
            assert r["ad_spend_local"] <= round(r["ad_clicks"] * bid, 2)
        limited = row(result, t, term)
        assert limited["ad_spend_local"] <= budget * days
        if limited["ad_clicks"]:
            # a budget of 2.50 a day pays at most 2 clicks at 0.91 (what "a" pays) a day
            assert limited["ad_clicks"] <= int(budget // limited["avg_cpc_local"]) * days
        else:
            assert limited["ad_spend_local"] == 0.0
    assert row(result, "a", term)["ad_clicks"] > 0
    spend = sum(r["ad_spend_cny"] for r in result.teams["a"].search)
    assert result.teams["a"].pnl["search_ads_cny"] == pytest.approx(spend, abs=0.01)


def test_a_higher_bid_never_lowers_impressions_with_the_same_seed():
    sc = search_scenario(sponsored_slots=2)
    term = "wireless-earbuds"
    rivals = {
        "b": offer(campaigns={term: (0.7, 300.0)}),
        "c": offer(campaigns={term: (0.9, 300.0)}),
        "d": offer(campaigns={term: (1.1, 300.0)}),
    }
    seen = []
    for bid in (0.4, 0.8, 1.0, 1.5):
        result = play_search(sc, {"a": offer(campaigns={term: (bid, 300.0)}), **rivals})
        r = row(result, "a", term)
        seen.append((r["ad_impressions"], r["impressions"]))
    assert seen == sorted(seen)
    assert seen[0][0] == 0 and seen[-1][0] > 0


def test_an_offer_without_relevance_to_a_term_is_never_shown_for_it():
    sc = search_scenario()
    sheets = {
        "a": offer(),
        "b": offer("Reflective dog leash", campaigns={"wireless-earbuds": (5.0, 300.0)}),
    }
    result = play_search(sc, sheets)
    assert result.teams["b"].search == []
    a = row(result, "a", "wireless-earbuds")
    searches = result.markets["US"]["gadget"]["search_terms"]["wireless-earbuds"]["searches"]
    assert a["impressions"] == searches  # only "a" is on the page, organically, every day
    assert result.teams["b"].pnl["search_ads_cny"] == 0.0
