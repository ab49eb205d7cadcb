"""A team's compliance over the published rounds: incidents (listings found without a
certificate, fines, intellectual-property claims), what they cost, and the certificates the
team holds. Read-only; built from stored results (``TeamRoundResult.compliance`` rows and the
P&L compliance lines), so a team sees only its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from simshop.engine.accounting import COMPLIANCE_LINES
from simshop.engine.compliance import FINDING_KINDS, INCIDENT_KINDS
from simshop.engine.scenario import Requirement
from simshop.models import Game, Round, Team
from simshop.services import analysis
from simshop.services.games import game_scenario
from simshop.services.round_state import team_result

INCIDENT_COLUMNS = (
    "market",
    "product",
    "requirement",
    "day",
    "kind",
    "units_stranded",
    "cost_cny",
    "written_off_cny",
    "frozen_cny",
)
"""The columns of one incident (exports and the lab), after the round's and team's."""


def incident_values(row: dict[str, Any]) -> dict[str, Any]:
    """One stored incident as the export's columns (``frozen_cny`` 0 unless a claim,
    ``written_off_cny`` 0 unless stock was destroyed)."""
    values = {k: row.get(k) for k in INCIDENT_COLUMNS}
    values["frozen_cny"] = row.get("frozen_cny", 0.0)
    values["written_off_cny"] = row.get("written_off_cny", 0.0)
    return values


@dataclass
class Incident:
    round: Round
    market: str
    product: str
    requirement: str | None
    day: int
    kind: str
    units_stranded: int
    cost_cny: float
    frozen_cny: float
    written_off_cny: float = 0.0
    """The cost of the stock destroyed (CNY; not cash: the goods were paid for earlier)."""


@dataclass
class RoundCompliance:
    """One round's compliance money (CNY): certificates and fees, penalties, stock written
    off, frozen and released cash, and the number of incidents."""

    round: Round
    compliance_cny: float
    penalties_cny: float
    frozen_cny: float
    released_cny: float
    incidents: int
    written_off_cny: float = 0.0


@dataclass
class Holding:
    requirement: Requirement
    ready_round: int


@dataclass
class ComplianceReport:
    has_compliance: bool
    incidents: list[Incident] = field(default_factory=list)
    rounds: list[RoundCompliance] = field(default_factory=list)
    by_kind: dict[str, tuple[int, float]] = field(default_factory=dict)
    """kind -> (number of incidents, their cost in CNY), in :data:`INCIDENT_KINDS` order."""
    holdings: list[Holding] = field(default_factory=list)
    """Certificates held or being obtained after the latest published round."""

    @property
    def total_cost_cny(self) -> float:
        """Certificates, fees and penalties (cash) and the stock written off (CNY)."""
        return round(
            sum(r.compliance_cny + r.penalties_cny + r.written_off_cny for r in self.rounds), 2
        )

    @property
    def incident_count(self) -> int:
        """Listings found and IP claims (a fine is part of its finding)."""
        return sum(1 for i in self.incidents if i.kind in FINDING_KINDS)

    @property
    def total_written_off_cny(self) -> float:
        return round(sum(r.written_off_cny for r in self.rounds), 2)

    @property
    def total_penalties_cny(self) -> float:
        return round(sum(r.penalties_cny for r in self.rounds), 2)


def team_compliance(session: Session, game: Game, team: Team) -> ComplianceReport:
    """The team's compliance over the game's published rounds, in round order."""
    scenario = game_scenario(game)
    report = ComplianceReport(has_compliance=scenario.has_compliance())
    if not report.has_compliance:
        return report
    rules = {r.id: r for r in scenario.requirements()}
    played = analysis.team_rounds(session, game, team)
    for tr in played:
        result = tr.result or {}
        rows = result.get("compliance") or []
        for row in rows:
            report.incidents.append(
                Incident(
                    tr.round,
                    row["market"],
                    row["product"],
                    row.get("requirement"),
                    int(row.get("day", 0)),
                    row["kind"],
                    int(row.get("units_stranded", 0)),
                    float(row.get("cost_cny", 0.0)),
                    float(row.get("frozen_cny", 0.0)),
                    float(row.get("written_off_cny", 0.0)),
                )
            )
        pnl, cash = result.get("pnl") or {}, result.get("cash") or {}
        report.rounds.append(
            RoundCompliance(
                tr.round,
                float(pnl.get(COMPLIANCE_LINES[0], 0.0)),
                float(pnl.get(COMPLIANCE_LINES[1], 0.0)),
                float(cash.get("frozen_cny", 0.0)),
                float(cash.get("released_cny", 0.0)),
                sum(1 for row in rows if row["kind"] in FINDING_KINDS),
                float(pnl.get(COMPLIANCE_LINES[2], 0.0)),
            )
        )
    for kind in INCIDENT_KINDS:
        found = [i for i in report.incidents if i.kind == kind]
        report.by_kind[kind] = (len(found), round(sum(i.cost_cny for i in found), 2))
    latest_state = _end_state(session, played[-1].round, team) if played else {}
    for rid, ready in sorted((latest_state.get("certificates") or {}).items()):
        if rid in rules:
            report.holdings.append(Holding(rules[rid], int(ready)))
    return report


def _end_state(session: Session, rnd: Round, team: Team) -> dict[str, Any]:
    stored = team_result(session, rnd, team)
    return dict(stored.end_state or {}) if stored is not None else {}
