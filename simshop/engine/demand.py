"""Customers: Poisson arrivals split by a multinomial logit, vectorised across teams.

Utility of an offer (domain.md §4), all terms dimensionless::

    u = beta_0
        - alpha_m * ln(price_local / reference_price_local)
        + beta_q * quality                              (quality 0..1)
        + beta_r * min(rating - 4, 0.5) * ln(1 + reviews) / ln 6
        - beta_d * delivery_days
        + beta_a * ln(1 + adstock_cny / saturation_cny)

with ``alpha_m = price_alpha * market.price_sensitivity`` and the outside option's utility
``outside_utility``. The reference price is the product's ``reference_price_usd`` converted
to the market's currency at the game's starting rate, so a log price ratio of 0 means
"priced like a typical US listing". Seasonality and demand shocks scale arrivals (the number
of shoppers), not utilities.

Stockouts: customers are drawn over every listed offer; those who picked an offer without
stock are redrawn among the offers still in stock plus the outside option. Under the logit's
IIA property this is exactly "take the next best or leave".
"""

from __future__ import annotations

import math

import numpy as np

from simshop.engine.scenario import ModelParams

LN6 = math.log(6.0)


def offer_utility(
    params: ModelParams,
    price_alpha: float | np.ndarray,
    price_ratio: np.ndarray,
    quality: np.ndarray,
    rating: np.ndarray,
    reviews: np.ndarray,
    delivery_days: np.ndarray,
    adstock_cny: np.ndarray,
) -> np.ndarray:
    """Deterministic utility of offers (arrays broadcast together). ``price_ratio`` is
    price_local / reference_price_local and must be > 0."""
    rating_term = np.minimum(rating - 4.0, 0.5) * np.log1p(reviews) / LN6
    utility: np.ndarray = (
        params.base_utility
        - price_alpha * np.log(price_ratio)
        + params.quality_beta * quality
        + params.rating_beta * rating_term
        - params.delivery_beta_per_day * delivery_days
        + params.ad_beta * np.log1p(adstock_cny / params.ad_saturation_cny)
    )
    return utility


def choice_shares(weights: np.ndarray, outside_weight: float) -> np.ndarray:
    """Logit choice probabilities of offers with ``weights = exp(utility)`` (0 = not
    offered); the outside option takes the rest."""
    shares: np.ndarray = weights / (outside_weight + weights.sum())
    return shares


def inside_share(utilities: np.ndarray, outside_utility: float) -> float:
    """Expected share of shoppers buying any offer (no stockouts)."""
    top = max(float(np.max(utilities)), outside_utility)
    w = np.exp(utilities - top)
    return float(w.sum() / (w.sum() + math.exp(outside_utility - top)))


def allocate_customers(
    rng: np.random.Generator,
    shoppers: int,
    weights: np.ndarray,
    outside_weight: float,
    stock: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Split ``shoppers`` over offers with logit ``weights`` (all > 0) and ``stock`` (units).

    Returns (picks, sold, first_choice_inside): ``picks`` counts every time an offer was
    chosen (first choice or after a stockout elsewhere), ``sold <= stock`` the units sold,
    so ``picks - sold`` are customers lost to the offer's stockout."""
    n = len(weights)
    picks = np.zeros(n, dtype=np.int64)
    sold = np.zeros(n, dtype=np.int64)
    if shoppers <= 0 or n == 0:
        return picks, sold, 0
    left = stock.astype(np.int64, copy=True)
    pvals = np.append(weights, outside_weight)
    draw = rng.multinomial(shoppers, pvals / pvals.sum())
    first_inside = int(shoppers - draw[-1])
    chosen = draw[:-1]
    while True:
        take = np.minimum(chosen, left)
        picks += chosen
        sold += take
        left -= take
        overflow = int(chosen.sum() - take.sum())
        if overflow == 0:
            break
        open_weights = np.where(left > 0, weights, 0.0)
        if not open_weights.any():
            break
        pvals = np.append(open_weights, outside_weight)
        chosen = rng.multinomial(overflow, pvals / pvals.sum())[:-1]
    return picks, sold, first_inside
