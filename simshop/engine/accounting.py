"""Profit and loss, cash, debt, ratings and quality: the end-of-round bookkeeping.

All money is CNY, rounded to the cent per team and line. The cash rule:

- Spending decided at the start of a round (entry fees, factory orders, freight, advertising,
  quality investment, repayment) must fit in cash plus new borrowing, and borrowing must fit
  in the credit line (checked by :func:`simshop.engine.decisions.validate_decisions`).
- During the round, sales bring cash in and selling costs, duty and storage take it out.
- At the end of the round interest (``interest_rate_per_round`` x debt after this round's
  borrowing) is paid. If cash is then below 0 the bank lends the shortfall automatically
  (an *overdraft*, logged): cash ends at 0 and the debt grows, even beyond the credit line;
  a team over its credit line cannot borrow more until it repays.

Hence ``cash_end = cash_start + inflows - outflows`` exactly, with
inflows = sales revenue + duty refunds + borrowing + overdraft and
outflows = every cash cost line (all P&L costs except cost of goods) + factory purchases +
repayment. Profit uses the cost of goods *sold* (units sold x unit cost) instead of purchases:
unsold stock is inventory. Stock destroyed by a compliance finding leaves the inventory at its
cost (``stock_written_off_cny``): a cost in the P&L, no cash (the goods were paid for when
they were bought).
"""

from __future__ import annotations

from typing import Any

import numpy as np

PNL_COST_LINES = (
    "refunds_cny",
    "cogs_cny",
    "freight_cny",
    "duty_cny",
    "vat_cny",
    "commission_cny",
    "fulfilment_cny",
    "storage_cny",
    "advertising_cny",
    "search_ads_cny",
    "listing_content_cny",
    "entry_fees_cny",
    "quality_investment_cny",
    "interest_cny",
)
"""The P&L cost lines, in the order reports show them. ``search_ads_cny``: sponsored clicks
on search terms (each click at its day's rate); ``listing_content_cny``: enhanced listing
content, once per offer (issue 15)."""

CASH_COST_LINES = tuple(line for line in PNL_COST_LINES if line != "cogs_cny")
"""The P&L cost lines of every scenario paid in cash (all but the cost of goods sold)."""

DUTY_REFUND_LINE = "duty_refund_cny"
"""Duty paid back (a ``duty_refund`` event): income beside revenue, in scenarios that have
such an event. Then profit = revenue + refunds of duty - costs, and the refund is a cash
inflow."""

WRITE_OFF_LINE = "stock_written_off_cny"
"""The cost of stock destroyed this round (units x the stock's unit cost, the inventory's cost
basis: ``unit_cost_cny``, or the weighted average cost of a product with suppliers). Not
paid in cash: the goods were paid for when bought (IAS 2.34: the carrying amount of
inventories lost is an expense of the period of the loss)."""

COMPLIANCE_LINES = ("compliance_cny", "compliance_penalties_cny", WRITE_OFF_LINE)
"""Compliance costs, in scenarios with compliance requirements or look-alike products
(:meth:`simshop.engine.scenario.Scenario.has_compliance`): ``compliance_cny`` the
certificates bought and their fees, ``compliance_penalties_cny`` the fines and the removal
fees of stranded stock (both paid in cash), :data:`WRITE_OFF_LINE` the cost of the stranded
stock destroyed (not cash)."""
SOURCING_COST_LINES = ("samples_cny", "research_cny")
"""Cost lines of scenarios with a catalogue, suppliers or studies
(:func:`simshop.engine.scenario.has_sourcing`) only: sample orders and market studies, paid
at the start of the round. Part of total costs and of cash outflows where present."""

PNL_LINES = (
    "revenue_cny",
    DUTY_REFUND_LINE,
    *PNL_COST_LINES,
    *COMPLIANCE_LINES,
    *SOURCING_COST_LINES,
    "total_costs_cny",
    "profit_cny",
)
"""Every P&L line a team's result can carry (``TeamRoundResult.pnl``), in report order;
:data:`DUTY_REFUND_LINE` only in scenarios with a ``duty_refund`` event,
:data:`COMPLIANCE_LINES` only in scenarios with compliance,
:data:`SOURCING_COST_LINES` only in scenarios with sourcing."""


OPTIONAL_COST_LINES = (*SOURCING_COST_LINES, *COMPLIANCE_LINES)
"""Cost lines only some scenarios carry (see each group); a result has them or not."""

ALL_COST_LINES = (*PNL_COST_LINES, *OPTIONAL_COST_LINES)
"""Every cost line a result may carry: profit = income - the ones it has."""

NON_CASH_COST_LINES = ("cogs_cny", WRITE_OFF_LINE)
"""Cost lines whose cash went out earlier, as purchases: the goods sold and the goods
destroyed leave the inventory at their cost."""

ALL_CASH_COST_LINES = tuple(line for line in ALL_COST_LINES if line not in NON_CASH_COST_LINES)
"""Every cost line paid in cash this round (all but :data:`NON_CASH_COST_LINES`), present or
not."""

INCOME_LINES = ("revenue_cny", DUTY_REFUND_LINE)
"""The P&L lines that add to profit; every line of :data:`ALL_COST_LINES` subtracts."""


def commission_cny(platform_fee: float, revenue_cny: Any) -> Any:
    """The platform's referral fee on sales (CNY; scalars or arrays)."""
    return platform_fee * revenue_cny


def vat_in_price_cny(vat_rate: float, amount_cny: Any) -> Any:
    """The VAT contained in a VAT-inclusive amount (CNY; scalars or arrays):
    ``amount x vat / (1 + vat)``."""
    return amount_cny * vat_rate / (1.0 + vat_rate)


def cents(values: np.ndarray) -> np.ndarray:
    """Round money to the cent (half away from zero is not needed: numpy's rounding of
    binary floats is deterministic, which is what byte-identical results need)."""
    return np.round(values, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def quality_after_investment(
    base_quality: np.ndarray, invested_cny: np.ndarray, half_cny: float
) -> np.ndarray:
    """Quality 0..1 after a cumulative investment: each ``half_cny`` halves the gap to 1
    in the sense q = base + (1 - base) * I / (I + half): diminishing returns."""
    quality: np.ndarray = base_quality + (1.0 - base_quality) * invested_cny / (
        invested_cny + half_cny
    )
    return quality


def rating_target(
    quality: np.ndarray, delivery_days: np.ndarray, lost_fraction: np.ndarray
) -> np.ndarray:
    """The star rating (1..5) this round's buyers give: quality and speed raise it,
    stockouts (the share of choosers who found no stock) lower it.

    target = 2 + 3 * (0.6 * quality + 0.4 * speed) - 2 * lost_fraction, clipped to 1..5,
    speed = 1 at 2 delivery days falling linearly to 0 at 20 days."""
    speed = np.clip(1.0 - (delivery_days - 2.0) / 18.0, 0.0, 1.0)
    return np.clip(2.0 + 3.0 * (0.6 * quality + 0.4 * speed) - 2.0 * lost_fraction, 1.0, 5.0)


def update_rating(
    rating: np.ndarray,
    reviews: np.ndarray,
    new_reviews: np.ndarray,
    target: np.ndarray,
    prior_reviews: float,
) -> np.ndarray:
    """Average the round's new reviews (all at ``target``) into the rating, the old rating
    weighing ``reviews + prior_reviews``. Offers without new reviews keep their rating."""
    old_weight = reviews + prior_reviews
    blended = (rating * old_weight + target * new_reviews) / np.maximum(
        old_weight + new_reviews, 1e-12
    )
    return np.where(new_reviews > 0, blended, rating)


def return_rate(
    base_rate: float,
    low: float,
    high: float,
    base_quality: float,
    quality: np.ndarray,
    delivery_days: np.ndarray,
) -> np.ndarray:
    """Share of units returned: the product's rate, raised by late delivery and lowered by
    quality above the product's base quality, kept within its range [low, high]::

        rate = base x (1 + 0.6 x lateness) x (1 - 0.8 x (quality - base_quality))
        lateness = clip((delivery_days - 2) / 18, 0, 1)   (as the rating's speed)
    """
    lateness = np.clip((delivery_days - 2.0) / 18.0, 0.0, 1.0)
    rate = base_rate * (1.0 + 0.6 * lateness) * (1.0 - 0.8 * (quality - base_quality))
    return np.clip(rate, low, high)
