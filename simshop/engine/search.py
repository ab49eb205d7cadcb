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

from simshop.engine.demand import LN6, allocate_customers
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
    bidding: bool
    utility: np.ndarray
    browse_utility: np.ndarray
    ring: np.ndarray
    """(VELOCITY_DAYS, n) units sold on the past days, oldest first."""
    velocity: np.ndarray
    """(n,) units sold over the last VELOCITY_DAYS days (the ring's sum)."""
    org_key: np.ndarray
    """(K, n) organic score without velocity, plus the round's tie-break (-inf: not
    eligible)."""
    ad_key: np.ndarray
    """(K, n) ad rank plus the round's tie-break (-inf: not in the auction)."""
    split_p: np.ndarray
    """(K + 1,) the shares of the terms and of browsing."""
    rows: np.ndarray
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
    log: list[tuple[Any, ...]] = field(default_factory=list)
    """One entry per day: the pages of every term (see :meth:`SearchRound.trade`)."""

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
    product) with their funnel statistics per (term, offer), and the searches per term."""

    def __init__(
        self,
        book: RoundBook,
        streams: RoundStreams,
        offer_u: list[list[np.ndarray]],
        search_offers: dict[tuple[int, int], dict[int, Offer]],
    ) -> None:
        self.book = book
        sc = book.scenario
        M, P, _ = book.shape
        self.K = max(len(p.terms()) for p in sc.products)
        self.searches = np.zeros((M, P, self.K), dtype=np.int64)
        self.pages: dict[tuple[int, int], _Page] = {}
        self.search_rng: dict[tuple[int, int], np.random.Generator] = {}
        self.choice_rng: dict[tuple[int, int], np.random.Generator] = {}
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
                    m, p, product, idx, offer_u[m][p], search_offers.get((m, p), {}), srng
                )
                self.choice_rng[(m, p)] = streams(market.code, product.id, "search_choice")

    def spend_cny(self) -> np.ndarray:
        """Sponsored clicks paid per team this round (CNY, each click at its day's rate);
        closes the round's statistics (:meth:`_Page.finish`)."""
        out = np.zeros(len(self.book.team_ids))
        for page in self.pages.values():
            page.finish()
            out[page.idx] += page.acc[_S["ad_spend_cny"]].sum(axis=0)
        return out

    # ------------------------------------------------------------------ preparation

    def _prepare(
        self,
        m: int,
        p: int,
        product: Product,
        idx: np.ndarray,
        browse_u: np.ndarray,
        offers: dict[int, Offer],
        srng: np.random.Generator,
    ) -> _Page:
        """The page of one searched market and product, with its offers' static search data."""
        code = self.book.mcodes[m]
        settings = self.book.scenario.market(code).search
        terms = product.terms()
        term_ids = [t.id for t in terms]
        shares = np.array([t.share for t in terms])
        rel, completeness, scores, bid, budget = self._offer_arrays(
            code, product, idx, offers, term_ids, shares
        )
        reserve, eligible, org_static, quality, bidder, rank, appeal = self._term_ranks(
            m, p, idx, terms, rel, completeness, bid, budget
        )
        ring = self._sales_ring(code, product.id, idx)
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
            bidding=bool(bidder.any()),
            utility=browse_u + settings.completeness_beta * (completeness - 0.5),
            browse_utility=browse_u,
            ring=ring,
            velocity=ring.sum(axis=0),
            org_key=org_static + 1e-9 * tiebreak,
            ad_key=np.where(rank > NONE, rank + 1e-15 * tiebreak, -np.inf),
            split_p=split_p / split_p.sum(),
            rows=np.arange(len(terms))[:, None],
            attention=attention,
            ad_slot=ad_slot,
            click_weight=appeal[None, :] * rel,
            no_winners=no_winners,
            no_prices=no_prices,
            no_organic_prices=no_organic_prices,
            scores=scores,
            price_local=self.book.price[m, p, idx],
            acc=np.zeros((len(STATS), len(terms), idx.size)),
        )

    def _offer_arrays(
        self,
        code: str,
        product: Product,
        idx: np.ndarray,
        offers: dict[int, Offer],
        term_ids: list[str],
        shares: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, list[ListingScore], np.ndarray, np.ndarray]:
        """Relevance, completeness, listing score, bid and daily budget of each listed offer."""
        K, n = len(term_ids), idx.size
        scored = _listing_scorer(self.book.scenario, code, product.id)
        default = scored(None)
        rel = np.tile(np.array([default.relevance[i] for i in term_ids])[:, None], (1, n))
        completeness = np.full(n, default.completeness)
        scores = [default] * n
        bid = np.zeros((K, n))
        budget = np.zeros((K, n))
        listing_groups, campaign_groups = _group_offers(offers, idx, scored, scores)
        for score, cols in listing_groups.values():
            rel[:, cols] = np.array([score.relevance[i] for i in term_ids])[:, None]
            completeness[cols] = score.completeness
        for first, cols in campaign_groups.values():
            bids, budgets = _campaigns(first.campaigns, first.auto_campaign, term_ids, shares)
            bid[:, cols] = np.array(bids)[:, None]
            budget[:, cols] = np.array(budgets)[:, None]
        return rel, completeness, scores, bid, budget

    def _term_ranks(
        self,
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
        book, sc = self.book, self.book.scenario
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

    def _sales_ring(self, code: str, product_id: str, idx: np.ndarray) -> np.ndarray:
        """Units each listed offer sold on the past VELOCITY_DAYS days, oldest first."""
        ring = np.zeros((VELOCITY_DAYS, idx.size))
        for j, t in enumerate(idx.tolist()):
            past = self.book.teams[t].recent_sales.get(code, {}).get(product_id)
            if past:
                ring[-len(past) :, j] = past[-VELOCITY_DAYS:]
        return ring

    # ------------------------------------------------------------------ a day

    def trade(
        self, m: int, p: int, day: int, shoppers: int, stock: np.ndarray, fx: float
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """One day of one searched market and product: returns (picks, sold,
        first-choice-inside) per listed offer, like
        :func:`simshop.engine.demand.allocate_customers`. ``stock`` is updated in place.

        Every term's page is one row of (K, L) matrices (L = sponsored + organic slots):
        the offer in each slot (-1: empty), its attention, whether it is sponsored."""
        page = self.pages[(m, p)]
        sc = self.book.scenario
        settings = sc.markets[m].search
        lam, outside = sc.model.nest_lambda, sc.model.outside_utility
        srng, crng = self.search_rng[(m, p)], self.choice_rng[(m, p)]
        K, n = len(page.term_ids), page.idx.size
        split = srng.multinomial(shoppers, page.split_p)
        searches = split[:K] + srng.poisson(split[:K] * (settings.searches_per_shopper - 1.0))
        self.searches[m, p, :K] += searches
        cols, valid, is_ad, slot_price = _lay_out(page, settings, stock)
        att = np.where(valid, page.attention, 0.0)
        safe = np.where(valid, cols, 0)
        orders = _choose(crng, split[:K], page.utility[safe], att, lam, outside)
        sold = np.bincount(safe[valid], weights=orders[valid], minlength=n).astype(np.int64)
        picks, first = sold.copy(), int(orders.sum())
        if (sold > stock).any():
            orders, picks, first = _choose_in_stock(
                crng, split[:K], page.utility, cols, att, lam, outside, stock
            )
            sold = np.bincount(safe[valid], weights=orders[valid], minlength=n).astype(np.int64)
        stock -= sold
        clicks, charged, spend, paid = _clicks(
            crng, page, settings, searches, orders, att, safe, is_ad, slot_price
        )
        page.log.append((cols, is_ad, clicks, orders, charged, paid, spend, searches, fx))
        # the browsing shoppers see every listed offer, as without search
        rest = int(split[K])
        if rest > 0:
            b_picks, b_sold, b_first = allocate_customers(
                crng, rest, page.browse_utility, lam, outside, stock
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


def _group_offers(
    offers: dict[int, Offer],
    idx: np.ndarray,
    scored: Callable[[Listing | None], ListingScore],
    scores: list[ListingScore],
) -> tuple[
    dict[int, tuple[ListingScore, list[int]]], dict[tuple[int, ...], tuple[Offer, list[int]]]
]:
    """The listed offers' columns by listing score and by campaigns (``scores`` filled in)."""
    col = {int(t): j for j, t in enumerate(idx.tolist())}
    # offers grouped by their listing's score and by their campaigns (teams often write
    # the same ones), so the arrays are filled once per group
    listing_groups: dict[int, tuple[ListingScore, list[int]]] = {}
    # keyed by the campaign objects' identities (alive with the sheets this round)
    campaign_groups: dict[tuple[int, ...], tuple[Offer, list[int]]] = {}
    for t, offer in offers.items():
        j = col.get(t)
        if j is None:
            continue
        if offer.listing is not None:
            score = scored(offer.listing)
            listing_groups.setdefault(id(score), (score, []))[1].append(j)
            scores[j] = score
        if offer.campaigns or offer.auto_campaign is not None:
            key = (id(offer.auto_campaign), *map(id, offer.campaigns.values()))
            group = campaign_groups.get(key)
            if group is not None and group[0].campaigns.keys() != offer.campaigns.keys():
                key = (*key, id(offer))  # the same objects under other terms: its own
                group = None
            if group is None:
                group = campaign_groups[key] = (offer, [])
            group[1].append(j)
    return listing_groups, campaign_groups


def _slots(
    settings: SearchSettings, K: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Attention and sponsored flag per page position, and K terms' empty auction results."""
    attention = np.array(settings.attention_weights())
    L = attention.size
    S = settings.sponsored_slots
    return attention, np.arange(L) < S, np.full((K, S), -1), np.zeros((K, S)), np.zeros((K, L - S))


def _lay_out(
    page: _Page, settings: SearchSettings, stock: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every term's page of the day: offer per slot (-1: empty), filled, sponsored, price."""
    rows = page.rows
    n_sponsored = settings.sponsored_slots
    in_stock = stock > 0
    velocity = settings.velocity_weight * np.log1p(page.velocity)
    organic = _top_rows(
        np.where(in_stock, page.org_key + velocity, -np.inf), settings.organic_slots
    )
    if page.bidding and n_sponsored > 0:
        ranked = _top_rows(np.where(in_stock, page.ad_key, -np.inf), n_sponsored + 1)
        winners, prices = _prices(page, ranked, n_sponsored)
    else:
        winners, prices = page.no_winners, page.no_prices
    # the page: sponsored slots first, then organic, empty slots moved to the end
    both = np.concatenate([winners, organic], axis=1)
    order = np.argsort(both < 0, axis=1, kind="stable")
    cols = both[rows, order]
    valid = cols >= 0
    is_ad = page.ad_slot[order] & valid
    slot_price = np.concatenate([prices, page.no_organic_prices], axis=1)[rows, order]
    return cols, valid, is_ad, slot_price


def _clicks(
    rng: np.random.Generator,
    page: _Page,
    settings: SearchSettings,
    searches: np.ndarray,
    orders: np.ndarray,
    att: np.ndarray,
    safe: np.ndarray,
    is_ad: np.ndarray,
    slot_price: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(Clicks, charged clicks, spend, paid orders) per slot of every term's page."""
    rows = page.rows
    # clicks that do not buy, split over the page's slots by attention and appeal
    slot_w = att * page.click_weight[rows, safe]
    total_w = slot_w.sum(axis=1)
    browsing = rng.binomial(np.where(total_w > 0, searches, 0), settings.browse_click_rate)
    slot_w[total_w <= 0, 0] = 1.0
    slot_w /= slot_w.sum(axis=1, keepdims=True)
    clicks = orders + rng.multinomial(browsing, slot_w)
    # sponsored clicks are paid while the term's daily budget lasts
    affordable = np.floor(page.budget[rows, safe] / np.where(is_ad, slot_price, 1.0) + 1e-9)
    charged = np.where(is_ad, np.minimum(clicks, affordable), 0)
    spend = charged * slot_price
    paid = np.minimum(orders, charged)
    return clicks, charged, spend, paid


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


def _choose(
    rng: np.random.Generator,
    shoppers: np.ndarray,
    utility: np.ndarray,
    att: np.ndarray,
    lam: float,
    outside: float,
) -> np.ndarray:
    """Orders per slot of every term's page: the term's shoppers choose among the slots with
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
    draw: np.ndarray = rng.multinomial(shoppers, pvals)
    return draw[:, :-1]


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
        # share each offer's units among its slots (sponsored first) by attention
        slot_att = att[k][valid]
        units_left, att_left = sold.astype(np.int64), weight.copy()
        units = np.zeros(inv.size, dtype=np.int64)
        for i, o in enumerate(inv.tolist()):
            a = float(slot_att[i])
            if att_left[o] <= a * (1 + 1e-12):
                units[i] = units_left[o]
            else:
                units[i] = rng.binomial(int(units_left[o]), a / att_left[o])
            units_left[o] -= units[i]
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
    else:
        part = np.broadcast_to(np.arange(n), (rows, n))
    vals = score[r, part]
    order = np.argsort(-vals, axis=1, kind="stable")
    part, vals = part[r, order], vals[r, order]
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
