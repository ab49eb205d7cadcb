"""Listings and campaigns in the decision sheet (issue 15): limits, located codes, carry-over."""

from __future__ import annotations

import pytest
from engine_helpers import play, stocked_state
from hypothesis import given, settings
from hypothesis import strategies as st
from search_helpers import search_scenario

from simshop.engine.decisions import DecisionErrors, DecisionSheet, carry_over, validate_decisions
from simshop.engine.sheet import BULLET_MAX, DESCRIPTION_MAX, IMAGES_MAX, TITLE_MAX
from simshop.engine.state import GameState

SC = search_scenario()
LOC = ("offers", "US", "gadget")


def issues(offer: dict) -> list[tuple[tuple, str, dict]]:
    team = stocked_state(SC, ["a"]).teams["a"]
    raw = {"offers": {"US": {"gadget": {"price_local": 30.0, **offer}}}}
    try:
        validate_decisions(SC, team, raw)
    except DecisionErrors as exc:
        return [(i.loc, i.code, i.params) for i in exc.issues]
    return []


def test_a_listing_at_its_limits_is_accepted_and_stored_exactly():
    listing = {
        "title": "T" * TITLE_MAX,
        "bullets": ["<b>&" + "x" * (BULLET_MAX - 4)] * 5,
        "description": "d" * DESCRIPTION_MAX,
        "images": IMAGES_MAX,
        "enhanced": True,
    }
    assert issues({"listing": listing}) == []
    sheet = DecisionSheet.model_validate({"offers": {"US": {"gadget": {"listing": listing}}}})
    assert sheet.to_dict()["offers"]["US"]["gadget"]["listing"] == listing


def test_texts_over_their_limits_are_located_errors():
    listing = {
        "title": "T" * (TITLE_MAX + 1),
        "bullets": ["ok", "b" * (BULLET_MAX + 1)],
        "description": "d" * (DESCRIPTION_MAX + 1),
    }
    assert issues({"listing": listing}) == [
        ((*LOC, "listing", "title"), "text_too_long", {"length": 201, "max": 200}),
        ((*LOC, "listing", "bullets", 1), "text_too_long", {"length": 301, "max": 300}),
        ((*LOC, "listing", "description"), "text_too_long", {"length": 2001, "max": 2000}),
    ]


def test_bullets_images_and_control_characters():
    listing = {"title": "a\x00b", "bullets": ["x"] * 6, "images": 10}
    assert issues({"listing": listing}) == [
        ((*LOC, "listing", "title"), "invalid_text", {}),
        ((*LOC, "listing", "bullets"), "too_many_bullets", {"count": 6, "max": 5}),
        ((*LOC, "listing", "images"), "images_out_of_range", {"images": 10, "max": 9}),
    ]


def test_campaigns_name_the_products_terms_and_spend_bounded_money():
    found = issues(
        {
            "campaigns": {
                "dog-leash": {"bid_local": 1.0, "daily_budget_local": 10.0},
                "wireless-earbuds": {"bid_local": -0.5, "daily_budget_local": 1e9},
            },
            "auto_campaign": {"bid_local": 1e12, "daily_budget_local": 1.0},
        }
    )
    assert [(loc, code) for loc, code, _ in found] == [
        ((*LOC, "campaigns", "dog-leash"), "unknown_search_term"),
        ((*LOC, "campaigns", "wireless-earbuds", "bid_local"), "negative_amount"),
        ((*LOC, "campaigns", "wireless-earbuds", "daily_budget_local"), "amount_too_large_local"),
        ((*LOC, "auto_campaign", "bid_local"), "amount_too_large_local"),
    ]
    assert found[0][2] == {
        "term": "dog-leash",
        "choices": ["wireless-earbuds", "bluetooth-earbuds"],
    }
    assert found[2][2]["currency"] == "USD"


def test_campaign_budgets_count_in_the_cash_rule():
    # 1,000 USD a day x 30 days x 7 CNY = 210,000 CNY > the 100,000 CNY of cash
    found = issues(
        {"campaigns": {"wireless-earbuds": {"bid_local": 1.0, "daily_budget_local": 1000.0}}}
    )
    assert [(loc, code) for loc, code, _ in found] == [((), "insufficient_cash")]
    assert found[0][2]["spend"] == 210000.0


def test_a_campaign_in_a_market_not_entered_is_refused():
    team = stocked_state(SC, ["a"], markets=()).teams["a"]
    raw = {
        "offers": {
            "US": {
                "gadget": {
                    "listed": False,
                    "auto_campaign": {"bid_local": 1.0, "daily_budget_local": 5.0},
                }
            }
        }
    }
    with pytest.raises(DecisionErrors) as exc:
        validate_decisions(SC, team, raw)
    assert [(i.loc, i.code) for i in exc.value.issues] == [(("offers", "US"), "not_entered")]


def test_carry_over_keeps_listings_and_campaigns():
    campaign = {"bid_local": 1.0, "daily_budget_local": 5.0}
    offer = {
        "price_local": 30.0,
        "listing": {"title": "Wireless earbuds"},
        "campaigns": {"wireless-earbuds": campaign},
        "auto_campaign": campaign,
    }
    sheet = DecisionSheet.model_validate(
        {"offers": {"US": {"gadget": offer}}, "factory_orders": {"gadget": 10}}
    )
    carried = carry_over(sheet)
    assert carried.offers == sheet.offers and carried.factory_orders == {}


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(
    title=st.integers(0, TITLE_MAX + 20),
    bullets=st.integers(0, 7),
    images=st.integers(-2, IMAGES_MAX + 3),
    term=st.sampled_from(["wireless-earbuds", "bluetooth-earbuds", "nope"]),
    bid=st.floats(-2.0, 1e9, allow_nan=False),
)
def test_any_listing_and_campaign_is_accepted_or_refused_with_its_code(
    title, bullets, images, term, bid
):
    offer = {
        "listing": {"title": "t" * title, "bullets": ["b"] * bullets, "images": images},
        "campaigns": {term: {"bid_local": bid, "daily_budget_local": 1.0}},
    }
    codes = {code for _, code, _ in issues(offer)}
    expected = set()
    if title > TITLE_MAX:
        expected.add("text_too_long")
    if bullets > 5:
        expected.add("too_many_bullets")
    if not 0 <= images <= IMAGES_MAX:
        expected.add("images_out_of_range")
    if term == "nope":
        expected.add("unknown_search_term")
    elif bid < 0:
        expected.add("negative_amount")
    elif bid * 7.0 > 100 * (100_000 + 50_000):  # MONEY_HEADROOM x (cash + credit line)
        expected.add("amount_too_large_local")
    assert codes == expected


def test_a_carried_over_campaign_beyond_the_cash_is_scaled_down_with_other_spending():
    team = stocked_state(SC, ["a"], warehouse=100).teams["a"]
    campaign = {"bid_local": 1.0, "daily_budget_local": 400.0}  # 84,000 CNY over the round
    raw = {
        "offers": {
            "US": {"gadget": {"price_local": 30.0, "campaigns": {"bluetooth-earbuds": campaign}}}
        }
    }
    sheet = validate_decisions(SC, team, raw)
    team.cash_cny = 42_000.0
    team.last_decisions = sheet
    result = play(SC, GameState(round_no=0, teams={"a": team}), {}, validate=False)
    (event,) = [e for e in result.events if e["kind"] == "carried_spending_scaled"]
    assert event["requested_cny"] == 84000.0 and event["allowed_cny"] <= 42000.0
    played = result.state.teams["a"].last_decisions.offers["US"]["gadget"]
    assert played.campaigns["bluetooth-earbuds"].daily_budget_local == 200.0
    assert result.teams["a"].pnl["search_ads_cny"] <= 42000.0
