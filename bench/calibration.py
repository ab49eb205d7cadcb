"""Calibration table of the demand model (issue 13): every target with its measured value.

The values are measured on the engine's own demand functions
(:mod:`simshop.engine.demand`: utilities, nested-logit choice probabilities, the ad scale)
with the default model parameters, for N identical sellers of one product at the reference
price (quality 0.5, rating 4, no reviews, 2 delivery days, market price sensitivity 1).
Expected units are shoppers x choice probability (no sampling noise); the engine tests check
the simulated market against the same model.

    .venv/bin/python bench/calibration.py          # prints the Markdown table of docs/engine.md
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simshop.engine.demand import ad_scale_cny, choice_probabilities, offer_utility  # noqa: E402
from simshop.engine.scenario import ModelParams  # noqa: E402

SIZES = (4, 10, 40, 200)
SHOPPERS = 1_000_000.0  # shoppers in the round (the scale cancels out of every target)
PRICE_CNY = 70.0  # reference price of the product (CNY); cancels out too


@dataclass(frozen=True)
class Row:
    target: str
    low: float | None
    high: float | None
    value: float
    source: str

    @property
    def ok(self) -> bool:
        return (self.low is None or self.value >= self.low) and (
            self.high is None or self.value <= self.high
        )


def units(
    params: ModelParams,
    ratios: np.ndarray,
    ads: np.ndarray | None = None,
    shoppers: float = SHOPPERS,
) -> np.ndarray:
    """Expected units per seller at price ratios (price / reference) and ad budgets (CNY)."""
    n = len(ratios)
    ads = np.zeros(n) if ads is None else ads
    scale = ad_scale_cny(params.ad_saturation_share, shoppers, PRICE_CNY, n)
    u = offer_utility(
        params,
        params.price_alpha,
        np.asarray(ratios, dtype=float),
        np.full(n, 0.5),
        np.full(n, 4.0),
        np.zeros(n),
        np.full(n, 2.0),
        ads,
        scale,
    )
    probs, _ = choice_probabilities(u, params.nest_lambda, params.outside_utility)
    return shoppers * probs


def total_units(params: ModelParams, n: int) -> float:
    return float(units(params, np.ones(n)).sum())


def own_elasticity(params: ModelParams, n: int, step: float = 0.05) -> float:
    """One seller alone moves its price +-step; arc elasticity of its units."""
    up, down = np.ones(n), np.ones(n)
    up[0], down[0] = 1 + step, 1 - step
    q_up, q_down = units(params, up)[0], units(params, down)[0]
    return math.log(q_up / q_down) / math.log((1 + step) / (1 - step))


def category_elasticity(params: ModelParams, n: int, step: float = 0.05) -> float:
    """Every seller moves its price +-step together; arc elasticity of the product's units."""
    q_up = units(params, np.full(n, 1 + step)).sum()
    q_down = units(params, np.full(n, 1 - step)).sum()
    return math.log(q_up / q_down) / math.log((1 + step) / (1 - step))


def diversion_to_rivals(params: ModelParams, n: int, rise: float = 0.10) -> float:
    """Of the units one seller loses by raising its price ``rise``, the share its rivals gain."""
    base = units(params, np.ones(n))
    moved = np.ones(n)
    moved[0] = 1 + rise
    after = units(params, moved)
    return float((after[1:].sum() - base[1:].sum()) / (base[0] - after[0]))


def ad_response(params: ModelParams, n: int, budget_share: float, shoppers: float = SHOPPERS):
    """Seller 0 spends ``budget_share`` of its no-ad revenue on ads (rivals none).
    Returns (incremental ACoS, short-run ad elasticity, share of the ad's units from rivals)."""
    base = units(params, np.ones(n), shoppers=shoppers)
    budget = budget_share * base[0] * PRICE_CNY
    ads = np.zeros(n)
    ads[0] = budget
    lifted = units(params, np.ones(n), ads, shoppers)
    acos = budget / ((lifted[0] - base[0]) * PRICE_CNY)
    ads_up = ads.copy()
    ads_up[0] = budget * 1.01
    elasticity = math.log(units(params, np.ones(n), ads_up, shoppers)[0] / lifted[0]) / math.log(
        1.01
    )
    from_rivals = (base[1:].sum() - lifted[1:].sum()) / (lifted[0] - base[0])
    return acos, elasticity, float(from_rivals)


def marginal_revenue_per_cny(params: ModelParams, n: int, budgets: list[float]) -> list[float]:
    """Revenue each extra CNY of ads brings at several budgets (CNY) for seller 0."""
    out = []
    for b in budgets:
        lo, hi = np.zeros(n), np.zeros(n)
        lo[0], hi[0] = b, b + 100.0
        gain = units(params, np.ones(n), hi)[0] - units(params, np.ones(n), lo)[0]
        out.append(gain * PRICE_CNY / 100.0)
    return out


def lift_of_fixed_budget(params: ModelParams, shoppers: float, budget: float = 20_000.0) -> float:
    """Relative unit lift of a fixed budget for one of 4 sellers in a market of ``shoppers``."""
    ads = np.zeros(4)
    ads[0] = budget
    base = units(params, np.ones(4), shoppers=shoppers)[0]
    return float(units(params, np.ones(4), ads, shoppers)[0] / base - 1.0)


def table(params: ModelParams | None = None) -> list[Row]:
    p = params or ModelParams()
    rows = [
        Row(
            "total units, 8 vs 2 identical sellers (x)",
            None,
            1.5,
            total_units(p, 8) / total_units(p, 2),
            "issue 13 §1",
        ),
        Row(
            "total units, 40 vs 4 identical sellers (x)",
            None,
            1.5,
            total_units(p, 40) / total_units(p, 4),
            "issue 13 §1",
        ),
    ]
    for n in SIZES:
        rows += [
            Row(
                f"own-price elasticity, one of {n} sellers (±5 %)",
                -8.0,
                -3.0,
                own_elasticity(p, n),
                "domain.md §4 [S86–S88]",
            ),
            Row(
                f"category elasticity, {n} sellers move (±5 %)",
                -2.0,
                -0.8,
                category_elasticity(p, n),
                "domain.md §4 [S86]",
            ),
            Row(
                f"units lost to a 10 % rise that go to rivals, {n} sellers",
                0.5,
                None,
                diversion_to_rivals(p, n),
                "issue 13 §1",
            ),
        ]
    for n in (4, 40):
        for share in (0.05, 0.10):
            acos, elasticity, rivals = ad_response(p, n, share)
            rows += [
                Row(
                    f"incremental ad cost of sale, budget {share:.0%} of sales, {n} sellers",
                    0.2,
                    0.8,
                    acos,
                    "domain.md §4 [S94–S96]",
                ),
                Row(
                    f"short-run ad elasticity, budget {share:.0%} of sales, {n} sellers",
                    0.05,
                    0.2,
                    elasticity,
                    "domain.md §4 [S90][S91]",
                ),
                Row(
                    f"ad-driven units taken from rivals, budget {share:.0%}, {n} sellers",
                    0.5,
                    None,
                    rivals,
                    "issue 13 §2",
                ),
            ]
    rev = marginal_revenue_per_cny(p, 4, [1_000.0, 20_000.0, 100_000.0])
    rows.append(
        Row(
            "diminishing returns: marginal revenue per CNY at 100 k / at 1 k (4 sellers)",
            None,
            0.99,
            rev[2] / rev[0],
            "domain.md §4 [S92][S93]",
        )
    )
    rows.append(
        Row(
            "lift of 20,000 CNY in a market 50x larger / in the small one",
            None,
            0.5,
            lift_of_fixed_budget(p, 50 * 60_000.0) / lift_of_fixed_budget(p, 60_000.0),
            "issue 13 §2",
        )
    )
    return rows


# --------------------------------------------------------------------------- search (issue 15)

MEDIAN_CPC_USD = 0.98
"""Amazon's median cost per click (domain.md §4 [S94][S95])."""
SEARCH_SELLERS = 10
SEARCH_SEEDS = (1, 2, 3)


def search_scenario():
    """One US market, one product (wireless earbuds at $29.99) with four search terms, the
    default search settings."""
    from simshop.engine.scenario import parse_scenario_dict

    terms = [
        ("wireless-earbuds", "wireless earbuds", 0.40, "generic", 0.35),
        ("bluetooth-earbuds", "bluetooth earbuds", 0.20, "generic", 0.30),
        ("noise-cancelling-earbuds", "noise cancelling earbuds", 0.12, "long_tail", 0.25),
        ("earbuds-for-running", "earbuds for running", 0.08, "long_tail", 0.20),
    ]
    return parse_scenario_dict(
        {
            "meta": {"id": "search-calibration", "title": "Search calibration"},
            "calendar": {"rounds": 2, "days_per_round": 30},
            "economy": {"starting_cash_cny": 1e7},
            "markets": [
                {
                    "code": "US",
                    "name": "United States",
                    "currency": "USD",
                    "fx_cny_per_local": 7.107,
                    "size": 100.0,
                    "platform_fee": 0.15,
                    "lanes": [{"mode": "sea", "lead_days": 25, "cost_cny_per_kg": 3.6}],
                }
            ],
            "products": [
                {
                    "id": "earbuds",
                    "name": "Wireless earbuds",
                    "category": "electronics",
                    "unit_cost_cny": 45.0,
                    "weight_kg": 0.15,
                    "reference_price_usd": 29.99,
                    "search_terms": [
                        {"id": i, "text": t, "share": s, "intent": k, "min_cpc_usd": c}
                        for i, t, s, k, c in terms
                    ],
                }
            ],
        }
    )


def search_funnel(bid_usd: float = MEDIAN_CPC_USD) -> dict[str, float]:
    """A simulated round (seeds :data:`SEARCH_SEEDS`, summed): :data:`SEARCH_SELLERS`
    identical sellers at the reference price, each with the bots' listing
    (:func:`simshop.engine.bots.bot_listing`) and ample stock; half of them run a sensible
    campaign: ``bid_usd`` on the two head terms, a daily budget of 100 bids."""
    from simshop.engine.bots import bot_listing
    from simshop.engine.market import simulate_round
    from simshop.engine.sheet import Campaign, DecisionSheet, Offer
    from simshop.engine.state import initial_state

    sc = search_scenario()
    product, market = sc.products[0], sc.markets[0]
    listing = bot_listing(product, market)
    ids = [f"s{i:02d}" for i in range(SEARCH_SELLERS)]
    head = ("wireless-earbuds", "bluetooth-earbuds")
    total: dict[str, float] = {}
    for seed in SEARCH_SEEDS:
        state = initial_state(sc, ids)
        sheets = {}
        for i, tid in enumerate(ids):
            team = state.teams[tid]
            team.entered_markets = ["US"]
            team.warehouse_stock["US"]["earbuds"] = 100_000
            campaigns = (
                {t: Campaign(bid_local=bid_usd, daily_budget_local=100 * bid_usd) for t in head}
                if i % 2 == 0
                else {}
            )
            offer = Offer(price_local=29.99, listing=listing, campaigns=campaigns)
            sheets[tid] = DecisionSheet(offers={"US": {"earbuds": offer}})
        result = simulate_round(sc, state, sheets, seed)
        for tid in ids:
            for row in result.teams[tid].search:
                for key, value in row.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        total[key] = total.get(key, 0.0) + float(value)
    return total


def search_table() -> list[Row]:
    """The funnel of :func:`search_funnel` against domain.md §4 (Amazon: click-through
    0.36 %, conversion ~10 %, CPC median $0.98, ACoS ~30 %, launch 50-80 %)."""
    f = search_funnel()
    src = "domain.md §4 [S94–S96]"
    return [
        Row(
            "click-through rate, all slots (%)", 0.3, 0.5, 100 * f["clicks"] / f["impressions"], src
        ),
        Row(
            "click-through rate, sponsored slots (%)",
            0.2,
            0.6,
            100 * f["ad_clicks"] / f["ad_impressions"],
            src,
        ),
        Row("conversion, all clicks (%)", 8, 15, 100 * f["orders"] / f["clicks"], src),
        Row("conversion, sponsored clicks (%)", 8, 20, 100 * f["ad_orders"] / f["ad_clicks"], src),
        Row(
            "average CPC / median $0.98, bid at the median",
            0.5,
            1.05,
            f["ad_spend_local"] / f["ad_clicks"] / MEDIAN_CPC_USD,
            src,
        ),
        Row(
            "ACoS of a campaign bidding the median CPC (%)",
            20,
            50,
            100 * f["ad_spend_local"] / f["ad_sales_local"],
            src,
        ),
    ]


def markdown(rows: list[Row]) -> str:
    def bound(x: float | None) -> str:
        return "" if x is None else f"{x:g}"

    lines = ["| target | low | high | measured | ok | source |", "|---|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.target} | {bound(r.low)} | {bound(r.high)} | {r.value:.3f} | "
            f"{'yes' if r.ok else 'NO'} | {r.source} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    rows = table()
    print(markdown(rows))
    print()
    search = search_table()
    print(markdown(search))
    raise SystemExit(0 if all(r.ok for r in rows + search) else 1)
