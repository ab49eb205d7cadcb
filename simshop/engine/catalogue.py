"""A catalogue's hidden draws: each product's demand weight per market and each supplier's
true quality and defect rate, drawn once per game from the scenario's ranges.

:func:`realise` returns the scenario with the draws attached (a private attribute: never
serialised, never in the TOML text). The round step (:func:`simshop.engine.round_step.play_round`)
and :func:`simshop.engine.market.simulate_round` realise the scenario they play, so
processing, the what-if replay, bundle verification and the headless game all see the same
draws. Bots and decision checks get :func:`public` (no draws): what a team may know is the
range, whose geometric middle :func:`demand_weight` returns for an unrealised scenario.

Draws (seeded by the phase seed, :mod:`simshop.engine.seeds`; practice rounds draw their own):

- demand weight of product ``p`` in market ``m``: log-uniform on ``[low, high]``,
  ``low x (high / low) ** u``, ``u`` from the stream ``("catalogue", p, "demand")`` taken in
  the fixed order of :data:`~simshop.engine.scenario.MARKET_CODES` (one number per code,
  whether or not the scenario has the market, so adding a market moves no other draw);
- supplier ``s`` of ``p``: quality and defect rate uniform on their ranges, from the stream
  ``("catalogue", p, "supplier", s)``.
"""

from __future__ import annotations

from typing import Any

from simshop.engine.scenario import MARKET_CODES, Product, Scenario
from simshop.engine.seeds import game_stream_rng

__all__ = [
    "demand_weight",
    "draws_of",
    "is_realised",
    "product_season",
    "public",
    "realise",
    "supplier_truth",
]


def _has_draws(scenario: Scenario) -> bool:
    return any(p.demand_range or p.suppliers for p in scenario.products)


def realise(scenario: Scenario, game_seed: int) -> Scenario:
    """The scenario with the game's hidden draws applied. A scenario without demand ranges
    or suppliers is returned as it is; realising again with the same seed returns the
    scenario unchanged (idempotent)."""
    if not _has_draws(scenario):
        return scenario
    current = scenario._draws
    if current is not None and current["seed"] == int(game_seed):
        return scenario
    demand: dict[tuple[str, str], float] = {}
    suppliers: dict[tuple[str, str], tuple[float, float]] = {}
    codes = {m.code for m in scenario.markets}
    for product in scenario.products:
        if product.demand_range:
            rng = game_stream_rng(game_seed, "catalogue", product.id, "demand")
            uniforms = rng.random(len(MARKET_CODES))
            for code, u in zip(MARKET_CODES, uniforms.tolist(), strict=True):
                bounds = product.demand_range.get(code)  # type: ignore[call-overload]
                if bounds is None or code not in codes:
                    continue
                low, high = float(bounds[0]), float(bounds[1])
                demand[(code, product.id)] = low * (high / low) ** u
        for supplier in product.suppliers:
            rng = game_stream_rng(game_seed, "catalogue", product.id, "supplier", supplier.id)
            u_q, u_d = rng.random(2).tolist()
            q_lo, q_hi = supplier.quality_range
            d_lo, d_hi = supplier.defect_rate_range
            suppliers[(product.id, supplier.id)] = (
                q_lo + (q_hi - q_lo) * u_q,
                d_lo + (d_hi - d_lo) * u_d,
            )
    out = scenario.model_copy()
    out._draws = {"seed": int(game_seed), "demand": demand, "suppliers": suppliers}
    return out


def public(scenario: Scenario) -> Scenario:
    """The scenario without its hidden draws (what bots and decision checks may read)."""
    if scenario._draws is None:
        return scenario
    out = scenario.model_copy()
    out._draws = None
    return out


def is_realised(scenario: Scenario) -> bool:
    return scenario._draws is not None


def draws_of(scenario: Scenario) -> dict[str, Any] | None:
    """The raw draws (``seed``, ``demand`` by (market, product), ``suppliers`` by (product,
    supplier) -> (quality, defect rate)); for engine tests and the leak checks only."""
    return scenario._draws


def demand_weight(scenario: Scenario, market_code: str, product: Product) -> float:
    """The product's demand weight in the market: the game's draw when realised, else what
    anyone may know (:meth:`Product.public_demand_weight`)."""
    draws = scenario._draws
    if draws is not None:
        value = draws["demand"].get((market_code, product.id))
        if value is not None:
            return float(value)
    return product.public_demand_weight(market_code)


def supplier_truth(scenario: Scenario, product_id: str, supplier_id: str) -> tuple[float, float]:
    """A supplier's (quality, defect rate): the game's draw when realised, else the middle
    of each range."""
    draws = scenario._draws
    if draws is not None and (product_id, supplier_id) in draws["suppliers"]:
        quality, defects = draws["suppliers"][(product_id, supplier_id)]
        return float(quality), float(defects)
    supplier = scenario.product(product_id).supplier(supplier_id)
    if supplier is None:
        raise KeyError(f"product {product_id} has no supplier {supplier_id}")
    return (
        (supplier.quality_range[0] + supplier.quality_range[1]) / 2,
        (supplier.defect_rate_range[0] + supplier.defect_rate_range[1]) / 2,
    )


def product_season(product: Product, month: int) -> float:
    """The product's own demand multiplier in calendar ``month`` (1 when it has none)."""
    return 1.0 if product.seasonality is None else float(product.seasonality[month - 1])
