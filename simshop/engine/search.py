"""Search each day: the page one of every search term, the sponsored-slot auction, clicks
and orders (issue 15; operator-craft.md §4.1, domain.md §4).

A market's product is *searched* in a round when it has search terms or when some team
wrote a listing or a campaign for it (a product without terms is then searched by one
generic term, its name, with share 1). Otherwise it trades exactly as before search existed
(:meth:`simshop.engine.market._MarketModel.trade`): every shopper sees every offer.

Each day, for a searched market and product:

1. The day's shoppers (Poisson, the ``demand`` stream, as before) split by one multinomial
   draw over the terms by their ``share``; the rest browse the category and see every
   listed offer (the old model). Each term's searches are its shoppers plus
   Poisson(shoppers x (``searches_per_shopper`` - 1)) searches that never buy. These counts
   come from the ``search`` stream and do not depend on any decision.
2. Per term, the offers in stock with relevance at least ``relevance_threshold`` are
   eligible. Organic rank: ``velocity_weight x ln(1 + units sold in the last 7 days) +
   rating_weight x rating term + relevance_weight x relevance``; the top
   ``organic_slots`` are shown.
3. Sponsored slots: offers whose campaign's bid is at least the term's minimum CPC and
   whose remaining daily budget covers a click at their bid, ranked by ad rank = bid x
   relevance x eCTR (eCTR = ``expected_ctr`` x (0.6 + 0.8 x completeness) x
   clip(rating / 4, 0.5, 1.25)). The winner of slot i pays ``next ad rank / (own relevance
   x eCTR) + 0.01`` (rounded to the cent), at least the minimum CPC and never more than its
   bid (:func:`gsp_prices`).
4. The page lists the sponsored slots first (top of search), then the organic ones; each
   position has an attention weight. The term's shoppers choose among the offers on the
   page with the nested logit weighted by attention
   (:func:`simshop.engine.demand.weighted_choice_probabilities`; an offer shown twice adds
   its attentions) and the listing's completeness (``completeness_beta``). An order through
   an offer's sponsored slot (share: its sponsored attention over its total) is an ad
   order. Clicks that do not buy: Binomial(searches, ``browse_click_rate``) on a page with
   any offer, split over the page's slots by attention x the offer's click appeal
   (relevance x eCTR / ``expected_ctr``). Every order is a click too.
5. A sponsored click costs its price; a campaign pays for at most what its remaining daily
   budget covers (whole clicks): clicks drawn beyond that count as organic (the budget ran
   out while the term's shoppers came), and a campaign whose budget cannot pay a click at
   its bid is out of the auction for the rest of the day. No click, no charge.

Choices and clicks come from the ``search_choice`` stream. The term draws of a day come one
term after the other (in the product's term order, then the browsing shoppers), stock
updated in between. Everything is arrays over the offers of one market and product; the only
loops are over markets, products, days and terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simshop.engine.demand import LN6, allocate_customers, first_choice_of
from simshop.engine.listing import ListingScore, score_listing
from simshop.engine.scenario import Product, Scenario, SearchSettings, SearchTerm
from simshop.engine.sheet import Campaign, Listing, Offer

if TYPE_CHECKING:
    from collections.abc import Callable

    from simshop.engine.book import RoundBook
    from simshop.engine.seeds import RoundStreams

VELOCITY_DAYS = 7
"""Organic rank uses the units sold over this many past days (kept across rounds)."""
NONE = -1.0
"""Ad rank of an offer out of the auction."""


def min_cpc_local(scenario: Scenario, market_code: str, min_cpc_usd: float) -> float:
    """A term's minimum cost per click in the market's currency (the game's starting rate),
    rounded up to the cent; never below one cent (no click is free)."""
    market = scenario.market(market_code)
    local = min_cpc_usd * scenario.model.reference_cny_per_usd / market.fx_cny_per_local
    return max(math.ceil(round(local * 100, 6)) / 100, 0.01)


def gsp_prices(
    ranks: np.ndarray,
    quality: np.ndarray,
    bids: np.ndarray,
    reserve: float,
    slots: int,
    tiebreak: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The generalised second-price auction of one page.

    ``ranks`` (ad rank = bid x quality, :data:`NONE` out of the auction), ``quality``
    (relevance x eCTR) and ``bids`` are per bidder. Returns (winners in slot order, their
    prices): winner i pays ``round(rank of the next bidder / own quality + 0.01, 2)``, at
    least ``reserve`` and never more than its bid; the last bidder with nobody below pays
    ``reserve``. Equal ranks are ordered by ``tiebreak`` (the day's random order of the
    offers; default: the lower index first)."""
    live = np.flatnonzero(ranks > NONE)
    if live.size == 0 or slots <= 0:
        return live[:0], np.zeros(0)
    second = live if tiebreak is None else tiebreak[live]
    order = live[np.lexsort((second, -ranks[live]))]
    winners = order[:slots]
    nxt = np.full(winners.size, NONE)
    below = order[1 : winners.size + 1]
    nxt[: below.size] = ranks[below]
    raw = np.where(nxt > NONE, np.round(nxt / quality[winners] + 0.01, 2), reserve)
    prices = np.minimum(bids[winners], np.maximum(raw, reserve))
    return winners, prices


def effective_ctr(
    settings: SearchSettings, completeness: np.ndarray, rating: np.ndarray
) -> np.ndarray:
    """An offer's expected click rate in the ad rank (see the module text)."""
    out: np.ndarray = (
        settings.expected_ctr * (0.6 + 0.8 * completeness) * np.clip(rating / 4.0, 0.5, 1.25)
    )
    return out


def _listing_key(listing: Listing | None) -> tuple[object, ...] | None:
    if listing is None:
        return None
    return (
        listing.title,
        tuple(listing.bullets),
        listing.description,
        listing.images,
        listing.enhanced,
    )


STATS = (
    "impressions",
    "clicks",
    "orders",
    "ad_impressions",
    "ad_clicks",
    "ad_orders",
    "ad_spend_local",
    "ad_spend_cny",
    "ad_sales_local",
    "ad_sales_cny",
    "organic_impressions",
    "position_sum",
    "top",
)
"""The funnel statistics accumulated per (term, offer) of a page."""
_S = {name: i for i, name in enumerate(STATS)}


@dataclass
class _Page:
    """One searched (market, product): its terms and the offers' static search data
    (``n`` listed offers, ``K`` terms)."""

    m: int
    p: int
    term_ids: list[str]
    shares: np.ndarray
    reserve: np.ndarray
    """(K,) minimum CPC per term (local currency)."""
    idx: np.ndarray
    """Team index of each listed offer."""
    rel: np.ndarray
    """(K, n) relevance."""
    org_static: np.ndarray
    """(K, n) organic score without velocity (-inf: not eligible)."""
    eligible: np.ndarray
    rank: np.ndarray
    """(K, n) ad rank, NONE where the offer is not in the term's auction."""
    quality: np.ndarray
    """(K, n) relevance x eCTR."""
    bid: np.ndarray
    budget: np.ndarray
    """(K, n) daily budget of each term's campaign (an automatic campaign's budget spread
    over its terms by their shares)."""
    bidding: bool = field(init=False)
    """True when some offer is in some term's auction (from :attr:`bidders`)."""
    utility: np.ndarray
    browse_utility: np.ndarray
    ring: np.ndarray
    """(VELOCITY_DAYS, n) units sold on the past days, oldest first."""
    velocity: np.ndarray = field(init=False)
    """(n,) units sold over the last VELOCITY_DAYS days (the ring's sum)."""
    org_key: np.ndarray
    """(K, n) organic score without velocity, plus the round's tie-break (-inf: not
    eligible)."""
    ad_key: np.ndarray
    """(K, n) ad rank plus the round's tie-break (-inf: not in the auction)."""
    split_p: np.ndarray
    """(K + 1,) the shares of the terms and of browsing."""
    rows: np.ndarray = field(init=False)
    """(K, 1) row numbers (fancy indexing)."""
    attention: np.ndarray
    """(L,) attention by page position."""
    ad_slot: np.ndarray
    """(L,) True for the sponsored positions."""
    click_weight: np.ndarray
    """(K, n) click appeal x relevance: how clicks that do not buy split over slots."""
    no_winners: np.ndarray
    no_prices: np.ndarray
    no_organic_prices: np.ndarray
    scores: list[ListingScore]
    """The listing score of each listed offer."""
    price_local: np.ndarray
    acc: np.ndarray
    """(len(STATS), K, n) the round's funnel statistics (filled by :meth:`finish`)."""
    settings: SearchSettings
    browse_first: tuple[np.ndarray, float, np.ndarray]
    """The browsing shoppers' first choice (:func:`simshop.engine.demand.first_choice_of`)."""
    bidders: np.ndarray
    """The offers in some term's auction."""
    log: list[tuple[Any, ...]] = field(default_factory=list)
    """One entry per day: the pages of every term (see :meth:`SearchRound.trade`)."""
    auction: tuple[bytes, np.ndarray, np.ndarray] | None = None
    """The last auction: (which bidders were in stock, winners, prices)."""
    today: _Layout | None = None
    """The day's pages (:meth:`SearchRound.lay_out`)."""

    def __post_init__(self) -> None:
        self.bidding = bool(self.bidders.size)
        self.velocity = self.ring.sum(axis=0)
        self.rows = np.arange(len(self.term_ids))[:, None]

    def finish(self) -> None:
        """Add the day logs up into :attr:`acc` (one pass at the end of the round)."""
        if not self.log:
            return
        K, n = self.rel.shape
        cols, is_ad, clicks, orders, charged, paid, spend, seen, fx = (
            np.stack(x) for x in zip(*self.log, strict=True)
        )
        self.log = []
        valid = cols >= 0
        organic = valid & ~is_ad
        pos = np.where(organic, np.cumsum(organic, axis=2), 0)
        cells = (np.arange(K)[None, :, None] * n + np.maximum(cols, 0))[valid]
        seen_items = np.broadcast_to(seen[:, :, None], cols.shape)[valid].astype(float)
        fx_items = np.broadcast_to(fx[:, None, None], cols.shape)[valid]
        ad = is_ad[valid]
        acc = self.acc

        def add(row: str, values: np.ndarray) -> None:
            acc[_S[row]] += np.bincount(cells, weights=values, minlength=K * n).reshape(K, n)

        sales = paid[valid] * self.price_local[cells % n]
        add("impressions", seen_items)
        add("clicks", clicks[valid])
        add("orders", orders[valid])
        add("ad_impressions", seen_items * ad)
        add("ad_clicks", charged[valid])
        add("ad_orders", paid[valid])
        add("ad_spend_local", spend[valid])
        add("ad_spend_cny", spend[valid] * fx_items)
        add("ad_sales_local", sales)
        add("ad_sales_cny", sales * fx_items)
        add("organic_impressions", seen_items * ~ad)
        add("position_sum", seen_items * pos[valid])
        first_slot = np.broadcast_to(np.arange(cols.shape[2]) == 0, cols.shape)[valid]
        add("top", seen_items * (ad & first_slot))


class SearchRound:
    """The search side of one round: the prepared pages (one per searched market and
    product) with their funnel statistics per (term, offer), and the searches per term.
    It keeps no reference to the book (the book keeps it as ``book.search``): a played
    round holds no reference cycle and is freed as soon as its results are."""

    def __init__(
        self,
        book: RoundBook,
        streams: RoundStreams,
        offer_u: list[list[np.ndarray]],
        search_offers: dict[tuple[int, int], dict[int, Offer]],
    ) -> None:
        sc = book.scenario
        self.teams = len(book.team_ids)
        M, P, _ = book.shape
        self.K = max(len(p.terms()) for p in sc.products)
        self.searches = np.zeros((M, P, self.K), dtype=np.int64)
        self.pages: dict[tuple[int, int], _Page] = {}
        self.search_rng: dict[tuple[int, int], np.random.Generator] = {}
        self.choice_rng: dict[tuple[int, int], np.random.Generator] = {}
        self.lam, self.outside = sc.model.nest_lambda, sc.model.outside_utility
        self.recent: dict[tuple[str, str], dict[int, list[int]]] | None = None
        """Past sales by (market, product) and team (:func:`_recent_by_offer`)."""
        for m, market in enumerate(sc.markets):
            for p, product in enumerate(sc.products):
                idx = np.flatnonzero(book.listed[m, p])
                if idx.size == 0:
                    continue
                if not product.search_terms and (m, p) not in search_offers:
                    continue
                srng = streams(market.code, product.id, "search")
                self.search_rng[(m, p)] = srng
                self.pages[(m, p)] = self._prepare(
                    book, m, p, product, idx, offer_u[m][p], search_offers.get((m, p), {}), srng
                )
                self.choice_rng[(m, p)] = streams(market.code, product.id, "search_choice")
        self.stacks = {
            m: _Stack.of([page for (pm, _), page in sorted(self.pages.items()) if pm == m])
            for m in {m for m, _ in self.pages}
        }
        """The searched pages of each market, laid out together each day."""

    def spend_cny(self) -> np.ndarray:
        """Sponsored clicks paid per team this round (CNY, each click at its day's rate);
        closes the round's statistics (:meth:`_Page.finish`)."""
        out = np.zeros(self.teams)
        for page in self.pages.values():
            page.finish()
            out[page.idx] += page.acc[_S["ad_spend_cny"]].sum(axis=0)
        return out

    # ------------------------------------------------------------------ preparation

    def _prepare(
        self,
        book: RoundBook,
        m: int,
        p: int,
        product: Product,
        idx: np.ndarray,
        browse_u: np.ndarray,
        offers: dict[int, Offer],
        srng: np.random.Generator,
    ) -> _Page:
        """The page of one searched market and product, with its offers' static search data."""
        code = book.mcodes[m]
        settings = book.scenario.market(code).search
        terms = product.terms()
        term_ids = [t.id for t in terms]
        shares = np.array([t.share for t in terms])
        rel, completeness, scores, bid, budget = self._offer_arrays(
            book, code, product, idx, offers, term_ids, shares
        )
        reserve, eligible, org_static, quality, bidder, rank, appeal = self._term_ranks(
            book, m, p, idx, terms, rel, completeness, bid, budget
        )
        # the round's random order of equal offers (drawn first, whatever the decisions)
        tiebreak = srng.random(idx.size)
        attention, ad_slot, no_winners, no_prices, no_organic_prices = _slots(settings, len(terms))
        split_p = np.append(shares, max(0.0, 1.0 - float(shares.sum())))
        return _Page(
            m=m,
            p=p,
            term_ids=term_ids,
            shares=shares,
            reserve=reserve,
            idx=idx,
            rel=rel,
            org_static=org_static,
            eligible=eligible,
            rank=rank,
            quality=quality,
            bid=bid,
            budget=budget,
            utility=browse_u + settings.completeness_beta * (completeness - 0.5),
            browse_utility=browse_u,
            ring=self._sales_ring(book, code, product.id, idx),
            org_key=org_static + 1e-9 * tiebreak,
            ad_key=np.where(rank > NONE, rank + 1e-15 * tiebreak, -np.inf),
            split_p=split_p / split_p.sum(),
            attention=attention,
            ad_slot=ad_slot,
            click_weight=appeal[None, :] * rel,
            no_winners=no_winners,
            no_prices=no_prices,
            no_organic_prices=no_organic_prices,
            scores=scores,
            price_local=book.price[m, p, idx],
            acc=np.zeros((len(STATS), len(terms), idx.size)),
            settings=settings,
            browse_first=first_choice_of(browse_u, self.lam, self.outside),
            bidders=np.flatnonzero(bidder.any(axis=0)),
        )

    def _offer_arrays(
        self,
        book: RoundBook,
        code: str,
        product: Product,
        idx: np.ndarray,
        offers: dict[int, Offer],
        term_ids: list[str],
        shares: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, list[ListingScore], np.ndarray, np.ndarray]:
        """Relevance, completeness, listing score, bid and daily budget of each listed offer.

        Teams often share listing and campaign objects (bots, copied sheets): each distinct
        listing is scored once and each distinct set of campaigns read once
        (:func:`_distinct`), then every column is filled in one step."""
        n = idx.size
        scored = _listing_scorer(book.scenario, code, product.id)
        kept, cols = _listed_offers(offers, idx)
        listings = [o.listing for o in kept]
        firsts, groups = _distinct([id(x) for x in listings])
        # the group of each column; -1 (the last row below): the default listing
        column = np.full(n, -1, dtype=np.int64)
        column[cols] = groups
        group_scores = [scored(listings[i]) for i in firsts] + [scored(None)]
        rel = np.array([[s.relevance[i] for i in term_ids] for s in group_scores]).T[:, column]
        completeness = np.array([s.completeness for s in group_scores])[column]
        scores = [group_scores[g] for g in column.tolist()]
        # keyed by the campaign objects' identities (alive with the sheets this round; a
        # validated sheet holds its own dict of them) and the terms they bid on
        firsts, groups = _distinct(
            [(id(o.auto_campaign), *o.campaigns, *map(id, o.campaigns.values())) for o in kept]
        )
        column[:] = -1
        column[cols] = groups
        per_group = [
            _campaigns(kept[i].campaigns, kept[i].auto_campaign, term_ids, shares) for i in firsts
        ]
        per_group.append(([0.0] * len(term_ids), [0.0] * len(term_ids)))
        bid = np.array([b for b, _ in per_group]).T[:, column]
        budget = np.array([b for _, b in per_group]).T[:, column]
        return rel, completeness, scores, bid, budget

    def _term_ranks(
        self,
        book: RoundBook,
        m: int,
        p: int,
        idx: np.ndarray,
        terms: list[SearchTerm],
        rel: np.ndarray,
        completeness: np.ndarray,
        bid: np.ndarray,
        budget: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Minimum CPCs, eligibility, organic scores, quality, bidders, ad ranks, click appeal."""
        sc = book.scenario
        code = book.mcodes[m]
        settings = sc.market(code).search
        rating, reviews = book.rating[m, p, idx], book.reviews[m, p, idx]
        rating_term = np.minimum(rating - 4.0, 0.5) * np.log1p(np.maximum(reviews, 0)) / LN6
        eligible = rel >= settings.relevance_threshold
        org_static = np.where(
            eligible,
            settings.rating_weight * rating_term + settings.relevance_weight * rel,
            -np.inf,
        )
        ectr = effective_ctr(settings, completeness, rating)
        quality = rel * ectr[None, :]
        reserve = np.array([min_cpc_local(sc, code, t.min_cpc_usd) for t in terms])
        # in the auction: eligible, bidding at least the minimum CPC, a budget for one click
        bidder = eligible & (quality > 0) & (bid >= reserve[:, None]) & (budget >= bid)
        rank = np.where(bidder, bid * quality, NONE)
        appeal = np.maximum(ectr / settings.expected_ctr, 1e-9)
        return reserve, eligible, org_static, quality, bidder, rank, appeal

    def _sales_ring(
        self, book: RoundBook, code: str, product_id: str, idx: np.ndarray
    ) -> np.ndarray:
        """Units each listed offer sold on the past VELOCITY_DAYS days, oldest first."""
        ring = np.zeros((VELOCITY_DAYS, idx.size))
        if self.recent is None:
            self.recent = _recent_by_offer(book)
        past_sales = self.recent.get((code, product_id))
        if not past_sales:
            return ring
        for j, t in enumerate(idx.tolist()):
            past = past_sales.get(t)
            if past:
                ring[-len(past) :, j] = past[-VELOCITY_DAYS:]
        return ring

    # ------------------------------------------------------------------ a day

    def lay_out(self, m: int, stocks: dict[int, np.ndarray]) -> None:
        """Lay out the day's pages of market ``m``'s searched products (``stocks``: the
        stock of each one's listed offers, by product index) before any of them trades: each
        page's slots come from its own offers, then every page's :class:`_Layout` is computed
        in one pass over all the market's terms (:func:`_stack_layouts`)."""
        stack = self.stacks[m]
        in_stock = np.concatenate([stocks[page.p] for page in stack.pages]) > 0
        settings = stack.pages[0].settings
        velocity = settings.velocity_weight * np.log1p(stack.velocity)
        if stack.offer is not None:  # every page has room for all its offers: one sort
            score = np.where(
                stack.real & in_stock[stack.offer], stack.org_key + velocity[stack.offer], -np.inf
            )
            organic = [_top_rows(score, settings.organic_slots)]
        else:  # pages with as many offers ranked together (no padding: the same selection)
            ranked: dict[int, np.ndarray] = {}
            for members, org_key, offer in stack.wide:
                score = np.where(in_stock[offer], org_key + velocity[offer], -np.inf)
                rows = np.cumsum([0, *(len(stack.pages[i].term_ids) for i in members)])
                top = _top_rows(score, settings.organic_slots)
                ranked.update(
                    (i, top[a:b]) for i, a, b in zip(members, rows[:-1], rows[1:], strict=True)
                )
            organic = [ranked[i] for i in range(len(stack.pages))]
        key = in_stock.tobytes()
        if stack.ads is None or stack.ads[0] != key:
            ads = [
                _auction(page, settings, in_stock[a:b])
                for page, (a, b) in zip(stack.pages, stack.offers, strict=True)
            ]
            stack.ads = (key, ads)
        _stack_layouts(stack, stack.ads[1], organic, self.lam, self.outside)

    def trade(
        self, m: int, p: int, day: int, shoppers: int, stock: np.ndarray, fx: float
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """One day of one searched market and product: returns (picks, sold,
        first-choice-inside) per listed offer, like
        :func:`simshop.engine.demand.allocate_customers`. ``stock`` is updated in place.

        Every term's page is one row of (K, L) matrices (L = sponsored + organic slots):
        the offer in each slot (-1: empty), its attention, whether it is sponsored
        (:class:`_Layout`, laid out by :meth:`lay_out` for the market's pages at once)."""
        page = self.pages[(m, p)]
        settings = page.settings
        lam, outside = self.lam, self.outside
        srng, crng = self.search_rng[(m, p)], self.choice_rng[(m, p)]
        K, n = len(page.term_ids), page.idx.size
        split = srng.multinomial(shoppers, page.split_p)
        wanting = split[:K]
        searches = wanting + _poisson_each(srng, wanting * (settings.searches_per_shopper - 1.0))
        self.searches[m, p, :K] += searches
        lay = page.today
        assert lay is not None, "lay_out(m, ...) comes first each day"
        orders = _multinomial_rows(crng, wanting, lay.pvals)[:, :-1]
        sold = np.bincount(lay.shown, weights=orders[lay.valid], minlength=n).astype(np.int64)
        picks, first = sold.copy(), int(orders.sum())
        if (sold > stock).any():
            orders, picks, first = _choose_in_stock(
                crng, wanting, page.utility, lay.cols, lay.att, lam, outside, stock
            )
            sold = np.bincount(lay.shown, weights=orders[lay.valid], minlength=n).astype(np.int64)
        stock -= sold
        clicks, charged, spend, paid = _clicks(crng, lay, settings, searches, orders)
        page.log.append((lay.cols, lay.is_ad, clicks, orders, charged, paid, spend, searches, fx))
        # the browsing shoppers see every listed offer, as without search
        rest = int(split[K])
        if rest > 0:
            b_picks, b_sold, b_first = allocate_customers(
                crng, rest, page.browse_utility, lam, outside, stock, page.browse_first
            )
            stock -= b_sold
            picks += b_picks
            sold += b_sold
            first += b_first
        page.velocity += sold - page.ring[0]
        page.ring[:-1] = page.ring[1:]
        page.ring[-1] = sold
        return picks, sold, first


def _listing_scorer(
    sc: Scenario, code: str, product_id: str
) -> Callable[[Listing | None], ListingScore]:
    """:func:`score_listing` for one market and product, memoised by listing and content."""
    cache: dict[tuple[object, ...] | None, ListingScore] = {}
    by_object: dict[int, tuple[Listing, ListingScore]] = {}

    def scored(listing: Listing | None) -> ListingScore:
        if listing is not None:
            hit = by_object.get(id(listing))
            if hit is not None:
                return hit[1]
        key = _listing_key(listing)
        if key not in cache:
            cache[key] = score_listing(sc, code, product_id, listing)
        if listing is not None:
            by_object[id(listing)] = (listing, cache[key])
        return cache[key]

    return scored


def _recent_by_offer(book: RoundBook) -> dict[tuple[str, str], dict[int, list[int]]]:
    """The teams' recent sales (:attr:`TeamState.recent_sales`) by (market, product) and team
    index: one pass over what the teams sold instead of a look-up per listed offer."""
    out: dict[tuple[str, str], dict[int, list[int]]] = {}
    for t, team in enumerate(book.teams):
        for code, by_product in team.recent_sales.items():
            for pid, past in by_product.items():
                out.setdefault((code, pid), {})[t] = past
    return out


def _listed_offers(offers: dict[int, Offer], idx: np.ndarray) -> tuple[list[Offer], np.ndarray]:
    """The offers (by team index) of the listed teams ``idx``, and their columns."""
    teams = np.fromiter(offers, np.int64, len(offers))
    cols = np.searchsorted(idx, teams)
    listed = cols < idx.size
    listed[listed] = idx[cols[listed]] == teams[listed]
    values = list(offers.values())
    if listed.all():
        return values, cols
    return [values[i] for i in np.flatnonzero(listed).tolist()], cols[listed]


def _distinct(keys: list[Any]) -> tuple[list[int], np.ndarray]:
    """(The position of the first of each distinct key, each key's group number)."""
    first: dict[Any, int] = {}
    group = [first.setdefault(key, len(first)) for key in keys]
    starts = [0] * len(first)
    for pos in range(len(group) - 1, -1, -1):
        starts[group[pos]] = pos
    return starts, np.array(group, dtype=np.int64)


def _slots(
    settings: SearchSettings, K: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Attention and sponsored flag per page position, and K terms' empty auction results."""
    attention = np.array(settings.attention_weights())
    L = attention.size
    S = settings.sponsored_slots
    return attention, np.arange(L) < S, np.full((K, S), -1), np.zeros((K, S)), np.zeros((K, L - S))


@dataclass
class _Layout:
    """Every term's page of one day (K rows of L positions) and what follows from it alone
    (:func:`_stack_layouts`)."""

    cols: np.ndarray
    """(K, L) the offer in each slot, -1: empty (empty slots at the end)."""
    valid: np.ndarray
    is_ad: np.ndarray
    slot_price: np.ndarray
    """(K, L) the price of a click in each sponsored slot (0 elsewhere)."""
    att: np.ndarray
    """(K, L) attention of each filled slot (0: empty)."""
    shown: np.ndarray
    """The offer of each filled slot (``safe[valid]``, row by row)."""
    pvals: np.ndarray
    """(K, L + 1) a term's shopper's choice: each slot, then the outside option."""
    clickable: np.ndarray
    """(K,) True where a page has an offer to click."""
    click_p: np.ndarray
    """(K, L) how the clicks that do not buy split over the slots."""
    affordable: np.ndarray
    """(K, L) clicks the campaign of each sponsored slot can pay in a day."""


def _auction(
    page: _Page, settings: SearchSettings, in_stock: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Winners and prices of every term's sponsored slots; recomputed only when an offer in
    the page's auctions came into or went out of stock."""
    n_sponsored = settings.sponsored_slots
    if not page.bidding or n_sponsored <= 0:
        return page.no_winners, page.no_prices
    key = in_stock[page.bidders].tobytes()
    if page.auction is not None and page.auction[0] == key:
        return page.auction[1], page.auction[2]
    ranked = _top_rows(np.where(in_stock, page.ad_key, -np.inf), n_sponsored + 1)
    winners, prices = _prices(page, ranked, n_sponsored)
    page.auction = (key, winners, prices)
    return winners, prices


@dataclass
class _Stack:
    """The searched pages of one market, their terms' rows one under the other (every page
    of a market has the same slots), with the static arrays the day's layout reads."""

    pages: list[_Page]
    bounds: list[tuple[int, int]]
    """Each page's rows."""
    rows: np.ndarray
    attention: np.ndarray
    ad_slot: np.ndarray
    no_organic_prices: np.ndarray
    utility: np.ndarray
    """Every page's offers' utilities, page after page."""
    u_base: np.ndarray
    """(R, 1) where each row's page starts in :attr:`utility`."""
    click_weight: np.ndarray
    budget: np.ndarray
    """Every page's (K, n) click weights and budgets, flattened page after page."""
    c_base: np.ndarray
    """(R, 1) where each row (term of a page, first offer) starts in :attr:`click_weight`."""
    offers: list[tuple[int, int]]
    """Each page's offers in the stacked offer arrays."""
    velocity: np.ndarray
    """Every page's offers' recent sales (each page's :attr:`_Page.velocity` is a view)."""
    org_key: np.ndarray
    """(R, widest page) every term's organic keys, padded."""
    real: np.ndarray
    """(R, widest page) True where a column is one of the row's page's offers."""
    offer: np.ndarray | None
    """(R, widest page) the stacked offer of each column (0 in the padding); None when some
    page has more offers than organic slots (then :attr:`wide` ranks them)."""
    wide: list[tuple[list[int], np.ndarray, np.ndarray]]
    """Pages with the same number of offers: (their indices, their rows' organic keys,
    the stacked offer of each column)."""
    ads: tuple[bytes, list[tuple[np.ndarray, np.ndarray]]] | None = None
    """The last auctions: (which offers were in stock, each page's winners and prices)."""

    @classmethod
    def of(cls, pages: list[_Page]) -> _Stack:
        sizes = [len(page.term_ids) for page in pages]
        ends = np.cumsum(sizes).tolist()
        u_sizes = [page.idx.size for page in pages]
        u_starts = np.cumsum([0, *u_sizes])[:-1]
        c_starts = np.cumsum([0, *(k * n for k, n in zip(sizes, u_sizes, strict=True))])[:-1]
        u_base = np.repeat(u_starts, sizes)
        velocity = np.concatenate([page.velocity for page in pages])
        for page, a, n in zip(pages, u_starts.tolist(), u_sizes, strict=True):
            page.velocity = velocity[a : a + n]
        width = max(u_sizes)
        real = np.repeat(np.array([np.arange(width) < n for n in u_sizes]), sizes, axis=0)
        org_key = np.full(real.shape, -np.inf)
        org_key[real] = np.concatenate([page.org_key.ravel() for page in pages])
        small = width <= pages[0].settings.organic_slots
        c_base = np.concatenate(
            [c + n * np.arange(k) for c, n, k in zip(c_starts, u_sizes, sizes, strict=True)]
        )
        return cls(
            pages=pages,
            bounds=list(zip([0, *ends[:-1]], ends, strict=True)),
            rows=np.arange(sum(sizes))[:, None],
            attention=pages[0].attention,
            ad_slot=pages[0].ad_slot,
            no_organic_prices=np.concatenate([page.no_organic_prices for page in pages]),
            utility=np.concatenate([page.utility for page in pages]),
            u_base=u_base[:, None],
            click_weight=np.concatenate([page.click_weight.ravel() for page in pages]),
            budget=np.concatenate([page.budget.ravel() for page in pages]),
            c_base=c_base[:, None],
            offers=[(a, a + n) for a, n in zip(u_starts.tolist(), u_sizes, strict=True)],
            velocity=velocity,
            org_key=org_key,
            real=real,
            offer=np.where(real, u_base[:, None] + np.arange(width), 0) if small else None,
            wide=[] if small else _same_width(pages, u_starts.tolist()),
        )


def _same_width(
    pages: list[_Page], starts: list[int]
) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
    """:attr:`_Stack.wide`: the pages grouped by their number of offers."""
    groups: dict[int, list[int]] = {}
    for i, page in enumerate(pages):
        groups.setdefault(page.idx.size, []).append(i)
    return [
        (
            members,
            np.concatenate([pages[i].org_key for i in members]),
            np.concatenate(
                [np.tile(starts[i] + np.arange(n), (len(pages[i].term_ids), 1)) for i in members]
            ),
        )
        for n, members in groups.items()
    ]


def _stack_layouts(
    stack: _Stack,
    ads: list[tuple[np.ndarray, np.ndarray]],
    organic: list[np.ndarray],
    lam: float,
    outside: float,
) -> None:
    """Every page of the market from its (winners, prices) and the organic slots of every
    row: sponsored slots first, then organic, empty slots moved to the end; all rows at once,
    each row's numbers exactly as if its page were laid out alone."""
    rows = stack.rows
    winners = np.concatenate([w for w, _ in ads])
    both = np.concatenate([winners, np.concatenate(organic)], axis=1)
    order = np.argsort(both < 0, axis=1, kind="stable")
    cols = both[rows, order]
    valid = cols >= 0
    is_ad = stack.ad_slot[order] & valid
    prices = np.concatenate([pr for _, pr in ads])
    slot_price = np.concatenate([prices, stack.no_organic_prices], axis=1)[rows, order]
    att = np.where(valid, stack.attention, 0.0)
    safe = np.where(valid, cols, 0)
    cell = stack.c_base + safe
    # clicks that do not buy split over the page's slots by attention and appeal
    click_p = att * stack.click_weight[cell]
    clickable = click_p.sum(axis=1) > 0
    click_p[~clickable, 0] = 1.0
    click_p /= click_p.sum(axis=1, keepdims=True)
    pvals = _choice_pvals(stack.utility[stack.u_base + safe], att, lam, outside)
    affordable = np.floor(stack.budget[cell] / np.where(is_ad, slot_price, 1.0) + 1e-9)
    for page, (r0, r1) in zip(stack.pages, stack.bounds, strict=True):
        shown = valid[r0:r1]
        page.today = _Layout(
            cols=cols[r0:r1],
            valid=shown,
            is_ad=is_ad[r0:r1],
            slot_price=slot_price[r0:r1],
            att=att[r0:r1],
            shown=safe[r0:r1][shown],
            pvals=pvals[r0:r1],
            clickable=clickable[r0:r1],
            click_p=click_p[r0:r1],
            affordable=affordable[r0:r1],
        )


def _clicks(
    rng: np.random.Generator,
    lay: _Layout,
    settings: SearchSettings,
    searches: np.ndarray,
    orders: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(Clicks, charged clicks, spend, paid orders) per slot of every term's page."""
    browsing = _binomial_each(rng, np.where(lay.clickable, searches, 0), settings.browse_click_rate)
    clicks = orders + _multinomial_rows(rng, browsing, lay.click_p)
    # sponsored clicks are paid while the term's daily budget lasts
    charged = np.where(lay.is_ad, np.minimum(clicks, lay.affordable), 0)
    spend = charged * lay.slot_price
    paid = np.minimum(orders, charged)
    return clicks, charged, spend, paid


def _multinomial_rows(
    rng: np.random.Generator, counts: np.ndarray, pvals: np.ndarray
) -> np.ndarray:
    """``rng.multinomial(counts, pvals)`` row by row: the same draws (a row without trials
    draws nothing), without NumPy's broadcasting cost on a handful of rows."""
    out = np.zeros(pvals.shape, dtype=np.int64)
    for k, count in enumerate(counts.tolist()):
        if count > 0:
            out[k] = rng.multinomial(count, pvals[k])
    return out


def _poisson_each(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """``rng.poisson(lam)`` element by element (the same draws; a zero mean draws nothing)."""
    return np.array([rng.poisson(x) if x > 0 else 0 for x in lam.tolist()], dtype=np.int64)


def _binomial_each(rng: np.random.Generator, trials: np.ndarray, p: float) -> np.ndarray:
    """``rng.binomial(trials, p)`` element by element (the same draws; no trials, no draw)."""
    return np.array([rng.binomial(k, p) if k > 0 else 0 for k in trials.tolist()], dtype=np.int64)


def _prices(page: _Page, ranked: np.ndarray, slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Winners and prices per term from the offers ranked by ad rank (``slots`` + 1 best
    per term, -1 where fewer): :func:`gsp_prices` row by row, vectorised."""
    rows = page.rows
    safe = np.maximum(ranked, 0)
    rank = np.where(ranked >= 0, page.rank[rows, safe], NONE)
    winners = ranked[:, :slots]
    own = safe[:, :slots]
    nxt = rank[:, 1 : slots + 1]
    reserve = page.reserve[:, None]
    quality = np.where(winners >= 0, page.quality[rows, own], 1.0)  # empty slots: no price
    raw = np.where(nxt > NONE, np.round(nxt / quality + 0.01, 2), reserve)
    prices = np.minimum(page.bid[rows, own], np.maximum(raw, reserve))
    return winners, np.where(winners >= 0, prices, 0.0)


def _choice_pvals(utility: np.ndarray, att: np.ndarray, lam: float, outside: float) -> np.ndarray:
    """Per term, a shopper's choice over the slots of its page, then the outside option:
    the nested logit weighted by attention (:func:`weighted_choice_probabilities`, row by
    row, vectorised; an empty page sends everyone to the outside option)."""
    z = utility / lam
    seen = att > 0
    top = np.where(seen, z, -1e300).max(axis=1, keepdims=True)
    w = att * np.exp(np.minimum(z - top, 0.0))  # 0 where att is 0
    total = w.sum(axis=1)
    weight = att.sum(axis=1)
    ok = total > 0
    inclusive = lam * (top[:, 0] + np.log(np.where(ok, total / np.where(ok, weight, 1.0), 1.0)))
    inside = np.where(ok, 1.0 / (1.0 + np.exp(np.clip(outside - inclusive, -700.0, 700.0))), 0.0)
    pvals = np.empty((w.shape[0], w.shape[1] + 1))
    pvals[:, :-1] = w * (inside / np.where(ok, total, 1.0))[:, None]
    pvals[:, -1] = 1.0 - inside
    np.maximum(pvals, 0.0, out=pvals)
    pvals /= pvals.sum(axis=1, keepdims=True)
    return pvals


def _choose_in_stock(
    rng: np.random.Generator,
    shoppers: np.ndarray,
    utility: np.ndarray,
    cols: np.ndarray,
    att: np.ndarray,
    lam: float,
    outside: float,
    stock: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """(Orders per slot, picks per offer, first choices inside) when the day's picks would
    exceed some offer's stock: term after term, the stockout rule of
    :func:`simshop.engine.demand.allocate_customers` (offers weighted by their slots'
    attention), each offer's orders shared among its slots by attention."""
    left = stock.copy()
    orders = np.zeros(cols.shape, dtype=np.int64)
    picks = np.zeros(stock.size, dtype=np.int64)
    first = 0
    for k in range(cols.shape[0]):
        valid = cols[k] >= 0
        if not valid.any() or shoppers[k] <= 0:
            continue
        offers, inv = np.unique(cols[k][valid], return_inverse=True)
        weight = np.bincount(inv, weights=att[k][valid])
        k_picks, sold, k_first = allocate_customers(
            rng, int(shoppers[k]), utility[offers], lam, outside, left[offers], weights=weight
        )
        left[offers] -= sold
        picks[offers] += k_picks
        first += k_first
        # share each offer's units among its slots (sponsored first) by attention (Python
        # numbers: the same doubles as NumPy's, without its cost per element)
        units_left, att_left = sold.tolist(), weight.tolist()
        units = []
        for a, o in zip(att[k][valid].tolist(), inv.tolist(), strict=True):
            if att_left[o] <= a * (1 + 1e-12):
                unit = units_left[o]
            else:
                unit = int(rng.binomial(units_left[o], a / att_left[o]))
            units.append(unit)
            units_left[o] -= unit
            att_left[o] -= a
        orders[k, np.flatnonzero(valid)] = units
    return orders, picks, first


def _top_rows(score: np.ndarray, count: int) -> np.ndarray:
    """Per row of ``score`` (terms x offers), the columns of the ``count`` highest finite
    scores, best first; -1 where a row has fewer."""
    rows, n = score.shape
    if count <= 0:
        return np.zeros((rows, 0), dtype=np.int64)
    r = np.arange(rows)[:, None]
    if n > count:
        part = np.argpartition(-score, count - 1, axis=1)[:, :count]
        vals = score[r, part]
        order = np.argsort(-vals, axis=1, kind="stable")
        part, vals = part[r, order], vals[r, order]
    else:  # every column: the same as above with ``part`` = 0..n-1
        part = np.argsort(-score, axis=1, kind="stable")
        vals = score[r, part]
    out = np.where(vals > -np.inf, part, -1)
    if out.shape[1] < count:
        out = np.concatenate([out, np.full((rows, count - out.shape[1]), -1)], axis=1)
    return out


def _campaigns(
    campaigns: dict[str, Campaign],
    auto: Campaign | None,
    term_ids: list[str],
    shares: np.ndarray,
) -> tuple[list[float], list[float]]:
    """One offer's bid and daily budget per term from its campaigns; an automatic campaign
    bids on the terms without a campaign of their own, its budget spread over them by their
    shares (evenly if they have none)."""
    bids, budgets, covered = [0.0] * len(term_ids), [0.0] * len(term_ids), []
    for k, term in enumerate(term_ids):
        campaign = campaigns.get(term)
        if campaign is not None:
            bids[k], budgets[k] = campaign.bid_local, campaign.daily_budget_local
        elif auto is not None:
            covered.append(k)
    if auto is not None and covered:
        total = float(sum(shares[k] for k in covered))
        for k in covered:
            weight = float(shares[k]) / total if total > 0 else 1.0 / len(covered)
            bids[k], budgets[k] = auto.bid_local, auto.daily_budget_local * weight
    return bids, budgets
