"""Compliance in a round: certificates bought and held, listings found lacking them,
stranded stock and fines, and intellectual-property claims on look-alike designs.

Only scenarios with compliance (:meth:`Scenario.has_compliance`) use this module; a scenario
without requirements or look-alike products plays exactly as before (no lines, no draws).

- **Certificates.** A team buys a requirement (``DecisionSheet.certificates``) at the start of
  a round and pays its ``cost_cny`` then (P&L ``compliance_cny``); it holds it from round
  ``round + rounds_to_obtain`` on (``TeamState.certificates``), and from then on pays its
  yearly fee pro rata, ``yearly_fee_cny / 12`` a round (a round is one calendar month).
- **Detection.** A SimPy process per market (:meth:`ComplianceWatch.watch`) plays the round's
  incidents in day order. Each live listing (listed after the market rules) of a product that
  a requirement in force covers, and that the team does not hold, is found with the market's
  detection chance (:meth:`MarketConditions.detection`: the requirement's
  ``detection_per_round`` times the sweeps running for the category), on a day drawn
  uniformly from the round's days; found means delisted for the rest of the round (from that
  day's trading on), its overseas-warehouse stock stranded (``removal_cny_per_unit`` a unit,
  the stock destroyed) and ``fine_cny`` (P&L ``compliance_penalties_cny``, cash). The
  destroyed units leave the inventory at their cost (the stock's unit cost, see
  :meth:`RoundBook.stock_unit_cost`): P&L ``stock_written_off_cny``, not cash. All three are
  booked to the market. Only the first incident of a listing counts: a delisted listing is
  not live.
- **IP claims.** Every live listing of a product with ``ip_risk`` gets a claim with
  probability ``claim_per_round`` on a uniform day: delisted for the rest of the round, and
  ``freeze_share`` of the team's cash at the end of the round frozen for ``freeze_rounds``
  rounds (``TeamState.frozen_cash``; it comes back, as a cash inflow, at the end of the
  round ``round + freeze_rounds``).

Randomness: per market and product, the stream ``compliance`` draws, for each requirement
covering the product (scenario order), a uniform number and a day for every team; the stream
``ip_claims`` does the same for the product's IP risk. Draws are made for every team whether
it is listed or not, so one team's listings never move another team's luck.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simshop.engine.accounting import WRITE_OFF_LINE, cents
from simshop.engine.book import RoundBook
from simshop.engine.conditions import RequirementInForce
from simshop.engine.scenario import Requirement, Scenario
from simshop.engine.seeds import RoundStreams
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import TeamState

if TYPE_CHECKING:  # pragma: no cover
    import simpy

COMPLIANCE_LINE = "compliance_cny"
PENALTIES_LINE = "compliance_penalties_cny"
INCIDENT_KINDS = ("delisted", "fine", "ip_claim")
"""The kinds of rows in ``TeamRoundResult.compliance``."""
FINDING_KINDS = ("delisted", "ip_claim")
"""The rows that count as one incident each (a ``fine`` row goes with its delisting)."""


def requirement_by_id(scenario: Scenario) -> dict[str, Requirement]:
    return {r.id: r for r in scenario.requirements()}


def holds(team: TeamState, requirement_id: str, round_no: int) -> bool:
    """True when the team holds the requirement in ``round_no`` (obtained by then)."""
    ready = team.certificates.get(requirement_id)
    return ready is not None and ready <= round_no


def certificate_status(team: TeamState, requirement_id: str, round_no: int) -> str:
    """``held``, ``in_progress`` (bought, not yet obtained in ``round_no``) or ``missing``."""
    ready = team.certificates.get(requirement_id)
    if ready is None:
        return "missing"
    return "held" if ready <= round_no else "in_progress"


def required_for(scenario: Scenario, market: str, category: str) -> list[Requirement]:
    """The requirements (every start round) that cover products of ``category`` in
    ``market``, in scenario order."""
    return [r for r in scenario.requirements() if r.applies_to(market, category)]


def certificates_cost_cny(scenario: Scenario, sheet: DecisionSheet) -> float:
    """What the sheet's certificates cost at the start of the round (CNY); unknown ids
    (refused by validation) cost nothing."""
    rules = requirement_by_id(scenario)
    return sum(rules[rid].cost_cny for rid in sheet.certificates if rid in rules)


@dataclass
class _Incident:
    day: int
    order: int
    m: int
    p: int
    t: int
    requirement: RequirementInForce | None
    """None for an IP claim."""


class ComplianceWatch:
    """The round's compliance: certificates at the start, incidents during the round, the
    frozen cash at the end. Built only for scenarios with compliance."""

    def __init__(self, book: RoundBook) -> None:
        self.book = book
        T = len(book.team_ids)
        book.lines.setdefault(COMPLIANCE_LINE, np.zeros(T))
        book.lines.setdefault(PENALTIES_LINE, np.zeros(T))
        book.lines.setdefault(WRITE_OFF_LINE, np.zeros(T))
        self.certificates = [dict(team.certificates) for team in book.teams]
        self.rows: list[list[dict[str, Any]]] = [[] for _ in range(T)]
        self.claims: list[list[tuple[int, float, int]]] = [[] for _ in range(T)]
        """Per team, (row index, freeze share, freeze rounds) of each IP claim, in order."""
        self.rules = requirement_by_id(book.scenario)
        self.new_frozen: list[list[dict[str, Any]]] = [[] for _ in range(T)]

    # ---- start of the round

    def buy(self, t: int, sheet: DecisionSheet) -> None:
        """The sheet's certificates: paid now, held ``rounds_to_obtain`` rounds later."""
        round_no = self.book.cond.round_no
        for rid in sheet.certificates:
            rule = self.rules.get(rid)
            if rule is None or rid in self.certificates[t]:
                continue
            self.book.lines[COMPLIANCE_LINE][t] += rule.cost_cny
            self.certificates[t][rid] = round_no + rule.rounds_to_obtain

    def charge_fees(self) -> None:
        """Each held certificate's yearly fee, one twelfth a round."""
        round_no = self.book.cond.round_no
        for t, held in enumerate(self.certificates):
            for rid, ready in sorted(held.items()):
                rule = self.rules.get(rid)
                if rule is not None and ready <= round_no:
                    self.book.lines[COMPLIANCE_LINE][t] += rule.fee_per_round_cny()

    def held(self, t: int, requirement_id: str) -> bool:
        ready = self.certificates[t].get(requirement_id)
        return ready is not None and ready <= self.book.cond.round_no

    # ---- during the round

    def incidents(self, streams: RoundStreams, m: int) -> list[_Incident]:
        """Market ``m``'s incidents of the round, in day order (draws: see the module)."""
        book = self.book
        code, days = book.mcodes[m], book.cond.days
        mc = book.cond.markets[code]
        T = len(book.team_ids)
        out: list[_Incident] = []
        order = 0
        for p, product in enumerate(book.scenario.products):
            live = book.listed[m, p]
            rules = [r for r in mc.requirements if r.applies_to(product.category)]
            if rules:
                rng = streams(code, product.id, "compliance")
                for rule in rules:
                    u = rng.random(T)
                    day = rng.integers(1, days + 1, size=T)
                    held = np.array([self.held(t, rule.id) for t in range(T)], dtype=bool)
                    chance = mc.detection(rule, product.category)
                    for t in np.flatnonzero(live & ~held & (u < chance)).tolist():
                        out.append(_Incident(int(day[t]), order, m, p, t, rule))
                        order += 1
            if product.ip_risk is not None:
                rng = streams(code, product.id, "ip_claims")
                u = rng.random(T)
                day = rng.integers(1, days + 1, size=T)
                for t in np.flatnonzero(live & (u < product.ip_risk.claim_per_round)).tolist():
                    out.append(_Incident(int(day[t]), order, m, p, t, None))
                    order += 1
        return sorted(out, key=lambda i: (i.day, i.order))

    def watch(
        self,
        env: simpy.Environment,
        incidents: list[_Incident],
        is_live: Any,
        withdraw: Any,
        log: list[dict[str, Any]],
    ) -> Generator[Any, Any, None]:
        """Play one market's incidents on their days, before that day's trading."""
        for incident in incidents:
            if incident.day > env.now:
                yield env.timeout(incident.day - env.now)
            if not is_live(incident.m, incident.p, incident.t):
                continue
            withdraw(incident.m, incident.p, incident.t)
            if incident.requirement is None:
                self._claim(incident, log)
            else:
                self._found(incident, incident.requirement, log)

    def _found(self, i: _Incident, rule: RequirementInForce, log: list[dict[str, Any]]) -> None:
        book = self.book
        units = 0 if book.parcel[i.m, i.p, i.t] else int(book.wh[i.m, i.p, i.t])
        book.wh[i.m, i.p, i.t] -= units
        removal = round(units * rule.removal_cny_per_unit, 2)
        written_off = round(units * book.stock_unit_cost(i.p, i.t), 2)
        for line, amount in (
            (PENALTIES_LINE, removal + rule.fine_cny),
            (WRITE_OFF_LINE, written_off),
        ):
            book.lines[line][i.t] += amount
            book.book_to_market(line, i.m, i.t, amount)
        where = {"market": book.mcodes[i.m], "product": book.pids[i.p], "requirement": rule.id}
        row = {**where, "day": i.day, "units_stranded": units}
        self.rows[i.t].append(
            {**row, "kind": "delisted", "cost_cny": removal, "written_off_cny": written_off}
        )
        if rule.fine_cny > 0:
            self.rows[i.t].append(
                {**row, "kind": "fine", "units_stranded": 0, "cost_cny": rule.fine_cny}
            )
        entry = {
            **where,
            "day": i.day,
            "kind": "compliance_found",
            "team": book.team_ids[i.t],
            "units_stranded": units,
            "removal_cny": removal,
            "written_off_cny": written_off,
            "fine_cny": rule.fine_cny,
        }
        log.append(entry)
        book.messages[i.t].append(entry)

    def _claim(self, i: _Incident, log: list[dict[str, Any]]) -> None:
        book = self.book
        risk = book.scenario.products[i.p].ip_risk
        assert risk is not None
        self.claims[i.t].append((len(self.rows[i.t]), risk.freeze_share, risk.freeze_rounds))
        where = {"market": book.mcodes[i.m], "product": book.pids[i.p], "requirement": None}
        self.rows[i.t].append(
            {
                **where,
                "day": i.day,
                "kind": "ip_claim",
                "units_stranded": 0,
                "cost_cny": 0.0,
                "frozen_cny": 0.0,
            }
        )
        entry = {**where, "day": i.day, "kind": "ip_claim", "team": book.team_ids[i.t]}
        log.append(entry)
        book.messages[i.t].append(entry)

    # ---- end of the round

    def released(self) -> np.ndarray:
        """Frozen cash coming back at the end of this round, per team (CNY)."""
        round_no = self.book.cond.round_no
        return cents(
            np.array(
                [
                    sum(f["amount_cny"] for f in team.frozen_cash if f["release_round"] <= round_no)
                    for team in self.book.teams
                ],
                dtype=float,
            )
        )

    def freeze(self, cash_before: np.ndarray) -> np.ndarray:
        """Cash frozen by this round's claims, per team (CNY): each claim freezes its share of
        what cash is left (never below 0), in the order of the claims."""
        frozen = np.zeros(len(self.book.team_ids))
        round_no = self.book.cond.round_no
        for t, claims in enumerate(self.claims):
            left = max(float(cash_before[t]), 0.0)
            for row, share, rounds in claims:
                amount = round(share * left, 2)
                left -= amount
                frozen[t] += amount
                self.rows[t][row]["frozen_cny"] = amount
                if amount > 0:
                    self.new_frozen[t].append(
                        {"amount_cny": amount, "release_round": round_no + rounds}
                    )
        return cents(frozen)

    def frozen_after(self, t: int) -> list[dict[str, Any]]:
        """The team's frozen cash after this round: what is not yet released, then the new."""
        round_no = self.book.cond.round_no
        kept = [f for f in self.book.teams[t].frozen_cash if f["release_round"] > round_no]
        return kept + self.new_frozen[t]

    def result_rows(self, t: int) -> list[dict[str, Any]]:
        """The team's incidents, by day then market, product and kind."""
        kinds = {k: i for i, k in enumerate(INCIDENT_KINDS)}
        m_index, p_index = self.book.m_index, self.book.p_index
        return sorted(
            self.rows[t],
            key=lambda r: (r["day"], m_index[r["market"]], p_index[r["product"]], kinds[r["kind"]]),
        )
