"""Forms for scenario authoring, one per section.

Each form reads a section of the scenario's data (``from_item``) and writes it back
(``to_item`` / ``tables``); ranges and cross-references are checked by the scenario schema,
not duplicated here. :func:`apply_problems` puts each located problem the schema reports on
the form field its key path names, in the user's language (``PROBLEM_MESSAGES`` in
:mod:`simshop.messages`, keyed by the problem's stable ``code``; the English message is the
fallback).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from pydantic import BaseModel
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.fields.core import Field
from wtforms.form import BaseForm

from simshop.engine.bots import BOT_STRATEGIES
from simshop.engine.scenario import (
    ANY_CATEGORY,
    EVENT_KINDS,
    LANE_MODES,
    MARKET_CODES,
    EventBase,
    Market,
    Product,
    Scenario,
    Tariff,
)
from simshop.engine.scenario_errors import ScenarioProblem
from simshop.engine.scoring import METRICS
from simshop.forms.base import AppForm
from simshop.forms.fields import DecimalField, PercentField, WholeNumberField
from simshop.forms.game import add_metric_fields
from simshop.forms.scenario_sourcing import ResearchForm, add_sourcing_fields, form_data
from simshop.messages import PROBLEM_MESSAGES
from simshop.vocabulary import BOT_STRATEGY_LABELS

_REQUIRED_TEXT = PROBLEM_MESSAGES["missing"]
_TOO_LONG_TEXT = _l("At most %(max_length)s characters.")


def _fmt(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(_fmt(v)) for v in value)
    return value


def problem_message(problem: ScenarioProblem) -> str:
    """The problem's message in the user's language (English when there is no translation)."""
    params = problem.params or {}
    template = PROBLEM_MESSAGES.get(problem.code)
    if problem.code == "too_short" and params.get("field_type") == "String":
        template = _REQUIRED_TEXT
    elif problem.code == "too_long" and params.get("field_type") == "String":
        template = _TOO_LONG_TEXT
    if template is None:
        return problem.message
    try:
        return str(template) % {k: _fmt(v) for k, v in params.items()}
    except (KeyError, TypeError, ValueError):
        return problem.message


# --------------------------------------------------------------------------- fields


class ChoiceField(SelectField):
    """A select whose value the schema checks (so its message is translated there)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


def _text(label, max_length: int | None = None, **kwargs) -> StringField:
    render_kw = {"maxlength": max_length} if max_length else {}
    return StringField(label, render_kw=render_kw, filters=[_strip], **kwargs)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _values(form: BaseForm, names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields' data in order, leaving out those left empty (``None``)."""
    out = {}
    for name in names:
        value = form[name].data
        if value is not None:
            out[name] = value
    return out


LANE_LABELS = {
    "sea": _l("Sea freight"),
    "rail": _l("China–Europe rail"),
    "air": _l("Air freight"),
    "parcel": _l("Direct parcel from China"),
}
FRACTION_HELP = _l("A fraction: 0.15 is 15 %.")
PERCENT_HELP = _l("In percent: 15 is 15 % (the scenario file stores the fraction 0.15).")


class ItemForm(AppForm):
    """A form for one section of a scenario; maps problem key paths to its fields."""

    submit = SubmitField(_l("Save"))

    def translate_loc(self, parts: list[str | int]) -> list[str | int]:
        return parts

    def field_for(self, path: str) -> Field | None:
        """The field a key path (relative to this form's item) names, or None."""
        parts: list[str | int] = [
            int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)
        ]
        node: Any = self
        found: Field | None = None
        for part in self.translate_loc(parts):
            if isinstance(node, FormField):
                node = node.form
            if isinstance(node, BaseForm):
                if not isinstance(part, str) or part not in node._fields:
                    break
                node = node._fields[part]
            elif isinstance(node, FieldList) and isinstance(part, int):
                if part >= len(node.entries):
                    break
                node = node.entries[part]
            else:
                break
            found = node
        return found


def _in_percent(problem: ScenarioProblem) -> ScenarioProblem:
    bounds = {
        k: round(v * 100, 8) if k in ("gt", "ge", "lt", "le") and isinstance(v, int | float) else v
        for k, v in (problem.params or {}).items()
    }
    return dataclasses.replace(problem, params=bounds)


def apply_problems(form: ItemForm, problems: list[ScenarioProblem], prefix: str) -> list[str]:
    """Put each problem under ``prefix`` (e.g. ``"markets[2]"``, or ``""`` for top-level
    tables) on its field; return the others as "key.path: message" lines."""
    others = []
    for problem in problems:
        message = problem_message(problem)
        field = None
        rest = problem.loc
        if prefix:
            rest = problem.loc[len(prefix) :] if problem.loc.startswith(prefix) else None
            if rest is not None and rest and rest[0] not in ".[":
                rest = None
            rest = rest.lstrip(".") if rest is not None else None
        if rest:
            field = form.field_for(rest)
        if isinstance(field, PercentField):  # its bounds in percent, as typed
            message = problem_message(_in_percent(problem))
        if field is not None and not isinstance(field, FormField):
            field.errors = [*field.errors, message]
        else:
            others.append(f"{problem.loc}: {message}" if problem.loc else message)
    return others


# --------------------------------------------------------------------------- settings


class MetaForm(Form):
    id = _text(
        _l("Scenario id"),
        48,
        description=_l("Lowercase letters, digits, “-” and “_”; unique among your scenarios."),
    )
    title = _text(_l("Title"), 120)
    title_zh = _text(_l("Title (Chinese)"), 120)
    description = TextAreaField(_l("Description"), filters=[_strip])
    description_zh = TextAreaField(_l("Description (Chinese)"), filters=[_strip])
    briefing = TextAreaField(
        _l("Students' briefing"),
        filters=[_strip],
        description=_l("The story students read from joining: the situation at the start only."),
    )
    briefing_zh = TextAreaField(_l("Students' briefing (Chinese)"), filters=[_strip])
    author = _text(_l("Author"), 120)

    names = (
        "id",
        "title",
        "title_zh",
        "description",
        "description_zh",
        "briefing",
        "briefing_zh",
        "author",
    )


class CalendarForm(Form):
    rounds = WholeNumberField(_l("Rounds"), description=_l("1 to 40."))
    days_per_round = WholeNumberField(_l("Days per round"))
    practice_rounds = WholeNumberField(_l("Practice rounds"))
    start_month = WholeNumberField(
        _l("Start month"), description=_l("Calendar month of round 1 (1–12), for seasonality.")
    )

    names = ("rounds", "days_per_round", "practice_rounds", "start_month")


class EconomyForm(Form):
    starting_cash_cny = DecimalField(_l("Starting cash (CN¥)"))
    credit_line_cny = DecimalField(_l("Credit line (CN¥)"))
    interest_rate_per_round = DecimalField(
        _l("Interest rate per round"), description=_l("0.01 is 1 % a month.")
    )
    china_storage_cny_per_unit_round = DecimalField(_l("Storage in China (CN¥ per unit and round)"))

    names = (
        "starting_cash_cny",
        "credit_line_cny",
        "interest_rate_per_round",
        "china_storage_cny_per_unit_round",
    )


class BotsForm(Form):
    count = WholeNumberField(_l("Bot teams"))
    strategies = MultiCheckboxField(
        _l("Bot strategies"),
        choices=[SelectChoice(s, BOT_STRATEGY_LABELS[s]) for s in BOT_STRATEGIES],
        description=_l("None ticked: the bots use every strategy."),
    )

    names = ("strategies", "count")


class ScoringForm(Form):
    names = METRICS


add_metric_fields(ScoringForm, DecimalField)


class SettingsForm(ItemForm):
    """Metadata, calendar, economy, bots and default scoring weights.

    The ``[meta]`` table is edited by the field ``info`` (``meta`` is taken by WTForms).
    """

    info = FormField(MetaForm, label=_l("Scenario"))
    calendar = FormField(CalendarForm, label=_l("Calendar"))
    economy = FormField(EconomyForm, label=_l("Economy"))
    bots = FormField(BotsForm, label=_l("Bot teams"))
    scoring = FormField(ScoringForm, label=_l("Scoring weights (balanced scorecard)"))
    research = FormField(ResearchForm, label=_l("Market studies"))

    TABLES = {
        "meta": "info",
        "calendar": "calendar",
        "economy": "economy",
        "bots": "bots",
        "scoring": "scoring",
    }

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> SettingsForm:
        data = {field: getattr(scenario, table).model_dump() for table, field in cls.TABLES.items()}
        return cls(data={**data, "research": ResearchForm.data_of(scenario)})

    def tables(self) -> dict[str, dict[str, Any] | None]:
        """Each table's values (``research``: None when the author leaves it out)."""
        out: dict[str, dict[str, Any] | None] = {}
        for table, field in self.TABLES.items():
            sub = self[field].form
            out[table] = _values(sub, sub.names)
        out["research"] = self.research.form.table()
        return out

    def translate_loc(self, parts: list[str | int]) -> list[str | int]:
        if parts and parts[0] in self.TABLES:
            return [self.TABLES[str(parts[0])], *parts[1:]]
        return parts


# --------------------------------------------------------------------------- markets


class LaneForm(Form):
    use = BooleanField(_l("Use this lane"))
    lead_days = WholeNumberField(_l("Transit days"))
    cost_cny_per_kg = DecimalField(_l("Freight (CN¥ per kg)"))


class LanesForm(Form):
    sea = FormField(LaneForm, label=LANE_LABELS["sea"])
    rail = FormField(LaneForm, label=LANE_LABELS["rail"])
    air = FormField(LaneForm, label=LANE_LABELS["air"])
    parcel = FormField(LaneForm, label=LANE_LABELS["parcel"])


MARKET_FIELDS = (
    "code",
    "name",
    "name_zh",
    "currency",
    "fx_cny_per_local",
    "size",
    "price_sensitivity",
    "platform_fee",
    "vat_rate",
    "vat_seller_remits",
    "entry_fee_cny",
    "fulfilment_cny_per_unit",
    "storage_cny_per_unit_day",
    "warehouse_delivery_days",
    "de_minimis_local",
    "parcel_duty_rate",
    "parcel_duty_per_item_local",
    "customs_basis",
    "price_index",
    "refund_admin_fee_share",
    "refund_admin_fee_cap_usd",
)


class MarketForm(ItemForm):
    code = ChoiceField(_l("Market"), choices=[SelectChoice(c, c) for c in MARKET_CODES])
    name = _text(_l("Name"), 60)
    name_zh = _text(_l("Name (Chinese)"), 60)
    currency = _text(_l("Currency"), 3, description=_l("Three capital letters, e.g. USD."))
    fx_cny_per_local = DecimalField(
        _l("Exchange rate (CN¥ per unit of local currency)"),
        description=_l("At the start of the game, e.g. 7.107 for the US dollar."),
    )
    size = DecimalField(_l("Market size (US = 100)"))
    price_sensitivity = DecimalField(
        _l("Price sensitivity"), description=_l("1 is normal; 1.5 is more price-sensitive.")
    )
    platform_fee = PercentField(_l("Platform commission (%)"), description=PERCENT_HELP)
    vat_rate = PercentField(_l("VAT rate (%)"), description=PERCENT_HELP)
    vat_seller_remits = BooleanField(_l("The seller (or platform) remits VAT from the price"))
    entry_fee_cny = DecimalField(_l("Entry fee (CN¥, once)"))
    fulfilment_cny_per_unit = DecimalField(_l("Fulfilment fee (CN¥ per unit)"))
    storage_cny_per_unit_day = DecimalField(_l("Storage fee (CN¥ per unit and day)"))
    warehouse_delivery_days = WholeNumberField(_l("Delivery days from the overseas warehouse"))
    de_minimis_local = DecimalField(
        _l("De minimis threshold (local currency)"),
        description=_l("Parcels at or below this value pay no duty; 0 is no exemption."),
    )
    parcel_duty_rate = PercentField(
        _l("Parcel duty rate (%)"), description=_l("0 means the ordinary tariffs apply.")
    )
    parcel_duty_per_item_local = DecimalField(_l("Parcel duty per item (local currency)"))
    customs_basis = ChoiceField(
        _l("Customs valuation"),
        choices=[
            SelectChoice("CIF", _l("CIF: goods + international freight")),
            SelectChoice("FOB", _l("FOB: goods only (United States)")),
        ],
    )
    price_index = DecimalField(
        _l("Price level (US = 1)"),
        description=_l("Multiplies each product's US reference price in this market."),
    )
    refund_admin_fee_share = DecimalField(
        _l("Admin fee kept on refunds (share of the commission)"), description=FRACTION_HELP
    )
    refund_admin_fee_cap_usd = DecimalField(_l("Cap of that admin fee (USD per unit)"))
    seasonality = FieldList(
        DecimalField(_l("Month")), min_entries=12, max_entries=12, label=_l("Seasonality")
    )
    lanes = FormField(LanesForm, label=_l("Lanes"))

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> MarketForm:
        data = dict(item)
        data.setdefault("seasonality", [1.0] * 12)
        data.setdefault("customs_basis", "CIF")
        lanes = {lane.get("mode"): lane for lane in item.get("lanes", [])}
        data["lanes"] = {mode: {"use": mode in lanes, **lanes.get(mode, {})} for mode in LANE_MODES}
        return cls(data=data)

    def used_modes(self) -> list[str]:
        return [mode for mode in LANE_MODES if self.lanes.form[mode].form.use.data]

    def to_item(self) -> dict[str, Any]:
        item = _values(self, MARKET_FIELDS)
        item["seasonality"] = [entry.data for entry in self.seasonality.entries]
        item["lanes"] = []
        for mode in self.used_modes():
            lane = self.lanes.form[mode].form
            item["lanes"].append({"mode": mode, **_values(lane, ("lead_days", "cost_cny_per_kg"))})
        return item

    def translate_loc(self, parts: list[str | int]) -> list[str | int]:
        if len(parts) >= 2 and parts[0] == "lanes" and isinstance(parts[1], int):
            modes = self.used_modes()
            if parts[1] < len(modes):
                return ["lanes", modes[parts[1]], *parts[2:]]
        return parts


def new_market(scenario: Scenario) -> dict[str, Any]:
    """A new market's starting values: the first code not used yet, one sea lane."""
    used = {m.code for m in scenario.markets}
    code = next((c for c in MARKET_CODES if c not in used), MARKET_CODES[0])
    return {
        "code": code,
        "name": code,
        "currency": "USD",
        "fx_cny_per_local": 7.107,
        "size": 10.0,
        "platform_fee": 0.15,
        "lanes": [{"mode": "sea", "lead_days": 30, "cost_cny_per_kg": 4.0}],
    }


# --------------------------------------------------------------------------- products


PRODUCT_FIELDS = (
    "id",
    "name",
    "name_zh",
    "category",
    "unit_cost_cny",
    "weight_kg",
    "base_quality",
    "return_rate",
    "return_rate_low",
    "return_rate_high",
    "reference_price_usd",
    "demand_weight",
)


class ProductForm(ItemForm):
    id = _text(_l("Product id"), 48, description=_l("Lowercase letters, digits, “-” and “_”."))
    name = _text(_l("Name"), 60)
    name_zh = _text(_l("Name (Chinese)"), 60)
    category = _text(
        _l("Category"), 48, description=_l("Tariffs and events name categories, e.g. toys.")
    )
    unit_cost_cny = DecimalField(_l("Unit cost (CN¥)"))
    weight_kg = DecimalField(_l("Weight (kg)"))
    base_quality = DecimalField(_l("Base quality (0–1)"))
    return_rate = PercentField(_l("Return rate (%)"), description=PERCENT_HELP)
    return_rate_low = DecimalField(
        _l("Lowest return rate (good quality)"), description=_l("Empty: 0.8 × the return rate.")
    )
    return_rate_high = DecimalField(
        _l("Highest return rate (poor quality, late delivery)"),
        description=_l("Empty: 1.5 × the return rate."),
    )
    reference_price_usd = DecimalField(
        _l("Reference price (USD)"), description=_l("A typical US retail price.")
    )
    demand_weight = DecimalField(
        _l("Demand weight"), description=_l("Relative number of shoppers; 1 is average.")
    )

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ProductForm:
        return cls(data=item)

    def to_item(self) -> dict[str, Any]:
        return _values(self, PRODUCT_FIELDS)


def product_form(item: dict[str, Any], scenario: Scenario) -> Any:
    """The product form with its catalogue fields (forms/scenario_sourcing.py); keys it
    does not edit are kept from ``item``."""
    form = add_sourcing_fields(ProductForm, scenario)(data=form_data(item))
    form.original = item
    return form


def new_product(scenario: Scenario) -> dict[str, Any]:
    ids = {p.id for p in scenario.products}
    n = len(ids) + 1
    while f"product-{n}" in ids:
        n += 1
    return {
        "id": f"product-{n}",
        "name": "",
        "category": scenario.products[0].category,
        "unit_cost_cny": 20.0,
        "weight_kg": 0.5,
        "reference_price_usd": 19.99,
    }


# --------------------------------------------------------------------------- tariffs


def _market_choices(scenario: Scenario) -> list[SelectChoice]:
    return [SelectChoice(m.code, m.code) for m in scenario.markets]


def _category_choices(scenario: Scenario) -> list[SelectChoice]:
    categories = sorted({p.category for p in scenario.products})
    return [
        SelectChoice(ANY_CATEGORY, _l("All categories (*)")),
        *[SelectChoice(c, c) for c in categories],
    ]


class TariffForm(ItemForm):
    market = ChoiceField(_l("Market"))
    category = ChoiceField(_l("Category"))
    rate = PercentField(
        _l("Rate (%)"), description=_l("Ad valorem duty: 30 is 30 % (stored as 0.30).")
    )
    label = _text(_l("Label shown to students"), 60)

    @classmethod
    def from_item(cls, item: dict[str, Any], scenario: Scenario) -> TariffForm:
        form = cls(data=item)
        form.market.choices = _market_choices(scenario)
        form.category.choices = _category_choices(scenario)
        return form

    def to_item(self) -> dict[str, Any]:
        return _values(self, ("market", "category", "rate", "label"))


def new_tariff(scenario: Scenario) -> dict[str, Any]:
    return {"market": scenario.markets[0].code, "category": ANY_CATEGORY, "rate": 0.0}


# --------------------------------------------------------------------------- events


class EventForm(ItemForm):
    """The keys every event has; :func:`event_form_class` adds the kind's own."""

    id = _text(_l("Event id"), 48, description=_l("Lowercase letters, digits, “-” and “_”."))
    round = WholeNumberField(_l("Takes effect in round"))
    announce_round = WholeNumberField(
        _l("News in round"),
        description=_l("Empty: the round before. The same round: a surprise."),
    )
    headline = _text(_l("Headline"), 200)
    headline_zh = _text(_l("Headline (Chinese)"), 200)
    body = TextAreaField(_l("News story"), filters=[_strip])
    body_zh = TextAreaField(_l("News story (Chinese)"), filters=[_strip])

    kind = "news"
    kind_fields: tuple[str, ...] = ()
    COMMON = ("id", "round", "announce_round", "headline", "headline_zh", "body", "body_zh")

    @classmethod
    def from_item(cls, item: dict[str, Any], scenario: Scenario) -> EventForm:
        form = cls(data=item)
        for name in cls.kind_fields:
            field = form[name]
            if name in ("market", "markets"):
                field.choices = _market_choices(scenario)
            elif name == "categories":
                field.choices = _category_choices(scenario)
            elif name == "currency":
                field.choices = [
                    SelectChoice(c, c) for c in sorted({m.currency for m in scenario.markets})
                ]
        return form

    def to_item(self) -> dict[str, Any]:
        item = {"kind": self.kind, **_values(self, self.COMMON)}
        extra = _values(self, self.kind_fields)
        if extra.get("channel_closed") == "":
            del extra["channel_closed"]
        if "categories" in extra and not extra["categories"]:
            del extra["categories"]
        item.update(extra)
        return item


def _lane_choices(blank: bool = False) -> list[SelectChoice]:
    choices = [SelectChoice("", _l("(none)"))] if blank else []
    return choices + [SelectChoice(mode, LANE_LABELS[mode]) for mode in LANE_MODES]


_EVENT_FIELDS: dict[str, Any] = {
    "market": lambda: ChoiceField(_l("Market")),
    "markets": lambda: MultiCheckboxField(_l("Markets")),
    "categories": lambda: MultiCheckboxField(
        _l("Categories"), description=_l("None ticked: all categories.")
    ),
    "rate": lambda: PercentField(
        _l("New rate (%)"),
        description=_l("Sets the duty: 30 is 30 % (stored as 0.30). Give this or the points."),
    ),
    "add_points": lambda: DecimalField(
        _l("Add percentage points"),
        description=_l("Added to the current rate: 0.10 is ten points; negative lowers it."),
    ),
    "label": lambda: _text(_l("Label shown to students"), 60),
    "threshold_local": lambda: DecimalField(
        _l("Threshold (local currency)"), description=_l("0 ends the exemption.")
    ),
    "parcel_duty_rate": lambda: PercentField(
        _l("Parcel duty rate (%)"), description=_l("0 means the ordinary tariffs apply.")
    ),
    "parcel_duty_per_item_local": lambda: DecimalField(_l("Parcel duty per item (local currency)")),
    "mode": lambda: ChoiceField(_l("Lane"), choices=_lane_choices()),
    "extra_days": lambda: WholeNumberField(_l("Extra transit days")),
    "cost_multiplier": lambda: DecimalField(
        _l("Freight cost multiplier"), description=_l("2 doubles the freight.")
    ),
    "duration_rounds": lambda: WholeNumberField(_l("Lasts (rounds)")),
    "currency": lambda: ChoiceField(_l("Currency")),
    "change": lambda: DecimalField(
        _l("Change"), description=_l("0.10 is +10 % CN¥ per unit of the currency.")
    ),
    "over_rounds": lambda: WholeNumberField(_l("Spread over rounds")),
    "multiplier": lambda: DecimalField(
        _l("Demand multiplier"), description=_l("1.5 is 50 % more shoppers.")
    ),
    "first_day": lambda: WholeNumberField(_l("First day")),
    "last_day": lambda: WholeNumberField(
        _l("Last day"), description=_l("Empty: the round's last day.")
    ),
    "fee": lambda: DecimalField(
        _l("New commission"), description=_l("0.15 is 15 %. Give this or the points.")
    ),
    "min_price_local": lambda: DecimalField(_l("Minimum price (local currency)")),
    "channel_closed": lambda: ChoiceField(_l("Closed lane"), choices=_lane_choices(blank=True)),
    "listing_cap": lambda: WholeNumberField(_l("Most products one team may list")),
    "fulfilment_add_cny": lambda: DecimalField(
        _l("Fulfilment fee change (CN¥ per unit)"),
        description=_l("Added to the fulfilment fee; negative lowers it. Empty: unchanged."),
    ),
    "storage_multiplier": lambda: DecimalField(
        _l("Storage fee multiplier"),
        description=_l("3.2 is the fourth-quarter surcharge. Empty: unchanged."),
    ),
    "fee_duration_rounds": lambda: WholeNumberField(
        _l("Lasts (rounds)"), description=_l("Empty: to the end of the game.")
    ),
    "paid_from_round": lambda: WholeNumberField(_l("Refund duty paid from round")),
    "paid_to_round": lambda: WholeNumberField(
        _l("… to round"), description=_l("Before the round the refund is paid in.")
    ),
    "share": lambda: DecimalField(
        _l("Share of the duty refunded"),
        description=_l("1 is all the duty paid. Give this or the voided rate."),
    ),
    "refund_rate": lambda: DecimalField(
        _l("Voided tariff rate"),
        description=_l(
            "Refunds this rate of the customs value (0.20 is 20 %), at most the duty paid. "
            "Give this or the share."
        ),
    ),
    "duty_per_category_local": lambda: DecimalField(
        _l("Duty per tariff category (local currency)"), description=_l("0 ends the duty.")
    ),
    "max_value_local": lambda: DecimalField(
        _l("Parcels valued at most (local currency)"),
        description=_l("Dearer parcels keep the market's low-value-parcel rule."),
    ),
    "categories_per_parcel": lambda: DecimalField(
        _l("Tariff categories per parcel"), description=_l("Average; 1 for one product a parcel.")
    ),
    "items_per_parcel": lambda: DecimalField(
        _l("Items per parcel"), description=_l("Average; the duty is shared among them.")
    ),
    # compliance (compliance_sweep, new_requirement)
    "detection_multiplier": lambda: DecimalField(
        _l("Detection multiplier"),
        description=_l("2 doubles the chance that a listing lacking a requirement is found."),
    ),
    "name": lambda: _text(_l("Requirement name"), 80),
    "name_zh": lambda: _text(_l("Requirement name (Chinese)"), 80),
    "cost_cny": lambda: DecimalField(_l("Cost to obtain (CN¥)")),
    "rounds_to_obtain": lambda: WholeNumberField(
        _l("Rounds to obtain"), description=_l("0: it covers the round it is bought in.")
    ),
    "yearly_fee_cny": lambda: DecimalField(
        _l("Yearly fee (CN¥)"), description=_l("Charged one twelfth a round while held.")
    ),
    "detection_per_round": lambda: DecimalField(
        _l("Chance a listing lacking it is found, per round"),
        description=_l("0.2 is 20 %."),
    ),
    "fine_cny": lambda: DecimalField(_l("Fine (CN¥)")),
    "removal_cny_per_unit": lambda: DecimalField(
        _l("Removal fee of stranded stock (CN¥ per unit)")
    ),
}

EVENT_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name in cls.model_fields if name not in EventBase.model_fields)
    for kind, cls in EVENT_KINDS.items()
}
"""The fields an event form shows per kind: the kind's own fields, in schema order."""

_KIND_FIELD_OVERRIDES: dict[tuple[str, str], str] = {
    # The same key means something else in these kinds: its own label and help.
    ("duty_refund", "rate"): "refund_rate",
    ("warehouse_fee_change", "duration_rounds"): "fee_duration_rounds",
}


@functools.cache
def event_form_class(kind: str) -> type[EventForm]:
    """The form for events of ``kind``: the common keys plus the kind's parameters."""
    names = EVENT_KIND_FIELDS[kind]
    attrs: dict[str, Any] = {
        name: _EVENT_FIELDS[_KIND_FIELD_OVERRIDES.get((kind, name), name)]() for name in names
    }
    attrs.update(kind=kind, kind_fields=names)
    return type(f"EventForm_{kind}", (EventForm,), attrs)


def new_event(scenario: Scenario, kind: str) -> dict[str, Any]:
    """A new event's starting values: round 2 (or 1), the first market, currency or lane."""
    ids = {e.id for e in scenario.events}
    n = 1
    while f"{kind.replace('_', '-')}-{n}" in ids:
        n += 1
    item: dict[str, Any] = {
        "kind": kind,
        "id": f"{kind.replace('_', '-')}-{n}",
        "round": min(2, scenario.calendar.rounds),
        "headline": "",
    }
    market = scenario.markets[0]
    defaults: dict[str, Any] = {
        "market": market.code,
        "markets": [market.code],
        "mode": market.lanes[0].mode,
        "currency": market.currency,
        "change": 0.05,
        "multiplier": 1.5,
        "threshold_local": 0.0,
        "add_points": 0.1,
        "fulfilment_add_cny": 1.0,
        "paid_from_round": 1,
        "paid_to_round": max(1, item["round"] - 1),
        "share": 1.0,
        "duty_per_category_local": 0.0,
        "max_value_local": 150.0,
        "detection_multiplier": 2.0,
        "cost_cny": 0.0,
        "detection_per_round": 0.1,
    }
    for name in EVENT_KIND_FIELDS[kind]:
        if name in defaults:
            item[name] = defaults[name]
    return item


# --------------------------------------------------------------------------- files, buttons


class UploadForm(AppForm):
    file = FileField(
        _l("Scenario file (.toml)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
        render_kw={"accept": ".toml,text/plain"},
    )
    submit = SubmitField(_l("Upload and check"))


# --------------------------------------------------------------------------- by section


def item_form(section: str, item: dict[str, Any], scenario: Scenario) -> Any:
    """The form editing one item of ``section`` (``markets``, ``products``, ``tariffs``,
    ``events``), filled from ``item`` (or from the posted data); keys the item leaves out
    show the schema's default."""
    item = with_defaults(section, item)
    if section == "markets":
        return MarketForm.from_item(item)
    if section == "products":
        return product_form(item, scenario)
    if section == "tariffs":
        return TariffForm.from_item(item, scenario)
    return event_form_class(item["kind"]).from_item(item, scenario)


SECTION_MODELS: dict[str, type[BaseModel]] = {
    "markets": Market,
    "products": Product,
    "tariffs": Tariff,
}


def with_defaults(section: str, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` plus the schema's default for every key it leaves out (None stays out;
    ``categories`` too: no box ticked already means every category)."""
    model = SECTION_MODELS.get(section) or EVENT_KINDS[item["kind"]]
    out = dict(item)
    for name, info in model.model_fields.items():
        if name not in out and name != "categories" and not info.is_required():
            default = info.get_default(call_default_factory=True)
            if default is not None:
                out[name] = default
    return out


def new_item(section: str, scenario: Scenario, kind: str = "news") -> dict[str, Any]:
    """Starting values for a new item of ``section`` (events: of ``kind``)."""
    if section == "markets":
        return new_market(scenario)
    if section == "products":
        return new_product(scenario)
    if section == "tariffs":
        return new_tariff(scenario)
    return new_event(scenario, kind)
