"""Revenue and margin per product: a team's own report, and the debrief's view of a round.

Rows come from the round results' ``products`` list (engine/report.py: one row per market
and product the team listed or sold in, with ``revenue_cny``, ``margin_cny`` and
``units_sold``). A result without that list (a game without a catalogue) is summed from its
``offers``: revenue and units, no margin. The demand left unserved is the estimate of the
team's own studies of that market and category (services/research.py), only where bought.

Money is CNY. Nothing here reads the game's hidden draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from simshop.engine.compliance import FINDING_KINDS
from simshop.models import Game, Round, Team
from simshop.services import analysis
from simshop.services.games import game_scenario
from simshop.services.research import unserved_by_offer

PRODUCT_KEYS = ["revenue_cny", "margin_cny", "units_sold", "unserved_units"]
"""The per-product columns of the report and the ``products`` export table, after the
round, the team, the market and the product."""


@dataclass(frozen=True)
class ProductRow:
    round: Round
    product: str
    revenue_cny: float
    margin_cny: float | None
    units_sold: int
    unserved_units: float | None
    """The team's bought estimate of demand nobody served (None: not bought)."""
    market: str | None = None
    """None on a row summed over every market."""
    carried: bool = True
    """False on a row of a product the team only studied (no offer): only the estimate."""
    incidents: int = 0
    """Compliance incidents of the offer (listings found without a certificate, IP claims)."""
    compliance_cost_cny: float = 0.0
    """What they cost: removal fees, fines and the stock written off (CNY)."""

    @property
    def margin_share(self) -> float | None:
        if self.margin_cny is None or self.revenue_cny <= 0:
            return None
        return self.margin_cny / self.revenue_cny


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _incidents(result: dict[str, Any]) -> dict[tuple[str, str], tuple[int, float]]:
    """(market, product) -> (compliance incidents, their cost in CNY) of one result."""
    out: dict[tuple[str, str], tuple[int, float]] = {}
    for row in result.get("compliance") or []:
        key = (str(row.get("market")), str(row.get("product")))
        count, cost = out.get(key, (0, 0.0))
        count += 1 if row.get("kind") in FINDING_KINDS else 0
        cost += float(row.get("cost_cny") or 0.0) + float(row.get("written_off_cny") or 0.0)
        out[key] = (count, round(cost, 2))
    return out


def offer_rows(rnd: Round, result: dict[str, Any]) -> list[ProductRow]:
    """One round's rows per market and product of one team's result (market, product order)."""
    unserved = unserved_by_offer(result)
    incidents = _incidents(result)
    listed = result.get("products")
    if listed is None:
        listed = [
            {
                "market": o["market"],
                "product": o["product"],
                "revenue_cny": o.get("revenue_cny") or 0.0,
                "margin_cny": None,
                "units_sold": o.get("units_sold") or 0,
            }
            for o in result.get("offers", [])
        ]
    rows = []
    for row in listed:
        key = (str(row.get("market")), str(row.get("product")))
        count, cost = incidents.get(key, (0, 0.0))
        rows.append(
            ProductRow(
                round=rnd,
                product=key[1],
                revenue_cny=_float(row.get("revenue_cny")) or 0.0,
                margin_cny=_float(row.get("margin_cny")),
                units_sold=int(row.get("units_sold") or 0),
                unserved_units=unserved.pop((row.get("market"), row.get("product")), None),
                market=key[0],
                incidents=count,
                compliance_cost_cny=cost,
            )
        )
    # studied products the team did not sell: only the estimate
    rows += [
        ProductRow(rnd, product, 0.0, None, 0, units, market, carried=False)
        for (market, product), units in unserved.items()
    ]
    return sorted(rows, key=lambda r: (r.market or "", r.product))


def _summed(rnd: Round, product: str, rows: list[ProductRow]) -> ProductRow:
    margins = [r.margin_cny for r in rows if r.carried]
    unserved = [r.unserved_units for r in rows if r.unserved_units is not None]
    return ProductRow(
        round=rnd,
        product=product,
        revenue_cny=sum(r.revenue_cny for r in rows),
        margin_cny=None if None in margins or not margins else sum(m or 0.0 for m in margins),
        units_sold=sum(r.units_sold for r in rows),
        unserved_units=sum(unserved) if unserved else None,
        carried=any(r.carried for r in rows),
        incidents=sum(r.incidents for r in rows),
        compliance_cost_cny=round(sum(r.compliance_cost_cny for r in rows), 2),
    )


def product_rows(rnd: Round, result: dict[str, Any]) -> list[ProductRow]:
    """One round's rows per product (summed over markets) of one team's result."""
    by_product: dict[str, list[ProductRow]] = {}
    for row in offer_rows(rnd, result):
        by_product.setdefault(row.product, []).append(row)
    return [_summed(rnd, p, rows) for p, rows in sorted(by_product.items())]


@dataclass
class ProductReport:
    rows: list[ProductRow]
    products: list[str]
    """Products with a row in any round, in scenario order."""

    def _all_totals(self) -> list[ProductRow]:
        return [
            _summed(self.rows[-1].round, p, [r for r in self.rows if r.product == p])
            for p in self.products
        ]

    def totals(self) -> list[ProductRow]:
        """Per product the team carried (``products`` order), the season so far: sums;
        margin only when every round that sold has one; unserved only where bought."""
        return [t for t in self._all_totals() if t.carried]

    def studied_only(self) -> list[ProductRow]:
        """Products the team studied but never carried: only the demand it left unserved."""
        return [t for t in self._all_totals() if not t.carried]

    @property
    def rounds(self) -> list[Round]:
        return list({r.round.id: r.round for r in self.rows}.values())

    def revenue_series(self, product: str) -> list[float | None]:
        by_round = {r.round.id: r.revenue_cny for r in self.rows if r.product == product}
        return [by_round.get(rnd.id) for rnd in self.rounds]


def team_product_report(session: Session, game: Game, team: Team) -> ProductReport:
    """The team's revenue, margin, units and bought unserved-demand estimates per product
    and published round."""
    order = [p.id for p in game_scenario(game).products]
    rows = [
        row
        for tr in analysis.team_rounds(session, game, team)
        for row in product_rows(tr.round, tr.result)
    ]
    seen = {r.product for r in rows}
    return ProductReport(rows, [p for p in order if p in seen])


@dataclass(frozen=True)
class RoundProduct:
    """One product in one round over every team: the debrief's per-product line."""

    product: str
    teams: int
    revenue_cny: float
    margin_cny: float | None
    units_sold: int


def round_products(results: dict[int, Any], rnd: Round, order: list[str]) -> list[RoundProduct]:
    """Per product (scenario ``order``), summed over ``results`` (team id -> RoundResult)."""
    found: dict[str, list[ProductRow]] = {}
    for rr in results.values():
        for row in product_rows(rnd, rr.result):
            if row.carried:
                found.setdefault(row.product, []).append(row)
    out = []
    for product in [p for p in order if p in found]:
        rows = found[product]
        margins = [r.margin_cny for r in rows]
        out.append(
            RoundProduct(
                product,
                len(rows),
                sum(r.revenue_cny for r in rows),
                None if None in margins else sum(m or 0.0 for m in margins),
                sum(r.units_sold for r in rows),
            )
        )
    return out


def export_rows(base: dict[str, Any], rnd: Round, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``products`` export table's rows of one team's round (``base``: round and team
    columns), per market and product."""
    return [
        {
            **base,
            "market": row.market,
            "product": row.product,
            "revenue_cny": row.revenue_cny,
            "margin_cny": row.margin_cny,
            "units_sold": row.units_sold,
            "unserved_units": row.unserved_units,
        }
        for row in offer_rows(rnd, result)
    ]
