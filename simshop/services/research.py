"""A team's own research: the studies it bought, the samples it ordered, the demand it
left unserved.

Everything here comes from the team's *own* published round results (the engine writes a
study's readings, a sample's true quality and defect rate and an unserved-demand estimate
only into the result of the team that paid for them: ``research``, ``samples`` and the
``products`` rows). Nothing reads the game's hidden draws (``engine.catalogue.realise``),
so a page built from this module cannot show a team anything it did not buy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from simshop.models import Game, Round, Team
from simshop.services import analysis

NOISY_READINGS = ("search_volume", "unserved", "return_rate", "trend")
"""A study's readings per product that carry a noise band (``estimate``, ``low``, ``high``;
engine/research.py); the others are exact counts of what is listed."""
EXACT_READINGS = ("competing_listings", "avg_rating", "review_count")


@dataclass(frozen=True)
class Reading:
    """One reading of a study: its estimate and the 90 % noise band around it."""

    name: str
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class PriceBand:
    """Competing listings priced from ``low_local`` to ``high_local`` (None: open)."""

    low_local: float | None
    high_local: float | None
    listings: int


@dataclass(frozen=True)
class StudyProduct:
    product: str
    readings: dict[str, Reading]
    price_bands: list[PriceBand]

    @property
    def listed(self) -> bool:
        return bool(sum(b.listings for b in self.price_bands))


@dataclass(frozen=True)
class Study:
    round: Round
    market: str
    category: str
    budget_cny: float
    noise_sd: float | None
    products: list[StudyProduct]


@dataclass(frozen=True)
class Unserved:
    round: Round
    market: str
    product: str
    units: float | None
    low: float | None = None
    high: float | None = None


@dataclass
class TeamResearch:
    studies: list[Study] = field(default_factory=list)
    unserved: list[Unserved] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.studies or self.samples)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _reading(name: str, raw: Any) -> Reading:
    if isinstance(raw, dict):
        return Reading(
            name, _number(raw.get("estimate")), _number(raw.get("low")), _number(raw.get("high"))
        )
    return Reading(name, _number(raw))


def _study(rnd: Round, raw: dict[str, Any]) -> Study:
    products = []
    for row in raw.get("readings") or []:
        readings = {k: _reading(k, row.get(k)) for k in (*NOISY_READINGS, *EXACT_READINGS)}
        bands = [
            PriceBand(
                _number(b.get("low_local")),
                _number(b.get("high_local")),
                int(b.get("listings") or 0),
            )
            for b in row.get("price_bands") or []
        ]
        products.append(StudyProduct(str(row.get("product", "")), readings, bands))
    return Study(
        round=rnd,
        market=str(raw.get("market", "")),
        category=str(raw.get("category", "")),
        budget_cny=float(raw.get("budget_cny") or 0.0),
        noise_sd=_number(raw.get("noise_sd")),
        products=products,
    )


def unserved_of(study: Study) -> list[Unserved]:
    """The study's estimate of the demand nobody served, per product of its category."""
    out = []
    for row in study.products:
        reading = row.readings["unserved"]
        if reading.value is not None:
            out.append(
                Unserved(
                    study.round, study.market, row.product, reading.value, reading.low, reading.high
                )
            )
    return out


def team_research(session: Session, game: Game, team: Team) -> TeamResearch:
    """The team's studies, unserved-demand estimates and sample findings, round by round
    (published rounds only)."""
    out = TeamResearch()
    for tr in analysis.team_rounds(session, game, team):
        studies = [_study(tr.round, s) for s in tr.result.get("research") or []]
        out.studies += studies
        for study in studies:
            out.unserved += unserved_of(study)
        for sample in tr.result.get("samples") or []:
            out.samples.append({**sample, "round": tr.round})
    return out


def revealed_samples(session: Session, game: Game, team: Team) -> dict[tuple[str, str], dict]:
    """(product, supplier) -> what the team's sample showed (the latest one), for the
    decision page."""
    found: dict[tuple[str, str], dict] = {}
    for sample in team_research(session, game, team).samples:
        found[(str(sample.get("product")), str(sample.get("supplier")))] = sample
    return found


STUDY_COLUMNS = [
    "kind",
    "market",
    "category",
    "product",
    "supplier",
    "budget_cny",
    "reading",
    "value",
    "low",
    "high",
    "band_from_local",
    "band_to_local",
]
"""The ``studies`` export table's columns after the round and team: one row per reading of
a bought study and product (``kind`` study; ``price_band_listings`` once per price band), or
per finding of a bought sample (``kind`` sample: ``quality``, ``defect_rate``,
``cost_cny``)."""

SAMPLE_READINGS = ("quality", "defect_rate", "cost_cny")


def export_rows(base: dict[str, Any], rnd: Round, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``studies`` export table's rows of one team's round (``base``: round and team)."""
    rows: list[dict[str, Any]] = []
    for raw in result.get("research") or []:
        study = _study(rnd, raw)
        where = {
            **base,
            "kind": "study",
            "market": study.market,
            "category": study.category,
            "budget_cny": study.budget_cny,
        }
        for row in study.products:
            for reading in row.readings.values():
                rows.append(
                    {
                        **where,
                        "product": row.product,
                        "reading": reading.name,
                        "value": reading.value,
                        "low": reading.low,
                        "high": reading.high,
                    }
                )
            for band in row.price_bands:
                rows.append(
                    {
                        **where,
                        "product": row.product,
                        "reading": "price_band_listings",
                        "value": band.listings,
                        "band_from_local": band.low_local,
                        "band_to_local": band.high_local,
                    }
                )
    for sample in result.get("samples") or []:
        for name in SAMPLE_READINGS:
            rows.append(
                {
                    **base,
                    "kind": "sample",
                    "product": sample.get("product"),
                    "supplier": sample.get("supplier"),
                    "reading": name,
                    "value": _number(sample.get(name)),
                }
            )
    return rows


def unserved_by_offer(result: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(market, product) -> the unserved-demand estimate of the team's studies in one
    round's result (only what it bought)."""
    found: dict[tuple[str, str], float] = {}
    for raw in result.get("research") or []:
        market = str(raw.get("market", ""))
        for row in raw.get("readings") or []:
            value = _number((row.get("unserved") or {}).get("estimate"))
            if value is not None:
                found[(market, str(row.get("product")))] = value
    return found
