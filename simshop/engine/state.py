"""The persisted state of a game between rounds: plain dataclasses, JSON via to_dict/from_dict.

Nothing of a running simulation lives here; :func:`simshop.engine.market.simulate_round`
builds a fresh SimPy environment from a :class:`GameState` and returns the next one.
Stock is in units, money in CNY, ratings in stars (1..5), adstock in CNY.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from simshop.engine.scenario import Scenario
from simshop.engine.sheet import DecisionSheet


@dataclass
class InTransit:
    """A shipment on its way to an overseas warehouse. It lands on ``arrive_day`` of
    ``arrive_round``, before that day's trading; duty is paid then on the customs value."""

    product: str
    market: str
    mode: str
    quantity: int
    shipped_round: int
    arrive_round: int
    arrive_day: int
    customs_value_cny_per_unit: float

    def to_dict(self) -> dict[str, Any]:
        return dict(sorted(asdict(self).items()))


@dataclass
class InProduction:
    """A factory order being made: it reaches the China warehouse on ``arrive_day`` of
    ``arrive_round`` (before that day's trading), when ``balance_cny`` (the order's value
    less the deposit paid when ordering) is paid."""

    product: str
    supplier: str
    quantity: int
    ordered_round: int
    arrive_round: int
    arrive_day: int
    unit_cost_cny: float
    balance_cny: float

    def to_dict(self) -> dict[str, Any]:
        return dict(sorted(asdict(self).items()))


@dataclass
class TeamState:
    team_id: str
    round_no: int
    """Rounds completed (0 before the first round)."""
    cash_cny: float
    debt_cny: float = 0.0
    entered_markets: list[str] = field(default_factory=list)
    china_stock: dict[str, int] = field(default_factory=dict)
    warehouse_stock: dict[str, dict[str, int]] = field(default_factory=dict)
    """market -> product -> units in the overseas warehouse."""
    in_transit: list[InTransit] = field(default_factory=list)
    quality: dict[str, float] = field(default_factory=dict)
    """product -> quality 0..1 used in the next round."""
    quality_investment_cny: dict[str, float] = field(default_factory=dict)
    """product -> cumulative quality investment."""
    adstock_cny: dict[str, dict[str, float]] = field(default_factory=dict)
    rating: dict[str, dict[str, float]] = field(default_factory=dict)
    reviews: dict[str, dict[str, int]] = field(default_factory=dict)
    cumulative: dict[str, float] = field(default_factory=dict)
    """Totals since round 1: profit_cny, revenue_cny, spend_cny, units_sold."""
    last_decisions: DecisionSheet | None = None
    """The sheet played last round; what the team gets again (via carry_over) if silent."""
    duty_paid: list[dict[str, Any]] = field(default_factory=list)
    """Duty paid per round, market and category (``market``, ``category``, ``round``,
    ``customs_value_cny``, ``duty_cny``), kept only while a later duty refund may return it.
    Left out of :meth:`to_dict` when empty."""
    certificates: dict[str, int] = field(default_factory=dict)
    """Compliance requirement id -> the round from which the team holds it (a later round
    while it is still being obtained). Left out of :meth:`to_dict` when empty."""
    frozen_cash: list[dict[str, Any]] = field(default_factory=list)
    """Cash frozen by intellectual-property claims (``amount_cny``, ``release_round``: it
    comes back at the end of that round). Left out of :meth:`to_dict` when empty."""
    in_production: list[InProduction] = field(default_factory=list)
    """Factory orders not yet in China (products with suppliers); left out when empty."""
    stock_cost_cny: dict[str, float] = field(default_factory=dict)
    """product -> average unit cost of the units held (products with suppliers; periodic
    weighted average); left out when empty."""
    stock_mix: dict[str, dict[str, float]] = field(default_factory=dict)
    """product -> supplier -> share of the units held that came from it (products with
    suppliers); left out when empty."""
    enhanced_content: list[list[str]] = field(default_factory=list)
    """[market, product] of the offers whose enhanced listing content is paid for (once per
    offer). Left out of :meth:`to_dict` when empty."""
    recent_sales: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """market -> product -> units sold on each of the last 7 days (oldest first): the sales
    velocity of the organic search rank, kept across rounds. Only for offers that were in
    search; left out of :meth:`to_dict` when empty."""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "adstock_cny": self.adstock_cny,
            "cash_cny": self.cash_cny,
            "china_stock": self.china_stock,
            "cumulative": self.cumulative,
            "debt_cny": self.debt_cny,
            "entered_markets": list(self.entered_markets),
            "in_transit": [s.to_dict() for s in self.in_transit],
            "last_decisions": (
                self.last_decisions.to_dict() if self.last_decisions is not None else None
            ),
            "quality": self.quality,
            "quality_investment_cny": self.quality_investment_cny,
            "rating": self.rating,
            "reviews": self.reviews,
            "round_no": self.round_no,
            "team_id": self.team_id,
            "warehouse_stock": self.warehouse_stock,
        }
        if self.duty_paid:
            data["duty_paid"] = self.duty_paid
        if self.certificates:
            data["certificates"] = self.certificates
        if self.frozen_cash:
            data["frozen_cash"] = self.frozen_cash
        if self.in_production:
            data["in_production"] = [b.to_dict() for b in self.in_production]
        if self.stock_cost_cny:
            data["stock_cost_cny"] = self.stock_cost_cny
        if self.stock_mix:
            data["stock_mix"] = self.stock_mix
        if self.enhanced_content:
            data["enhanced_content"] = sorted(list(x) for x in self.enhanced_content)
        if self.recent_sales:
            data["recent_sales"] = self.recent_sales
        out: dict[str, Any] = _sorted_copy(data)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TeamState:
        values = dict(data)
        values["in_transit"] = [InTransit(**s) for s in data.get("in_transit", [])]
        values["in_production"] = [InProduction(**b) for b in data.get("in_production", [])]
        if values.get("last_decisions") is not None:
            values["last_decisions"] = DecisionSheet.from_dict(values["last_decisions"])
        return cls(**values)


@dataclass
class GameState:
    round_no: int
    """Rounds completed."""
    teams: dict[str, TeamState]

    def to_dict(self) -> dict[str, Any]:
        return {
            "round_no": self.round_no,
            "teams": {tid: self.teams[tid].to_dict() for tid in sorted(self.teams)},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GameState:
        teams = {tid: TeamState.from_dict(t) for tid, t in data["teams"].items()}
        return cls(round_no=data["round_no"], teams=dict(sorted(teams.items())))


def _sorted_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_copy(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_copy(v) for v in value]
    return value


def initial_team_state(scenario: Scenario, team_id: str) -> TeamState:
    """A team before round 1: starting cash, no markets, no stock, base quality,
    the model's initial rating and no reviews."""
    markets = [m.code for m in scenario.markets]
    products = [p.id for p in scenario.products]
    rating0 = scenario.model.initial_rating
    return TeamState(
        team_id=team_id,
        round_no=0,
        cash_cny=float(scenario.economy.starting_cash_cny),
        china_stock={p: 0 for p in products},
        warehouse_stock={m: {p: 0 for p in products} for m in markets},
        quality={p.id: float(p.base_quality) for p in scenario.products},
        quality_investment_cny={p: 0.0 for p in products},
        adstock_cny={m: {p: 0.0 for p in products} for m in markets},
        rating={m: {p: rating0 for p in products} for m in markets},
        reviews={m: {p: 0 for p in products} for m in markets},
        cumulative={"profit_cny": 0.0, "revenue_cny": 0.0, "spend_cny": 0.0, "units_sold": 0.0},
    )


def initial_state(scenario: Scenario, team_ids: list[str]) -> GameState:
    """The state before round 1 for the given teams (ids must be unique)."""
    if len(set(team_ids)) != len(team_ids):
        raise ValueError("team ids must be unique")
    return GameState(
        round_no=0,
        teams={tid: initial_team_state(scenario, tid) for tid in sorted(team_ids)},
    )
