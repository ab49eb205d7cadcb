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

HISTOGRAM_KEYS = ("price_bands", "price_histogram")
"""Reading names that hold a price-band histogram (a list of bands) rather than a number."""


@dataclass(frozen=True)
class Reading:
    """One reading of a study: its estimate and the noise band around it."""

    name: str
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class PriceBand:
    low: float | None
    high: float | None
    share: float | None
    low_band: float | None = None
    high_band: float | None = None


@dataclass(frozen=True)
class Study:
    round: Round
    market: str
    category: str
    budget_cny: float
    readings: list[Reading]
    price_bands: list[PriceBand]
    currency: str | None = None


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
        return not (self.studies or self.unserved or self.samples)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _reading(name: str, raw: Any) -> Reading:
    """A reading stored as a number, or as ``{value, low, high}`` (its noise band)."""
    if isinstance(raw, dict):
        value = raw.get("value", raw.get("estimate"))
        return Reading(name, _number(value), _number(raw.get("low")), _number(raw.get("high")))
    return Reading(name, _number(raw), None, None)


def _bands(raw: Any) -> list[PriceBand]:
    bands = []
    for band in raw or []:
        if not isinstance(band, dict):
            continue
        share = band.get("share", band.get("value"))
        bands.append(
            PriceBand(
                _number(band.get("low", band.get("from"))),
                _number(band.get("high", band.get("to"))),
                _number(share),
                _number(band.get("share_low")),
                _number(band.get("share_high")),
            )
        )
    return bands


def _study(rnd: Round, raw: dict[str, Any]) -> Study:
    readings_raw = raw.get("readings") or {}
    readings, bands = [], []
    for name in sorted(readings_raw):
        if name in HISTOGRAM_KEYS:
            bands = _bands(readings_raw[name])
        else:
            readings.append(_reading(name, readings_raw[name]))
    for name in HISTOGRAM_KEYS:
        if name in raw and not bands:
            bands = _bands(raw[name])
    return Study(
        round=rnd,
        market=str(raw.get("market", "")),
        category=str(raw.get("category", "")),
        budget_cny=float(raw.get("budget_cny") or 0.0),
        readings=readings,
        price_bands=bands,
        currency=raw.get("currency"),
    )


UNSERVED_KEYS = ("unserved_units", "unserved_demand", "unserved")


def _unserved(rnd: Round, row: dict[str, Any]) -> Unserved | None:
    """The row's unserved-demand estimate (None when the team did not buy one)."""
    for key in UNSERVED_KEYS:
        if key in row and row[key] is not None:
            raw = row[key]
            if isinstance(raw, dict):
                return Unserved(
                    rnd,
                    str(row.get("market", "")),
                    str(row.get("product", "")),
                    _number(raw.get("value", raw.get("estimate"))),
                    _number(raw.get("low")),
                    _number(raw.get("high")),
                )
            return Unserved(
                rnd, str(row.get("market", "")), str(row.get("product", "")), _number(raw)
            )
    return None


def team_research(session: Session, game: Game, team: Team) -> TeamResearch:
    """The team's studies, unserved-demand estimates and sample findings, round by round
    (published rounds only)."""
    out = TeamResearch()
    for tr in analysis.team_rounds(session, game, team):
        out.studies += [_study(tr.round, s) for s in tr.result.get("research") or []]
        rows = list(tr.result.get("unserved") or []) + list(tr.result.get("products") or [])
        for row in rows:
            found = _unserved(tr.round, row)
            if found is not None:
                out.unserved.append(found)
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
a bought study (``kind`` study; a price band's share with its band), or per finding of a
bought sample (``kind`` sample: ``quality``, ``defect_rate``)."""

SAMPLE_READINGS = ("quality", "defect_rate")


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
        for reading in study.readings:
            rows.append(
                {
                    **where,
                    "reading": reading.name,
                    "value": reading.value,
                    "low": reading.low,
                    "high": reading.high,
                }
            )
        for band in study.price_bands:
            rows.append(
                {
                    **where,
                    "reading": "price_band_share",
                    "value": band.share,
                    "low": band.low_band,
                    "high": band.high_band,
                    "band_from_local": band.low,
                    "band_to_local": band.high,
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
