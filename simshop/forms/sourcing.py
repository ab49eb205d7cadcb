"""The sourcing part of the decision sheet: assortment, suppliers, samples and research.

With a catalogue (products that name suppliers) the team chooses which products it carries;
only those get offer, stock and quality fields on the page, so a 30-product catalogue stays
usable. A carried product has a chosen supplier (the sheet's ``suppliers``: product ->
supplier id, carried over by the engine); a product's factory order is made from it.
Samples (one per product and supplier) and research studies (market, category, budget) are
bought this round only.

Scenarios without suppliers keep the old page: every product shown, no sourcing section.
Sheets and engines without the new keys stay valid: a key is sent only when it holds
something (:func:`add_to_raw`).

The public facts of a catalogue product (category, weight, reference price, seasonality)
and a supplier's advertised terms are shown; a game's hidden draws never are (the engine
keeps them; a sample's or a study's readings reach the team through its own round results,
:mod:`simshop.services.research`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from babel.dates import get_month_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from simshop.engine.conditions import conditions_for_round
from simshop.engine.scenario import Scenario, has_sourcing
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import TeamState
from simshop.i18n import category_name, localized_name

if TYPE_CHECKING:
    from simshop.forms.game import DecisionForm

SECTION_SOURCING = "sourcing"
SECTION_RESEARCH = "research"
STUDY_SLOTS = 3
"""Research studies a team can order in one round (empty slots are ignored)."""

HEADS = ("suppliers", "samples", "research")
"""The sheet keys this module owns (issue locations starting with them land here)."""


# --------------------------------------------------------------------------- the scenario


def suppliers_of(product: Any) -> list[Any]:
    return list(product.suppliers)


def has_catalogue(scenario: Scenario) -> bool:
    """Whether the team chooses what to carry: products with demand drawn per game or with
    suppliers."""
    return any(p.demand_range or p.suppliers for p in scenario.products)


def research_enabled(scenario: Scenario) -> bool:
    """Whether studies are for sale (:func:`simshop.engine.scenario.has_sourcing`)."""
    return has_sourcing(scenario)


def categories(scenario: Scenario) -> list[str]:
    """The scenario's product categories, in catalogue order, each once."""
    return list(dict.fromkeys(p.category for p in scenario.products))


def supplier_label(supplier: Any) -> str:
    return localized_name(supplier)


def peak_months(product: Any) -> list[int]:
    """The months (1..12) of a product's seasonal peak: where its seasonality index is at
    its highest (empty when the product has no seasonality, or a flat one)."""
    season = list(product.seasonality or [])
    if len(season) != 12 or max(season) - min(season) < 1e-9:
        return []
    top = max(season)
    return [i + 1 for i, s in enumerate(season) if s >= top - 1e-9]


def listing_caps(scenario: Scenario, state: TeamState) -> dict[str, int | None]:
    """Market code -> the most products one team may list there next round (None: no cap)."""
    number = min(max(state.round_no + 1, 1), scenario.calendar.rounds)
    markets = conditions_for_round(scenario, number).markets
    return {code: getattr(mc, "listing_cap", None) for code, mc in markets.items()}


# --------------------------------------------------------------------------- the form


def carried_products(scenario: Scenario, team: TeamState, sheet: DecisionSheet) -> set[str]:
    """Products the team carries: a chosen supplier, an offer, an order, or stock anywhere."""
    carried = set(sheet.suppliers)
    for offers in sheet.offers.values():
        carried.update(p for p, o in offers.items() if o.listed)
    carried.update(p for p, q in sheet.factory_orders.items() if q)
    carried.update(p for p, q in team.china_stock.items() if q)
    for stock in team.warehouse_stock.values():
        carried.update(p for p, q in stock.items() if q)
    carried.update(s.product for s in team.in_transit)
    carried.update(b.product for b in team.in_production)
    known = {p.id for p in scenario.products}
    return carried & known


def sheet_values(scenario: Scenario, team: TeamState, sheet: DecisionSheet) -> dict[str, Any]:
    """The sourcing fields' values shown for a saved (or carried-over) sheet."""
    values: dict[str, Any] = {}
    if not has_catalogue(scenario):
        return values
    chosen = dict(sheet.suppliers)
    carried = carried_products(scenario, team, sheet)
    for p in scenario.products:
        values[f"carry.{p.id}"] = p.id in carried
        if suppliers_of(p):
            values[f"suppliers.{p.id}"] = chosen.get(p.id, suppliers_of(p)[0].id)
    for sample in sheet.samples:
        values[f"samples.{sample.product}.{sample.supplier}"] = True
    for i, study in enumerate(sheet.research[:STUDY_SLOTS]):
        values[f"research.{i}.market"] = study.market
        values[f"research.{i}.category"] = study.category
        values[f"research.{i}.budget_cny"] = study.budget_cny
    return values


def add_fields(form: DecisionForm, v: Callable[..., Any]) -> None:
    """Add the sourcing and research fields to ``form`` (``v(name, default)`` gives the
    shown value)."""
    sc = form.scenario
    form._sample_fields, form._study_fields = [], []
    if has_catalogue(sc):
        _add_catalogue_fields(form, v)
    if research_enabled(sc):
        _add_research_fields(form, v)


def _add_catalogue_fields(form: DecisionForm, v: Callable[..., Any]) -> None:
    """Add each product's carry box, supplier choice and sample boxes to ``form``."""
    from simshop.forms.game import DecisionField

    for p in form.scenario.products:
        name = f"carry.{p.id}"
        form._add(
            DecisionField(
                name, "checkbox", v(name, False), SECTION_SOURCING, product=p.id, key="carry"
            )
        )
        offered = suppliers_of(p)
        if not offered:
            continue
        name = f"suppliers.{p.id}"
        choices = [(s.id, supplier_label(s)) for s in offered]
        form._add(
            DecisionField(
                name,
                "select",
                v(name, offered[0].id),
                SECTION_SOURCING,
                product=p.id,
                key="supplier",
                choices=choices,
            )
        )
        for s in offered:
            name = f"samples.{p.id}.{s.id}"
            form._add(
                DecisionField(
                    name,
                    "checkbox",
                    v(name, False),
                    SECTION_SOURCING,
                    product=p.id,
                    key="sample",
                )
            )


def _add_research_fields(form: DecisionForm, v: Callable[..., Any]) -> None:
    """Add the market, category and budget fields of every study slot to ``form``."""
    from simshop.forms.game import DecisionField

    sc = form.scenario
    markets = [("", "—")] + [(m.code, localized_name(m)) for m in sc.markets]
    cats = [("", "—")] + [(c, category_name(sc, c) or c) for c in categories(sc)]
    for i in range(STUDY_SLOTS):
        base = f"research.{i}"
        for key, kind, choices in (
            ("market", "select", markets),
            ("category", "select", cats),
            ("budget_cny", "number", []),
        ):
            name = f"{base}.{key}"
            form._add(
                DecisionField(
                    name,
                    kind,
                    v(name, "" if kind == "select" else None),
                    SECTION_RESEARCH,
                    key=f"study_{key}",
                    choices=list(choices),
                )
            )


ASSORTMENT_MARKER = "assortment"
"""A hidden input of the sourcing section: a posted form without it (the "what if" page)
has no assortment fields, so every product counts as carried."""


def read_request(form: DecisionForm, data: Any) -> None:
    form._assortment_posted = data.get(ASSORTMENT_MARKER) == "shown"


def assortment_applies(form: DecisionForm) -> bool:
    return has_catalogue(form.scenario) and getattr(form, "_assortment_posted", True)


def is_carried(form: DecisionForm, product_id: str) -> bool:
    """Whether the page shows the product's offer, stock and quality fields."""
    if not assortment_applies(form):
        return True
    carry = form.fields.get(f"carry.{product_id}")
    return bool(carry and carry.value)


def shown_products(form: DecisionForm) -> list[Any]:
    return [p for p in form.scenario.products if is_carried(form, p.id)]


def add_to_raw(form: DecisionForm, raw: dict[str, Any], f: dict[str, Any]) -> None:
    """Complete the engine's raw dict with the sourcing keys, and drop what the team does
    not carry (its offers, orders, shipments and quality investment)."""
    sc = form.scenario
    form._sample_fields, form._study_fields = [], []
    if assortment_applies(form):
        _apply_assortment(form, raw, f)
    _check_listing_caps(form, raw)
    if research_enabled(sc):
        _add_research(form, raw, f)


def _apply_assortment(form: DecisionForm, raw: dict[str, Any], f: dict[str, Any]) -> None:
    """Drop what the team does not carry from ``raw``; add its suppliers and samples."""
    sc = form.scenario
    carried = {p.id for p in sc.products if f[f"carry.{p.id}"].value}
    for market in list(raw["offers"]):
        kept = {p: o for p, o in raw["offers"][market].items() if p in carried}
        if kept:
            raw["offers"][market] = kept
        else:
            del raw["offers"][market]
    for key in ("factory_orders", "quality_investment_cny"):
        raw[key] = {p: q for p, q in raw[key].items() if p in carried}
    kept_ships, kept_names = [], []
    for ship, name in zip(raw["shipments"], form._shipment_fields, strict=True):
        if ship["product"] in carried:
            kept_ships.append(ship)
            kept_names.append(name)
    raw["shipments"], form._shipment_fields = kept_ships, kept_names
    suppliers = {
        p.id: f[f"suppliers.{p.id}"].value
        for p in sc.products
        if p.id in carried and f"suppliers.{p.id}" in f
    }
    if suppliers:
        raw["suppliers"] = suppliers
    samples = []
    for name, fld in f.items():
        if name.startswith("samples.") and fld.value:
            _, product, supplier = name.split(".", 2)
            samples.append({"product": product, "supplier": supplier})
            form._sample_fields.append(name)
    if samples:
        raw["samples"] = samples


def _add_research(form: DecisionForm, raw: dict[str, Any], f: dict[str, Any]) -> None:
    """Add the filled study slots to ``raw``, marking a missing market or category."""
    studies = []
    for i in range(STUDY_SLOTS):
        base = f"research.{i}"
        market, category = f[f"{base}.market"].value, f[f"{base}.category"].value
        budget = f[f"{base}.budget_cny"].value
        if not market and not category and budget is None:
            continue
        for key, value, text in (
            ("market", market, _l("Choose the market to study.")),
            ("category", category, _l("Choose the product category to study.")),
        ):
            fld = f[f"{base}.{key}"]
            if not value and str(text) not in form.fields[fld.name].errors:
                form.fields[fld.name].errors.append(str(text))
        studies.append(
            {
                "market": market or "",
                "category": category or "",
                "budget_cny": float(budget or 0.0),
            }
        )
        form._study_fields.append(base)
    if studies:
        raw["research"] = studies


def _check_listing_caps(form: DecisionForm, raw: dict[str, Any]) -> None:
    """A market's listing cap (a market rule of the coming round): the products listed
    beyond it are marked on their "list" box (the round would delist them)."""
    if not has_catalogue(form.scenario):
        return
    caps = listing_caps(form.scenario, form.team)
    for market, offers in raw["offers"].items():
        cap = caps.get(market)
        listed = [p for p, offer in offers.items() if offer["listed"]]
        if cap is None or len(listed) <= cap:
            continue
        order = [p.id for p in form.scenario.products]
        for product in sorted(listed, key=order.index)[cap:]:
            fld = form.fields[f"offers.{market}.{product}.listed"]
            text = str(CAP_MESSAGE) % {"cap": cap}
            if text not in fld.errors:
                fld.errors.append(text)


CAP_MESSAGE = _l("At most %(cap)s products may be listed in this market this round.")


def field_for(form: DecisionForm, loc: tuple) -> Any:
    """The field an engine issue located under suppliers, samples or research points at."""
    head = loc[0]
    if head == "suppliers" and len(loc) > 1:
        return form.fields.get(f"suppliers.{loc[1]}")
    if len(loc) < 2 or not isinstance(loc[1], int):
        return None
    names = form._sample_fields if head == "samples" else form._study_fields
    if loc[1] >= len(names):
        return None
    if head == "samples":
        return form.fields.get(names[loc[1]])
    # a study repeated (no third part) is marked on its market
    key = loc[2] if len(loc) > 2 and loc[2] in ("category", "budget_cny") else "market"
    return form.fields.get(f"{names[loc[1]]}.{key}")


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class SupplierFacts:
    """What a team may know of a supplier: its advertised terms, and the true quality and
    defect rate only when the team bought a sample (``revealed``)."""

    id: str
    label: str
    moq: int
    tiers: list[tuple[int, float]]
    lead_days: int
    quality_range: tuple[float, float]
    defect_rate_range: tuple[float, float]
    deposit_share: float
    sample_cost_cny: float
    sample_field: Any
    revealed: dict[str, Any] | None


@dataclass(frozen=True)
class CatalogueRow:
    product: Any
    category: str
    peak_season: str
    """The peak months' abbreviated names in the page's language ("" without a peak)."""
    carried: bool
    carry_field: Any
    supplier_field: Any
    suppliers: list[SupplierFacts]


@dataclass(frozen=True)
class SourcingPage:
    catalogue: list[CatalogueRow]
    caps: dict[str, int | None]
    listed: dict[str, int]
    studies: list[tuple[Any, Any, Any]]
    chosen: dict[str, str]

    def chosen_supplier(self, product_id: str) -> SupplierFacts | None:
        """The supplier the form names for a carried product (its factory order's maker)."""
        row = next((r for r in self.catalogue if r.product.id == product_id), None)
        if row is None or not row.suppliers:
            return None
        wanted = self.chosen.get(product_id)
        return next((s for s in row.suppliers if s.id == wanted), row.suppliers[0])


def _pair(value: Any) -> tuple[float, float]:
    lo, hi = value
    return float(lo), float(hi)


def page_view(form: DecisionForm, revealed: dict[tuple[str, str], dict[str, Any]]) -> SourcingPage:
    """The sourcing section of the decision page: the catalogue (public facts), each
    product's suppliers (advertised terms; the truth of the ones sampled, from ``revealed``:
    (product, supplier) -> the sample's readings), listing caps and research slots."""
    sc, fields = form.scenario, form.fields
    rows = []
    months = get_month_names("abbreviated", locale=get_locale() or "en")
    if has_catalogue(sc):
        for p in sc.products:
            facts = [
                SupplierFacts(
                    id=s.id,
                    label=supplier_label(s),
                    moq=s.moq,
                    tiers=[(t.min_units, t.unit_cost_cny) for t in s.tiers],
                    lead_days=s.lead_days,
                    quality_range=_pair(s.quality_range),
                    defect_rate_range=_pair(s.defect_rate_range),
                    deposit_share=s.deposit_share,
                    sample_cost_cny=s.sample_cost_cny,
                    sample_field=fields.get(f"samples.{p.id}.{s.id}"),
                    revealed=revealed.get((p.id, s.id)),
                )
                for s in suppliers_of(p)
            ]
            rows.append(
                CatalogueRow(
                    product=p,
                    category=category_name(sc, p.category) or p.category,
                    peak_season=", ".join(months[m] for m in peak_months(p)),
                    carried=is_carried(form, p.id),
                    carry_field=fields.get(f"carry.{p.id}"),
                    supplier_field=fields.get(f"suppliers.{p.id}"),
                    suppliers=facts,
                )
            )
    listed = {
        m.code: sum(
            1
            for p in shown_products(form)
            if (f := fields.get(f"offers.{m.code}.{p.id}.listed")) is not None and f.value
        )
        for m in sc.markets
    }
    studies = [
        (
            fields[f"research.{i}.market"],
            fields[f"research.{i}.category"],
            fields[f"research.{i}.budget_cny"],
        )
        for i in range(STUDY_SLOTS)
        if f"research.{i}.market" in fields
    ]
    chosen = {
        p.id: fields[f"suppliers.{p.id}"].value
        for p in sc.products
        if f"suppliers.{p.id}" in fields
    }
    return SourcingPage(rows, listing_caps(sc, form.team), listed, studies, chosen)
