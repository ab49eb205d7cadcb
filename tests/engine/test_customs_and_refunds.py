"""Customs basis (issue 13 §4), VAT and referral fee on refunds (§5), to the cent; and the
located errors of the new scenario keys (nest parameter, customs basis, price index)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import listing, offer_row, play, stocked_state, tiny_dict, with_market

from simshop.cli.scenario import scenario as scenario_cli
from simshop.engine.scenario import parse_scenario_dict, parse_scenario_text

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIP = {"shipments": [{"product": "gadget", "market": "US", "mode": "sea", "quantity": 40}]}


@pytest.mark.parametrize(("basis", "duty"), [("FOB", 100.00), ("CIF", 110.00)])
def test_shipment_duty_uses_the_markets_customs_basis(basis, duty):
    # 40 units x 25 % x (10.00 unit cost [+ 0.5 kg x 2.00 CNY/kg sea freight on CIF])
    sc = with_market(customs_basis=basis)
    state = stocked_state(sc, ["a"], china=100)
    result = play(sc, state, {"a": SHIP})
    assert result.teams["a"].pnl["duty_cny"] == duty
    assert result.teams["a"].pnl["freight_cny"] == 40.00


@pytest.mark.parametrize(("basis", "per_unit"), [("FOB", 2.50), ("CIF", 6.25)])
def test_parcel_duty_uses_the_markets_customs_basis(basis, per_unit):
    # 25 % x (10.00 [+ 0.5 kg x 30.00 CNY/kg parcel freight on CIF]) per unit sold
    sc = with_market(customs_basis=basis)
    state = stocked_state(sc, ["a"], china=10**6)
    result = play(sc, state, {"a": listing(10.0, channel="parcel")}, seed=4)
    sold = offer_row(result, "a")["units_sold"]
    assert sold > 0
    assert result.teams["a"].pnl["duty_cny"] == round(sold * per_unit, 2)


def test_every_us_market_in_the_library_values_fob_and_every_other_cif():
    for path in sorted(SCENARIOS.glob("*.toml")):
        sc = parse_scenario_text(path.read_text(encoding="utf-8"))
        for market in sc.markets:
            assert market.customs_basis == ("FOB" if market.code == "US" else "CIF"), path.name


# --------------------------------------------------------------------------- refunds


def _refund_world(**market):
    data = tiny_dict()
    data["products"][0]["return_rate"] = 0.5
    data["markets"][0].update(market)
    data["model"] = {"reference_cny_per_usd": 7.0}  # the $5 cap is then 35.00 CNY
    return parse_scenario_dict(data)


def test_refunds_reduce_vat_due_and_return_the_referral_fee_less_the_admin_fee():
    """VAT 20 % included in the price, fee 15 %, half the units come back."""
    sc = _refund_world(vat_rate=0.2, vat_seller_remits=True)
    state = stocked_state(sc, ["a"], warehouse=10**6)
    result = play(sc, state, {"a": listing(12.0)}, seed=9)
    row = offer_row(result, "a")
    pnl = result.teams["a"].pnl
    sold, returned = row["units_sold"], row["units_returned"]
    assert 0 < returned < sold
    revenue = pnl["revenue_cny"]
    assert revenue == round(sold * 12.0 * 7.0, 2)
    unit = 12.0 * 7.0
    refunds = returned * unit
    assert pnl["refunds_cny"] == round(refunds, 2)
    # VAT on the sales kept only (art. 90): (revenue - refunds) x 0.2 / 1.2
    assert pnl["vat_cny"] == round((revenue - refunds) * 0.2 / 1.2, 2)
    # referral fee 15 % of revenue, refunded on returns less min(20 % of the fee, $5)
    fee_unit = 0.15 * unit
    admin_unit = min(0.2 * fee_unit, 35.0)  # 20 % of 12.60 = 2.52, under the 35.00 cap
    expected_fee = 0.15 * revenue - returned * (fee_unit - admin_unit)
    assert pnl["commission_cny"] == round(expected_fee, 2)


def test_the_admin_fee_is_capped_per_unit():
    """A 300 USD item: 20 % of a 45 USD fee is 9 USD, capped at 5 USD."""
    sc = _refund_world(refund_admin_fee_cap_usd=5.0)
    state = stocked_state(sc, ["a"], warehouse=10**6)
    result = play(sc, state, {"a": listing(300.0)}, seed=2)
    row = offer_row(result, "a")
    returned = row["units_returned"]
    assert returned > 0
    unit = 300.0 * 7.0
    admin = 35.0  # min(20 % x 315.00, 35.00)
    expected = 0.15 * row["units_sold"] * unit - returned * (0.15 * unit - admin)
    assert result.teams["a"].pnl["commission_cny"] == round(expected, 2)


def test_the_cash_identity_holds_with_refunds():
    sc = _refund_world(vat_rate=0.2, vat_seller_remits=True)
    state = stocked_state(sc, ["a"], warehouse=10**6)
    result = play(sc, state, {"a": listing(12.0)}, seed=9)
    cash = result.teams["a"].cash
    assert cash["end_cny"] == round(
        cash["start_cny"] + cash["inflows_cny"] - cash["outflows_cny"], 2
    )


# --------------------------------------------------------------------------- bad input


def _check(tmp_path: Path, section: str, old: str, new: str):
    text = (SCENARIOS / "tutorial.toml").read_text(encoding="utf-8")
    assert old in text
    if section:
        text = text.replace("[[markets]]", section + "\n\n[[markets]]", 1)
    text = text.replace(old, new, 1)
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path, CliRunner().invoke(scenario_cli, ["check", str(path)])


def _line_of(path: Path, needle: str) -> int:
    """The 1-based line of the file on which ``needle`` is."""
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def test_a_nest_parameter_out_of_range_is_a_located_error(tmp_path):
    path, result = _check(tmp_path, "[model]\nnest_lambda = 1.5", "[[markets]]", "[[markets]]")
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "model.nest_lambda" in result.stderr


def test_an_unknown_customs_basis_is_a_located_error(tmp_path):
    path, result = _check(tmp_path, "", 'customs_basis = "FOB"', 'customs_basis = "DDP"')
    assert result.exit_code == 2
    line = _line_of(path, 'customs_basis = "DDP"')
    assert f"{path}:{line}: markets[0].customs_basis:" in result.stderr


def test_a_negative_price_index_is_a_located_error(tmp_path):
    path, result = _check(
        tmp_path, "", 'customs_basis = "FOB"', 'customs_basis = "FOB"\nprice_index = -1.0'
    )
    assert result.exit_code == 2
    line = _line_of(path, "price_index = -1.0")
    assert f"{path}:{line}: markets[0].price_index:" in result.stderr
