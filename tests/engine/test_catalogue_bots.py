"""Bots choose products and suppliers from what a team can know: the public scenario (the
ranges, never the draws), the published statistics and their own bought studies."""

from __future__ import annotations

import copy
from pathlib import Path

from catalogue_helpers import catalogue

from simshop.engine.bots import STRATEGIES, make_view
from simshop.engine.catalogue import draws_of, realise
from simshop.engine.round_step import play_round
from simshop.engine.scenario_errors import load_scenario_file
from simshop.engine.state import initial_state

ROOT = Path(__file__).resolve().parents[2]
BOTS = {"bot-a": "cost_plus", "bot-b": "discounter", "bot-c": "premium"}


def selection():
    return load_scenario_file(ROOT / "scenarios" / "product-selection.toml").scenario


def test_a_bot_s_sheet_is_unchanged_when_only_the_hidden_draws_change() -> None:
    sc = selection()
    first = {s: draws_of(realise(sc, s)) for s in (1, 2)}
    assert first[1]["demand"] != first[2]["demand"]
    state = initial_state(sc, list(BOTS))
    round1 = {s: play_round(sc, state, seed=s, bot_strategies=BOTS) for s in (1, 2)}
    assert round1[1].sheets == round1[2].sheets
    assert all(not errors for errors in (round1[1].rejected_bots, round1[2].rejected_bots))
    # round 2 from the same position and the same public data, played under other draws
    history = [round1[1].outcome.markets]
    own = {tid: [round1[1].outcome.teams[tid].to_dict()] for tid in BOTS}
    round2 = {
        s: play_round(
            sc,
            round1[1].outcome.state,
            seed=s,
            bot_strategies=BOTS,
            market_history=history,
            own_results=own,
        )
        for s in (1, 2)
    }
    assert round2[1].sheets == round2[2].sheets
    assert round2[1].outcome.to_dict() != round2[2].outcome.to_dict()


def test_bots_list_at_most_five_products_per_market_and_buy_studies_first() -> None:
    sc = selection()
    played = play_round(sc, initial_state(sc, list(BOTS)), seed=4, bot_strategies=BOTS)
    for tid, sheet in played.sheets.items():
        assert played.rejected_bots == {}
        for code, offers in sheet.offers.items():
            assert 1 <= len([o for o in offers.values() if o.listed]) <= 5, (tid, code)
        assert {s.market for s in sheet.research} == set(sheet.offers)
        assert sheet.suppliers and all(
            sc.product(pid).supplier(sid) is not None for pid, sid in sheet.suppliers.items()
        )
        for pid, qty in sheet.factory_orders.items():
            supplier = sc.product(pid).supplier(sheet.suppliers[pid])
            assert supplier is not None and qty >= supplier.moq


def test_a_bot_follows_its_own_study() -> None:
    """A study reading a large demand for a product the bot would not list changes its
    assortment: the bot does read its research (so the test above is not vacuous)."""
    sc = catalogue()
    state = initial_state(sc, ["bot"])
    team = state.teams["bot"]
    team.entered_markets = ["US"]
    strategy = STRATEGIES["cost_plus"]()
    strategy.catalogue_picks = 1
    plain = strategy.decide(make_view(sc, team, 3))
    (picked,) = plain.offers["US"]
    other = "widget" if picked == "gadget" else "gadget"
    reading = {
        "product": other,
        "search_volume": {"estimate": 1e7, "low": 1e7, "high": 1e7},
        "competing_listings": 0,
    }
    study = {"market": "US", "category": sc.product(other).category, "readings": [reading]}
    own = [{"offers": [], "pnl": {}, "research": [copy.deepcopy(study)]}]
    informed = strategy.decide(make_view(sc, team, 3, own_results=own))
    assert list(informed.offers["US"]) == [other]
