"""Customers: Poisson arrivals split by a nested logit, vectorised across teams.

Utility of an offer j (domain.md §4), all terms dimensionless::

    v_j = beta_0
        - alpha_m * ln(price_local_j / reference_price_local)
        + beta_q * quality_j                              (quality 0..1)
        + beta_r * min(rating_j - 4, 0.5) * ln(1 + reviews_j) / ln 6
        - beta_d * delivery_days_j
        + beta_a * ln(1 + adstock_cny_j / ad_scale_cny)

with ``alpha_m = price_alpha * market.price_sensitivity`` and the reference price of
:func:`reference_price_local` (a price level per market and product). All offers of one
product in one market form one nest; the outside option (utility ``outside_utility``) sits
outside it (McFadden 1978; Berry 1994). With the nest's dissimilarity parameter ``lam``
(0 < lam <= 1)::

    I        = lam * ln( (1/N) * sum_j exp(v_j / lam) )      inclusive value of the nest
    P(nest)  = exp(I) / (exp(I) + exp(outside_utility))
    P(j)     = P(nest) * exp(v_j / lam) / sum_k exp(v_k / lam)

The ``1/N`` inside the inclusive value is the "crowding" correction of Ackerberg & Rysman
(2005): N identical offers give the nest the value of one, so category demand is set by the
market's size, season and price level and not by how many teams the instructor enrols. A
seller's own-price elasticity is ``-alpha * (1/lam - (1/lam - 1) * s_j|nest - s_j)`` (large,
as for one marketplace listing), the category's (all sellers move) ``-alpha * (1 - P(nest))``
(small), and most units a seller loses by raising its price go to its rivals.

The ad term's scale ``ad_scale_cny`` is set per market and product by the market model (a
share of a seller's fair share of the round's shopper spending), so the same budget buys
less lift in a large market than in a small one.

Everything is computed with log-sum-exp and clipped exponents: no overflow, no NaN.

Stockouts: customers are drawn over every listed offer; those who picked an offer without
stock take the next best offer still in stock or leave. They already chose the nest, so they
leave only as far as the nest lost appeal: of the choosers of the sold-out offers a share
``(P(nest) - P'(nest)) / P(sold-out offers)`` leaves (P' over the offers still in stock, as in
any random-utility model), the rest split by the within-nest probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from simshop.engine.scenario import Market, ModelParams, Product

LN6 = math.log(6.0)
_EXP_CLIP = 700.0


def offer_utility(
    params: ModelParams,
    price_alpha: float | np.ndarray,
    price_ratio: np.ndarray,
    quality: np.ndarray,
    rating: np.ndarray,
    reviews: np.ndarray,
    delivery_days: np.ndarray,
    adstock_cny: np.ndarray,
    ad_scale_cny: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Deterministic utility of offers (arrays broadcast together). ``price_ratio`` is
    price_local / reference_price_local (clipped to a tiny positive floor);
    ``ad_scale_cny`` > 0 is the adstock that adds ``ad_beta * ln 2``."""
    rating_term = np.minimum(rating - 4.0, 0.5) * np.log1p(np.maximum(reviews, 0)) / LN6
    ratio = np.maximum(price_ratio, 1e-9)
    scale = np.maximum(ad_scale_cny, 1e-9)
    utility: np.ndarray = (
        params.base_utility
        - price_alpha * np.log(ratio)
        + params.quality_beta * quality
        + params.rating_beta * rating_term
        - params.delivery_beta_per_day * delivery_days
        + params.ad_beta * np.log1p(np.maximum(adstock_cny, 0.0) / scale)
    )
    return utility


def reference_price_local(params: ModelParams, market: Market, product: Product) -> float:
    """The product's price level in the market (local currency): the US reference price x
    the market's ``price_index``, converted at the game's starting rate, VAT included where
    shelf prices include it (``vat_seller_remits``). A price ratio of 1 is "priced like a
    typical listing in this market"."""
    local = (
        product.reference_price_usd
        * params.reference_cny_per_usd
        * market.price_index
        / market.fx_cny_per_local
    )
    return local * (1.0 + market.vat_rate) if market.vat_seller_remits else local


def ad_scale_cny(
    saturation_share: float,
    round_shoppers: np.ndarray,
    reference_price_cny: np.ndarray,
    offers: np.ndarray,
) -> np.ndarray:
    """Adstock scale of the ad term: ``saturation_share`` x a seller's fair share of the
    round's shopper spending at the reference price (shoppers x price / offers, CNY)."""
    scale: np.ndarray = (
        saturation_share * round_shoppers * reference_price_cny / np.maximum(offers, 1)
    )
    return scale


def nest_value(utilities: np.ndarray, lam: float) -> float:
    """The nest's inclusive value ``lam * ln(mean(exp(v / lam)))`` (log-sum-exp)."""
    z = np.asarray(utilities, dtype=float) / lam
    top = float(z.max())
    return lam * (top + math.log(float(np.exp(z - top).mean())))


def nest_share(inclusive_value: float, outside_utility: float) -> float:
    """P(nest) = 1 / (1 + exp(outside - I)), overflow-safe."""
    x = min(max(outside_utility - inclusive_value, -_EXP_CLIP), _EXP_CLIP)
    return 1.0 / (1.0 + math.exp(x))


def choice_probabilities(
    utilities: np.ndarray, lam: float, outside_utility: float
) -> tuple[np.ndarray, float]:
    """(P(j) per offer, P(outside)) of the nested logit; ``utilities`` non-empty."""
    z = np.asarray(utilities, dtype=float) / lam
    w = np.exp(z - z.max())
    total = float(w.sum())
    inclusive = lam * (float(z.max()) + math.log(total / w.size))
    inside = nest_share(inclusive, outside_utility)
    return inside * w / total, 1.0 - inside


def weighted_choice_probabilities(
    utilities: np.ndarray, weights: np.ndarray, lam: float, outside_utility: float
) -> tuple[np.ndarray, float]:
    """The nested logit of a search page: offer j seen with attention ``weights[j]`` > 0.

    Within the nest P(j | nest) is proportional to ``a_j exp(v_j / lam)``, and the inclusive
    value is the attention-weighted mean ``lam * ln(sum a_j exp(v_j/lam) / sum a_j)``: the
    crowding correction with attention as the count, so N identical offers still give the
    nest the value of one, whatever the page's positions."""
    z = np.asarray(utilities, dtype=float) / lam
    top = float(z.max())
    w = weights * np.exp(z - top)
    total = float(w.sum())
    inclusive = lam * (top + math.log(total / float(weights.sum())))
    inside = nest_share(inclusive, outside_utility)
    return inside * w / total, 1.0 - inside


def inside_share(utilities: np.ndarray, lam: float, outside_utility: float) -> float:
    """Expected share of shoppers buying any offer of the nest (no stockouts)."""
    return nest_share(nest_value(utilities, lam), outside_utility)


def allocate_customers(
    rng: np.random.Generator,
    shoppers: int,
    utilities: np.ndarray,
    lam: float,
    outside_utility: float,
    stock: np.ndarray,
    first_choice: tuple[np.ndarray, float, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Split ``shoppers`` over the offers of one nest (``utilities``) and the outside option.

    Returns (picks, sold, first_choice_inside): ``picks`` counts every time an offer was
    chosen (first choice or after a stockout elsewhere), ``sold <= stock`` the units sold,
    so ``picks - sold`` are customers lost to the offer's stockout. ``first_choice``:
    :func:`first_choice_of` of ``utilities``, when the caller keeps it for the round (the
    same numbers, computed once; only without ``weights``). ``weights``: the attention each
    offer got on a search page (:func:`weighted_choice_probabilities`); ``None``: every
    offer seen alike (:func:`choice_probabilities`)."""
    n = len(utilities)
    if shoppers <= 0 or n == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 0

    def probabilities(rows: np.ndarray | None) -> tuple[np.ndarray, float]:
        u = utilities if rows is None else utilities[rows]
        if weights is None:
            return choice_probabilities(u, lam, outside_utility)
        return weighted_choice_probabilities(
            u, weights if rows is None else weights[rows], lam, outside_utility
        )

    if first_choice is None or weights is not None:
        probs, outside = probabilities(None)
        pvals = _pvals(probs, outside)
    else:
        probs, outside, pvals = first_choice
    draw = rng.multinomial(shoppers, pvals)
    first_inside = int(shoppers - draw[-1])
    chosen = draw[:-1]
    if (chosen <= stock).all():  # nobody met a sold-out offer: every pick is a sale
        return chosen, chosen.copy(), first_inside
    picks, sold = _serve_with_stockouts(rng, chosen, stock, probs, outside, probabilities)
    return picks, sold, first_inside


def _serve_with_stockouts(
    rng: np.random.Generator,
    chosen: np.ndarray,
    stock: np.ndarray,
    probs: np.ndarray,
    outside: float,
    probabilities: Callable[[np.ndarray | None], tuple[np.ndarray, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """(picks, sold) when some first choices exceed ``stock``: re-route the overflow."""
    n = len(chosen)
    picks = np.zeros(n, dtype=np.int64)
    sold = np.zeros(n, dtype=np.int64)
    left = stock.astype(np.int64, copy=True)
    active = np.arange(n)
    while True:
        take = np.minimum(chosen, left)
        picks += chosen
        sold += take
        left -= take
        overflow = int(chosen.sum() - take.sum())
        if overflow == 0:
            break
        still = left[active] > 0
        if not still.any():
            break
        gone = float(probs[~still].sum())
        prev_inside = 1.0 - outside
        active = active[still]
        probs, outside = probabilities(active)
        # Customers who chose the nest leave only as far as the nest lost appeal: of the
        # choosers of the sold-out offers, (P(nest) - P'(nest)) / P(sold-out offers) leave.
        leave = min(max((prev_inside - (1.0 - outside)) / gone, 0.0), 1.0) if gone > 0 else 0.0
        within = probs / probs.sum()
        chosen = np.zeros(n, dtype=np.int64)
        chosen[active] = rng.multinomial(overflow, _pvals(within * (1.0 - leave), leave))[:-1]
    return picks, sold


def first_choice_of(
    utilities: np.ndarray, lam: float, outside_utility: float
) -> tuple[np.ndarray, float, np.ndarray]:
    """(P(j), P(outside), the multinomial's probabilities) of a shopper's first choice."""
    probs, outside = choice_probabilities(utilities, lam, outside_utility)
    return probs, outside, _pvals(probs, outside)


def _pvals(probs: np.ndarray, outside: float) -> np.ndarray:
    p = np.append(probs, max(outside, 0.0))
    pvals: np.ndarray = p / p.sum()
    return pvals
