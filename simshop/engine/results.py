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
    product in each market the team is in or holds stock in."""

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
        search: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
        listings: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
    ):
        self.team_id, self.round_no = team_id, round_no
        self.pnl, self.cash, self.china_stock = pnl, cash, china_stock
        self.arrivals, self.messages = arrivals, messages
        self._offers = offers
        self._search = search if search is not None else []
        self._listings = listings if listings is not None else []

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "arrivals": [dict(sorted(a.items())) for a in self.arrivals],
            "cash": dict(sorted(self.cash.items())),
            "china_stock": dict(sorted(self.china_stock.items())),
            "listings": [dict(sorted(r.items())) for r in self.listings],
            "messages": [dict(sorted(m.items())) for m in self.messages],
            "offers": [dict(sorted(o.items())) for o in self.offers],
            "pnl": dict(sorted(self.pnl.items())),
            "round_no": self.round_no,
            "search": [dict(sorted(r.items())) for r in self.search],
            "team_id": self.team_id,
        }


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
