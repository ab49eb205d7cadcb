"""Market studies a team buys (``DecisionSheet.research``), read after the round is traded.

A study of one category in one market reports, per product of the category:

- ``search_volume``: the round's expected shoppers (the product's hidden demand draw x the
  market's size and season x days);
- ``unserved``: the demand nobody served: with no offer listed, the shoppers who would have
  bought a typical offer at the reference price (quality at base, the initial rating, no
  reviews or advertising, warehouse delivery); with offers, the shoppers who chose the
  product but found every offer out of stock;
- ``return_rate``: the share of the units sold in the market that came back (the product's
  base rate where nothing sold);
- ``trend``: next month's season over this month's (market x product);
- exact counts of what is listed: ``competing_listings``, their ``avg_rating`` and
  ``review_count``, and ``price_bands`` (listings per band of the reference price).

The first four are noisy: ``estimate = truth x exp(sd x z)``, ``z`` standard normal from the
stream (market, category, ``research:<team>``) of the round, with
``sd = noise_sd x sqrt(reference_budget_cny / budget_cny)``, at most 3 (:func:`noise_sd`), and
a 90 % band ``estimate x exp(-/+ 1.645 sd)``. Only the team that bought a study sees it
(``TeamRoundResult.research``); nothing here reaches the public market statistics.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simshop.engine.book import RoundBook
from simshop.engine.demand import inside_share, offer_utility, reference_price_local
from simshop.engine.scenario import ResearchSettings, Scenario
from simshop.engine.seeds import RoundStreams
from simshop.engine.sheet import StudyOrder

PRICE_BANDS = (0.0, 0.7, 0.9, 1.1, 1.3)
"""Lower edges of the price bands, as multiples of the reference price (the last is open)."""
Z90 = 1.6449
"""The standard normal's 95th percentile: a 90 % band."""


def settings(scenario: Scenario) -> ResearchSettings:
    return scenario.research if scenario.research is not None else ResearchSettings()


MAX_NOISE_SD = 3.0
"""The noise of the cheapest study is capped here (a factor e^3 = 20 either way at one
standard deviation): beyond it a reading says nothing, and its band stays finite."""


def noise_sd(research: ResearchSettings, budget_cny: float) -> float:
    """The standard deviation of a reading's log for a study of ``budget_cny``:
    ``noise_sd x sqrt(reference_budget_cny / budget_cny)``, at most :data:`MAX_NOISE_SD`."""
    sd = research.noise_sd * math.sqrt(research.reference_budget_cny / max(budget_cny, 0.01))
    return min(sd, MAX_NOISE_SD)


def _noisy(truth: float, sd: float, z: float, digits: int) -> dict[str, float]:
    estimate = truth * math.exp(sd * z)
    return {
        "estimate": round(estimate, digits),
        "low": round(estimate * math.exp(-Z90 * sd), digits),
        "high": round(estimate * math.exp(Z90 * sd), digits),
    }


def _typical_inside_share(book: RoundBook, m: int, p: int) -> float:
    """Share of shoppers a typical lone offer at the reference price would serve."""
    sc = book.scenario
    params, market, product = sc.model, sc.markets[m], sc.products[p]
    u = offer_utility(
        params,
        params.price_alpha * market.price_sensitivity,
        np.array([1.0]),
        np.array([product.base_quality]),
        np.array([params.initial_rating]),
        np.array([0.0]),
        np.array([float(market.warehouse_delivery_days)]),
        np.array([0.0]),
    )
    return inside_share(u, params.nest_lambda, params.outside_utility)


def _season(scenario: Scenario, m: int, p: int, month: int) -> float:
    market, product = scenario.markets[m], scenario.products[p]
    own = 1.0 if product.seasonality is None else product.seasonality[month - 1]
    return market.seasonality[month - 1] * own


def _market_facts(book: RoundBook, returned: np.ndarray, m: int, p: int) -> dict[str, Any]:
    """The truths and exact counts of one product in one market this round, the same for
    every team that studies it (worked out once per round: ``book.research_facts``)."""
    key = (m, p)
    if key in book.research_facts:
        return book.research_facts[key]
    sc, cond = book.scenario, book.cond
    product = sc.products[p]
    listed = np.flatnonzero(book.listed[m, p])
    volume = float(book.base_shoppers[m, p]) * cond.days
    if listed.size == 0:
        unserved = volume * _typical_inside_share(book, m, p)
    else:
        unserved = max(float(book.first_inside[m, p] - book.sold[m, p].sum()), 0.0)
    sold = int(book.sold[m, p].sum())
    ref = reference_price_local(sc.model, sc.markets[m], product)
    ratios = book.price[m, p, listed] / ref
    edges = [*PRICE_BANDS, math.inf]
    facts = {
        "truth": (
            volume,
            unserved,
            float(returned[m, p].sum()) / sold if sold else product.return_rate,
            _season(sc, m, p, cond.month % 12 + 1) / _season(sc, m, p, cond.month),
        ),
        "exact": {
            "competing_listings": int(listed.size),
            "avg_rating": (
                round(float(book.rating[m, p, listed].mean()), 2) if listed.size else None
            ),
            "review_count": int(book.reviews[m, p, listed].sum()),
            "price_bands": [
                {
                    "low_local": round(lo * ref, 2),
                    "high_local": None if math.isinf(hi) else round(hi * ref, 2),
                    "listings": int(((ratios >= lo) & (ratios < hi)).sum()),
                }
                for lo, hi in zip(edges, edges[1:], strict=False)
            ],
        },
    }
    book.research_facts[key] = facts
    return facts


def _reading_row(
    book: RoundBook, returned: np.ndarray, m: int, p: int, sd: float, z: list[float]
) -> dict[str, Any]:
    """One product's readings in a study of market ``m`` (``z``: its four normal draws)."""
    facts = _market_facts(book, returned, m, p)
    volume, unserved, returns, trend = facts["truth"]
    exact = facts["exact"]
    return {
        "product": book.pids[p],
        "search_volume": _noisy(volume, sd, z[0], 0),
        "unserved": _noisy(unserved, sd, z[1], 0),
        "return_rate": _noisy(returns, sd, z[2], 4),
        "trend": _noisy(trend, sd, z[3], 4),
        "competing_listings": exact["competing_listings"],
        "avg_rating": exact["avg_rating"],
        "review_count": exact["review_count"],
        "price_bands": [dict(band) for band in exact["price_bands"]],
    }


def readings(
    book: RoundBook,
    streams: RoundStreams,
    returned: np.ndarray,
    t: int,
    studies: list[StudyOrder],
) -> list[dict[str, Any]]:
    """The studies team ``t`` bought this round, with their readings."""
    sc = book.scenario
    research = settings(sc)
    out = []
    for study in studies:
        m = book.m_index[study.market]
        sd = noise_sd(research, study.budget_cny)
        rng = streams(study.market, study.category, f"research:{book.team_ids[t]}")
        rows = [
            _reading_row(book, returned, m, p, sd, rng.standard_normal(4).tolist())
            for p, product in enumerate(sc.products)
            if product.category == study.category
        ]
        out.append(
            {
                "market": study.market,
                "category": study.category,
                "budget_cny": study.budget_cny,
                "noise_sd": round(sd, 4),
                "readings": rows,
            }
        )
    return out
