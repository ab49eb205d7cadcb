"""The search funnel (issue 15): impressions, clicks and orders; organic rank and sales
velocity; calibration; the state search keeps between rounds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from engine_helpers import listing, play, stocked_state, tiny
from search_helpers import offer, play_search, row, search_scenario

from simshop.engine.headless import play_game

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("calibration", ROOT / "bench" / "calibration.py")
cal = importlib.util.module_from_spec(_SPEC)
sys.modules["calibration"] = cal
_SPEC.loader.exec_module(cal)


@pytest.mark.parametrize("scenario", ["tutorial.toml", "mexico-japan-2026.toml"])
def test_impressions_clicks_and_orders_narrow_for_every_offer_and_term(scenario):
    text = (ROOT / "scenarios" / scenario).read_text(encoding="utf-8")
    record = play_game(text, seed=5, rounds=2, bots=4)
    rows = [
        r
        for rnd in record["rounds"]
        for team in rnd["result"]["teams"].values()
        for r in team["search"]
    ]
    assert len(rows) > 0
    for r in rows:
        assert r["impressions"] >= r["clicks"] >= r["orders"] >= 0
        assert r["ad_impressions"] >= r["ad_clicks"] >= r["ad_orders"] >= 0
        assert r["impressions"] >= r["ad_impressions"]
        assert r["clicks"] >= r["ad_clicks"] and r["orders"] >= r["ad_orders"]
    assert sum(r["ad_clicks"] for r in rows) > 0  # the bots bid
    assert sum(r["orders"] for r in rows) > 0


def test_the_search_calibration_meets_every_target_and_is_in_the_docs():
    rows = cal.search_table()
    assert len(rows) == 6
    assert [r.target for r in rows if not r.ok] == []
    docs = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    assert cal.markdown(rows) in docs


def test_organic_rank_follows_last_weeks_sales():
    sc = search_scenario(organic_slots=1, sponsored_slots=0)
    term = "wireless-earbuds"
    state = stocked_state(sc, ["a", "b"], warehouse=100_000)
    for winner in ("a", "b"):
        state = stocked_state(sc, ["a", "b"], warehouse=100_000)
        state.teams[winner].recent_sales = {"US": {"gadget": [40] * 7}}
        result = play(sc, state, {"a": offer(), "b": offer()})
        loser = "b" if winner == "a" else "a"
        searches = result.markets["US"]["gadget"]["search_terms"][term]["searches"]
        assert row(result, winner, term)["impressions"] == searches
        assert row(result, winner, term)["avg_organic_position"] == 1.0
        assert row(result, loser, term)["impressions"] == 0


def test_the_last_seven_days_of_sales_carry_into_the_next_round():
    sc = search_scenario()
    result = play_search(sc, {"a": offer(), "b": offer()})
    kept = result.state.teams["a"].recent_sales["US"]["gadget"]
    assert len(kept) == 7 and sum(kept) > 0
    assert result.state.to_dict()["teams"]["a"]["recent_sales"] == {"US": {"gadget": kept}}


def test_enhanced_content_is_paid_once_per_offer():
    sc = search_scenario()
    sheet = offer(enhanced=True)
    first = play_search(sc, {"a": sheet})
    assert first.teams["a"].pnl["listing_content_cny"] == 1500.0
    assert first.state.teams["a"].enhanced_content == [["US", "gadget"]]
    second = play(sc, first.state, {"a": sheet})
    assert second.teams["a"].pnl["listing_content_cny"] == 0.0


def test_listing_rows_explain_each_listed_offer():
    sc = search_scenario()
    result = play_search(sc, {"a": offer("Wireless earbuds"), "b": offer()})
    (a,) = result.teams["a"].listings
    assert a["market"] == "US" and a["product"] == "gadget"
    assert a["relevance"] == {"bluetooth-earbuds": 0.5, "wireless-earbuds": 1.0}
    missing = {"code": "title_missing_term", "params": {"term": "bluetooth earbuds"}}
    assert a["reasons"][0] == missing


def test_without_terms_listings_or_campaigns_nothing_is_searched():
    sc = tiny()
    state = stocked_state(sc, ["a", "b"], warehouse=500)
    result = play(sc, state, {"a": listing(12.0), "b": listing(11.0)})
    assert result.teams["a"].search == [] and result.teams["a"].listings == []
    assert "search_terms" not in result.markets["US"]["gadget"]
    assert result.teams["a"].pnl["search_ads_cny"] == 0.0
    assert "recent_sales" not in result.state.to_dict()["teams"]["a"]


def test_a_listing_in_a_scenario_without_terms_is_searched_by_the_products_name():
    sc = tiny()
    state = stocked_state(sc, ["a", "b"], warehouse=500)
    sheet = {"offers": {"US": {"gadget": {"price_local": 12.0, "listing": {"title": "Gadget"}}}}}
    result = play(sc, state, {"a": sheet, "b": listing(11.0)})
    assert [r["term"] for r in result.teams["a"].search] == ["generic"]
    assert list(result.markets["US"]["gadget"]["search_terms"]) == ["generic"]
