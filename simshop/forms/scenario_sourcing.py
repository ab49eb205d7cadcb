"""The scenario editor's product form with its catalogue fields: demand ranges per market,
packed volume, and up to four suppliers (unit-cost tiers, lead days, quality and defect
ranges, deposit, sample cost).

Keys of a product the form does not edit (its own ``seasonality``, anything a later version
adds) are kept as they are, so editing a catalogue product in the browser never drops part
of it. A problem the scenario check finds on a range (``demand_range.US``,
``suppliers[0].quality_range``) is shown on the range's first box; one on a list of tiers
on its first row.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, StringField
from wtforms.form import Form
from wtforms.validators import Length, Optional

from simshop.engine.scenario import Scenario
from simshop.forms.fields import DecimalField, PercentField, WholeNumberField

SUPPLIER_ROWS = 4
"""Supplier rows on the form: the schema allows at most four; empty rows are left out."""
TIER_ROWS = 6
"""Unit-cost tier rows per supplier (the schema's maximum); empty rows are left out."""
RANGES = ("quality_range", "defect_rate_range")
MANAGED = ("demand_range", "volume_l", "suppliers")
"""Product keys this module edits (on top of ``forms.scenario.PRODUCT_FIELDS``)."""
BOTH_ENDS = _l("Give both ends of the range, or neither.")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RangeForm(Form):
    low = DecimalField(_l("From"), validators=[Optional()])
    high = DecimalField(_l("To"), validators=[Optional()])

    def pair(self) -> list[float] | None:
        """``[low, high]``, or None when both are empty (one alone is an error)."""
        if self.low.data is None and self.high.data is None:
            return None
        return [self.low.data, self.high.data]

    def check_both(self) -> bool:
        if (self.low.data is None) != (self.high.data is None):
            empty = self.low if self.low.data is None else self.high
            empty.errors = [*empty.errors, str(BOTH_ENDS)]
            return False
        return True


class TierForm(Form):
    min_units = WholeNumberField(_l("From units"), validators=[Optional()])
    unit_cost_cny = DecimalField(_l("Unit cost (CN¥)"), validators=[Optional()])


class SupplierForm(Form):
    id = StringField(_l("Supplier id"), filters=[_strip], validators=[Length(max=48)])
    name = StringField(_l("Name"), filters=[_strip], validators=[Length(max=60)])
    name_zh = StringField(_l("Name (Chinese)"), filters=[_strip], validators=[Length(max=60)])
    tiers = FieldList(FormField(TierForm), min_entries=TIER_ROWS, max_entries=TIER_ROWS)
    lead_days = WholeNumberField(_l("Lead days"), validators=[Optional()])
    quality_range = FormField(RangeForm, label=_l("True quality drawn from (0–1)"))
    defect_rate_range = FormField(RangeForm, label=_l("True defect rate drawn from (0–0.5)"))
    deposit_share = PercentField(_l("Deposit (%)"), validators=[Optional()])
    sample_cost_cny = DecimalField(_l("Sample cost (CN¥)"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.id.data or self.name.data)

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id.data or "", "name": self.name.data or ""}
        if self.name_zh.data:
            item["name_zh"] = self.name_zh.data
        item["tiers"] = [tier for entry in self.tiers.entries if (tier := _tier(entry.form))]
        for name in ("lead_days", "deposit_share", "sample_cost_cny"):
            if self[name].data is not None:
                item[name] = self[name].data
        for name in RANGES:
            pair = self[name].form.pair()
            if pair is not None:
                item[name] = pair
        return item


def _tier(form: TierForm) -> dict[str, Any]:
    """A typed tier row (empty: a row left blank)."""
    values = (("min_units", form.min_units.data), ("unit_cost_cny", form.unit_cost_cny.data))
    return {k: v for k, v in values if v is not None}


def demand_range_form(scenario: Scenario) -> type[Form]:
    """One [from, to] pair per market of the scenario."""
    fields = {m.code: FormField(RangeForm, label=m.code) for m in scenario.markets}
    return type("DemandRangeForm", (Form,), fields)


def add_sourcing_fields(product_form: type, scenario: Scenario) -> type:
    """A subclass of the editor's product form with the catalogue fields."""
    return type(
        "CatalogueProductForm",
        (product_form,),
        {
            "volume_l": DecimalField(
                _l("Packed volume (litres)"),
                validators=[Optional()],
                description=_l("Shown to teams; freight is charged by weight."),
            ),
            "demand_range": FormField(
                demand_range_form(scenario), label=_l("Demand weight drawn per game")
            ),
            "suppliers": FieldList(
                FormField(SupplierForm), min_entries=SUPPLIER_ROWS, max_entries=SUPPLIER_ROWS
            ),
            "translate_loc": translate_loc,
            "validate": _validate,
            "to_item": _to_item,
        },
    )


def _validate(self: Any, extra_validators: Any = None) -> bool:
    ok = super(type(self), self).validate(extra_validators)
    return check_ranges(self) and ok


def _to_item(self: Any) -> dict[str, Any]:
    return {**super(type(self), self).to_item(), **sourcing_item(self, self.original)}


def form_data(item: dict[str, Any]) -> dict[str, Any]:
    """The product item as the form's ``data`` (ranges as ``{low, high}``)."""
    data = dict(item)
    data["demand_range"] = {
        code: {"low": pair[0], "high": pair[1]}
        for code, pair in (item.get("demand_range") or {}).items()
    }
    suppliers = []
    for supplier in item.get("suppliers") or []:
        row = dict(supplier)
        for name in RANGES:
            if name in row:
                row[name] = {"low": row[name][0], "high": row[name][1]}
        suppliers.append(row)
    data["suppliers"] = suppliers
    return data


def check_ranges(form: Any) -> bool:
    """Every range with one end typed gets an error on the other (call after validate)."""
    ok = True
    for entry in form.demand_range.form:
        ok = entry.form.check_both() and ok
    for entry in form.suppliers.entries:
        for name in RANGES:
            ok = entry.form[name].form.check_both() and ok
    return ok


def sourcing_item(form: Any, original: dict[str, Any]) -> dict[str, Any]:
    """The catalogue keys of the edited product, plus the original's keys no field edits."""
    from simshop.forms.scenario import PRODUCT_FIELDS

    kept = {k: v for k, v in original.items() if k not in (*PRODUCT_FIELDS, *MANAGED)}
    item: dict[str, Any] = dict(kept)
    if form.volume_l.data is not None:
        item["volume_l"] = form.volume_l.data
    ranges = {}
    for entry in form.demand_range.form:
        pair = entry.form.pair()
        if pair is not None:
            ranges[entry.short_name] = pair
    if ranges:
        item["demand_range"] = ranges
    suppliers = [e.form.to_item() for e in form.suppliers.entries if not e.form.is_blank()]
    if suppliers:
        item["suppliers"] = suppliers
    return item


def translate_loc(self: Any, parts: list[str | int]) -> list[str | int]:
    """A problem's key path on this form: a range's problem on its first box, a range's
    end (index 0/1) on its box, a list of tiers' problem on its first row."""
    out = list(parts)
    if len(out) >= 2 and out[0] == "suppliers" and isinstance(out[1], int):
        out[1] = _supplier_row(self, out[1])
    if out[:1] == ["demand_range"] and len(out) >= 2:
        return ["demand_range", out[1], _end(out[2:])]
    if len(out) >= 3 and out[0] == "suppliers" and out[2] in RANGES:
        return [*out[:3], _end(out[3:])]
    if len(out) == 3 and out[0] == "suppliers" and out[2] == "tiers":
        return [*out, 0, "min_units"]
    return out


def _end(rest: list[str | int]) -> str:
    return "high" if rest[:1] == [1] else "low"


def _supplier_row(form: Any, index: int) -> int:
    """The form row of the item's ``index``-th supplier (blank rows are not in the item)."""
    filled = [i for i, e in enumerate(form.suppliers.entries) if not e.form.is_blank()]
    return filled[index] if index < len(filled) else index


class ResearchForm(Form):
    """The scenario's ``[research]`` table: studies for sale and their noise (off: the
    table is left out; scenarios with a catalogue or suppliers still sell studies at the
    defaults)."""

    use = BooleanField(_l("Sell market studies with these settings"))
    min_budget_cny = DecimalField(_l("Smallest study (CN¥)"), validators=[Optional()])
    reference_budget_cny = DecimalField(
        _l("Reference budget (CN¥)"),
        validators=[Optional()],
        description=_l("At this budget a reading's noise is the standard deviation below."),
    )
    noise_sd = DecimalField(
        _l("Noise at the reference budget (standard deviation of the log)"),
        validators=[Optional()],
        description=_l("The noise falls with the square root of the money spent."),
    )

    names = ("min_budget_cny", "reference_budget_cny", "noise_sd")

    @staticmethod
    def data_of(scenario: Scenario) -> dict[str, Any]:
        if scenario.research is None:
            return {"use": False}
        return {"use": True, **scenario.research.model_dump()}

    def table(self) -> dict[str, Any] | None:
        """The ``[research]`` table, or None to leave it out."""
        if not self.use.data:
            return None
        return {n: self[n].data for n in self.names if self[n].data is not None}
