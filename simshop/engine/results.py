"""What a played round returns: :class:`TeamRoundResult` per team and the round's
:class:`RoundOutcome`. Plain data; built by :mod:`simshop.engine.report`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simshop.engine.conditions import RoundConditions
from simshop.engine.state import GameState


class TeamRoundResult:
    """One team's round. Money in CNY. ``offers`` (built on first access) has one row per
    product in each market the team is in or holds stock in; ``pnl_by_market`` and
    ``pnl_unallocated`` are built on first access too."""

    def __init__(
        self,
        team_id: str,
        round_no: int,
        pnl: dict[str, float],
        cash: dict[str, float],
        china_stock: dict[str, int],
        arrivals: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        offers: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]],
        compliance: list[dict[str, Any]] | None = None,
        pnl_by_market: (
            dict[str, dict[str, float]] | Callable[[], dict[str, dict[str, float]]] | None
        ) = None,
        pnl_unallocated: dict[str, float] | Callable[[], dict[str, float]] | None = None,
        sourcing: bool = False,
        research: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
        samples: list[dict[str, Any]] | None = None,
        products: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
        search: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
        listings: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
    ):
        self.team_id, self.round_no = team_id, round_no
        self._pnl_by_market = pnl_by_market or {}
        self._pnl_unallocated = pnl_unallocated or {}
        self.pnl, self.cash, self.china_stock = pnl, cash, china_stock
        self.arrivals, self.messages = arrivals, messages
        self._offers = offers
        self._compliance = compliance
        self.sourcing = sourcing
        """True in scenarios with a catalogue, suppliers or studies (``has_sourcing``):
        then :meth:`to_dict` carries ``research``, ``samples`` and ``products``."""
        self._research = research or []
        self.samples: list[dict[str, Any]] = samples or []
        """The samples this team bought: each supplier's true quality and defect rate."""
        self._products = products or []
        self._search = search if search is not None else []
        self._listings = listings if listings is not None else []

    @property
    def compliance(self) -> list[dict[str, Any]]:
        """Compliance incidents (scenarios with compliance only; else empty): ``market``,
        ``product``, ``requirement`` (None for an IP claim), ``day``, ``kind`` (delisted,
        fine, ip_claim), ``units_stranded``, ``cost_cny`` and, for a claim, ``frozen_cny``."""
        return self._compliance or []

    @property
    def research(self) -> list[dict[str, Any]]:
        """The studies this team bought this round, with their readings (only this team's;
        built on first access)."""
        if callable(self._research):
            self._research = self._research()
        return self._research

    @property
    def products(self) -> list[dict[str, Any]]:
        """Per market and product the team listed or sold in: units, revenue, costs and
        margin (built on first access)."""
        if callable(self._products):
            self._products = self._products()
        return self._products

    @property
    def search(self) -> list[dict[str, Any]]:
        """The search funnel: one row per (market, product, term) the team's offer was
        eligible for (relevance at the threshold or above), sorted by market, product, term:
        ``market, product, term, impressions, clicks, orders, ad_impressions, ad_clicks,
        ad_orders, ad_spend_local, ad_spend_cny, ad_sales_local, ad_sales_cny,
        avg_cpc_local`` (None without ad clicks), ``avg_organic_position`` (None if never
        shown organically), ``top_of_search_share``. Empty in rounds without search."""
        if callable(self._search):
            self._search = self._search()
        return self._search

    @property
    def listings(self) -> list[dict[str, Any]]:
        """One row per listed offer in rounds with search: ``market, product, score``
        (0..100), ``relevance`` ({term: 0..1}), ``reasons`` ([{"code", "params"}])."""
        if callable(self._listings):
            self._listings = self._listings()
        return self._listings

    @property
    def offers(self) -> list[dict[str, Any]]:
        if callable(self._offers):
            self._offers = self._offers()
        return self._offers

    @property
    def pnl_by_market(self) -> dict[str, dict[str, float]]:
        """Market -> the P&L lines attributed to it (``profit_cny`` is the market's
        contribution); see :func:`simshop.engine.report.pnl_by_market`. Built on first
        access."""
        if callable(self._pnl_by_market):
            self._pnl_by_market = self._pnl_by_market()
        return self._pnl_by_market

    @property
    def pnl_unallocated(self) -> dict[str, float]:
        """The P&L lines' parts no market carries; with the markets they add up to ``pnl``."""
        if callable(self._pnl_unallocated):
            self._pnl_unallocated = self._pnl_unallocated()
        return self._pnl_unallocated

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "arrivals": [dict(sorted(a.items())) for a in self.arrivals],
            "cash": dict(sorted(self.cash.items())),
            "china_stock": dict(sorted(self.china_stock.items())),
            "listings": [dict(sorted(r.items())) for r in self.listings],
            "messages": [dict(sorted(m.items())) for m in self.messages],
            "offers": [dict(sorted(o.items())) for o in self.offers],
            "pnl": dict(sorted(self.pnl.items())),
            "pnl_by_market": {
                m: dict(sorted(row.items())) for m, row in sorted(self.pnl_by_market.items())
            },
            "pnl_unallocated": dict(sorted(self.pnl_unallocated.items())),
            "round_no": self.round_no,
            "search": [dict(sorted(r.items())) for r in self.search],
            "team_id": self.team_id,
        }
        if self.sourcing:
            data["products"] = [dict(sorted(r.items())) for r in self.products]
            data["research"] = [dict(sorted(r.items())) for r in self.research]
            data["samples"] = [dict(sorted(r.items())) for r in self.samples]
        if self._compliance is not None:
            data["compliance"] = [dict(sorted(r.items())) for r in self._compliance]
        return dict(sorted(data.items()))


@dataclass
class RoundOutcome:
    """A played round: per-team results, the published market statistics, the event log
    and the end state. (Not the database row ``simshop.models.RoundResult``.)"""

    round_no: int
    teams: dict[str, TeamRoundResult]
    markets: dict[str, dict[str, dict[str, Any]]]
    """market -> product -> research statistics (published to every team); in rounds with
    search also ``search_terms``: {term: {"searches": int, "avg_cpc_local": float|None}}."""
    events: list[dict[str, Any]]
    state: GameState
    conditions: RoundConditions = field(repr=False, default=None)  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Everything but the end state (which :meth:`GameState.to_dict` gives)."""
        return {
            "events": [dict(sorted(e.items())) for e in self.events],
            "markets": {
                m: {p: dict(sorted(s.items())) for p, s in sorted(ps.items())}
                for m, ps in sorted(self.markets.items())
            },
            "round_no": self.round_no,
            "teams": {tid: self.teams[tid].to_dict() for tid in sorted(self.teams)},
        }
