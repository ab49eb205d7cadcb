"""The scenario schema: the world a game is played in.

A scenario is a TOML file (parsed with :mod:`tomllib`) validated by the pydantic models
below. Validation is strict (no silent type coercion: ``"3"`` is not a number) and unknown
keys are rejected, so a typo in a file is an error, never a silently ignored setting.

Units are in the names: ``*_cny`` is Chinese yuan (the home currency every account is kept
in), ``*_local`` is the market's own currency, ``*_days`` are simulated days, rates are
fractions (``0.15`` is 15 %).

Event kinds live in :data:`EVENT_KINDS`, a registry keyed by the TOML ``kind`` string, so a
new kind is one class plus one member of the :data:`Event` union (the registry is derived).

Checks that look across sections (an event naming a market the scenario does not have, an
event after the last round, a duplicate id) live in :func:`cross_check`, which returns every
problem with its own location; :class:`Scenario` runs it after field validation. Errors raised
by the validators here carry a stable ``type`` (e.g. ``lane_repeated``) and parameters so the
web layer can translate them; :mod:`simshop.engine.scenario_errors` turns them into located,
human-readable problems with line numbers.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

MARKET_CODES = ("US", "EU", "UK", "JP", "RU", "SEA", "ME", "LATAM")
LANE_MODES = ("sea", "rail", "air", "parcel")
"""``sea``, ``rail`` and ``air`` carry stock to an overseas warehouse; ``parcel`` ships each
order directly from China (no overseas stock, slower delivery, low-value-parcel rules)."""

ANY_CATEGORY = "*"
GENERIC_TERM_ID = "generic"
"""Id of the one term a product without ``search_terms`` is searched by (its name)."""
MAX_SCORING_WEIGHT = 1000.0
"""Scoring weights are relative; this bound keeps weighted scores finite."""
MAX_SCENARIO_BYTES = 1_000_000
"""Scenario files larger than this are refused before parsing (the library's are ~10 kB)."""
MAX_SCENARIO_DEPTH = 10
"""Tables and arrays nested deeper than this are refused (the schema needs 4)."""

SKIP_CROSS_CHECK = "skip_cross_check"
"""Validation-context flag: ``Scenario.model_validate(data, context={SKIP_CROSS_CHECK: True})``
validates fields only, so a caller can run :func:`cross_check` and locate each problem."""


class StrictModel(BaseModel):
    # ``allow_inf_nan=False``: TOML's ``inf`` and ``nan`` are refused in every number.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_character(cls, value: Any) -> Any:
        """TOML allows ``"\\u0000"`` in strings; no SimShop text needs it and PostgreSQL
        refuses it in text columns."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise PydanticCustomError("nul_character", "text cannot contain a NUL character")
        return value


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_\-]{0,47}$")]
MarketCode = Literal["US", "EU", "UK", "JP", "RU", "SEA", "ME", "LATAM"]
LaneMode = Literal["sea", "rail", "air", "parcel"]
CustomsBasis = Literal["FOB", "CIF"]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Category = Annotated[str, Field(pattern=r"^(\*|[a-z][a-z0-9_\-]{0,47})$")]
"""A product category, or ``*`` for every category."""


def loc_to_path(loc: Iterable[str | int]) -> str:
    """``("markets", 1, "lanes", 0, "lead_days")`` → ``"markets[1].lanes[0].lead_days"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Meta(StrictModel):
    id: Identifier
    title: Annotated[str, Field(min_length=1, max_length=120)]
    title_zh: Annotated[str, Field(max_length=120)] = ""
    description: Annotated[str, Field(max_length=4000)] = ""
    description_zh: Annotated[str, Field(max_length=4000)] = ""
    briefing: Annotated[str, Field(max_length=8000)] = ""
    """The story students read before round 1 (the briefing page): the situation at the
    start only, never a later event (the description, for instructors, may tell more)."""
    briefing_zh: Annotated[str, Field(max_length=8000)] = ""
    author: Annotated[str, Field(max_length=120)] = ""


class Calendar(StrictModel):
    rounds: Annotated[int, Field(ge=1, le=40)]
    days_per_round: Annotated[int, Field(ge=1, le=92)] = 30
    practice_rounds: Annotated[int, Field(ge=0, le=5)] = 0
    start_month: Annotated[int, Field(ge=1, le=12)] = 1
    """Calendar month of round 1; each round advances one month (for seasonality)."""


class Economy(StrictModel):
    starting_cash_cny: Annotated[float, Field(ge=1000.0, le=1e9)]
    credit_line_cny: Annotated[float, Field(ge=0.0, le=1e9)] = 0.0
    interest_rate_per_round: Annotated[float, Field(ge=0.0, le=0.2)] = 0.01
    """Interest charged on debt at the end of each round (0.01 = 1 % a month)."""
    china_storage_cny_per_unit_round: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.2


class Lane(StrictModel):
    mode: LaneMode
    lead_days: Annotated[int, Field(ge=1, le=120)]
    cost_cny_per_kg: Annotated[float, Field(ge=0.0, le=10000.0)]


DEFAULT_ATTENTION_DECAY = 0.35
"""Attention of organic position ``i`` (1-based) when a market gives no ``attention`` list:
``1 / (1 + DEFAULT_ATTENTION_DECAY * (i - 1))`` (Est.: position decay)."""
DEFAULT_SPONSORED_ATTENTION = 0.6
"""Sponsored slot ``i`` gets this share of organic position ``i``'s attention by default
(Est.: shoppers skip ads; Amazon's ad click rate, 0.36 %, is below organic results')."""


class SearchSettings(StrictModel):
    """How shoppers search in a market (issue 15; operator-craft.md §4.1, domain.md §4).

    Page one shows ``sponsored_slots`` sponsored offers (top of search) followed by
    ``organic_slots`` organic ones; ``attention`` weighs each position (sponsored first).
    """

    organic_slots: Annotated[int, Field(ge=1, le=60)] = 12
    sponsored_slots: Annotated[int, Field(ge=0, le=20)] = 4
    attention: list[Annotated[float, Field(gt=0.0, le=1.0)]] = Field(
        default_factory=list, max_length=80
    )
    """Attention by page position, sponsored slots first; empty: the default decay
    (:data:`DEFAULT_ATTENTION_DECAY`, :data:`DEFAULT_SPONSORED_ATTENTION`). If given, one
    weight per slot."""
    listing_language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "en"
    """The language listings are written in (``en``, ``ja``, ``ru``...): terms match their
    ``local`` text for this market, or the English text at ``english_penalty``."""
    english_penalty: Fraction = 0.0
    """Share of relevance lost when a listing matches a term in English only, in a market
    whose listing language is not English."""
    relevance_threshold: Fraction = 0.2
    """An offer is shown for a term only with at least this relevance (op-craft §4.1)."""
    searches_per_shopper: Annotated[float, Field(ge=1.0, le=1000.0)] = 20.0
    """Searches (page views) per shopper of the demand model: the browsing that never buys
    is in the searches too (calibrated: click rate ~0.36 %, docs/engine.md)."""
    browse_click_rate: Fraction = 0.045
    """Clicks that do not buy, per search (calibrated: conversion ~10 %)."""
    expected_ctr: Annotated[float, Field(gt=0.0, le=1.0)] = 0.0036
    """Expected click rate of a typical offer in the ad rank (bid x relevance x eCTR);
    an offer's own eCTR scales it by its listing's completeness and rating."""
    velocity_weight: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    """Organic rank: weight of ln(1 + units sold in the last 7 days)."""
    rating_weight: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    """Organic rank: weight of the rating term (as in the demand model)."""
    relevance_weight: Annotated[float, Field(ge=0.0, le=100.0)] = 2.0
    """Organic rank: weight of the offer's relevance to the term."""
    completeness_beta: Annotated[float, Field(ge=0.0, le=5.0)] = 0.3
    """Utility of a complete listing (bullets, images, description, enhanced content)
    relative to a half-complete one, for shoppers who search."""
    enhanced_content_cny: Annotated[float, Field(ge=0.0, le=1e6)] = 1500.0
    """One-off cost of enhanced content per offer (design work, Est.)."""

    @model_validator(mode="after")
    def _attention_per_slot(self) -> SearchSettings:
        slots = self.organic_slots + self.sponsored_slots
        if self.attention and len(self.attention) != slots:
            raise PydanticCustomError(
                "attention_length",
                "attention needs one weight per slot ({slots}: {sponsored} sponsored + "
                "{organic} organic), got {given}",
                {
                    "slots": slots,
                    "sponsored": self.sponsored_slots,
                    "organic": self.organic_slots,
                    "given": len(self.attention),
                    "field": "attention",
                },
            )
        return self

    def attention_weights(self) -> list[float]:
        """Attention by page position, sponsored slots first."""
        if self.attention:
            return list(self.attention)
        sponsored = [
            DEFAULT_SPONSORED_ATTENTION / (1.0 + DEFAULT_ATTENTION_DECAY * i)
            for i in range(self.sponsored_slots)
        ]
        organic = [1.0 / (1.0 + DEFAULT_ATTENTION_DECAY * i) for i in range(self.organic_slots)]
        return sponsored + organic


class Market(StrictModel):
    code: MarketCode
    name: Annotated[str, Field(min_length=1, max_length=60)]
    name_zh: Annotated[str, Field(max_length=60)] = ""
    currency: CurrencyCode
    fx_cny_per_local: Annotated[float, Field(ge=1e-5, le=1e4)]
    """How many CNY one unit of the local currency buys at the start of the game."""
    size: Annotated[float, Field(gt=0.0, le=1000.0)]
    """Demand index, US = 100 (by e-commerce value)."""
    price_sensitivity: Annotated[float, Field(gt=0.0, le=5.0)] = 1.0
    """Multiplier on the model's price coefficient (1.5 = more price-sensitive)."""
    platform_fee: Annotated[float, Field(ge=0.0, le=0.6)]
    vat_rate: Annotated[float, Field(ge=0.0, le=0.4)] = 0.0
    vat_seller_remits: bool = False
    """True when the seller (or the platform on its behalf) remits VAT out of the price."""
    entry_fee_cny: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    """One-time localisation and compliance cost of entering the market."""
    fulfilment_cny_per_unit: Annotated[float, Field(ge=0.0, le=10000.0)] = 0.0
    """Overseas-warehouse pick, pack and last mile (FBA-like) per unit sold."""
    storage_cny_per_unit_day: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0
    warehouse_delivery_days: Annotated[int, Field(ge=0, le=30)] = 2
    de_minimis_local: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    """Parcels whose value is at or below this pay no duty (0 = no exemption)."""
    parcel_duty_rate: Annotated[float, Field(ge=0.0, le=3.0)] = 0.0
    """Duty on direct parcels above the threshold, as a fraction of the item value;
    0 means the ordinary tariff stack applies."""
    parcel_duty_per_item_local: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    """A flat duty per parcel item (e.g. the US $100 postal duty), added to the rate."""
    seasonality: Annotated[
        list[Annotated[float, Field(gt=0.0, le=20.0)]], Field(min_length=12, max_length=12)
    ] = Field(default_factory=lambda: [1.0] * 12)
    """Demand multiplier per calendar month, January first."""
    customs_basis: CustomsBasis = "CIF"
    """How customs values imports: "FOB" (goods only, as the US: 19 U.S.C. 1401a(b)(4)(A))
    or "CIF" (goods + international freight, as the EU, UK, Japan, Russia, Mexico, the Gulf)."""
    price_index: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    """Price level of the market relative to the US: a product's local reference price is
    its US reference price x this index, converted at the starting rate (and with VAT added
    where prices include it)."""
    refund_admin_fee_share: Fraction = 0.2
    """Share of the referral fee the platform keeps when a sale is refunded (Amazon: 20 %)."""
    refund_admin_fee_cap_usd: NonNegative = 5.0
    """Cap of that administration fee per unit, in USD (Amazon: $5), converted at the
    model's ``reference_cny_per_usd``."""
    lanes: Annotated[list[Lane], Field(min_length=1, max_length=4)]
    search: SearchSettings = Field(default_factory=SearchSettings)
    """Search page, auction and listing language (issue 15)."""

    @field_validator("lanes")
    @classmethod
    def _unique_lanes(cls, lanes: list[Lane]) -> list[Lane]:
        modes = [lane.mode for lane in lanes]
        dupes = sorted({m for m in modes if modes.count(m) > 1})
        if dupes:
            raise PydanticCustomError(
                "lane_repeated",
                "each lane mode may appear once in a market; repeated: {modes}",
                {"modes": ", ".join(dupes)},
            )
        return lanes

    def lane(self, mode: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.mode == mode), None)


class CategoryNames(StrictModel):
    """How a tariff category is shown: ``[categories.<id>]`` with ``name`` and ``name_zh``.
    The engine keys everything by the id; names are for people only."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    name_zh: Annotated[str, Field(max_length=60)] = ""


class IpRisk(StrictModel):
    """The intellectual-property risk of a look-alike design: it draws ``demand_boost`` times
    the shoppers, and each round every live listing of it is hit by a claim with probability
    ``claim_per_round``. A claim delists the listing for the rest of the round and freezes
    ``freeze_share`` of the team's cash for ``freeze_rounds`` rounds."""

    demand_boost: Annotated[float, Field(ge=1.0, le=5.0)] = 1.0
    """Multiplier on the product's shoppers in every market (1.3 = 30 % more)."""
    claim_per_round: Fraction
    """Probability that one live listing of the product gets a claim in a round."""
    freeze_share: Fraction = 0.2
    """Share of the team's cash (at the end of the round of the claim) that is frozen."""
    freeze_rounds: Annotated[int, Field(ge=1, le=12)] = 2
    """Rounds the frozen cash stays frozen; it comes back at the end of the last of them."""


Range = Annotated[list[Annotated[float, Field(ge=0.0, le=1e6)]], Field(min_length=2, max_length=2)]
"""``[low, high]`` of a value drawn per game (see :mod:`simshop.engine.catalogue`);
``low <= high`` is checked by the model that holds it (code ``range_reversed``)."""


def _ordered_range(value: list[float], field: str) -> None:
    if value[0] > value[1]:
        raise PydanticCustomError(
            "range_reversed",
            "the range's low end ({low}) is above its high end ({high})",
            {"low": value[0], "high": value[1], "field": field},
        )


class Tier(StrictModel):
    """A unit-cost tier: ordering at least ``min_units`` costs ``unit_cost_cny`` a unit."""

    min_units: Annotated[int, Field(ge=1, le=10_000_000)]
    unit_cost_cny: Annotated[float, Field(ge=0.01, le=1e6)]


class Supplier(StrictModel):
    """A factory that makes one product (``[[products.suppliers]]``).

    Orders below the first tier's ``min_units`` (the minimum order quantity) are refused;
    an order costs the unit cost of the highest tier it reaches. ``deposit_share`` of the
    order is paid when ordering, the balance when the batch reaches the China warehouse,
    ``lead_days`` later (a SimPy process; past the round's end it arrives in a later round).
    The true ``quality`` and ``defect_rate`` are drawn per game from their ranges and stay
    hidden (:func:`simshop.engine.catalogue.realise`) until the team buys a sample
    (``sample_cost_cny``)."""

    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=60)]
    name_zh: Annotated[str, Field(max_length=60)] = ""
    tiers: Annotated[list[Tier], Field(min_length=1, max_length=6)]
    lead_days: Annotated[int, Field(ge=0, le=365)] = 0
    quality_range: Range = Field(default_factory=lambda: [0.5, 0.5])
    """The supplier's true quality (0..1) is drawn per game from this range."""
    defect_rate_range: Range = Field(default_factory=lambda: [0.0, 0.0])
    """The share of defective units (0..0.5), drawn per game from this range."""
    deposit_share: Fraction = 1.0
    """Share of an order paid when ordering (1 = all up front); the rest on delivery."""
    sample_cost_cny: Annotated[float, Field(ge=0.0, le=1e6)] = 0.0

    @model_validator(mode="after")
    def _check_supplier(self) -> Supplier:
        _ordered_range(self.quality_range, "quality_range")
        _ordered_range(self.defect_rate_range, "defect_rate_range")
        if self.quality_range[1] > 1.0:
            raise PydanticCustomError(
                "range_above_one",
                "quality is at most 1; got {high}",
                {"high": self.quality_range[1], "field": "quality_range"},
            )
        if self.defect_rate_range[1] > 0.5:
            raise PydanticCustomError(
                "defect_rate_too_high",
                "a defect rate is at most 0.5; got {high}",
                {"high": self.defect_rate_range[1], "field": "defect_rate_range"},
            )
        mins = [t.min_units for t in self.tiers]
        if any(b <= a for a, b in zip(mins, mins[1:], strict=False)):
            raise PydanticCustomError(
                "tiers_not_ascending",
                "tiers must be listed by rising min_units; got {mins}",
                {"mins": ", ".join(map(str, mins)), "field": "tiers"},
            )
        return self

    @property
    def moq(self) -> int:
        """The minimum order quantity: the first tier's ``min_units``."""
        return self.tiers[0].min_units

    def unit_cost_cny(self, units: int) -> float:
        """The unit cost of an order of ``units``: the highest tier it reaches (the first
        tier's cost below the minimum order quantity)."""
        cost = self.tiers[0].unit_cost_cny
        for tier in self.tiers:
            if units >= tier.min_units:
                cost = tier.unit_cost_cny
        return cost


SearchIntent = Literal["generic", "long_tail", "brand"]


class SearchTerm(StrictModel):
    """A search term shoppers use for a product (issue 15)."""

    id: Identifier
    text: Annotated[str, Field(min_length=1, max_length=80)]
    """The term in English."""
    text_zh: Annotated[str, Field(max_length=80)] = ""
    local: dict[MarketCode, Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=dict
    )
    """The term in a market's listing language, by market code (Japan, Russia)."""
    share: Fraction
    """Share of the product's shoppers who search with this term (a product's shares sum
    to at most 1; the rest browse the category and see every offer)."""
    intent: SearchIntent = "generic"
    min_cpc_usd: Annotated[float, Field(ge=0.0, le=100.0)] = 0.1
    """The lowest bid that enters the auction and the lowest price of a click (USD,
    converted at the model's ``reference_cny_per_usd`` and the market's starting rate)."""

    def text_for(self, market: str) -> str:
        """The term in ``market``'s listing language (its ``local`` text, else English)."""
        return next((text for code, text in self.local.items() if code == market), self.text)


class Product(StrictModel):
    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=60)]
    name_zh: Annotated[str, Field(max_length=60)] = ""
    category: Identifier
    unit_cost_cny: Annotated[float, Field(ge=0.01, le=1e6)]
    weight_kg: Annotated[float, Field(gt=0.0, le=100.0)]
    base_quality: Fraction = 0.5
    return_rate: Annotated[float, Field(ge=0.0, le=0.8)] = 0.1
    """Share of units returned at base quality and fast (2-day) delivery."""
    return_rate_low: Annotated[float, Field(ge=0.0, le=0.8)] | None = None
    """Lowest return rate quality can bring (default 0.8 x ``return_rate``)."""
    return_rate_high: Annotated[float, Field(ge=0.0, le=0.8)] | None = None
    """Highest return rate poor quality and late delivery can bring (default 1.5 x
    ``return_rate``, at most 0.8); domain.md §4: electronics 8-15 %, apparel 25-40 %."""

    @property
    def return_range(self) -> tuple[float, float]:
        low = self.return_rate_low if self.return_rate_low is not None else 0.8 * self.return_rate
        high = (
            self.return_rate_high
            if self.return_rate_high is not None
            else min(0.8, 1.5 * self.return_rate)
        )
        return min(low, self.return_rate), max(high, self.return_rate)

    reference_price_usd: Annotated[float, Field(ge=0.01, le=1e6)]
    """A typical US retail price; anchors utility and the bots' pricing."""
    demand_weight: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    """Relative number of shoppers for this product (1 = the scenario's average)."""
    ip_risk: IpRisk | None = None
    """A look-alike design (optional): more shoppers, and a risk of an intellectual-property
    claim against every listing of it (see :class:`IpRisk`)."""

    demand_range: dict[MarketCode, Range] = Field(default_factory=dict)
    """Catalogue products: per market, the range the product's demand weight is drawn from
    per game (log-uniform, seeded by the game: :func:`simshop.engine.catalogue.realise`);
    the draw is hidden from teams. Markets not named here use ``demand_weight``; markets the
    scenario does not have are ignored (so one catalogue serves several scenarios)."""
    seasonality: (
        Annotated[
            list[Annotated[float, Field(gt=0.0, le=20.0)]], Field(min_length=12, max_length=12)
        ]
        | None
    ) = None
    """The product's own demand multiplier per calendar month, January first (times the
    market's seasonality); none = flat."""
    volume_l: Annotated[float, Field(gt=0.0, le=10000.0)] | None = None
    """Packed volume in litres (shown to teams; freight is charged by weight)."""
    suppliers: Annotated[list[Supplier], Field(max_length=4)] = Field(default_factory=list)
    """Factories to order from (1-4). Without suppliers a factory order costs
    ``unit_cost_cny`` a unit and arrives at once, as before catalogues existed."""

    @model_validator(mode="after")
    def _check_catalogue_fields(self) -> Product:
        for code, value in self.demand_range.items():
            if value[0] > value[1] or value[0] <= 0:
                raise PydanticCustomError(
                    "range_reversed" if value[0] > value[1] else "range_not_positive",
                    "the range's low end ({low}) is above its high end ({high})"
                    if value[0] > value[1]
                    else "a demand range must start above 0; got {low}",
                    {"low": value[0], "high": value[1], "field": f"demand_range.{code}"},
                )
            if value[1] > 10.0:
                raise PydanticCustomError(
                    "demand_range_too_high",
                    "a demand weight is at most 10; got {high}",
                    {"high": value[1], "field": f"demand_range.{code}"},
                )
        return self

    @model_validator(mode="after")
    def _unique_suppliers(self) -> Product:
        seen: set[str] = set()
        for j, supplier in enumerate(self.suppliers):
            if supplier.id in seen:
                raise PydanticCustomError(
                    "duplicate_supplier",
                    "supplier id '{supplier}' is used twice for this product",
                    {"supplier": supplier.id, "field": f"suppliers.{j}.id"},
                )
            seen.add(supplier.id)
        return self

    def supplier(self, supplier_id: str) -> Supplier | None:
        return next((s for s in self.suppliers if s.id == supplier_id), None)

    def public_demand_weight(self, market_code: str) -> float:
        """What anyone may know of the product's demand weight in a market: the geometric
        middle of its range (the median of the log-uniform draw), or ``demand_weight``."""
        rng = self.demand_range.get(market_code)  # type: ignore[call-overload]
        if rng is None:
            return float(self.demand_weight)
        return float((rng[0] * rng[1]) ** 0.5)

    search_terms: Annotated[list[SearchTerm], Field(max_length=8)] = Field(default_factory=list)
    """What shoppers type to find the product (issue 15); none: one generic term, the
    product's name, with share 1 (:meth:`terms`)."""

    @field_validator("search_terms")
    @classmethod
    def _terms_add_up(cls, terms: list[SearchTerm]) -> list[SearchTerm]:
        ids = [t.id for t in terms]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise PydanticCustomError(
                "duplicate_search_term",
                "search term id '{term}' is used twice",
                {"term": dupes[0]},
            )
        total = sum(t.share for t in terms)
        if total > 1.0 + 1e-9:
            raise PydanticCustomError(
                "search_shares_over_one",
                "the search terms' shares add up to {total}, more than 1",
                {"total": round(total, 6)},
            )
        return terms

    def terms(self) -> list[SearchTerm]:
        """The product's search terms; without any, one generic term: its name, share 1."""
        if self.search_terms:
            return list(self.search_terms)
        return [
            SearchTerm(
                id=GENERIC_TERM_ID,
                text=self.name,
                text_zh=self.name_zh,
                share=1.0,
                intent="generic",
                min_cpc_usd=0.1,
            )
        ]


class Requirement(StrictModel):
    """A compliance requirement: what a seller must hold to list products of ``categories``
    in ``market`` from ``start_round`` on (a certificate such as CE, FCC, UKCA or PSE, an EU
    responsible person under the GPSR, a WEEE/EPR registration). A team buys it once
    (``cost_cny``, paid the round it is bought); it is ready ``rounds_to_obtain`` rounds later
    and then costs ``yearly_fee_cny`` a year, charged per round pro rata (one round is one
    calendar month). A live listing that needs it and lacks it is found in a round with
    probability ``detection_per_round`` (raised by ``compliance_sweep`` events): found means
    delisted for the rest of the round, its overseas-warehouse stock stranded (removed at
    ``removal_cny_per_unit`` a unit and destroyed) and ``fine_cny``."""

    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=80)]
    name_zh: Annotated[str, Field(max_length=80)] = ""
    market: MarketCode
    categories: Annotated[list[Category], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [ANY_CATEGORY]
    )
    cost_cny: Annotated[float, Field(ge=0.0, le=1e8)]
    rounds_to_obtain: Annotated[int, Field(ge=0, le=12)] = 1
    """Rounds from buying to holding it (0: it covers the round it is bought in)."""
    yearly_fee_cny: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    detection_per_round: Fraction
    """Probability that one live listing lacking it is found in a round (before sweeps)."""
    fine_cny: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    removal_cny_per_unit: Annotated[float, Field(ge=0.0, le=10000.0)] = 0.0
    start_round: Annotated[int, Field(ge=1, le=40)] = 1
    """The first round in which it is enforced."""

    def applies_to(self, market: str, category: str) -> bool:
        return market == self.market and (
            ANY_CATEGORY in self.categories or category in self.categories
        )

    def in_force(self, round_no: int) -> bool:
        return round_no >= self.start_round

    def fee_per_round_cny(self) -> float:
        """The yearly fee charged each round (a round is one calendar month)."""
        return self.yearly_fee_cny / 12.0


class Tariff(StrictModel):
    market: MarketCode
    category: Category = ANY_CATEGORY
    rate: Annotated[float, Field(ge=0.0, le=5.0)]
    """Ad valorem duty on the customs value (unit cost plus freight, CNY)."""
    label: Annotated[str, Field(max_length=60)] = ""


class ModelParams(StrictModel):
    """Demand-model coefficients (calibrated in docs/sources.md [T4] and docs/engine.md)."""

    price_alpha: Annotated[float, Field(gt=0.0, le=20.0)] = 1.3
    """Price coefficient of utility (times each market's ``price_sensitivity``). With the
    nested logit this is close to the *category* elasticity (all sellers move together);
    one seller's own-price elasticity is about ``price_alpha / nest_lambda``."""
    nest_lambda: Annotated[float, Field(ge=0.1, le=1.0)] = 0.25
    """Dissimilarity parameter of the nest holding every offer of one product in one market
    (McFadden; Berry 1994): 1 = a plain logit, smaller = offers closer substitutes."""
    ad_beta: Annotated[float, Field(ge=0.0, le=2.0)] = 0.12
    ad_carryover: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.5
    ad_saturation_share: Annotated[float, Field(gt=0.0, le=10.0)] = 0.015
    """Adstock scale as a share of a seller's fair share of the round's shopper spending at
    the reference price (round shoppers x reference price / listed offers, CNY): the ad term
    of utility is ``ad_beta * ln(1 + adstock / scale)``, so the same budget buys less in a
    large market than in a small one."""
    rating_beta: Annotated[float, Field(ge=0.0, le=2.0)] = 0.07
    quality_beta: Annotated[float, Field(ge=0.0, le=10.0)] = 1.5
    delivery_beta_per_day: Annotated[float, Field(ge=0.0, le=1.0)] = 0.03
    outside_utility: Annotated[float, Field(ge=-20.0, le=20.0)] = 0.0
    shoppers_per_size_day: Annotated[float, Field(gt=0.0, le=10000.0)] = 10.0
    """Daily shoppers per product per point of market size at seasonality 1."""
    quality_investment_half_cny: Annotated[float, Field(ge=1.0, le=1e10)] = 50000.0
    """Quality investment (CNY, cumulative) that closes half the gap to quality 1."""
    base_utility: Annotated[float, Field(ge=-20.0, le=20.0)] = -2.9
    """Constant of every offer's utility (beta_0); with the outside option at 0 a typical
    offer's nest takes about 10 % of shoppers, whatever the number of sellers."""
    reference_cny_per_usd: Annotated[float, Field(ge=0.1, le=100.0)] = 7.107
    """Converts a product's reference price (USD) to each market's local reference price."""
    initial_rating: Annotated[float, Field(ge=1.0, le=5.0)] = 4.0
    review_rate: Fraction = 0.1
    """New reviews per unit sold (rounded down per offer and round)."""
    rating_prior_reviews: Annotated[float, Field(ge=0.0, le=1e6)] = 5.0
    """Weight (in reviews) of the old rating when a round's new reviews are averaged in."""


class ResearchSettings(StrictModel):
    """Market studies teams may buy (``[research]``; available in any scenario with a
    catalogue or suppliers even without the section). A study of one market and category
    reads the round's hidden demand with noise: each reading is ``truth x exp(sd x z)``,
    ``z`` standard normal, ``sd = noise_sd x sqrt(reference_budget_cny / budget)``, so the
    noise falls with the money spent (see docs/engine.md)."""

    min_budget_cny: Annotated[float, Field(ge=0.0, le=1e8)] = 1000.0
    reference_budget_cny: Annotated[float, Field(gt=0.0, le=1e8)] = 5000.0
    noise_sd: Annotated[float, Field(ge=0.0, le=5.0)] = 0.5
    """Standard deviation of a reading's log at the reference budget."""


class Bots(StrictModel):
    strategies: list[Identifier] = Field(default_factory=list, max_length=50)
    """Strategies the bot seats cycle through, from the bots' registry
    (:data:`simshop.engine.bots.BOT_STRATEGIES`: a scenario file naming another one is refused
    when it is loaded, by :mod:`simshop.engine.scenario_errors`, which may import the bots)."""
    count: Annotated[int, Field(ge=0, le=2000)] = 0


Weight = Annotated[float, Field(ge=0.0, le=MAX_SCORING_WEIGHT)]


class Scoring(StrictModel):
    profit: Weight = 0.4
    revenue: Weight = 0.15
    market_share: Weight = 0.15
    rating: Weight = 0.15
    roi: Weight = 0.15
    tacos: Weight = 0.0
    """Ad efficiency (TACoS, lower is better); optional, off unless a game weighs it."""
    listing_quality: Weight = 0.0
    """Contest points for listing quality (the mean listing score); optional."""

    @model_validator(mode="after")
    def _some_weight(self) -> Scoring:
        if sum(self.as_dict().values()) <= 0:
            raise PydanticCustomError(
                "no_scoring_weight", "at least one scoring weight must be positive"
            )
        return self

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in type(self).model_fields}


# --------------------------------------------------------------------------- events


class EventBase(StrictModel):
    """What every event has: when it takes effect, when it is announced, and its news."""

    kind: str
    id: Identifier
    round: Annotated[int, Field(ge=1, le=40)]
    """The round from whose first day the event takes effect."""
    announce_round: Annotated[int, Field(ge=1, le=40)] | None = None
    """The round whose news carries the headline; default the round before (or round 1)."""
    headline: Annotated[str, Field(min_length=1, max_length=200)]
    headline_zh: Annotated[str, Field(max_length=200)] = ""
    body: Annotated[str, Field(max_length=4000)] = ""
    body_zh: Annotated[str, Field(max_length=4000)] = ""

    markets_referenced: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _announce_not_after_effect(self) -> EventBase:
        if self.announce_round is not None and self.announce_round > self.round:
            raise PydanticCustomError(
                "announce_after_effect",
                "announce_round ({announce_round}) cannot be after the round the event takes "
                "effect ({round})",
                {
                    "announce_round": self.announce_round,
                    "round": self.round,
                    "field": "announce_round",
                },
            )
        return self

    @property
    def announced_in(self) -> int:
        return self.announce_round if self.announce_round is not None else max(1, self.round - 1)

    def text(self, name: str, chinese: bool) -> str:
        """``headline`` or ``body`` in the reader's language: the ``_zh`` text for a Chinese
        reader when the author wrote one, else the English."""
        text: str = (chinese and getattr(self, f"{name}_zh")) or getattr(self, name)
        return text

    def referenced_markets(self) -> list[str]:
        found: list[str] = []
        for name in ("market", "markets"):
            value = getattr(self, name, None)
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, list):
                found.extend(value)
        return found


def _exactly_one(model: BaseModel, first: str, second: str) -> None:
    given = [name for name in (first, second) if getattr(model, name) is not None]
    if len(given) != 1:
        raise PydanticCustomError(
            "one_of_required" if not given else "one_of_exclusive",
            "give exactly one of '{first}' or '{second}'" + ("" if not given else ", not both"),
            # ``field`` points the problem at a key the author wrote (or the event itself).
            {"first": first, "second": second, **({"field": second} if given else {})},
        )


class TariffChange(EventBase):
    """Sets (``rate``) or adds to (``add_points``) the tariff stack for categories."""

    kind: Literal["tariff_change"]
    market: MarketCode
    categories: Annotated[list[Category], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [ANY_CATEGORY]
    )
    rate: Annotated[float, Field(ge=0.0, le=5.0)] | None = None
    """The new ad valorem rate for these categories (0.30 = 30 %)."""
    add_points: Annotated[float, Field(ge=-5.0, le=5.0)] | None = None
    """Added to the current rate (0.10 = ten percentage points; negative lowers it)."""
    label: Annotated[str, Field(max_length=60)] = ""

    @model_validator(mode="after")
    def _rate_or_points(self) -> TariffChange:
        _exactly_one(self, "rate", "add_points")
        return self


class DeMinimisChange(EventBase):
    """Changes the low-value-parcel rule for direct parcels to a market."""

    kind: Literal["de_minimis"]
    market: MarketCode
    threshold_local: Annotated[float, Field(ge=0.0, le=1e8)]
    """Parcels at or below this value pay no duty (0 ends the exemption)."""
    parcel_duty_rate: Annotated[float, Field(ge=0.0, le=3.0)] = 0.0
    """Duty on parcels above the threshold as a fraction of value (0 = ordinary tariffs)."""
    parcel_duty_per_item_local: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    """A flat duty per parcel item, added to the rate."""


class ShippingDisruption(EventBase):
    """Lengthens and raises the cost of a lane to some markets for a number of rounds."""

    kind: Literal["shipping_disruption"]
    markets: Annotated[list[MarketCode], Field(min_length=1, max_length=8)]
    mode: LaneMode
    extra_days: Annotated[int, Field(ge=0, le=90)] = 0
    cost_multiplier: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    duration_rounds: Annotated[int, Field(ge=1, le=40)] = 1


class ExchangeRateMove(EventBase):
    """Moves a currency against the yuan by ``change`` (0.10 = +10 %) spread over rounds."""

    kind: Literal["fx_move"]
    currency: CurrencyCode
    change: Annotated[float, Field(gt=-0.9, le=5.0)]
    over_rounds: Annotated[int, Field(ge=1, le=40)] = 1


class DemandShock(EventBase):
    """Multiplies demand in a market (a festival, a slump) on some days of the round."""

    kind: Literal["demand_shock"]
    market: MarketCode
    categories: Annotated[list[Category], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [ANY_CATEGORY]
    )
    multiplier: Annotated[float, Field(ge=0.0, le=20.0)]
    first_day: Annotated[int, Field(ge=1, le=92)] = 1
    last_day: Annotated[int, Field(ge=1, le=92)] | None = None
    """Inclusive; default the round's last day."""

    @model_validator(mode="after")
    def _days_in_order(self) -> DemandShock:
        if self.last_day is not None and self.last_day < self.first_day:
            raise PydanticCustomError(
                "days_out_of_order",
                "last_day ({last_day}) cannot be before first_day ({first_day})",
                {"last_day": self.last_day, "first_day": self.first_day, "field": "last_day"},
            )
        return self


class PlatformFeeChange(EventBase):
    """Sets (``fee``) or adds to (``add_points``) a market's platform commission."""

    kind: Literal["platform_fee_change"]
    market: MarketCode
    fee: Annotated[float, Field(ge=0.0, le=0.6)] | None = None
    add_points: Annotated[float, Field(ge=-0.6, le=0.6)] | None = None

    @model_validator(mode="after")
    def _fee_or_points(self) -> PlatformFeeChange:
        _exactly_one(self, "fee", "add_points")
        return self


class MarketRule(EventBase):
    """A regulatory rule: a minimum price per item, a closed channel, a listing cap."""

    kind: Literal["market_rule"]
    market: MarketCode
    min_price_local: Annotated[float, Field(ge=0.0, le=1e8)] | None = None
    """Items priced below this (local currency) may not be listed."""
    channel_closed: LaneMode | None = None
    """A lane that may no longer be used to ship to this market."""
    listing_cap: Annotated[int, Field(ge=0, le=100)] | None = None
    """The most products one team may list in this market."""

    @model_validator(mode="after")
    def _some_rule(self) -> MarketRule:
        if (
            self.min_price_local is None
            and self.channel_closed is None
            and (self.listing_cap is None)
        ):
            raise PydanticCustomError(
                "rule_missing",
                "a market_rule needs at least one of min_price_local, channel_closed or "
                "listing_cap",
            )
        return self


class NewsOnly(EventBase):
    """A headline with no effect on the model (context, a warning, a rumour)."""

    kind: Literal["news"]


class WarehouseFeeChange(EventBase):
    """Changes the overseas-warehouse fees of a market: ``fulfilment_add_cny`` is added to the
    fulfilment fee per unit (the yearly FBA fee change), ``storage_multiplier`` multiplies the
    storage fee (the fourth-quarter storage surcharge). Both last ``duration_rounds`` rounds,
    or to the end of the game when it is left out."""

    kind: Literal["warehouse_fee_change"]
    market: MarketCode
    fulfilment_add_cny: Annotated[float, Field(ge=-1000.0, le=1000.0)] | None = None
    """Added to the fulfilment fee per unit (CNY); negative lowers it (never below 0)."""
    storage_multiplier: Annotated[float, Field(gt=0.0, le=10.0)] | None = None
    """Multiplies the storage fee per unit and day (3.2 = the Q4 surcharge)."""
    duration_rounds: Annotated[int, Field(ge=1, le=40)] | None = None
    """Rounds the change lasts; left out: to the end of the game."""

    @model_validator(mode="after")
    def _some_fee(self) -> WarehouseFeeChange:
        if self.fulfilment_add_cny is None and self.storage_multiplier is None:
            raise PydanticCustomError(
                "fee_change_missing",
                "a warehouse_fee_change needs fulfilment_add_cny or storage_multiplier",
            )
        return self

    def active_in(self, round_no: int) -> bool:
        """True in the rounds the change is in force."""
        if round_no < self.round:
            return False
        return self.duration_rounds is None or round_no < self.round + self.duration_rounds


class DutyRefund(EventBase):
    """Pays back duty a team already paid: on stock landed in (and direct parcels sold to)
    ``market`` in rounds ``paid_from_round..paid_to_round``, for ``categories``. Either a
    ``share`` of the duty paid, or the duty a voided tariff of ``rate`` charged on the
    customs value (never more than the duty paid). Paid in the event's ``round``, as its own
    line of the P&L (``duty_refund_cny``) and a cash inflow."""

    kind: Literal["duty_refund"]
    market: MarketCode
    categories: Annotated[list[Category], Field(min_length=1)] = Field(
        default_factory=lambda: [ANY_CATEGORY]
    )
    paid_from_round: Annotated[int, Field(ge=1, le=40)] = 1
    """The first round whose duty is refunded."""
    paid_to_round: Annotated[int, Field(ge=1, le=40)]
    """The last round whose duty is refunded; before the event's ``round``."""
    share: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    """The fraction of the duty paid that comes back (1 = all of it)."""
    rate: Annotated[float, Field(gt=0.0, le=5.0)] | None = None
    """The voided tariff (0.20 = 20 %): refunds this rate of the customs value duty was paid
    on, at most the duty paid."""

    @model_validator(mode="after")
    def _window_and_amount(self) -> DutyRefund:
        if self.paid_to_round < self.paid_from_round:
            raise PydanticCustomError(
                "refund_rounds_out_of_order",
                "paid_to_round ({paid_to_round}) cannot be before paid_from_round "
                "({paid_from_round})",
                {
                    "paid_to_round": self.paid_to_round,
                    "paid_from_round": self.paid_from_round,
                    "field": "paid_to_round",
                },
            )
        if self.paid_to_round >= self.round:
            raise PydanticCustomError(
                "refund_before_payment",
                "a refund in round {round} can only return duty paid before it; "
                "paid_to_round is {paid_to_round}",
                {
                    "round": self.round,
                    "paid_to_round": self.paid_to_round,
                    "field": "paid_to_round",
                },
            )
        _exactly_one(self, "share", "rate")
        return self

    def covers(self, market: str, category: str, round_no: int) -> bool:
        """True when duty paid in ``market`` for ``category`` in ``round_no`` is refunded."""
        return (
            market == self.market
            and self.paid_from_round <= round_no <= self.paid_to_round
            and (ANY_CATEGORY in self.categories or category in self.categories)
        )


class ParcelCategoryDuty(EventBase):
    """A flat duty per tariff category in a low-value direct parcel (the EU's €3 from July
    2026): parcels valued at or below ``max_value_local`` pay
    ``duty_per_category_local x categories_per_parcel / items_per_parcel`` per item instead
    of the market's de-minimis rule; dearer parcels keep the market's rule. Each order here is
    one parcel; the two averages say how many items and tariff categories a parcel holds.
    A later event of this kind replaces it; ``duty_per_category_local = 0`` ends it."""

    kind: Literal["parcel_category_duty"]
    market: MarketCode
    duty_per_category_local: NonNegative
    """The duty per tariff category in a parcel (local currency)."""
    max_value_local: Positive
    """Parcels valued at or below this pay the flat duty (EUR 150 in the EU)."""
    categories_per_parcel: Annotated[float, Field(ge=1.0, le=20.0)] = 1.0
    """Average number of tariff categories in one parcel."""
    items_per_parcel: Annotated[float, Field(ge=1.0, le=50.0)] = 1.0
    """Average number of items in one parcel (the duty is shared among them)."""

    @model_validator(mode="after")
    def _categories_within_items(self) -> ParcelCategoryDuty:
        if self.categories_per_parcel > self.items_per_parcel:
            raise PydanticCustomError(
                "more_categories_than_items",
                "categories_per_parcel ({categories}) cannot exceed items_per_parcel ({items})",
                {
                    "categories": self.categories_per_parcel,
                    "items": self.items_per_parcel,
                    "field": "categories_per_parcel",
                },
            )
        return self

    @property
    def duty_per_item_local(self) -> float:
        return self.duty_per_category_local * self.categories_per_parcel / self.items_per_parcel


class ComplianceSweep(EventBase):
    """A compliance sweep (a platform or market-surveillance campaign): while it lasts, the
    chance that a listing lacking a requirement of ``market`` is found is multiplied by
    ``detection_multiplier`` for products of ``categories`` (at most 1)."""

    kind: Literal["compliance_sweep"]
    market: MarketCode
    categories: Annotated[list[Category], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [ANY_CATEGORY]
    )
    detection_multiplier: Annotated[float, Field(ge=1.0, le=100.0)]
    duration_rounds: Annotated[int, Field(ge=1, le=40)] = 1

    def active_in(self, round_no: int) -> bool:
        return self.round <= round_no < self.round + self.duration_rounds

    def applies_to(self, category: str) -> bool:
        return ANY_CATEGORY in self.categories or category in self.categories


_OWN_KEYS = ("id", "start_round")
"""The fields of a :class:`Requirement` a ``new_requirement`` event takes from itself."""


class NewRequirement(EventBase):
    """A requirement that starts in the event's ``round`` (a new law, a platform rule),
    announced ahead. Its ``id`` is the requirement's id (what a team buys); the other
    fields are those of :class:`Requirement`."""

    kind: Literal["new_requirement"]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    name_zh: Annotated[str, Field(max_length=80)] = ""
    market: MarketCode
    categories: Annotated[list[Category], Field(min_length=1, max_length=50)] = Field(
        default_factory=lambda: [ANY_CATEGORY]
    )
    cost_cny: Annotated[float, Field(ge=0.0, le=1e8)]
    rounds_to_obtain: Annotated[int, Field(ge=0, le=12)] = 1
    yearly_fee_cny: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    detection_per_round: Fraction
    fine_cny: Annotated[float, Field(ge=0.0, le=1e8)] = 0.0
    removal_cny_per_unit: Annotated[float, Field(ge=0.0, le=10000.0)] = 0.0

    @model_validator(mode="after")
    def _announced_ahead(self) -> NewRequirement:
        if self.round > 1 and self.announced_in >= self.round:
            raise PydanticCustomError(
                "requirement_not_announced",
                "a new requirement must be announced before round {round}, the round it "
                "starts; announce_round is {announce_round}",
                {
                    "round": self.round,
                    "announce_round": self.announced_in,
                    "field": "announce_round",
                },
            )
        return self

    def requirement(self) -> Requirement:
        """The requirement this event starts: its terms are the event's fields of the same
        names, its id the event's and its start round the event's round."""
        terms = {k: getattr(self, k) for k in Requirement.model_fields if k not in _OWN_KEYS}
        return Requirement(id=self.id, start_round=self.round, **terms)


Event = Annotated[
    TariffChange
    | DeMinimisChange
    | ShippingDisruption
    | ExchangeRateMove
    | DemandShock
    | PlatformFeeChange
    | MarketRule
    | WarehouseFeeChange
    | DutyRefund
    | ParcelCategoryDuty
    | ComplianceSweep
    | NewRequirement
    | NewsOnly,
    Field(discriminator="kind"),
]

EVENT_KINDS: dict[str, type[EventBase]] = {
    get_args(cls.model_fields["kind"].annotation)[0]: cls for cls in get_args(get_args(Event)[0])
}
"""The event registry, kind -> class, in the order of the :data:`Event` union (derived
from it, so a new kind is one class plus one member of the union)."""


# --------------------------------------------------------------------------- cross-checks


class CrossProblem(NamedTuple):
    """A problem found by looking across sections; ``loc`` is a pydantic-style path."""

    loc: tuple[str | int, ...]
    code: str
    message: str
    params: dict[str, Any]


def _repeats(items: Sequence[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """The (index, key) pairs whose key already appeared earlier in ``items``."""
    seen: set[Any] = set()
    out = []
    for index, key in items:
        if key in seen:
            out.append((index, key))
        seen.add(key)
    return out


def _duplicate_ids(
    section: str,
    field: str,
    ids: Sequence[tuple[int, str]],
    code: str,
    message: str,
    param: str,
) -> list[CrossProblem]:
    """One problem per repeated id in ``section`` (``message`` formats the id)."""
    return [
        CrossProblem((section, i, field), code, message.format(value), {param: value})
        for i, value in _repeats(ids)
    ]


class _Names(NamedTuple):
    """What the cross-checks may refer to: market codes, categories, currencies, lanes."""

    codes: set[str]
    categories: set[str]
    currencies: set[str]
    lanes_by_market: dict[str, set[str]]


def cross_check_parts(
    *,
    calendar: Calendar | None,
    markets: Sequence[tuple[int, Market]],
    products: Sequence[tuple[int, Product]],
    tariffs: Sequence[tuple[int, Tariff]],
    events: Sequence[tuple[int, EventBase]],
    known_market_codes: Iterable[str] = (),
    known_categories: Iterable[str] = (),
    known_currencies: Iterable[str] = (),
    compliance: Sequence[tuple[int, Requirement]] = (),
    known_requirement_markets: Iterable[str] = (),
) -> list[CrossProblem]:
    """Cross-section checks over the parts of a scenario that validated on their own.

    Each part is a list of ``(index in the file, model)``, so a scenario with a broken market
    still gets its events checked. ``known_*`` add names seen in parts that failed
    validation, so a broken market does not also make every event naming it "unknown".
    Problems come in a fixed order: markets, products and tariffs, events, the calendar.
    """
    names = _Names(
        codes={m.code for _, m in markets} | set(known_market_codes),
        categories={p.category for _, p in products} | set(known_categories) | {ANY_CATEGORY},
        currencies={m.currency for _, m in markets} | set(known_currencies),
        lanes_by_market={m.code: {lane.mode for lane in m.lanes} for _, m in markets},
    )
    out = _check_markets(markets)
    out += _check_products_and_tariffs(products, tariffs, names)
    out += _check_events(events, names, calendar)
    out += _check_compliance(compliance, events, names, calendar, set(known_requirement_markets))
    if calendar is not None and calendar.practice_rounds >= calendar.rounds:
        out.append(
            CrossProblem(
                ("calendar", "practice_rounds"),
                "too_many_practice_rounds",
                f"{calendar.practice_rounds} practice rounds leave no scored round "
                f"(rounds = {calendar.rounds})",
                {"practice_rounds": calendar.practice_rounds, "rounds": calendar.rounds},
            )
        )
    return out


def _check_markets(markets: Sequence[tuple[int, Market]]) -> list[CrossProblem]:
    """Markets listed twice; one currency priced differently in two markets."""
    out = _duplicate_ids(
        "markets",
        "code",
        [(i, m.code) for i, m in markets],
        "duplicate_market",
        "market '{}' is listed twice",
        "market",
    )
    fx_by_currency: dict[str, float] = {}
    for i, m in markets:
        first = fx_by_currency.setdefault(m.currency, m.fx_cny_per_local)
        if first != m.fx_cny_per_local:
            out.append(
                CrossProblem(
                    ("markets", i, "fx_cny_per_local"),
                    "currency_fx_mismatch",
                    f"{m.currency} is already priced at {first} CNY in another market",
                    {"currency": m.currency, "fx": first},
                )
            )
    return out


def _check_products_and_tariffs(
    products: Sequence[tuple[int, Product]],
    tariffs: Sequence[tuple[int, Tariff]],
    names: _Names,
) -> list[CrossProblem]:
    """Product ids used twice; tariffs given twice or naming unknown markets/categories."""
    out = _duplicate_ids(
        "products",
        "id",
        [(i, p.id) for i, p in products],
        "duplicate_product",
        "product id '{}' is used twice",
        "product",
    )
    for i, key in _repeats([(i, (t.market, t.category)) for i, t in tariffs]):
        out.append(
            CrossProblem(
                ("tariffs", i),
                "duplicate_tariff",
                f"a tariff for market '{key[0]}' and category '{key[1]}' is already given",
                {"market": key[0], "category": key[1]},
            )
        )
    for i, tariff in tariffs:
        if tariff.market not in names.codes:
            out.append(_unknown_market(("tariffs", i, "market"), tariff.market, names.codes))
        if tariff.category not in names.categories:
            out.append(
                _unknown_category(("tariffs", i, "category"), tariff.category, names.categories)
            )
    return out


def _check_events(
    events: Sequence[tuple[int, EventBase]], names: _Names, calendar: Calendar | None
) -> list[CrossProblem]:
    """Event ids used twice, then each event's references and timing, in file order."""
    out = _duplicate_ids(
        "events",
        "id",
        [(i, e.id) for i, e in events],
        "duplicate_event",
        "event id '{}' is used twice",
        "event",
    )
    for i, event in events:
        out += _event_references(i, event, names)
        if calendar is not None:
            out += _event_timing(i, event, calendar)
    return out


def _event_references(i: int, event: EventBase, names: _Names) -> list[CrossProblem]:
    """Markets, categories, currencies and lanes an event names must exist."""
    out: list[CrossProblem] = []
    codes, categories, currencies = names.codes, names.categories, names.currencies
    market = getattr(event, "market", None)
    if isinstance(market, str) and market not in codes:
        out.append(_unknown_market(("events", i, "market"), market, codes))
    for j, code in enumerate(getattr(event, "markets", None) or []):
        if code not in codes:
            out.append(_unknown_market(("events", i, "markets", j), code, codes))
    for j, cat in enumerate(getattr(event, "categories", None) or []):
        if cat not in categories:
            out.append(_unknown_category(("events", i, "categories", j), cat, categories))
    currency = getattr(event, "currency", None)
    if currency is not None and currency not in currencies:
        out.append(
            CrossProblem(
                ("events", i, "currency"),
                "unknown_currency",
                f"no market here uses '{currency}' (currencies: "
                f"{', '.join(sorted(currencies)) or 'none'})",
                {"currency": currency, "known": sorted(currencies)},
            )
        )
    lane_field = {"shipping_disruption": "mode", "market_rule": "channel_closed"}.get(event.kind)
    mode = getattr(event, lane_field, None) if lane_field else None
    if lane_field is not None and mode is not None:
        for code in event.referenced_markets():
            if code in names.lanes_by_market and mode not in names.lanes_by_market[code]:
                out.append(
                    CrossProblem(
                        ("events", i, lane_field),
                        "lane_not_in_market",
                        f"market '{code}' has no '{mode}' lane",
                        {"market": code, "mode": mode},
                    )
                )
    return out


def _event_timing(i: int, event: EventBase, calendar: Calendar) -> list[CrossProblem]:
    """An event's round and days must fall inside the calendar."""
    out: list[CrossProblem] = []
    if event.round > calendar.rounds:
        out.append(
            CrossProblem(
                ("events", i, "round"),
                "event_after_last_round",
                f"round {event.round} is after the last round ({calendar.rounds})",
                {"round": event.round, "rounds": calendar.rounds},
            )
        )
    for name in ("first_day", "last_day"):
        day = getattr(event, name, None)
        if day is not None and day > calendar.days_per_round:
            out.append(
                CrossProblem(
                    ("events", i, name),
                    "day_past_round",
                    f"day {day} is past the round's {calendar.days_per_round} days",
                    {"day": day, "days_per_round": calendar.days_per_round},
                )
            )
    return out


def _check_compliance(
    compliance: Sequence[tuple[int, Requirement]],
    events: Sequence[tuple[int, EventBase]],
    names: _Names,
    calendar: Calendar | None,
    known_requirement_markets: set[str],
) -> list[CrossProblem]:
    """Requirements (``[[compliance]]`` and ``new_requirement`` events) with one id each,
    known markets and categories, starting within the calendar; sweeps that can find
    something (a requirement of their market and categories)."""
    out = _duplicate_requirements(compliance, events)
    out += _check_requirements(compliance, names, calendar)
    out += _check_sweeps(compliance, events, known_requirement_markets)
    return out


def _duplicate_requirements(
    compliance: Sequence[tuple[int, Requirement]], events: Sequence[tuple[int, EventBase]]
) -> list[CrossProblem]:
    """A problem for each requirement id used again (``[[compliance]]``, then events)."""
    ids: list[tuple[tuple[str | int, ...], str]] = [
        (("compliance", i, "id"), r.id) for i, r in compliance
    ]
    ids += [(("events", i, "id"), e.id) for i, e in events if isinstance(e, NewRequirement)]
    out: list[CrossProblem] = []
    seen: set[str] = set()
    for loc, rid in ids:
        if rid in seen:
            out.append(
                CrossProblem(
                    loc,
                    "duplicate_requirement",
                    f"requirement id '{rid}' is used twice",
                    {"requirement": rid},
                )
            )
        seen.add(rid)
    return out


def _check_requirements(
    compliance: Sequence[tuple[int, Requirement]], names: _Names, calendar: Calendar | None
) -> list[CrossProblem]:
    """Known markets and categories, and a start within the calendar, of ``[[compliance]]``."""
    out: list[CrossProblem] = []
    for i, r in compliance:
        if r.market not in names.codes:
            out.append(_unknown_market(("compliance", i, "market"), r.market, names.codes))
        for j, cat in enumerate(r.categories):
            if cat not in names.categories:
                out.append(
                    _unknown_category(("compliance", i, "categories", j), cat, names.categories)
                )
        if calendar is not None and r.start_round > calendar.rounds:
            out.append(
                CrossProblem(
                    ("compliance", i, "start_round"),
                    "requirement_after_last_round",
                    f"start_round {r.start_round} is after the last round ({calendar.rounds})",
                    {"round": r.start_round, "rounds": calendar.rounds},
                )
            )
    return out


def _check_sweeps(
    compliance: Sequence[tuple[int, Requirement]],
    events: Sequence[tuple[int, EventBase]],
    known_requirement_markets: set[str],
) -> list[CrossProblem]:
    """A problem for each sweep no requirement of its market and categories backs."""
    out: list[CrossProblem] = []
    rules = [r for _, r in compliance] + [
        e.requirement() for _, e in events if isinstance(e, NewRequirement)
    ]
    for i, e in events:
        if (
            isinstance(e, ComplianceSweep)
            and e.market not in known_requirement_markets
            and not any(
                r.market == e.market
                and (
                    ANY_CATEGORY in r.categories
                    or ANY_CATEGORY in e.categories
                    or set(r.categories) & set(e.categories)
                )
                for r in rules
            )
        ):
            out.append(
                CrossProblem(
                    ("events", i, "market"),
                    "sweep_without_requirement",
                    f"no requirement of market '{e.market}' covers these categories: "
                    "the sweep could find nothing",
                    {"market": e.market},
                )
            )
    return out


def _unknown_market(loc: tuple[str | int, ...], code: str, codes: set[str]) -> CrossProblem:
    return CrossProblem(
        loc,
        "unknown_market",
        f"'{code}' is not a market in this scenario (markets: {', '.join(sorted(codes))})",
        {"market": code, "known": sorted(codes)},
    )


def _unknown_category(loc: tuple[str | int, ...], cat: str, cats: set[str]) -> CrossProblem:
    known = sorted(cats - {ANY_CATEGORY})
    return CrossProblem(
        loc,
        "unknown_category",
        f"no product has category '{cat}' (categories: {', '.join(known)}, or '*')",
        {"category": cat, "known": known},
    )


def cross_check(scenario: Scenario) -> list[CrossProblem]:
    """Every cross-section problem of a field-valid scenario, each located on its own."""
    return cross_check_parts(
        calendar=scenario.calendar,
        markets=list(enumerate(scenario.markets)),
        products=list(enumerate(scenario.products)),
        tariffs=list(enumerate(scenario.tariffs)),
        events=list(enumerate(scenario.events)),
        compliance=list(enumerate(scenario.compliance)),
    ) + _unnamed_categories(scenario)


def _unnamed_categories(scenario: Scenario) -> list[CrossProblem]:
    """A scenario that names its categories (``[categories]``) names every one its products
    use; without the section the app's own names serve (an unknown id is shown as is)."""
    if not scenario.categories:
        return []
    declared = sorted(scenario.categories)
    return [
        CrossProblem(
            ("products", i, "category"),
            "unnamed_category",
            f"category '{p.category}' has no name in [categories] (named: {', '.join(declared)})",
            {"category": p.category, "known": declared},
        )
        for i, p in enumerate(scenario.products)
        if p.category not in scenario.categories
    ]


# --------------------------------------------------------------------------- scenario


class Scenario(StrictModel):
    meta: Meta
    calendar: Calendar
    economy: Economy
    model: ModelParams = Field(default_factory=ModelParams)
    markets: Annotated[list[Market], Field(min_length=1, max_length=8)]
    products: Annotated[list[Product], Field(min_length=1, max_length=40)]
    tariffs: list[Tariff] = Field(default_factory=list, max_length=400)
    events: list[Event] = Field(default_factory=list, max_length=400)
    bots: Bots = Field(default_factory=Bots)
    scoring: Scoring = Field(default_factory=Scoring)
    categories: Annotated[dict[Identifier, CategoryNames], Field(max_length=40)] = Field(
        default_factory=dict
    )
    """Shown names of the tariff categories, by id (optional: see :func:`cross_check`)."""
    compliance: list[Requirement] = Field(default_factory=list, max_length=100)
    """Compliance requirements per market and category (``[[compliance]]``); more may start
    later by ``new_requirement`` events (:meth:`requirements` gives them all)."""
    research: ResearchSettings | None = None
    """Market studies for sale (see :class:`ResearchSettings` and :func:`has_sourcing`)."""

    _draws: dict[str, Any] | None = PrivateAttr(default=None)
    """The game's hidden draws, set only by :func:`simshop.engine.catalogue.realise` (never
    serialised: ``model_dump`` and the TOML text do not carry them)."""

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get(SKIP_CROSS_CHECK):
            return self
        problems = cross_check(self)
        if problems:
            raise PydanticCustomError(
                "cross_reference",
                "{problems}",
                {"problems": "; ".join(f"{loc_to_path(p.loc)}: {p.message}" for p in problems)},
            )
        return self

    def announced_events(self, up_to_round: int) -> list[EventBase]:
        """Events whose news is out by ``up_to_round`` (``announced_in <= up_to_round``),
        newest news first, then by effective round and id. Never a later round's news."""
        return sorted(
            (e for e in self.events if e.announced_in <= up_to_round),
            key=lambda e: (-e.announced_in, e.round, e.id),
        )

    def market(self, code: str) -> Market:
        return next(m for m in self.markets if m.code == code)

    def requirements(self) -> list[Requirement]:
        """Every compliance requirement: ``[[compliance]]`` then the ``new_requirement``
        events, in file order."""
        return [
            *self.compliance,
            *(e.requirement() for e in self.events if isinstance(e, NewRequirement)),
        ]

    def has_compliance(self) -> bool:
        """True when the scenario has requirements or look-alike products: its P&L then has
        the compliance lines and its results the compliance incidents."""
        return (
            bool(self.compliance)
            or any(isinstance(e, NewRequirement) for e in self.events)
            or any(p.ip_risk is not None for p in self.products)
        )

    def product(self, product_id: str) -> Product:
        return next(p for p in self.products if p.id == product_id)


def has_sourcing(scenario: Scenario) -> bool:
    """True when the scenario has a catalogue (demand drawn per game), suppliers or a
    ``[research]`` section: then sample orders and studies may be bought and the P&L has
    the lines ``samples_cny`` and ``research_cny``. Other scenarios play exactly as before."""
    return scenario.research is not None or any(
        p.demand_range or p.suppliers for p in scenario.products
    )


def parse_scenario_dict(data: dict[str, Any]) -> Scenario:
    """Validate already-parsed TOML data. Raises ``pydantic.ValidationError``."""
    return Scenario.model_validate(data)


def parse_scenario_text(text: str) -> Scenario:
    """Parse and validate TOML text. Raises ``tomllib.TOMLDecodeError`` or
    ``pydantic.ValidationError``; :mod:`simshop.engine.scenario_errors` turns either into
    located, human-readable messages."""
    return parse_scenario_dict(tomllib.loads(text))
