"""The decision sheet: what a team decides for one round (its shape only).

Validation against a scenario and a team's state lives in :mod:`simshop.engine.decisions`;
this module imports nothing else of the engine, so the state and logistics can use the sheet
without importing the validator.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CHANNELS = ("warehouse", "parcel")
STOCK_MODES = ("sea", "rail", "air")
StockMode = Literal["sea", "rail", "air"]


class _Strict(BaseModel):
    # ``allow_inf_nan=False``: JSON's ``NaN``/``Infinity`` (which Python's json accepts) are
    # shape errors, so no non-finite number ever reaches the engine.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class Offer(_Strict):
    """One product in one market. ``price_local`` is in the market's currency."""

    listed: bool = True
    price_local: float = 0.0
    ad_budget_cny: float = 0.0
    channel: Literal["warehouse", "parcel"] = "warehouse"


class Shipment(_Strict):
    """Stock moved from the China warehouse to a market's overseas warehouse."""

    product: str
    market: str
    mode: Literal["sea", "rail", "air"]
    quantity: int


class SampleOrder(_Strict):
    """Buy a sample from one supplier of a product (its ``sample_cost_cny``): the round's
    results tell this team the supplier's true quality and defect rate."""

    product: str
    supplier: str


class StudyOrder(_Strict):
    """Buy a market study of one category in one market; a larger budget gives readings
    with less noise (:class:`simshop.engine.scenario.ResearchSettings`)."""

    market: str
    category: str
    budget_cny: float


SOURCING_KEYS = ("suppliers", "samples", "research")
"""Sheet keys of catalogue scenarios, left out of :meth:`DecisionSheet.to_dict` when empty
(so sheets of other scenarios keep their bytes)."""


class DecisionSheet(_Strict):
    enter_markets: list[str] = Field(default_factory=list)
    leave_markets: list[str] = Field(default_factory=list)
    offers: dict[str, dict[str, Offer]] = Field(default_factory=dict)
    factory_orders: dict[str, int] = Field(default_factory=dict)
    shipments: list[Shipment] = Field(default_factory=list)
    quality_investment_cny: dict[str, float] = Field(default_factory=dict)
    borrow_cny: float = 0.0
    certificates: list[str] = Field(default_factory=list)
    """Compliance requirements (ids) to start obtaining this round: paid now, held
    ``rounds_to_obtain`` rounds later (not carried over)."""
    suppliers: dict[str, str] = Field(default_factory=dict)
    """Product id -> the supplier its factory orders go to (default: the product's first
    supplier); carried over."""
    samples: list[SampleOrder] = Field(default_factory=list)
    research: list[StudyOrder] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, keys sorted (dicts nested in the sheet are sorted too); the sourcing
        keys (:data:`SOURCING_KEYS`) only when not empty."""
        data: dict[str, Any] = sort_keys(self.model_dump(mode="json"))
        for key in SOURCING_KEYS:
            if not data[key]:
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionSheet:
        return cls.model_validate(data)


def sort_keys(value: Any) -> Any:
    """A JSON value with every dict's keys sorted, recursively."""
    if isinstance(value, dict):
        return {k: sort_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


def empty_decisions() -> DecisionSheet:
    """A sheet that does nothing: no listings, no orders."""
    return DecisionSheet()


def carry_over(previous: DecisionSheet | None) -> DecisionSheet:
    """What a team that submits nothing gets: the same listings, prices, channels and ad
    budgets, and the chosen suppliers; no market entries or exits, orders, shipments, quality
    investment, borrowing, samples or studies."""
    if previous is None:
        return empty_decisions()
    return DecisionSheet(offers=previous.offers, suppliers=previous.suppliers)
