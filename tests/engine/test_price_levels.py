"""Price level per market and product (issue 13 §7): the reference price is the US price x
the market's price index, VAT included where shelf prices include it; de minimis thresholds
compare with the value customs uses (price net of VAT, plus freight on a CIF market)."""

from __future__ import annotations

import pytest
from engine_helpers import listing, offer_row, play, stocked_state, with_market

from simshop.engine.conditions import conditions_for_round
from simshop.engine.demand import reference_price_local
from simshop.engine.logistics import parcel_customs_value_local, parcel_duty_cny


def test_the_reference_price_follows_the_price_index_and_vat():
    plain = with_market()
    indexed = with_market(price_index=1.3, vat_rate=0.2, vat_seller_remits=True)
    product = plain.product("gadget")
    # 10 USD x 7.107 CNY/USD / 7 CNY per local unit
    assert reference_price_local(plain.model, plain.markets[0], product) == pytest.approx(
        10.153, abs=0.001
    )
    # x 1.3 price index x 1.2 VAT included
    assert reference_price_local(indexed.model, indexed.markets[0], product) == pytest.approx(
        10.153 * 1.3 * 1.2, abs=0.001
    )


@pytest.mark.parametrize("seed", [4, 40])
def test_a_market_twice_as_dear_sells_at_twice_the_price_what_the_other_sells_at_one(seed):
    base, dear = with_market(), with_market(price_index=2.0)
    units = []
    for sc, price in ((base, 10.0), (dear, 20.0)):
        state = stocked_state(sc, ["a", "b"], warehouse=10**6)
        result = play(sc, state, {"a": listing(price), "b": listing(price)}, seed=seed)
        units.append(offer_row(result, "a")["units_sold"])
    assert units[0] > 0
    assert units[1] == pytest.approx(units[0], rel=0.01)


def test_the_same_price_sells_more_where_the_price_level_is_higher():
    base, dear = with_market(), with_market(price_index=1.5)
    sold = []
    for sc in (base, dear):
        state = stocked_state(sc, ["a"], warehouse=10**6)
        sold.append(offer_row(play(sc, state, {"a": listing(10.0)}, seed=6), "a")["units_sold"])
    assert sold[1] > sold[0]


def _eu_like(basis: str):
    return with_market(
        vat_rate=0.2, vat_seller_remits=True, de_minimis_local=150.0, customs_basis=basis
    )


@pytest.mark.parametrize(("basis", "value"), [("FOB", 150.0), ("CIF", 152.14)])
def test_the_parcel_customs_value_is_the_price_net_of_vat_plus_cif_freight(basis, value):
    sc = _eu_like(basis)
    mc = conditions_for_round(sc, 1).markets["US"]
    # 180 incl. 20 % VAT = 150 net; CIF adds 0.5 kg x 30 CNY/kg = 15 CNY = 2.14 local
    got = parcel_customs_value_local(sc.product("gadget"), mc, 180.0, 7.0)
    assert got == pytest.approx(value, abs=0.005)


def test_de_minimis_compares_with_the_value_net_of_vat():
    sc = _eu_like("FOB")
    mc = conditions_for_round(sc, 1).markets["US"]
    product = sc.product("gadget")
    # 175 incl. VAT is 145.83 net: under the 150 threshold, though the shelf price is over
    assert parcel_duty_cny(product, mc, 175.0, 7.0) == 0.0
    # 185 incl. VAT is 154.17 net: dutiable at 25 % of the unit cost (FOB) = 2.50 CNY
    assert parcel_duty_cny(product, mc, 185.0, 7.0) == pytest.approx(2.5)
    state = stocked_state(sc, ["a"], china=10**6)
    under = play(sc, state, {"a": listing(175.0, channel="parcel")}, seed=3)
    over = play(sc, state, {"a": listing(185.0, channel="parcel")}, seed=3)
    assert under.teams["a"].pnl["duty_cny"] == 0.0
    sold = offer_row(over, "a")["units_sold"]
    assert sold > 0
    assert over.teams["a"].pnl["duty_cny"] == round(sold * 2.5, 2)
