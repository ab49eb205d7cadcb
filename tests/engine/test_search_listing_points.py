"""Contest points for listing quality: the optional ``listing_quality`` metric is the mean,
over the rounds with listings, of a team's mean listing score as the round scored it."""

from __future__ import annotations

import pytest
from engine_helpers import play, stocked_state, tiny

from simshop.engine.scenario import Scoring
from simshop.engine.scoring import METRICS, OPTIONAL_METRICS, listing_quality, standings


def offer(**listing) -> dict:
    sheet = {"listed": True, "price_local": 20.0, "ad_budget_cny": 0.0, "channel": "warehouse"}
    if listing:
        sheet["listing"] = listing
    return {"offers": {"US": {"gadget": sheet}}}


def test_listing_quality_is_the_mean_of_the_rounds_means():
    assert listing_quality({}) == 0.0
    assert listing_quality({"listing_score_sum": 150.0, "listing_rounds": 2.0}) == 75.0


def test_it_is_optional_and_off_by_default():
    assert "listing_quality" in METRICS and "listing_quality" in OPTIONAL_METRICS
    assert Scoring().listing_quality == 0.0


def test_a_round_adds_the_mean_of_the_scores_it_gave_the_teams_listings():
    sc = tiny()
    state = stocked_state(sc, ["a", "b"], warehouse=200)
    good = offer(title="Gadget", bullets=["one", "two", "three"], images=7, description="x")
    first = play(sc, state, {"a": good, "b": offer()})
    for tid in ("a", "b"):
        rows = first.teams[tid].listings
        assert len(rows) == 1
        cum = first.state.teams[tid].cumulative
        assert cum["listing_rounds"] == 1.0
        assert cum["listing_score_sum"] == pytest.approx(rows[0]["score"])
    a, b = (first.state.teams[t].cumulative for t in ("a", "b"))
    assert listing_quality(a) > listing_quality(b)  # a written listing beats the default page
    second = play(sc, first.state, {"a": good, "b": offer()})
    again = second.state.teams["a"].cumulative
    assert again["listing_rounds"] == 2.0
    assert listing_quality(again) == pytest.approx(
        (first.teams["a"].listings[0]["score"] + second.teams["a"].listings[0]["score"]) / 2
    )


def test_a_team_with_nothing_listed_has_no_listing_rounds():
    sc = tiny()
    state = stocked_state(sc, ["a"], warehouse=10)
    result = play(sc, state, {"a": {}})
    assert "listing_rounds" not in result.state.teams["a"].cumulative


def test_better_listings_rank_higher():
    rows = [
        {"team_id": "a", "profit": 0.0, "listing_quality": 40.0},
        {"team_id": "b", "profit": 0.0, "listing_quality": 80.0},
    ]
    assert [r["team_id"] for r in standings(rows, {"listing_quality": 1.0})] == ["b", "a"]
