"""The students' briefing: the round's market facts and the news out so far, nothing later."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from engine_helpers import tiny_dict

from simshop.engine.briefing import briefing
from simshop.engine.scenario import parse_scenario_dict, parse_scenario_text

TARIFF_HIKE = {
    "kind": "tariff_change",
    "id": "hike",
    "round": 3,
    "headline": "Tariff on gadgets doubles",
    "market": "US",
    "categories": ["electronics"],
    "rate": 0.5,
}
SURPRISE = {
    "kind": "news",
    "id": "surprise",
    "round": 4,
    "announce_round": 4,
    "headline": "A surprise nobody saw coming",
}


def scenario(**model):
    data = tiny_dict(model={"reference_cny_per_usd": 7.0, **model})
    eu = copy.deepcopy(data["markets"][0])
    eu.update(code="EU", name="European Union", currency="EUR", fx_cny_per_local=8.0, size=25.0)
    eu["seasonality"] = [1.5] + [1.0] * 11
    data["markets"].append(eu)
    data["events"] = [TARIFF_HIKE, SURPRISE]
    return parse_scenario_dict(data)


def test_a_market_shows_its_rate_fees_tariffs_lanes_and_reference_prices():
    us = briefing(scenario(), 1).markets[0]
    assert (us.code, us.currency, us.fx_cny_per_local) == ("US", "USD", 7.0)
    assert (us.platform_fee, us.vat_rate, us.tariffs) == (0.15, 0.0, {"electronics": 0.25})
    assert [(lane.mode, lane.lead_days, lane.cost_cny_per_kg) for lane in us.lanes] == [
        ("sea", 10, 2.0),
        ("air", 5, 20.0),
        ("parcel", 9, 30.0),
    ]
    assert (us.fulfilment_cny_per_unit, us.storage_cny_per_unit_day) == (3.0, 0.1)
    assert (us.entry_fee_cny, us.de_minimis_local) == (1000.0, 0.0)
    # 10 USD x 7.0 CNY/USD x price index 1 / 7.0 CNY per USD
    assert us.products[0].reference_price_local == pytest.approx(10.0)


def test_by_default_sizes_are_an_index_of_the_largest_market():
    brief = briefing(scenario(), 1)
    assert [(m.code, m.size_index, m.size) for m in brief.markets] == [
        ("US", 100, None),
        ("EU", 25, None),
    ]
    assert brief.markets[1].products[0].shoppers_per_round is None


def test_exact_sizes_give_the_shoppers_expected_over_the_round_in_its_season():
    brief = briefing(scenario(), 1, exact_sizes=True)
    # size x 10 shoppers per size and day x demand weight 1 x season x 30 days
    assert [m.products[0].shoppers_per_round for m in brief.markets] == [30000.0, 11250.0]
    assert [(m.size, m.seasonality) for m in brief.markets] == [(100.0, 1.0), (25.0, 1.5)]


def test_news_is_shown_once_announced_and_the_change_once_in_force():
    sc = scenario()
    assert [e.id for e in briefing(sc, 1).announced] == []
    second = briefing(sc, 2)
    assert [e.id for e in second.announced] == ["hike"]
    assert second.markets[0].tariffs == {"electronics": 0.25}
    assert briefing(sc, 3).markets[0].tariffs == {"electronics": 0.5}


def test_an_event_announced_later_is_never_in_the_briefing():
    sc = scenario()
    for round_no in (1, 2, 3):
        assert "surprise" not in [e.id for e in briefing(sc, round_no).announced]
    assert [e.id for e in briefing(sc, 4).announced] == ["surprise", "hike"]


def test_every_shipped_scenario_tells_its_students_a_story_in_both_languages():
    for path in sorted(Path("scenarios").glob("*.toml")):
        meta = parse_scenario_text(path.read_text(encoding="utf-8")).meta
        assert meta.briefing and meta.briefing_zh, path.name
