"""The per-product report counts each offer's compliance incidents and what they cost: a
listing found without a certificate is one incident (its fine goes with it), its cost the
removal fee, the fine and the stock written off; an IP claim is one incident."""

from __future__ import annotations

from types import SimpleNamespace

from simshop.services.product_report import offer_rows, product_rows

ROUND = SimpleNamespace(id=1)


def row(market, product, revenue):
    return {
        "market": market,
        "product": product,
        "revenue_cny": revenue,
        "margin_cny": revenue / 4,
        "units_sold": 10,
    }


RESULT = {
    "products": [row("US", "toy", 400.0), row("US", "gadget", 300.0), row("EU", "gadget", 200.0)],
    "compliance": [
        {
            "market": "US",
            "product": "gadget",
            "requirement": "us-fcc",
            "day": 4,
            "kind": "delisted",
            "units_stranded": 30,
            "cost_cny": 210.0,
            "written_off_cny": 1050.0,
        },
        {
            "market": "US",
            "product": "gadget",
            "requirement": "us-fcc",
            "day": 4,
            "kind": "fine",
            "units_stranded": 0,
            "cost_cny": 15000.0,
        },
        {
            "market": "EU",
            "product": "gadget",
            "requirement": None,
            "day": 9,
            "kind": "ip_claim",
            "units_stranded": 0,
            "cost_cny": 0.0,
            "frozen_cny": 5000.0,
        },
    ],
}


def test_each_offer_counts_its_own_incidents_and_their_cost():
    rows = {(r.market, r.product): r for r in offer_rows(ROUND, RESULT)}
    assert (rows["US", "toy"].incidents, rows["US", "toy"].compliance_cost_cny) == (0, 0.0)
    us_gadget = rows["US", "gadget"]
    assert (us_gadget.incidents, us_gadget.compliance_cost_cny) == (1, 16260.0)
    eu_gadget = rows["EU", "gadget"]
    assert (eu_gadget.incidents, eu_gadget.compliance_cost_cny) == (1, 0.0)


def test_a_product_sums_its_markets():
    rows = {r.product: r for r in product_rows(ROUND, RESULT)}
    assert (rows["gadget"].incidents, rows["gadget"].compliance_cost_cny) == (2, 16260.0)
    assert rows["toy"].incidents == 0


def test_a_result_without_compliance_has_no_incidents():
    rows = offer_rows(ROUND, {"products": RESULT["products"]})
    assert [r.incidents for r in rows] == [0, 0, 0]
