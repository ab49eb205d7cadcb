"""Profit per market: each P&L line split into the markets it belongs to and an unallocated
part, which add up to the team's P&L to the fen, whatever lines the registry holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import listing, play, stocked_state, tiny, tiny_dict

from simshop.engine.accounting import ALL_COST_LINES, INCOME_LINES, PNL_LINES
from simshop.engine.headless import play_game

ROOT = Path(__file__).resolve().parents[2]
TOTALS = ("total_costs_cny", "profit_cny")


def fen(value: float) -> int:
    return round(value * 100)


def two_markets():
    data = tiny_dict()
    eu = {
        **data["markets"][0],
        "code": "EU",
        "name": "European Union",
        "currency": "EUR",
        "fx_cny_per_local": 8.0,
        "entry_fee_cny": 2500.0,
    }
    data["markets"].append(eu)
    data["tariffs"].append({"market": "EU", "category": "electronics", "rate": 0.1})
    return tiny(markets=data["markets"], tariffs=data["tariffs"])


def assert_parts_add_up(team: dict) -> None:
    """Per line of the team's P&L: Σ markets + unallocated = the line, to the fen; and each
    part's profit is its income lines minus its cost lines from the registry."""
    pnl, markets, rest = team["pnl"], team["pnl_by_market"], team["pnl_unallocated"]
    assert set(pnl) <= set(PNL_LINES), "a P&L line outside accounting.PNL_LINES"
    assert set(rest) == set(pnl)
    for row in [*markets.values(), rest]:
        assert set(row) == set(pnl)
        income = sum(fen(row[k]) for k in INCOME_LINES if k in row)
        costs = sum(fen(row[k]) for k in ALL_COST_LINES if k in row)
        assert fen(row["total_costs_cny"]) == costs
        assert fen(row["profit_cny"]) == income - costs
    for line, amount in pnl.items():
        parts = sum(fen(row[line]) for row in markets.values()) + fen(rest[line])
        assert parts == fen(amount), line


def test_every_pnl_line_is_income_a_cost_or_a_total():
    assert set(PNL_LINES) == set(INCOME_LINES) | set(ALL_COST_LINES) | set(TOTALS)
    assert not set(INCOME_LINES) & set(ALL_COST_LINES)


@pytest.mark.parametrize(
    ("name", "rounds"), [("tutorial", 4), ("us-2026", 6), ("red-sea", 4), ("eu-compliance-2025", 4)]
)
def test_markets_and_the_unallocated_part_add_up_to_the_pnl_every_round(name, rounds):
    text = (ROOT / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")
    record = play_game(text, seed=7, rounds=rounds)
    checked = 0
    for rnd in record["rounds"]:
        for team in rnd["result"]["teams"].values():
            assert_parts_add_up(team)
            checked += len(team["pnl_by_market"])
    assert checked > 0


def test_a_duty_refund_goes_to_the_market_that_refunds_it():
    text = (ROOT / "scenarios" / "us-2026.toml").read_text(encoding="utf-8")
    record = play_game(text, seed=7, rounds=6)
    refunded = [
        (code, row["duty_refund_cny"])
        for team in record["rounds"][5]["result"]["teams"].values()
        for code, row in team["pnl_by_market"].items()
        if row.get("duty_refund_cny")
    ]
    assert refunded and {code for code, _amount in refunded} == {"US"}


def test_a_market_carries_its_own_selling_costs_entry_fee_and_freight():
    sc = two_markets()
    state = stocked_state(sc, ["a"], warehouse=50, china=100)
    state.teams["a"].entered_markets = ["US"]
    sheet = listing(20.0, ad=300.0).to_dict()
    sheet["enter_markets"] = ["EU"]
    sheet["shipments"] = [{"product": "gadget", "market": "EU", "mode": "sea", "quantity": 40}]
    sheet["borrow_cny"] = 1000.0
    result = play(sc, state, {"a": sheet})
    team = result.teams["a"]
    us, eu = team.pnl_by_market["US"], team.pnl_by_market["EU"]
    assert us["revenue_cny"] == team.pnl["revenue_cny"] > 0
    assert us["advertising_cny"] == 300.0
    assert us["entry_fees_cny"] == 0.0
    assert eu["entry_fees_cny"] == 2500.0
    assert eu["freight_cny"] == 40 * 0.5 * 2.0  # 40 units x 0.5 kg x 2 CNY/kg by sea
    assert eu["duty_cny"] == 40 * 0.1 * (10.0 + 10.0 * 0.5 * 2.0 / 10.0)
    assert eu["revenue_cny"] == 0.0
    assert eu["storage_cny"] == 40 * 21 * 0.1  # landed on day 10, stored to day 30
    assert eu["profit_cny"] == -(
        eu["entry_fees_cny"] + eu["freight_cny"] + eu["duty_cny"] + eu["storage_cny"]
    )
    assert us["profit_cny"] == round(
        us["revenue_cny"]
        - us["cogs_cny"]
        - us["commission_cny"]
        - us["fulfilment_cny"]
        - us["storage_cny"]
        - us["advertising_cny"]
        - us["refunds_cny"],
        2,
    )
    rest = team.pnl_unallocated
    assert rest["interest_cny"] == team.pnl["interest_cny"] > 0
    assert rest["storage_cny"] == 60 * 0.2  # China storage: 100 - 40 shipped units
    assert rest["revenue_cny"] == 0.0
    assert_parts_add_up(team.to_dict())


def test_a_market_left_empty_has_no_row():
    sc = two_markets()
    state = stocked_state(sc, ["a"], warehouse=10)
    result = play(sc, state, {"a": listing(20.0)})
    assert sorted(result.teams["a"].pnl_by_market) == ["US"]
