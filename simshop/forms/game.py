"""Forms for games: creating one, joining, teams, roster, staff, deadlines, and the decision
sheet (a hand-rolled form that turns ``request.form`` into the engine's raw dict).

Messages for the services' refusal codes live here too, so views stay thin.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.fields.core import Field
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from simshop.engine.bots import BOT_STRATEGIES
from simshop.engine.decisions import (
    DecisionErrors,
    DecisionIssue,
    DecisionSheet,
    validate_decisions,
)
from simshop.engine.scenario import MAX_SCORING_WEIGHT, Scenario
from simshop.engine.scoring import METRICS, OPTIONAL_METRICS
from simshop.engine.state import TeamState
from simshop.forms import compliance as compliance_form
from simshop.forms import listings, sourcing
from simshop.forms.base import NUL_FIELD_MESSAGE, AppForm, nul_fields
from simshop.forms.fields import DecimalField, WholeNumberField
from simshop.messages import GAME_MESSAGES, decision_message, message_for
from simshop.numbers import NumberInputError, parse_number
from simshop.services.games import GameSpec
from simshop.vocabulary import BOT_STRATEGY_LABELS, METRIC_NAMES

COMMON_TIMEZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
]


# With a broken "largest team" field, check the smallest against the widest allowed size.
MAX_TEAM_SIZE_FALLBACK = 12


DEADLINE_YEARS = (2000, 2100)
"""Deadlines are typed in the game's time zone; outside these years converting them to UTC
(or adding the rounds' intervals) could overflow Python's datetime."""


def deadline_in_range(_form: Any, field: Any) -> None:
    if field.data is not None and not DEADLINE_YEARS[0] <= field.data.year < DEADLINE_YEARS[1]:
        raise ValidationError(
            _l(
                "Enter a date from %(first)s to %(last)s.",
                first=DEADLINE_YEARS[0],
                last=DEADLINE_YEARS[1] - 1,
            )
        )


WEIGHT_RULES = [
    InputRequired(),
    NumberRange(
        min=0,
        max=MAX_SCORING_WEIGHT,
        message=_l("Enter a weight from 0 to %(max)s.", max=int(MAX_SCORING_WEIGHT)),
    ),
]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ActionForm(AppForm):
    """A button that POSTs (open, close, hold, copy, delete, ...): only the CSRF token."""


def add_metric_fields(form_class: type, make_field: Any, prefix: str = "") -> None:
    """Give ``form_class`` one field per scorecard metric (engine order), named
    ``prefix + metric`` and labelled with the metric's name; ``make_field(label)`` builds it."""
    for metric in METRICS:
        setattr(form_class, prefix + metric, make_field(METRIC_NAMES[metric]))


class CreateGameForm(AppForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=120)],
        description=_l("Students see it, e.g. “Cross-border e-commerce, class 3, spring”."),
    )
    scenario_file = SelectField(_l("Scenario"), validators=[DataRequired()])
    scored_rounds = WholeNumberField(
        _l("Scored rounds"),
        validators=[InputRequired(_l("Enter a number.")), NumberRange(min=1, max=40)],
        default=6,
    )
    practice_rounds = WholeNumberField(
        _l("Practice rounds"),
        validators=[InputRequired(_l("Enter a number.")), NumberRange(min=0, max=5)],
        default=0,
        description=_l("Played first, then everything is reset; they do not count."),
    )
    schedule = SelectField(
        _l("Schedule"),
        choices=[
            SelectChoice("manual", _l("Manual: I open and close every round")),
            SelectChoice("deadlines", _l("Deadlines: rounds close and advance by themselves")),
        ],
        default="manual",
    )
    first_deadline = DateTimeLocalField(
        _l("First deadline"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional(), deadline_in_range],
        description=_l("In the game's time zone. Needed for the deadline schedule."),
    )
    round_interval_hours = DecimalField(
        _l("Hours between deadlines"),
        validators=[Optional(), NumberRange(min=0.1, max=24 * 60)],
        default=168,
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=[SelectChoice(z) for z in COMMON_TIMEZONES],
        default="Asia/Shanghai",
    )
    team_min_size = WholeNumberField(
        _l("Smallest team"), validators=[InputRequired(), NumberRange(min=1, max=12)], default=1
    )
    team_max_size = WholeNumberField(
        _l("Largest team"), validators=[InputRequired(), NumberRange(min=1, max=12)], default=4
    )
    bot_count = WholeNumberField(
        _l("Bot teams"),
        validators=[InputRequired(), NumberRange(min=0, max=50)],
        default=3,
        description=_l("Computer-run rivals that fill empty seats."),
    )
    bot_strategies = MultiCheckboxField(
        _l("Bot strategies"),
        choices=[SelectChoice(s, BOT_STRATEGY_LABELS.get(s, s)) for s in BOT_STRATEGIES],
        default=list(BOT_STRATEGIES),
    )
    show_rival_names = BooleanField(
        _l("Teams may see rivals' names"),
        description=_l(
            "Off: students see their own team by name and rivals as Rival A, Rival B… on the "
            "leaderboard, the projector, research, exports and competitions. Staff always "
            "see every name."
        ),
    )
    briefing_exact_sizes = BooleanField(
        _l("The briefing shows exact market sizes"),
        description=_l(
            "Off: the students' briefing shows each market's size as an index (the largest "
            "market = 100). On: it shows the shoppers expected per product and round."
        ),
    )
    submit = SubmitField(_l("Create game"))

    weight_fields = tuple(f"weight_{metric}" for metric in METRICS)
    """One weight per scorecard metric (fields added by :func:`add_metric_fields`)."""

    def _ok(self, name: str, fallback: Any = None) -> Any:
        """A field's value if it parsed and passed its own checks, else ``fallback``."""
        fld = self[name]
        return fallback if fld.errors or fld.data is None else fld.data

    def to_spec(self) -> GameSpec:
        """The game spec typed so far; fields with errors of their own count as unset, so
        the service's checks run on every other field in the same submit."""
        first = self._ok("first_deadline")
        timezone = self._ok("timezone", "UTC")
        if first is not None and timezone in COMMON_TIMEZONES:
            first = first.replace(tzinfo=ZoneInfo(timezone))
        return GameSpec(
            title=self._ok("title", "") or "",
            scenario_file=self._ok("scenario_file", "") or "",
            scored_rounds=self._ok("scored_rounds"),
            practice_rounds=self._ok("practice_rounds"),
            schedule=self._ok("schedule", "manual"),
            first_deadline=first,
            round_interval=timedelta(hours=self._ok("round_interval_hours", 168) or 168),
            timezone=timezone,
            team_min_size=self._ok("team_min_size", 1),
            team_max_size=self._ok("team_max_size", MAX_TEAM_SIZE_FALLBACK),
            bot_count=self._ok("bot_count"),
            bot_strategies=self._ok("bot_strategies") or None,
            scoring_weights={
                key.removeprefix("weight_"): self._ok(key, 0.0) for key in self.weight_fields
            },
            show_rival_names=bool(self.show_rival_names.data),
            briefing_exact_sizes=bool(self.briefing_exact_sizes.data),
        )

    def attach(self, problems: list[Any]) -> None:
        """Put the service's refusals (:class:`GameError`) on their fields, after the
        field's own errors (a field with an error of its own keeps just that)."""
        for exc in problems:
            target = getattr(self, exc.field or "", None)
            if not isinstance(target, Field):
                target = self.title
            if exc.field and target.errors:
                continue
            target.errors = [*target.errors, message_for(GAME_MESSAGES, exc.code, exc.params)]


add_metric_fields(
    CreateGameForm,
    lambda label: DecimalField(label, validators=WEIGHT_RULES),
    prefix="weight_",
)
for _metric in sorted(OPTIONAL_METRICS):
    # An optional metric left empty weighs 0 (a form without the field still creates games).
    setattr(
        CreateGameForm,
        f"weight_{_metric}",
        DecimalField(
            METRIC_NAMES[_metric],
            validators=[Optional(), *WEIGHT_RULES[1:]],
            default=0,
            description=_l("Optional: 0 leaves it off the leaderboard."),
        ),
    )


class BriefingSizesForm(AppForm):
    exact = BooleanField(_l("Show exact market sizes in the briefing"))
    submit = SubmitField(_l("Save"))


class JoinGameForm(AppForm):
    code = StringField(
        _l("Join code"),
        validators=[DataRequired(_l("Enter the join code your instructor gave you."))],
    )
    submit = SubmitField(_l("Join"))


class CreateTeamForm(AppForm):
    name = StringField(
        _l("Team name"), validators=[DataRequired(_l("Enter a team name.")), Length(max=60)]
    )
    submit = SubmitField(_l("Create team"))


class RosterForm(AppForm):
    roster = FileField(
        _l("Roster (CSV)"),
        validators=[FileRequired(_l("Choose a CSV file."))],
    )
    submit = SubmitField(_l("Import roster"))


class AssistantForm(AppForm):
    login = StringField(_l("Instructor's login"), validators=[DataRequired(_l("Enter a login."))])
    submit = SubmitField(_l("Add instructor"))


class DeadlineForm(AppForm):
    deadline = DateTimeLocalField(
        _l("Deadline"), format="%Y-%m-%dT%H:%M", validators=[Optional(), deadline_in_range]
    )
    submit = SubmitField(_l("Set deadline"))


# --------------------------------------------------------------------------- messages


ROSTER_COLUMNS = {
    "name": _l("name"),
    "student_number": _l("student number"),
    "team": _l("team"),
}


# --------------------------------------------------------------------------- decisions

SECTION_MARKETS = "markets"
SECTION_PRICING = "pricing"
SECTION_STOCK = "stock"
SECTION_QUALITY = "quality"
SECTION_FINANCE = "finance"
STOCK_MODES = ("sea", "rail", "air")


@dataclass
class DecisionField:
    """One input of the decision sheet. ``name`` is the HTML name (dotted, like the
    engine's issue locations); ``kind`` is number, int, checkbox or select."""

    name: str
    kind: str
    value: Any
    section: str
    market: str | None = None
    product: str | None = None
    key: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    term: str | None = None
    """The search term of a campaign field (forms/listings.py)."""

    @property
    def id(self) -> str:
        return "d-" + self.name.replace(".", "-")


class DecisionForm:
    """The decision sheet as a form for one scenario and one team.

    Build it from a :class:`DecisionSheet` (to show) or from ``request.form`` (to save);
    :meth:`raw` gives the engine's raw dict, :meth:`attach` puts the engine's issues on the
    right fields via their ``loc``.
    """

    def __init__(self, scenario: Scenario, team: TeamState) -> None:
        self.scenario, self.team = scenario, team
        self.fields: dict[str, DecisionField] = {}
        self.form_errors: list[str] = []
        self._shipment_fields: list[str] = []
        self._enter: list[str] = []
        self._leave: list[str] = []
        self._sample_fields: list[str] = []
        self._study_fields: list[str] = []
        self.bullet_fields: dict[tuple[str, str], list[str]] = {}

    # ---- building

    def _add(self, f: DecisionField) -> None:
        self.fields[f.name] = f

    @classmethod
    def from_sheet(cls, scenario: Scenario, team: TeamState, sheet: DecisionSheet) -> DecisionForm:
        form = cls(scenario, team)
        shipped = {(s.market, s.product, s.mode): s.quantity for s in sheet.shipments}
        values: dict[str, Any] = {}
        for m in scenario.markets:
            entered = m.code in team.entered_markets
            values[f"market.{m.code}"] = (
                (m.code in sheet.leave_markets) if entered else (m.code in sheet.enter_markets)
            )
            for p in scenario.products:
                offer = sheet.offers.get(m.code, {}).get(p.id)
                base = f"offers.{m.code}.{p.id}"
                values[f"{base}.listed"] = bool(offer and offer.listed)
                values[f"{base}.price_local"] = offer.price_local if offer else None
                values[f"{base}.ad_budget_cny"] = offer.ad_budget_cny if offer else None
                values[f"{base}.channel"] = offer.channel if offer else "warehouse"
                listings.sheet_values(values, base, offer)
                for mode in STOCK_MODES:
                    values[f"ship.{m.code}.{p.id}.{mode}"] = shipped.get((m.code, p.id, mode))
        for p in scenario.products:
            values[f"factory_orders.{p.id}"] = sheet.factory_orders.get(p.id)
            values[f"quality_investment_cny.{p.id}"] = sheet.quality_investment_cny.get(p.id)
        values["borrow_cny"] = sheet.borrow_cny if sheet.borrow_cny > 0 else None
        values["repay_cny"] = -sheet.borrow_cny if sheet.borrow_cny < 0 else None
        values.update(compliance_form.certificate_values(sheet))
        values.update(sourcing.sheet_values(scenario, team, sheet))
        form._build(values)
        return form

    @classmethod
    def from_request(cls, scenario: Scenario, team: TeamState, data: Any) -> DecisionForm:
        form = cls(scenario, team)
        form._build(None)
        sourcing.read_request(form, data)
        nul = nul_fields()
        # A plain dictionary of the first values: MultiDict.get raises (and catches) an
        # exception for every absent field, and most fields of a sheet are absent.
        data = data.to_dict() if hasattr(data, "to_dict") else dict(data)
        for f in form.fields.values():
            if f.kind == "checkbox":
                f.value = data.get(f.name) in ("y", "on", "1", "true")
            elif f.kind in listings.TEXT_KINDS:
                f.value = listings.read_text(data.get(f.name, ""))
            elif f.kind == "select":
                raw = data.get(f.name, "")
                f.value = raw if raw in [c[0] for c in f.choices] else f.choices[0][0]
            else:
                f.value = form._parse_number(f, data.get(f.name, ""))
            if f.name in nul:
                f.errors = [NUL_FIELD_MESSAGE]
        return form

    def _parse_number(self, f: DecisionField, raw: str) -> Any:
        if not raw:
            return None  # most fields of a sheet are left empty: skip the parser
        try:
            number = parse_number(raw, integer=f.kind == "int")
        except NumberInputError as exc:
            f.errors.append(exc.message)
            return raw
        if number is None:
            return None
        return int(number) if f.kind == "int" else float(number)

    def _build(self, values: dict[str, Any] | None) -> None:
        sc = self.scenario

        def v(name: str, default: Any = None) -> Any:
            return default if values is None else values.get(name, default)

        for m in sc.markets:
            name = f"market.{m.code}"
            self._add(
                DecisionField(
                    name, "checkbox", v(name, False), SECTION_MARKETS, market=m.code, key="market"
                )
            )
        for m in sc.markets:
            for p in sc.products:
                self._add_offer(v, m, p.id)
        for m in sc.markets:
            for p in sc.products:
                listings.add_fields(self, DecisionField, v, m, p)
        self._add_stock(v)
        sourcing.add_fields(self, v)
        for p in sc.products:
            name = f"quality_investment_cny.{p.id}"
            self._add(
                DecisionField(name, "number", v(name), SECTION_QUALITY, product=p.id, key="quality")
            )
        self._add(
            DecisionField("borrow_cny", "number", v("borrow_cny"), SECTION_FINANCE, key="borrow")
        )
        self._add(
            DecisionField("repay_cny", "number", v("repay_cny"), SECTION_FINANCE, key="repay")
        )
        compliance_form.add_certificate_fields(self, v)

    @functools.cached_property
    def _channel_choices(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The sales channels of an offer, translated once per form (not per offer)."""
        return ("warehouse", _("Overseas warehouse")), ("parcel", _("Direct parcel from China"))

    def _add_offer(self, v: Callable[..., Any], market: Any, product_id: str) -> None:
        """The pricing fields of one product in one market: listed, price, ads, channel."""
        base = f"offers.{market.code}.{product_id}"
        common = {"section": SECTION_PRICING, "market": market.code, "product": product_id}
        for key, kind, default in (
            ("listed", "checkbox", False),
            ("price_local", "number", None),
            ("ad_budget_cny", "number", None),
        ):
            self._add(
                DecisionField(f"{base}.{key}", kind, v(f"{base}.{key}", default), key=key, **common)
            )
        warehouse, parcel = self._channel_choices
        choices = [warehouse] + ([parcel] if market.lane("parcel") is not None else [])
        self._add(
            DecisionField(
                f"{base}.channel",
                "select",
                v(f"{base}.channel", "warehouse"),
                key="channel",
                choices=choices,
                **common,
            )
        )

    def _add_stock(self, v: Callable[..., Any]) -> None:
        """Factory orders per product, then shipments per market, product and lane."""
        sc = self.scenario
        for p in sc.products:
            name = f"factory_orders.{p.id}"
            self._add(
                DecisionField(
                    name, "int", v(name), SECTION_STOCK, product=p.id, key="factory_order"
                )
            )
        for m in sc.markets:
            for p in sc.products:
                for mode in STOCK_MODES:
                    if m.lane(mode) is None:
                        continue
                    name = f"ship.{m.code}.{p.id}.{mode}"
                    self._add(
                        DecisionField(
                            name,
                            "int",
                            v(name),
                            SECTION_STOCK,
                            market=m.code,
                            product=p.id,
                            key=mode,
                        )
                    )

    # ---- reading

    def compliance_rows(self) -> list[compliance_form.RequirementRow]:
        """The requirements as the decision page shows them (see forms/compliance.py)."""
        return compliance_form.requirement_rows(self, self.team.round_no + 1)

    @property
    def shown_products(self) -> list[Any]:
        """The products whose offer, stock and quality fields the page shows."""
        return sourcing.shown_products(self)

    listing_limits = listings.LIMITS

    def listing_score(self, market: str, product: str) -> listings.ShownScore | None:
        """The score of the offer's listing as the form holds it (forms/listings.py)."""
        return listings.score_of(self, market, product)

    def section(self, name: str) -> list[DecisionField]:
        return [f for f in self.fields.values() if f.section == name]

    def get(self, name: str) -> DecisionField | None:
        return self.fields.get(name)

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(f.errors for f in self.fields.values())

    def error_count(self) -> int:
        return len(self.form_errors) + sum(len(f.errors) for f in self.fields.values())

    def raw(self) -> dict[str, Any]:
        """The engine's raw decision dict (call only when there are no parse errors)."""
        sc, f = self.scenario, self.fields
        # A field that did not parse counts as empty, so the engine's rules still run on
        # every other field in the same submit.
        f = {name: (replace(fld, value=None) if fld.errors else fld) for name, fld in f.items()}
        raw: dict[str, Any] = {
            "enter_markets": [],
            "leave_markets": [],
            "offers": {},
            "factory_orders": {},
            "shipments": [],
            "quality_investment_cny": {},
        }
        self._enter, self._leave, self._shipment_fields = [], [], []
        for m in sc.markets:
            if f[f"market.{m.code}"].value:
                if m.code in self.team.entered_markets:
                    self._leave.append(m.code)
                else:
                    self._enter.append(m.code)
        raw["enter_markets"], raw["leave_markets"] = list(self._enter), list(self._leave)
        self._add_offers(raw, f)
        for p in sc.products:
            qty = f[f"factory_orders.{p.id}"].value
            if qty:
                raw["factory_orders"][p.id] = int(qty)
            amount = f[f"quality_investment_cny.{p.id}"].value
            if amount:
                raw["quality_investment_cny"][p.id] = float(amount)
        for name, fld in f.items():
            if name.startswith("ship.") and fld.value:
                raw["shipments"].append(
                    {
                        "product": fld.product,
                        "market": fld.market,
                        "mode": fld.key,
                        "quantity": int(fld.value),
                    }
                )
                self._shipment_fields.append(name)
        borrow = float(f["borrow_cny"].value or 0.0)
        repay = float(f["repay_cny"].value or 0.0)
        raw["borrow_cny"] = borrow - repay
        certificates = compliance_form.chosen_certificates(sc, f)
        if certificates:
            raw["certificates"] = certificates
        sourcing.add_to_raw(self, raw, f)
        return raw

    def _add_offers(self, raw: dict[str, Any], f: dict[str, DecisionField]) -> None:
        """Add each market's offers to the raw dict (an offer with nothing set is left out)."""
        sc = self.scenario
        for m in sc.markets:
            for p in sc.products:
                base = f"offers.{m.code}.{p.id}"
                listed = bool(f[f"{base}.listed"].value)
                price = f[f"{base}.price_local"].value
                ad = f[f"{base}.ad_budget_cny"].value
                extras, self.bullet_fields[(m.code, p.id)] = listings.offer_extras(f, base, p)
                if not listed and price is None and ad is None and not extras:
                    continue
                raw["offers"].setdefault(m.code, {})[p.id] = {
                    "listed": listed,
                    "price_local": float(price or 0.0),
                    "ad_budget_cny": float(ad or 0.0),
                    "channel": f[f"{base}.channel"].value,
                    **extras,
                }

    def check(self) -> None:
        """Run the engine's rules now, on every field that parsed, so one submit shows every
        problem of every layer (typing and rules) at once, each on its field."""
        try:
            validate_decisions(self.scenario, self.team, self.raw())
        except DecisionErrors as exc:
            self.attach(exc.issues, keep_typing_errors=True)

    def differences(self, other: DecisionForm) -> list[tuple[DecisionField, Any, Any]]:
        """Fields whose values differ: (this form's field, its value, ``other``'s value)."""
        return [
            (fld, fld.value, other.fields[name].value)
            for name, fld in self.fields.items()
            if name in other.fields and (fld.value or None) != (other.fields[name].value or None)
        ]

    def attach(self, issues: list[DecisionIssue], *, keep_typing_errors: bool = False) -> None:
        """Put each engine issue on the field its ``loc`` points at (``keep_typing_errors``:
        a field that could not be read keeps only that message)."""
        for issue in issues:
            params = compliance_form.with_requirement_names(self.scenario, issue.params)
            text = decision_message(issue.code, params)
            target = self._field_for(issue.loc)
            if target is None:
                self.form_errors.append(text)
            elif keep_typing_errors and target.errors:
                continue
            elif text not in target.errors:
                target.errors.append(text)

    def _field_for(self, loc: tuple) -> DecisionField | None:
        if not loc:
            return None
        head = loc[0]
        if head in sourcing.HEADS:
            return sourcing.field_for(self, loc)
        if head in ("enter_markets", "leave_markets") and len(loc) > 1:
            codes = self._enter if head == "enter_markets" else self._leave
            index = loc[1]
            if isinstance(index, int) and index < len(codes):
                return self.fields.get(f"market.{codes[index]}")
            return None
        if head == "offers":
            if (found := listings.field_for(self, loc)) is not None:
                return found
            if len(loc) >= 4:
                return self.fields.get(f"offers.{loc[1]}.{loc[2]}.{loc[3]}")
            if len(loc) >= 2:
                return self.fields.get(f"market.{loc[1]}")
            return None
        if head == "shipments" and len(loc) > 1 and isinstance(loc[1], int):
            if loc[1] < len(self._shipment_fields):
                return self.fields.get(self._shipment_fields[loc[1]])
            return None
        if head in ("factory_orders", "quality_investment_cny") and len(loc) > 1:
            return self.fields.get(f"{head}.{loc[1]}")
        if head == "certificates":
            return compliance_form.certificate_field_for(self, loc)
        if head == "borrow_cny":
            repay = self.fields["repay_cny"].value
            return self.fields["repay_cny" if repay else "borrow_cny"]
        return None
