"""Revenue and margin per product: a team's own report, and the debrief's view of a round.

Rows come from the round results' ``products`` list (one row per product the team carried:
``revenue_cny``, ``margin_cny``, ``units_sold``, and an unserved-demand estimate only where
the team bought research on that market and category). A result without that list (a game
played before catalogues) is summed from its ``offers``: revenue and units, no margin.

Money is CNY. The unserved demand shown is the team's own bought estimate, never the
game's hidden draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from simshop.models import Game, Round, Team
from simshop.services import analysis
from simshop.services.games import game_scenario
from simshop.services.research import UNSERVED_KEYS

PRODUCT_KEYS = ["revenue_cny", "margin_cny", "units_sold", "unserved_units"]
"""The per-product columns of the report and the ``products`` export table, after the
round and the product."""


@dataclass(frozen=True)
class ProductRow:
    round: Round
    product: str
    revenue_cny: float
    margin_cny: float | None
    units_sold: int
    unserved_units: float | None
    """The team's bought estimate of demand nobody served (None: not bought)."""

    @property
    def margin_share(self) -> float | None:
        if self.margin_cny is None or self.revenue_cny <= 0:
            return None
        return self.margin_cny / self.revenue_cny


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _unserved(row: dict[str, Any]) -> float | None:
    for key in UNSERVED_KEYS:
        raw = row.get(key)
        if isinstance(raw, dict):
            raw = raw.get("value", raw.get("estimate"))
        if raw is not None:
            return _float(raw)
    return None


def product_rows(rnd: Round, result: dict[str, Any]) -> list[ProductRow]:
    """One round's per-product rows of one team's result, in product id order."""
    listed = result.get("products")
    if listed is not None:
        return [
            ProductRow(
                round=rnd,
                product=str(row.get("product")),
                revenue_cny=_float(row.get("revenue_cny")) or 0.0,
                margin_cny=_float(row.get("margin_cny", row.get("gross_margin_cny"))),
                units_sold=int(row.get("units_sold") or row.get("units") or 0),
                unserved_units=_unserved(row),
            )
            for row in sorted(listed, key=lambda r: str(r.get("product")))
        ]
    totals: dict[str, list[float]] = {}
    for offer in result.get("offers", []):
        revenue, units = totals.setdefault(offer["product"], [0.0, 0.0])
        totals[offer["product"]] = [
            revenue + (offer.get("revenue_cny") or 0.0),
            units + (offer.get("units_sold") or 0),
        ]
    return [
        ProductRow(rnd, product, revenue, None, int(units), None)
        for product, (revenue, units) in sorted(totals.items())
    ]


@dataclass
class ProductReport:
    rows: list[ProductRow]
    products: list[str]
    """Products with a row in any round, in scenario order."""

    def totals(self) -> list[ProductRow | None]:
        """Per product (``products`` order), the season so far: sums; margin only when
        every round has one; unserved only where bought."""
        out: list[ProductRow | None] = []
        for product in self.products:
            mine = [r for r in self.rows if r.product == product]
            if not mine:
                out.append(None)
                continue
            margins = [r.margin_cny for r in mine]
            unserved = [r.unserved_units for r in mine if r.unserved_units is not None]
            out.append(
                ProductRow(
                    round=mine[-1].round,
                    product=product,
                    revenue_cny=sum(r.revenue_cny for r in mine),
                    margin_cny=None if None in margins else sum(m or 0.0 for m in margins),
                    units_sold=sum(r.units_sold for r in mine),
                    unserved_units=sum(unserved) if unserved else None,
                )
            )
        return out

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
            if row.revenue_cny or row.units_sold or row.margin_cny:
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
    columns)."""
    return [
        {
            **base,
            "product": row.product,
            "revenue_cny": row.revenue_cny,
            "margin_cny": row.margin_cny,
            "units_sold": row.units_sold,
            "unserved_units": row.unserved_units,
        }
        for row in product_rows(rnd, result)
    ]
