"""Listing quality (issue 15): relevance per term, completeness, stuffing, reasons."""

from __future__ import annotations

from search_helpers import offer, play_search, row, search_scenario

from simshop.engine.listing import score_listing
from simshop.engine.scenario import parse_scenario_dict
from simshop.engine.scenario_errors import load_scenario_file
from simshop.engine.sheet import Listing


def codes(score):
    return [r["code"] for r in score.reasons]


def test_scoring_is_deterministic_and_every_shortfall_has_a_reason():
    sc = search_scenario()
    listing = Listing(title="Wireless earbuds", bullets=["a", "b", "c"], images=2)
    first = score_listing(sc, "US", "gadget", listing)
    assert first == score_listing(sc, "US", "gadget", listing)
    assert first.relevance == {"wireless-earbuds": 1.0, "bluetooth-earbuds": 0.5}
    assert first.reasons == [
        {"code": "title_missing_term", "params": {"term": "bluetooth earbuds"}},
        {"code": "bullets_used", "params": {"used": 3, "of": 5}},
        {"code": "images", "params": {"have": 2, "expected": 7}},
        {"code": "no_description", "params": {}},
        {"code": "enhanced_content", "params": {"on": False}},
    ]
    # 55 x (0.5 x 1.0 + 0.3 x 0.5) / 0.8 + 45 x (0.35 x 3/5 + 0.35 x 2/7) = 58.64
    assert first.score == 58.6


def test_a_term_counts_most_in_the_title_then_the_bullets_then_the_description():
    sc = search_scenario()
    in_title = score_listing(sc, "US", "gadget", Listing(title="bluetooth earbuds"))
    in_bullets = score_listing(sc, "US", "gadget", Listing(bullets=["bluetooth earbuds"]))
    in_text = score_listing(sc, "US", "gadget", Listing(description="bluetooth earbuds"))
    assert [s.relevance["bluetooth-earbuds"] for s in (in_title, in_bullets, in_text)] == [
        1.0,
        0.6,
        0.35,
    ]
    assert {"code": "term_in_bullets_only", "params": {"term": "bluetooth earbuds"}} in (
        in_bullets.reasons
    )


def test_a_complete_listing_scores_full_marks():
    sc = search_scenario()
    listing = Listing(
        title="Wireless bluetooth earbuds",
        bullets=["a", "b", "c", "d", "e"],
        description="Good",
        images=7,
        enhanced=True,
    )
    score = score_listing(sc, "US", "gadget", listing)
    assert (score.score, score.completeness, score.reasons) == (100.0, 1.0, [])


def test_stuffing_is_penalised_and_explained():
    sc = search_scenario()
    clean = score_listing(sc, "US", "gadget", Listing(title="Wireless bluetooth earbuds"))
    repeated = score_listing(
        sc, "US", "gadget", Listing(title="Wireless earbuds bluetooth earbuds earbuds")
    )
    too_long = score_listing(
        sc, "US", "gadget", Listing(title="Wireless bluetooth earbuds " + "great " * 30)
    )
    assert codes(repeated)[0] == "repeated_words"
    assert repeated.reasons[0]["params"] == {"words": ["earbud"]}
    assert codes(too_long)[:2] == ["title_too_long", "repeated_words"]
    for stuffed in (repeated, too_long):
        assert stuffed.score < clean.score
        assert stuffed.relevance["wireless-earbuds"] < clean.relevance["wireless-earbuds"]


def test_words_of_other_products_in_the_title_are_unrelated_words():
    sc = load_scenario_file("scenarios/us-2026.toml").scenario
    honest = score_listing(sc, "US", "earbuds", Listing(title="Wireless bluetooth earbuds"))
    stuffed = score_listing(
        sc, "US", "earbuds", Listing(title="Wireless bluetooth earbuds dog leash building blocks")
    )
    unrelated = {"words": ["block", "building", "dog", "leash"]}
    assert {"code": "unrelated_words", "params": unrelated} in stuffed.reasons
    assert stuffed.score < honest.score


def test_japanese_listings_match_the_local_term_and_english_pays_the_penalty():
    sc = load_scenario_file("scenarios/mexico-japan-2026.toml").scenario
    local = score_listing(sc, "JP", "earbuds", Listing(title="ワイヤレスイヤホン"))
    english = score_listing(sc, "JP", "earbuds", Listing(title="Wireless earbuds"))
    assert local.relevance["wireless-earbuds"] == 1.0
    assert english.relevance["wireless-earbuds"] == 0.6  # 1 - english_penalty 0.4
    params = {"term": "wireless earbuds", "penalty": 0.4}
    assert {"code": "term_in_english_only", "params": params} in english.reasons


def test_without_search_terms_the_product_is_searched_by_its_name():
    data = search_scenario().model_dump()
    data["products"][0]["search_terms"] = []
    sc = parse_scenario_dict(data)
    score = score_listing(sc, "US", "gadget", None)
    assert score.relevance == {"generic": 1.0}
    assert codes(score)[0] == "default_listing"


def test_adding_a_missing_head_term_to_the_title_gains_impressions_on_it():
    # two organic slots ranked by relevance alone (no sales velocity); the rivals have
    # "bluetooth" in a bullet (relevance 0.8), "a" lacks it (0.5), then has it in its title
    sc = search_scenario(organic_slots=2, sponsored_slots=0, velocity_weight=0.0)
    term = "bluetooth-earbuds"
    rival = offer("Wireless earbuds", bullets=["bluetooth", "b", "c", "d", "e"])
    lacking = play_search(sc, {"a": offer("Wireless earbuds"), "b": rival, "c": rival})
    having = play_search(sc, {"a": offer("Wireless bluetooth earbuds"), "b": rival, "c": rival})
    before, after = row(lacking, "a", term), row(having, "a", term)
    searches = having.markets["US"]["gadget"]["search_terms"][term]["searches"]
    assert (before["impressions"], after["impressions"]) == (0, searches)
    assert (before["avg_organic_position"], after["avg_organic_position"]) == (None, 1.0)
    assert after["orders"] > before["orders"] == 0
