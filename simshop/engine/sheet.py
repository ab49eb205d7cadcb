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

TITLE_MAX = 200
"""Longest listing title (characters); Amazon's general limit is 200."""
BULLET_MAX = 300
"""Longest bullet point (characters)."""
BULLETS_MAX = 5
"""Most bullet points a listing holds."""
DESCRIPTION_MAX = 2000
"""Longest product description (characters)."""
IMAGES_MAX = 9
"""Most images a listing holds."""


class _Strict(BaseModel):
    # ``allow_inf_nan=False``: JSON's ``NaN``/``Infinity`` (which Python's json accepts) are
    # shape errors, so no non-finite number ever reaches the engine.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class Listing(_Strict):
    """The product page a team writes for one offer, in the market's listing language
    (:attr:`simshop.engine.scenario.SearchSettings.listing_language`). Scored by
    :func:`simshop.engine.listing.score_listing`. Lengths are checked by
    :func:`simshop.engine.decisions.validate_decisions` (``TITLE_MAX`` and friends)."""

    title: str = ""
    bullets: list[str] = Field(default_factory=list)
    description: str = ""
    images: int = 0
    enhanced: bool = False
    """Enhanced content (A+ style): a one-off cost per offer
    (``SearchSettings.enhanced_content_cny``), paid the first round it is on."""


class Campaign(_Strict):
    """A sponsored-products campaign: the most the team pays per click and its daily
    budget, both in the market's currency."""

    bid_local: float
    daily_budget_local: float


class Offer(_Strict):
    """One product in one market. ``price_local`` is in the market's currency."""

    listed: bool = True
    price_local: float = 0.0
    ad_budget_cny: float = 0.0
    channel: Literal["warehouse", "parcel"] = "warehouse"
    listing: Listing | None = None
    """The team's listing; ``None``: the platform's default page (the product's name as
    title, nothing else)."""
    campaigns: dict[str, Campaign] = Field(default_factory=dict)
    """Sponsored campaigns by search-term id (the product's ``search_terms``)."""
    auto_campaign: Campaign | None = None
    """An automatic campaign bidding on every term of the product without a campaign of
    its own; its daily budget is shared by those terms."""


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
OPTIONAL_KEYS = (*SOURCING_KEYS, "certificates")
"""Every sheet key left out of :meth:`DecisionSheet.to_dict` when empty: the sourcing keys
and the compliance certificates."""


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
        and certificate keys (:data:`OPTIONAL_KEYS`) only when not empty."""
        data: dict[str, Any] = sort_keys(self.model_dump(mode="json"))
        for key in OPTIONAL_KEYS:
            if not data[key]:
                del data[key]
        for by_product in data["offers"].values():
            for offer in by_product.values():
                _drop_unset_search_keys(offer)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionSheet:
        return cls.model_validate(data)


_SEARCH_KEYS = ("listing", "campaigns", "auto_campaign")


def _drop_unset_search_keys(offer: dict[str, Any]) -> None:
    """An offer without a listing or campaigns is written as before they existed, so sheets
    (and everything that stores them) of games without search decisions do not change."""
    for key in _SEARCH_KEYS:
        if not offer.get(key):
            offer.pop(key, None)


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
