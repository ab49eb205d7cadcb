"""A carried-over sheet obeys the cash rule of a submitted one (issue 13 §6)."""

from __future__ import annotations

from engine_helpers import listing, play, stocked_state, tiny

from simshop.engine.decisions import DecisionSheet, carry_over
from simshop.engine.market import simulate_round


def _carrying(cash: float, ad: float):
    sc = tiny()
    state = stocked_state(sc, ["a"], warehouse=0)
    team = state.teams["a"]
    team.cash_cny = cash
    team.last_decisions = DecisionSheet.model_validate(listing(10.0, ad=ad).to_dict())
    return sc, state


def test_carried_ads_are_scaled_down_to_the_cash_and_the_team_is_told():
    sc, state = _carrying(cash=1000.0, ad=4000.0)
    result = play(sc, state, {})
    team = result.teams["a"]
    assert team.pnl["advertising_cny"] == 1000.00
    assert team.cash["overdraft_cny"] == 0.0
    scaled = [m for m in team.messages if m["kind"] == "carried_spending_scaled"]
    assert scaled == [
        {
            "day": 1,
            "kind": "carried_spending_scaled",
            "team": "a",
            "requested_cny": 4000.0,
            "allowed_cny": 1000.0,
            "cash_cny": 1000.0,
        }
    ]
    assert scaled[0] in result.events


def test_a_team_without_cash_carries_no_ad_spending_and_no_overdraft_pays_for_it():
    sc, state = _carrying(cash=0.0, ad=50000.0)
    result = play(sc, state, {})
    team = result.teams["a"]
    assert team.pnl["advertising_cny"] == 0.0
    assert team.cash["overdraft_cny"] == 0.0
    assert result.state.teams["a"].debt_cny == 0.0


def test_a_carried_sheet_that_fits_is_kept_as_it_was():
    sc, state = _carrying(cash=5000.0, ad=4000.0)
    result = play(sc, state, {})
    assert result.teams["a"].pnl["advertising_cny"] == 4000.00
    assert not [e for e in result.events if e["kind"] == "carried_spending_scaled"]


def test_the_cash_identity_holds_for_a_scaled_carried_sheet():
    sc, state = _carrying(cash=1234.56, ad=4000.0)
    cash = play(sc, state, {}).teams["a"].cash
    assert cash["end_cny"] == round(
        cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], 2
    )


def test_a_carried_sheet_passed_in_explicitly_is_scaled_too():
    """Round processing passes ``carry_over(last)`` itself; the rule holds there as well."""
    sc, state = _carrying(cash=1000.0, ad=4000.0)
    sheet = carry_over(state.teams["a"].last_decisions)
    result = simulate_round(sc, state, {"a": sheet}, 1)
    assert result.teams["a"].pnl["advertising_cny"] == 1000.00
    assert result.teams["a"].cash["overdraft_cny"] == 0.0
    assert [e["kind"] for e in result.events].count("carried_spending_scaled") == 1
