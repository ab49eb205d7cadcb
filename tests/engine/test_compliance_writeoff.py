"""Stock destroyed after a compliance finding leaves the inventory at its cost: the P&L line
``stock_written_off_cny`` (no cash), booked to the listing's market, so that the goods bought
are exactly the goods sold, held and written off, in units and in yuan."""

from __future__ import annotations

from typing import Any

import pytest
from catalogue_helpers import catalogue_dict
from engine_helpers import listing, play, stocked_state, tiny_dict

from simshop.engine.accounting import ALL_CASH_COST_LINES, NON_CASH_COST_LINES, WRITE_OFF_LINE
from simshop.engine.scenario import parse_scenario_dict

CE: dict[str, Any] = {
    "id": "ce",
    "name": "CE marking",
    "market": "US",
    "categories": ["electronics"],
    "cost_cny": 2000.0,
    "rounds_to_obtain": 1,
    "detection_per_round": 1.0,
    "fine_cny": 500.0,
    "removal_cny_per_unit": 2.0,
}


def test_the_write_off_is_a_cost_and_not_a_cash_outflow():
    assert WRITE_OFF_LINE == "stock_written_off_cny"
    assert NON_CASH_COST_LINES == ("cogs_cny", WRITE_OFF_LINE)
    assert WRITE_OFF_LINE not in ALL_CASH_COST_LINES


def test_destroyed_stock_is_written_off_at_the_product_s_unit_cost():
    sc = parse_scenario_dict(tiny_dict(compliance=[CE]))
    state = stocked_state(sc, ["a"], warehouse=5000)
    result = play(sc, state, {"a": listing(12.0)}, seed=3)
    team = result.teams["a"]
    delisted = team.compliance[0]
    units = delisted["units_stranded"]
    sold = team.offers[0]["units_sold"]
    assert units > 0 and units + sold == 5000
    assert delisted["written_off_cny"] == round(units * 10.0, 2)  # unit_cost_cny 10
    assert team.pnl[WRITE_OFF_LINE] == round(units * 10.0, 2)
    assert team.pnl["cogs_cny"] == round(sold * 10.0, 2)
    assert result.state.teams["a"].warehouse_stock["US"]["gadget"] == 0
    # profit counts it, cash does not: the goods were paid for before the round
    costs = sum(
        v for k, v in team.pnl.items() if k not in ("revenue_cny", "total_costs_cny", "profit_cny")
    )
    assert team.pnl["total_costs_cny"] == pytest.approx(costs, abs=0.01)
    cash = team.cash
    paid = team.pnl["total_costs_cny"] - team.pnl["cogs_cny"] - team.pnl[WRITE_OFF_LINE]
    assert cash["outflows_cny"] == pytest.approx(paid + cash["purchases_cny"], abs=0.01)
    assert cash["end_cny"] == pytest.approx(
        cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], abs=0.01
    )
    message = team.messages[0]
    assert (message["kind"], message["written_off_cny"]) == ("compliance_found", units * 10.0)


def test_penalties_and_the_write_off_belong_to_the_listing_s_market():
    sc = parse_scenario_dict(tiny_dict(compliance=[CE]))
    state = stocked_state(sc, ["a"], warehouse=5000)
    team = play(sc, state, {"a": listing(12.0)}, seed=3).teams["a"]
    us = team.pnl_by_market["US"]
    assert us[WRITE_OFF_LINE] == team.pnl[WRITE_OFF_LINE]
    assert us["compliance_penalties_cny"] == team.pnl["compliance_penalties_cny"]
    assert team.pnl_unallocated[WRITE_OFF_LINE] == 0.0
    assert team.pnl_unallocated["compliance_penalties_cny"] == 0.0


def test_a_certified_seller_writes_nothing_off():
    sc = parse_scenario_dict(tiny_dict(compliance=[CE]))
    state = stocked_state(sc, ["a"], warehouse=5000)
    state.teams["a"].certificates = {"ce": 1}
    team = play(sc, state, {"a": listing(12.0)}, seed=3).teams["a"]
    assert team.compliance == []
    assert team.pnl[WRITE_OFF_LINE] == 0.0


def test_stock_from_suppliers_is_written_off_at_its_average_cost_and_the_value_balances():
    """5,000 units held at 11.5 CNY and 1,000 delivered at once at 10 CNY: the round's average
    cost is (5,000 x 11.5 + 1,000 x 10) / 6,000. Value bought = value sold + value held +
    value written off, to the fen per line."""
    data = catalogue_dict(compliance=[CE])
    sc = parse_scenario_dict(data)
    state = stocked_state(sc, ["a"], warehouse=5000)
    team_state = state.teams["a"]
    team_state.stock_cost_cny = {"gadget": 11.5}
    team_state.stock_mix = {"gadget": {"fast": 1.0}}
    raw = listing(12.0, factory_orders={"gadget": 1000}).to_dict()
    result = play(sc, state, {"a": raw}, seed=3)
    team = result.teams["a"]
    average = (5000 * 11.5 + 1000 * 10.0) / 6000
    units = team.compliance[0]["units_stranded"]
    sold = team.offers[0]["units_sold"]
    assert units > 0
    assert team.pnl[WRITE_OFF_LINE] == round(units * average, 2)
    assert team.pnl["cogs_cny"] == pytest.approx(sold * average, abs=0.005)
    end = result.state.teams["a"]
    held = end.china_stock["gadget"] + end.warehouse_stock["US"]["gadget"]
    assert held + sold + units == 6000
    assert end.stock_cost_cny["gadget"] == pytest.approx(average, abs=1e-6)
    bought = 5000 * 11.5 + team.cash["purchases_cny"]
    accounted = team.pnl["cogs_cny"] + team.pnl[WRITE_OFF_LINE] + held * average
    assert accounted == pytest.approx(bought, abs=0.02)


def test_every_line_of_a_found_team_still_adds_up_over_its_markets_to_the_fen():
    data = tiny_dict(compliance=[CE])
    data["markets"].append({**data["markets"][0], "code": "EU", "currency": "EUR"})
    sc = parse_scenario_dict(data)
    state = stocked_state(sc, ["a", "b"], warehouse=3000, markets=("US", "EU"))
    sheet = listing(12.0).to_dict()
    sheet["offers"]["EU"] = sheet["offers"]["US"]
    result = play(sc, state, {"a": sheet, "b": sheet}, seed=5)
    for team in result.teams.values():
        assert team.pnl[WRITE_OFF_LINE] > 0
        for line, amount in team.pnl.items():
            parts = [row[line] for row in team.pnl_by_market.values()]
            parts.append(team.pnl_unallocated[line])
            assert round(sum(parts) * 100) == round(amount * 100), line
        assert team.pnl_by_market["EU"][WRITE_OFF_LINE] == 0.0
