"""The round's book: every quantity of one round as arrays over (market, product, team),
built from the state, filled by :mod:`simshop.engine.market` and closed by
:mod:`simshop.engine.report`.

Markets and products are in scenario order, teams sorted by id.
"""

from __future__ import annotations

from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from simshop.engine.accounting import PNL_COST_LINES, SOURCING_COST_LINES
from simshop.engine.conditions import RoundConditions
from simshop.engine.scenario import Scenario, has_sourcing
from simshop.engine.sheet import Offer
from simshop.engine.state import GameState, InProduction, InTransit

if TYPE_CHECKING:
    from simshop.engine.search import SearchRound


class RoundBook:
    """Arrays over (market, product, team) for one round, built from the state."""

    def __init__(self, scenario: Scenario, cond: RoundConditions, state: GameState):
        self.scenario, self.cond = scenario, cond
        self.team_ids = sorted(state.teams)
        self.teams = [state.teams[t] for t in self.team_ids]
        self.mcodes: list[str] = [m.code for m in scenario.markets]
        self.pids: list[str] = [p.id for p in scenario.products]
        self.m_index = {c: i for i, c in enumerate(self.mcodes)}
        self.p_index = {p: i for i, p in enumerate(self.pids)}
        T, M, P = len(self.teams), len(self.mcodes), len(self.pids)
        self.shape = (M, P, T)
        self._load_state(M, P, T)
        self.lines = {line: np.zeros(T) for line in PNL_COST_LINES}
        self.lines["revenue_cny"] = np.zeros(T)
        self.market_lines: dict[str, np.ndarray] = {}
        """Amounts of P&L lines booked per team during the round that belong to one market,
        per (market, team) (CNY): entry fees, freight of shipments, duty refunds. Read by
        :func:`simshop.engine.report.pnl_by_market`; use :meth:`book_to_market`."""
        self.purchases = np.zeros(T)
        self.borrowed = np.zeros(T)
        self.repaid = np.zeros(T)
        self.listed = np.zeros(self.shape, dtype=bool)
        self.parcel = np.zeros(self.shape, dtype=bool)
        self.price = np.zeros(self.shape)
        self.ad = np.zeros(self.shape)
        self.picks = np.zeros(self.shape, dtype=np.int64)
        self.sold = np.zeros(self.shape, dtype=np.int64)
        self.sold_fx = np.zeros(self.shape)
        self.stock_days = np.zeros(self.shape)
        self.duty_paid = np.zeros(self.shape)
        """Duty paid this round per offer (CNY), stock landings and parcels."""
        self.duty_basis = np.zeros(self.shape)
        """The customs value (CNY) that duty was paid on, per offer."""
        self.shoppers = np.zeros((M, P), dtype=np.int64)
        self.first_inside = np.zeros((M, P), dtype=np.int64)
        self.arrivals: list[list[dict[str, Any]]] = [[] for _ in range(T)]
        self.messages: list[list[dict[str, Any]]] = [[] for _ in range(T)]
        self.transit_next: list[list[InTransit]] = [[] for _ in range(T)]
        self.landing: dict[int, list[tuple[int, InTransit]]] = {}
        self.delivery_days = np.zeros(self.shape)
        self.adstock = np.zeros(self.shape)
        self.ad_scale = np.ones(self.shape)
        self.compliance: Any = None
        """The round's :class:`simshop.engine.compliance.ComplianceWatch` in scenarios with
        compliance (set by the market), else None."""
        self.base_shoppers = np.zeros((M, P))
        """Expected shoppers per day at the round's season (set by the market model)."""
        self.search_offers: dict[tuple[int, int], dict[int, Offer]] = {}
        """Offers with a listing or a campaign, by (market, product) index and team index."""
        self.enhanced_paid: list[list[list[str]]] = [[] for _ in range(T)]
        """[market, product] whose enhanced content each team paid for this round."""
        self.search: SearchRound | None = None
        """The round's search pages and funnel statistics (None before trading)."""
        self._init_sourcing(scenario, T, P)

    def _init_sourcing(self, scenario: Scenario, T: int, P: int) -> None:
        """The round's suppliers, samples and studies (see :mod:`simshop.engine.sourcing`)."""
        self.sourcing = has_sourcing(scenario)
        """Catalogue, suppliers or studies (:func:`~simshop.engine.scenario.has_sourcing`)."""
        if self.sourcing:
            for line in SOURCING_COST_LINES:
                self.lines[line] = np.zeros(T)
        self.deposits = np.zeros(T)
        """Supplier deposits paid when ordering (CNY)."""
        self.balances = np.zeros(T)
        """Supplier balances paid on delivery (CNY)."""
        self.production_next: list[list[InProduction]] = [[] for _ in range(T)]
        self.deliveries: dict[int, list[tuple[int, InProduction]]] = {}
        """Factory batches reaching China this round, by day (day 0: at once)."""
        self.unit_cost = np.array([p.unit_cost_cny for p in scenario.products])[:, None]
        """Unit cost of the goods sold per (product, team) (CNY): the product's
        ``unit_cost_cny``, or the average cost of the stock for products with suppliers."""
        self.defect = np.zeros((P, T))
        """Defect rate of the stock sold per (product, team) (products with suppliers)."""
        self.samples: list[list[dict[str, Any]]] = [[] for _ in range(T)]
        self.research_facts: dict[tuple[int, int], dict[str, Any]] = {}
        """Per (market, product): what studies read this round (:mod:`simshop.engine.research`)."""
        self.held_start = np.zeros((P, T), dtype=np.int64)
        """Units each team owned at the start (China, overseas, in transit), by product."""
        self.stock_cost: dict[str, dict[int, float]] = {}
        self.stock_mix: dict[str, dict[int, dict[str, float]]] = {}
        self.stock_by_team: (
            dict[int, tuple[dict[str, float], dict[str, dict[str, float]]]] | None
        ) = None
        """Per product with suppliers, by team index (teams holding priced stock only): the
        stock's cost and supplier mix after the round's deliveries (the next state's
        ``stock_cost_cny`` and ``stock_mix``)."""

    def _load_state(self, M: int, P: int, T: int) -> None:
        mc, pids = self.mcodes, self.pids
        teams = self.teams

        take = itemgetter(*pids) if P > 1 else (lambda d: (d[pids[0]],))

        def grid(attr: str, dtype: type) -> np.ndarray:
            flat = chain.from_iterable(take(getattr(t, attr)[m]) for t in teams for m in mc)
            values: np.ndarray = np.fromiter(flat, dtype=dtype, count=T * M * P)
            return values.reshape(T, M, P).transpose(1, 2, 0).copy()

        self.wh = grid("warehouse_stock", np.int64)
        self.wh_start = self.wh.copy()
        """Overseas stock at the start of the round (``wh`` changes as the round runs)."""
        self.adstock_prev = grid("adstock_cny", float)
        self.rating = grid("rating", float)
        self.reviews = grid("reviews", np.int64)
        self.china = (
            np.array([take(t.china_stock) for t in teams], dtype=np.int64).reshape(T, P).T.copy()
        )
        self.quality = (
            np.array([take(t.quality) for t in teams], dtype=float).reshape(T, P).T.copy()
        )
        self.invested = (
            np.array([take(t.quality_investment_cny) for t in teams], dtype=float)
            .reshape(T, P)
            .T.copy()
        )
        self.cash_start = np.array([t.cash_cny for t in teams], dtype=float)
        self.debt_start = np.array([t.debt_cny for t in teams], dtype=float)
        self.entered = [set(t.entered_markets) for t in teams]

    def stock_unit_cost(self, p: int, t: int) -> float:
        """The cost basis of one unit of team ``t``'s stock of product ``p`` this round (CNY):
        the product's ``unit_cost_cny``, or for a product with suppliers the stock's weighted
        average cost (:func:`simshop.engine.sourcing.settle_profiles`)."""
        cost = self.unit_cost
        return float(cost[p, t] if cost.shape[1] > 1 else cost[p, 0])

    def book_to_market(self, line: str, m: int, t: int, amount_cny: float) -> None:
        """Record that ``amount_cny`` of team ``t``'s P&L ``line`` (already added to
        :attr:`lines`) belongs to market index ``m``."""
        grid = self.market_lines.get(line)
        if grid is None:
            grid = self.market_lines[line] = np.zeros((len(self.mcodes), len(self.team_ids)))
        grid[m, t] += amount_cny

    def set_reach(
        self, delivery_days: np.ndarray, ad_carryover: float, ad_scale: np.ndarray
    ) -> None:
        """Fix the round's delivery days per offer, its adstock (this round's advertising
        plus the carried-over share of last round's adstock, CNY) and the adstock scale of
        the ad term (:func:`simshop.engine.demand.ad_scale_cny`, CNY, broadcast to the
        book's shape)."""
        self.delivery_days = delivery_days
        self.adstock = self.ad + ad_carryover * self.adstock_prev
        self.ad_scale = np.broadcast_to(ad_scale, self.shape).copy()
