"""The instructor's debrief of a published round: what happened, who moved, and why.

For each team with a result in the round: rank and round profit against the previous round
of the same phase (practice rounds and scored rounds are separate), and the decisions
behind them — price against the market median, advertising, stockouts, tariff exposure
(duty as a share of revenue) and the shipping lanes used. "Movers" are the teams whose rank
or round profit changed most. Reasons are machine codes with parameters; the template words
them in the reader's language.

Money is CNY; rates are fractions. Staff only: names are never anonymised here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.accounting import WRITE_OFF_LINE
from simshop.engine.compliance import FINDING_KINDS
from simshop.engine.scenario import Scenario
from simshop.models import Game, Round, RoundResult, RoundStatus, Team
from simshop.services.export_tables import TABLES, Table
from simshop.services.games import game_scenario
from simshop.services.product_report import RoundProduct, round_products

MOVERS = 3
PRICE_GAP = 0.10
"""A mean price this far (fraction) from the market medians is worth mentioning."""
AD_CHANGE = 0.25
STOCKOUT_SHARE = 0.10
TARIFF_SHARE = 0.05

DEBRIEF_COLUMNS = TABLES["debrief"]


@dataclass
class DebriefRow:
    team_id: int
    name: str
    is_bot: bool
    decision_source: str
    rank: int | None
    previous_rank: int | None
    profit_cny: float
    previous_profit_cny: float | None
    revenue_cny: float
    units_sold: int
    units_lost_stockout: int
    price_index: float | None
    """Mean over the team's listed offers of price / the market's median price (1 = median)."""
    advertising_cny: float
    previous_advertising_cny: float | None
    duty_cny: float
    lanes: list[str]
    """Shipment modes used this round, plus ``parcel`` for offers sold by direct parcel."""
    markets: list[str]
    cash_end_cny: float
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    compliance_incidents: int = 0
    """Compliance incidents of the round (scenarios with compliance)."""
    compliance_penalties_cny: float = 0.0
    """Fines and removal fees, and the stock written off (CNY)."""

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive: moved up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def profit_change_cny(self) -> float | None:
        if self.previous_profit_cny is None:
            return None
        return self.profit_cny - self.previous_profit_cny

    @property
    def stockout_share(self) -> float:
        demanded = self.units_sold + self.units_lost_stockout
        return self.units_lost_stockout / demanded if demanded else 0.0

    @property
    def tariff_exposure(self) -> float:
        return self.duty_cny / self.revenue_cny if self.revenue_cny > 0 else 0.0


@dataclass
class Debrief:
    round: Round
    previous: Round | None
    events: list[dict[str, Any]]
    """The round's event log (events taking effect, delistings, overdrafts, disruptions)."""
    news: list[dict[str, Any]]
    """Headlines announced in this round (for coming rounds)."""
    rows: list[DebriefRow]
    rank_movers: list[DebriefRow]
    profit_movers: list[DebriefRow]
    products: list[RoundProduct] = field(default_factory=list)
    """Revenue, margin and units per product over every team (services/product_report)."""

    @property
    def profit_bars(self) -> list[tuple[str, float, bool]]:
        """(team, round profit, False) in rank order, for a bar chart."""
        return [(x.name, x.profit_cny, False) for x in self.rows]


def _previous_in_phase(session: Session, rnd: Round) -> Round | None:
    prev = session.scalar(
        select(Round).where(Round.game_id == rnd.game_id, Round.number == rnd.number - 1)
    )
    if prev is None or prev.is_practice != rnd.is_practice:
        return None
    if prev.status != RoundStatus.PUBLISHED.value:
        return None
    return prev


def _results(session: Session, rnd: Round | None) -> dict[int, RoundResult]:
    if rnd is None:
        return {}
    rows = session.scalars(select(RoundResult).where(RoundResult.round_id == rnd.id))
    return {r.team_id: r for r in rows}


def _price_index(result: dict[str, Any], stats: dict[str, Any]) -> float | None:
    ratios = []
    for o in result.get("offers", []):
        if not o.get("listed"):
            continue
        median = ((stats.get(o["market"]) or {}).get(o["product"]) or {}).get("price_local") or {}
        median = median.get("median")
        if median:
            ratios.append(o["price_local"] / median)
    return sum(ratios) / len(ratios) if ratios else None


def _lanes(result: dict[str, Any], sheet: dict[str, Any]) -> list[str]:
    modes = {s["mode"] for s in sheet.get("shipments", [])}
    if any(o.get("listed") and o.get("channel") == "parcel" for o in result.get("offers", [])):
        modes.add("parcel")
    order = ["sea", "rail", "air", "parcel"]
    return sorted(modes, key=lambda m: order.index(m) if m in order else len(order))


def _reasons(row: DebriefRow) -> list[tuple[str, dict[str, Any]]]:
    reasons: list[tuple[str, dict[str, Any]]] = []
    if row.price_index is not None and abs(row.price_index - 1) >= PRICE_GAP:
        code = "price_above_median" if row.price_index > 1 else "price_below_median"
        reasons.append((code, {"pct": abs(row.price_index - 1)}))
    prev_ads = row.previous_advertising_cny
    if prev_ads is not None and abs(row.advertising_cny - prev_ads) > AD_CHANGE * max(
        prev_ads, 1.0
    ):
        code = "ads_up" if row.advertising_cny > prev_ads else "ads_down"
        reasons.append((code, {"before": prev_ads, "after": row.advertising_cny}))
    if row.stockout_share >= STOCKOUT_SHARE:
        reasons.append(("stockouts", {"units": row.units_lost_stockout, "pct": row.stockout_share}))
    if row.tariff_exposure >= TARIFF_SHARE:
        reasons.append(("tariff_exposure", {"pct": row.tariff_exposure, "duty": row.duty_cny}))
    if row.lanes:
        reasons.append(("lanes", {"lanes": row.lanes}))
    if not row.markets:
        reasons.append(("no_market", {}))
    if row.compliance_incidents:
        reasons.append(
            (
                "compliance",
                {"incidents": row.compliance_incidents, "cost": row.compliance_penalties_cny},
            )
        )
    return reasons


def round_debrief(session: Session, game: Game, rnd: Round) -> Debrief:
    """The debrief of a published round of ``game``."""
    scenario: Scenario = game_scenario(game)
    previous = _previous_in_phase(session, rnd)
    now, before = _results(session, rnd), _results(session, previous)
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.game_id == game.id))}
    stats = rnd.market_stats or {}
    rows = [
        _debrief_row(now[team_id], teams[team_id], before.get(team_id), stats)
        for team_id in sorted(now)
    ]
    rows.sort(key=lambda x: (x.rank if x.rank is not None else 10**9, x.team_id))
    rank_movers = sorted(
        (x for x in rows if x.rank_change),
        key=lambda x: (-abs(x.rank_change or 0), x.rank or 0),
    )[:MOVERS]
    profit_movers = sorted(
        (x for x in rows if x.profit_change_cny is not None),
        key=lambda x: (-abs(x.profit_change_cny or 0.0), x.rank or 0),
    )[:MOVERS]
    news = [
        {
            "id": e.id,
            "kind": e.kind,
            "effective_round": e.round,
            "headline": e.headline,
            "headline_zh": e.headline_zh or e.headline,
        }
        for e in scenario.events
        if e.announced_in == rnd.scenario_round
    ]
    return Debrief(
        round=rnd,
        previous=previous,
        events=list(rnd.events or []),
        news=news,
        rows=rows,
        rank_movers=rank_movers,
        profit_movers=profit_movers,
        products=round_products(now, rnd, [p.id for p in scenario.products]),
    )


def _debrief_row(
    rr: RoundResult, team: Team, prev: RoundResult | None, stats: dict[str, Any]
) -> DebriefRow:
    """One team's line: this round's result beside the previous one's (``prev``, or None)."""
    r = rr.result
    offers = r.get("offers", [])
    pnl = r.get("pnl", {})
    row = DebriefRow(
        team_id=team.id,
        name=team.name,
        is_bot=team.is_bot,
        decision_source=rr.decision_source,
        rank=rr.rank,
        previous_rank=prev.rank if prev else None,
        profit_cny=pnl.get("profit_cny", 0.0),
        previous_profit_cny=prev.result["pnl"].get("profit_cny") if prev else None,
        revenue_cny=pnl.get("revenue_cny", 0.0),
        units_sold=int(sum(o.get("units_sold", 0) for o in offers)),
        units_lost_stockout=int(sum(o.get("units_lost_stockout", 0) for o in offers)),
        price_index=_price_index(r, stats),
        advertising_cny=pnl.get("advertising_cny", 0.0),
        previous_advertising_cny=prev.result["pnl"].get("advertising_cny") if prev else None,
        duty_cny=pnl.get("duty_cny", 0.0),
        lanes=_lanes(r, rr.decisions_used),
        markets=sorted({o["market"] for o in offers if o.get("listed")}),
        cash_end_cny=r.get("cash", {}).get("end_cny", 0.0),
        compliance_incidents=sum(
            1 for row in r.get("compliance") or [] if row.get("kind") in FINDING_KINDS
        ),
        compliance_penalties_cny=round(
            pnl.get("compliance_penalties_cny", 0.0) + pnl.get(WRITE_OFF_LINE, 0.0), 2
        ),
    )
    row.reasons = _reasons(row)
    return row


def debrief_table(debrief: Debrief) -> Table:
    """The debrief's team table for CSV export (columns: :data:`DEBRIEF_COLUMNS`)."""
    rnd = debrief.round
    rows = []
    for x in debrief.rows:
        rows.append(
            {
                "round_number": rnd.number,
                "scenario_round": rnd.scenario_round,
                "is_practice": bool(rnd.is_practice),
                "team_id": x.team_id,
                "team_name": x.name,
                "is_bot": x.is_bot,
                "decision_source": x.decision_source,
                "rank": x.rank,
                "previous_rank": x.previous_rank,
                "rank_change": x.rank_change,
                "profit_cny": x.profit_cny,
                "previous_profit_cny": x.previous_profit_cny,
                "profit_change_cny": (
                    round(x.profit_change_cny, 2) if x.profit_change_cny is not None else None
                ),
                "revenue_cny": x.revenue_cny,
                "units_sold": x.units_sold,
                "units_lost_stockout": x.units_lost_stockout,
                "stockout_share": round(x.stockout_share, 6),
                "price_index": round(x.price_index, 6) if x.price_index is not None else None,
                "advertising_cny": x.advertising_cny,
                "duty_cny": x.duty_cny,
                "tariff_exposure": round(x.tariff_exposure, 6),
                "lanes": " ".join(x.lanes),
                "markets": " ".join(x.markets),
                "cash_end_cny": x.cash_end_cny,
            }
        )
    return Table("debrief", DEBRIEF_COLUMNS, rows)
