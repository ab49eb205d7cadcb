"""Compliance in the round: certificates, detection, sweeps, new requirements, stranded stock
and fines, intellectual-property claims, and bots that buy what their listings need."""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import listing, play, stocked_state, tiny, tiny_dict

from simshop.engine.compliance import certificate_status
from simshop.engine.conditions import conditions_for_round
from simshop.engine.decisions import DecisionErrors, validate_decisions
from simshop.engine.explain import CAUSES, RoundSide, explain_round
from simshop.engine.headless import play_game
from simshop.engine.market import simulate_round
from simshop.engine.state import initial_state

CE: dict[str, Any] = {
    "id": "ce",
    "name": "CE marking",
    "market": "US",
    "categories": ["electronics"],
    "cost_cny": 2000.0,
    "rounds_to_obtain": 1,
    "yearly_fee_cny": 1200.0,
    "detection_per_round": 1.0,
    "fine_cny": 500.0,
    "removal_cny_per_unit": 2.0,
}
SEEDS = list(range(1, 41))
"""The fixed seed list of the frequency tests (40 rounds x 25 listings = 1,000 trials)."""
TEAMS = [f"t{i:02d}" for i in range(25)]


def scenario_with(*, compliance=(), events=(), ip_risk=None):
    data = tiny_dict(compliance=list(compliance), events=list(events))
    if ip_risk is not None:
        data["products"][0]["ip_risk"] = ip_risk
    from simshop.engine.scenario import parse_scenario_dict

    return parse_scenario_dict(data)


def rule(**changes: Any) -> dict[str, Any]:
    return {**CE, **changes}


def found(result) -> dict[str, list[dict]]:
    return {
        tid: [r for r in team.compliance if r["kind"] == "delisted"]
        for tid, team in result.teams.items()
    }


def share_found(sc, state_for_seed, seeds=SEEDS) -> float:
    hits = trials = 0
    for seed in seeds:
        state = state_for_seed()
        result = play(sc, state, {t: listing(12.0) for t in state.teams}, seed=seed)
        hits += sum(len(rows) for rows in found(result).values())
        trials += len(state.teams)
    return hits / trials


def test_detection_frequency_matches_the_scenarios_probability():
    """1,000 listings without the certificate over a fixed seed list: the share found is the
    scenario's 0.3 within 0.05 (3.4 standard deviations of a binomial share)."""
    sc = scenario_with(compliance=[rule(detection_per_round=0.3)])
    share = share_found(sc, lambda: stocked_state(sc, TEAMS, warehouse=50))
    assert share == pytest.approx(0.3, abs=0.05)


def test_a_sweep_multiplies_detection_while_it_runs():
    sweep = {
        "kind": "compliance_sweep",
        "id": "sweep",
        "round": 1,
        "headline": "Sweep",
        "market": "US",
        "categories": ["electronics"],
        "detection_multiplier": 2.5,
    }
    sc = scenario_with(compliance=[rule(detection_per_round=0.2)], events=[sweep])
    assert conditions_for_round(sc, 1).markets["US"].detection(
        conditions_for_round(sc, 1).markets["US"].requirements[0], "electronics"
    ) == pytest.approx(0.5)
    assert conditions_for_round(sc, 2).markets["US"].sweeps == ()
    share = share_found(sc, lambda: stocked_state(sc, TEAMS, warehouse=50))
    assert share == pytest.approx(0.5, abs=0.05)


def test_a_compliant_seller_is_never_delisted_for_compliance():
    sc = scenario_with(compliance=[rule(detection_per_round=1.0)])
    for seed in SEEDS:
        state = stocked_state(sc, ["held", "missing"], warehouse=50)
        state.teams["held"].certificates = {"ce": 1}
        result = play(sc, state, {t: listing(12.0) for t in state.teams}, seed=seed)
        assert result.teams["held"].compliance == []
        assert result.teams["held"].pnl["compliance_penalties_cny"] == 0.0
        assert [r["kind"] for r in result.teams["missing"].compliance] == ["delisted", "fine"]


def test_found_stock_is_stranded_and_fined_in_the_pnl():
    sc = scenario_with(compliance=[rule()])
    state = stocked_state(sc, ["a"], warehouse=400)
    result = play(sc, state, {"a": listing(12.0)}, seed=3)
    team = result.teams["a"]
    delisted, fine = team.compliance
    assert (delisted["kind"], delisted["requirement"], fine["kind"]) == ("delisted", "ce", "fine")
    units = delisted["units_stranded"]
    assert units == 400 - team.offers[0]["units_sold"]  # what was not sold before that day
    assert delisted["cost_cny"] == units * 2.0
    assert fine["cost_cny"] == 500.0
    assert team.pnl["compliance_penalties_cny"] == units * 2.0 + 500.0
    assert result.state.teams["a"].warehouse_stock["US"]["gadget"] == 0
    costs = sum(
        v for k, v in team.pnl.items() if k not in ("revenue_cny", "total_costs_cny", "profit_cny")
    )
    assert team.pnl["total_costs_cny"] == pytest.approx(costs, abs=0.01)
    assert team.pnl["profit_cny"] == pytest.approx(
        team.pnl["revenue_cny"] - team.pnl["total_costs_cny"], abs=0.01
    )
    assert [m["kind"] for m in team.messages] == ["compliance_found"]


def test_a_delisted_offer_sells_nothing_from_the_day_it_is_found():
    """Same seed, same shoppers (the demand stream is the market's own): the found seller
    sells what a certified one sells before the day it is found, and nothing after."""
    sc = scenario_with(compliance=[rule()])
    for seed in (5, 6, 7):
        state = stocked_state(sc, ["a"], warehouse=5000)
        result = play(sc, state, {"a": listing(12.0)}, seed=seed)
        held = stocked_state(sc, ["a"], warehouse=5000)
        held.teams["a"].certificates = {"ce": 1}
        certified = play(sc, held, {"a": listing(12.0)}, seed=seed)
        row = result.teams["a"].compliance[0]
        sold = result.teams["a"].offers[0]["units_sold"]
        assert sold + row["units_stranded"] == 5000
        full = certified.teams["a"].offers[0]["units_sold"]
        if row["day"] == 1:
            assert sold == 0
        assert sold <= full


def test_certificates_take_their_rounds_to_obtain_and_then_cost_their_fee():
    sc = scenario_with(compliance=[rule(rounds_to_obtain=2)])
    state = stocked_state(sc, ["a"], warehouse=100)
    first = play(sc, state, {"a": listing(12.0, certificates=["ce"])}, seed=1)
    assert first.teams["a"].pnl["compliance_cny"] == 2000.0
    assert first.state.teams["a"].certificates == {"ce": 3}
    assert certificate_status(first.state.teams["a"], "ce", 2) == "in_progress"
    assert [r["kind"] for r in first.teams["a"].compliance] == ["delisted", "fine"]
    second = play(sc, first.state, {"a": listing(12.0)}, seed=1)
    assert second.teams["a"].pnl["compliance_cny"] == 0.0
    assert [r["kind"] for r in second.teams["a"].compliance] == ["delisted", "fine"]
    third = play(sc, second.state, {"a": listing(12.0)}, seed=1)
    assert certificate_status(second.state.teams["a"], "ce", 3) == "held"
    assert third.teams["a"].compliance == []
    assert third.teams["a"].pnl["compliance_cny"] == 100.0  # 1,200 a year, one month


def test_a_certificate_bought_now_with_no_wait_covers_this_round():
    sc = scenario_with(compliance=[rule(rounds_to_obtain=0)])
    state = stocked_state(sc, ["a"], warehouse=100)
    result = play(sc, state, {"a": listing(12.0, certificates=["ce"])}, seed=1)
    assert result.teams["a"].compliance == []
    assert result.teams["a"].pnl["compliance_cny"] == 2000.0 + 100.0


def test_a_new_requirement_starts_on_its_round():
    event = {
        "kind": "new_requirement",
        "id": "gpsr",
        "round": 2,
        "announce_round": 1,
        "headline": "GPSR applies",
        "name": "GPSR responsible person",
        "market": "US",
        "cost_cny": 3000.0,
        "detection_per_round": 1.0,
    }
    sc = scenario_with(events=[event])
    assert conditions_for_round(sc, 1).markets["US"].requirements == ()
    assert [r.id for r in conditions_for_round(sc, 2).markets["US"].requirements] == ["gpsr"]
    state = stocked_state(sc, ["a"], warehouse=100)
    first = play(sc, state, {"a": listing(12.0)}, seed=1)
    assert first.teams["a"].compliance == []
    second = play(sc, first.state, {"a": listing(12.0)}, seed=1)
    assert [(r["kind"], r["requirement"]) for r in second.teams["a"].compliance] == [
        ("delisted", "gpsr")
    ]


def test_an_ip_claim_freezes_a_share_of_cash_and_releases_it_later():
    risk = {"demand_boost": 1.0, "claim_per_round": 1.0, "freeze_share": 0.5, "freeze_rounds": 1}
    sc = scenario_with(ip_risk=risk)
    state = stocked_state(sc, ["a"], warehouse=100)
    first = play(sc, state, {"a": listing(12.0)}, seed=2)
    cash = first.teams["a"].cash
    [claim] = first.teams["a"].compliance
    assert claim["kind"] == "ip_claim"
    assert claim["frozen_cny"] == cash["frozen_cny"] > 0
    before = cash["end_cny"] + cash["frozen_cny"]
    assert cash["frozen_cny"] == pytest.approx(0.5 * before, abs=0.01)
    assert cash["end_cny"] == pytest.approx(
        cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], abs=0.01
    )
    assert first.state.teams["a"].frozen_cash == [
        {"amount_cny": cash["frozen_cny"], "release_round": 2}
    ]
    second = play(sc, first.state, {"a": {}}, seed=2)
    assert second.teams["a"].cash["released_cny"] == cash["frozen_cny"]
    assert second.state.teams["a"].frozen_cash == []
    c2 = second.teams["a"].cash
    assert c2["end_cny"] == pytest.approx(
        c2["start_cny"] + c2["inflows_cny"] - c2["outflows_cny"], abs=0.01
    )


def test_ip_claim_frequency_matches_the_products_probability():
    risk = {"claim_per_round": 0.25}
    sc = scenario_with(ip_risk=risk)
    hits = trials = 0
    for seed in SEEDS:
        state = stocked_state(sc, TEAMS, warehouse=50)
        result = play(sc, state, {t: listing(12.0) for t in TEAMS}, seed=seed)
        hits += sum(len(t.compliance) for t in result.teams.values())
        trials += len(TEAMS)
    assert hits / trials == pytest.approx(0.25, abs=0.05)


def test_a_look_alike_design_draws_more_shoppers():
    plain = scenario_with(ip_risk={"claim_per_round": 0.0})
    boosted = scenario_with(ip_risk={"claim_per_round": 0.0, "demand_boost": 2.0})
    shoppers = []
    for sc in (plain, boosted):
        result = play(sc, stocked_state(sc, ["a"], warehouse=50), {"a": listing(12.0)}, seed=4)
        shoppers.append(result.markets["US"]["gadget"]["shoppers"])
    assert 1.8 < shoppers[1] / shoppers[0] < 2.2


def test_a_scenario_without_compliance_has_no_compliance_lines_or_rows():
    sc = tiny()
    result = play(sc, stocked_state(sc, ["a"], warehouse=50), {"a": listing(12.0)})
    data = result.teams["a"].to_dict()
    assert "compliance" not in data
    assert "compliance_cny" not in data["pnl"] and "frozen_cny" not in data["cash"]
    assert "certificates" not in result.state.teams["a"].to_dict()


def test_certificates_are_validated_with_located_codes():
    sc = scenario_with(compliance=[rule()])
    team = stocked_state(sc, ["a"]).teams["a"]
    team.certificates = {"ce": 2}
    with pytest.raises(DecisionErrors) as exc:
        validate_decisions(sc, team, {"certificates": ["ce", "ukca", "ukca"]})
    assert [(i.loc, i.code) for i in exc.value.issues] == [
        (("certificates", 0), "already_certified"),
        (("certificates", 1), "unknown_requirement"),
        (("certificates", 2), "unknown_requirement"),
    ]
    team.certificates = {}
    with pytest.raises(DecisionErrors) as exc:
        validate_decisions(sc, team, {"certificates": ["ce", "ce"]})
    assert [(i.loc, i.code) for i in exc.value.issues] == [
        (("certificates", 1), "duplicate_certificate")
    ]
    team.cash_cny = 1000.0
    with pytest.raises(DecisionErrors) as exc:
        validate_decisions(sc, team, {"certificates": ["ce"]})
    assert [i.code for i in exc.value.issues] == ["insufficient_cash"]


def test_the_same_seed_gives_the_same_incidents_and_other_seeds_differ():
    sc = scenario_with(compliance=[rule(detection_per_round=0.5)])

    def run(seed):
        state = stocked_state(sc, TEAMS, warehouse=50)
        return play(sc, state, {t: listing(12.0) for t in TEAMS}, seed=seed).to_dict()

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_bots_buy_the_certificates_their_listings_need():
    sc = scenario_with(compliance=[rule(detection_per_round=0.2)])
    record = play_game(sc, seed=3, rounds=2, bots=3)
    first = record["rounds"][0]["decisions"]
    for tid, sheet in first.items():
        listed = any(o["listed"] for o in sheet["offers"].get("US", {}).values())
        assert sheet.get("certificates", []) == (["ce"] if listed else []), tid
    second = record["rounds"][1]["decisions"]
    # nothing left to buy: the key is left out of an empty sheet's dict
    assert all("certificates" not in sheet for sheet in second.values())


def test_explanations_still_add_up_with_compliance():
    sc = scenario_with(
        compliance=[rule(detection_per_round=0.5)],
        ip_risk={"claim_per_round": 0.3, "demand_boost": 1.2},
    )
    state = stocked_state(sc, ["a", "b"], warehouse=200)
    sheets1 = {"a": listing(12.0), "b": listing(13.0, certificates=["ce"])}
    from simshop.engine.decisions import DecisionSheet

    played1 = {t: validate_decisions(sc, state.teams[t], s.to_dict()) for t, s in sheets1.items()}
    first = simulate_round(sc, state, played1, 9)
    sheets2 = {"a": DecisionSheet.from_dict(listing(11.0).to_dict()), "b": listing(13.0)}
    second = simulate_round(sc, first.state, sheets2, 9)
    prev = RoundSide(state, played1, conditions_for_round(sc, 1), 1)
    cur = RoundSide(first.state, sheets2, conditions_for_round(sc, 2), 2)
    explained = explain_round(sc, 9, prev, cur)
    for tid in ("a", "b"):
        team = explained.teams[tid]
        assert set(team.profit_parts_cents) == set(CAUSES)
        assert sum(team.profit_parts_cents.values()) == (
            team.profit_after_cents - team.profit_before_cents
        )
        assert team.profit_after_cents == round(second.teams[tid].pnl["profit_cny"] * 100)
        assert team.profit_before_cents == round(first.teams[tid].pnl["profit_cny"] * 100)


def test_initial_state_holds_no_certificates():
    sc = scenario_with(compliance=[rule()])
    team = initial_state(sc, ["a"]).teams["a"]
    assert team.certificates == {} and team.frozen_cash == []
    assert certificate_status(team, "ce", 1) == "missing"


def test_a_change_in_one_market_leaves_the_other_markets_incidents_untouched():
    data = tiny_dict(compliance=[rule(detection_per_round=0.5)])
    eu = {**data["markets"][0], "code": "EU", "name": "European Union", "currency": "EUR"}
    data["markets"].append(eu)
    data["compliance"].append(rule(id="ce-eu", market="EU", detection_per_round=0.5))
    from simshop.engine.scenario import parse_scenario_dict

    sc = parse_scenario_dict(data)

    def us_rows(eu_price):
        state = stocked_state(sc, TEAMS, warehouse=50, markets=("US", "EU"))
        sheets = {
            t: {
                "offers": {
                    "US": {"gadget": {"listed": True, "price_local": 12.0}},
                    "EU": {"gadget": {"listed": True, "price_local": eu_price}},
                }
            }
            for t in TEAMS
        }
        result = play(sc, state, sheets, seed=21)
        return {
            t: [r for r in team.compliance if r["market"] == "US"]
            for t, team in result.teams.items()
        }

    assert us_rows(12.0) == us_rows(15.0)
    assert any(us_rows(12.0).values())
