"""Forms for games: creating one, joining, teams, roster, staff, deadlines, and the decision
sheet (a hand-rolled form that turns ``request.form`` into the engine's raw dict).

Messages for the services' refusal codes live here too, so views stay thin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from simshop.engine.decisions import DecisionIssue, DecisionSheet
from simshop.engine.scenario import BOT_STRATEGIES, MAX_SCORING_WEIGHT, Scenario
from simshop.engine.state import TeamState

BOT_STRATEGY_LABELS = {
    "cost_plus": _l("Cost plus (steady margin)"),
    "discounter": _l("Discounter (low prices, high volume)"),
    "premium": _l("Premium (quality, fast lanes, heavy ads)"),
}
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


class FiniteFloatField(FloatField):
    """A float field that refuses ``inf``, ``nan`` and ``1e400`` (which ``float`` reads as
    infinity): every float a SimShop form accepts is finite, and each also has a range."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(str(_l("Enter a finite number.")))


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


class ActionForm(FlaskForm):
    """A button that POSTs (open, close, hold, ...): only the CSRF token."""


class CreateGameForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=120)],
        description=_l("Students see it, e.g. “Cross-border e-commerce, class 3, spring”."),
    )
    scenario_file = SelectField(_l("Scenario"), validators=[DataRequired()])
    scored_rounds = IntegerField(
        _l("Scored rounds"),
        validators=[InputRequired(_l("Enter a number.")), NumberRange(min=1, max=40)],
        default=6,
    )
    practice_rounds = IntegerField(
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
    round_interval_hours = FiniteFloatField(
        _l("Hours between deadlines"),
        validators=[Optional(), NumberRange(min=0.1, max=24 * 60)],
        default=168,
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=[SelectChoice(z) for z in COMMON_TIMEZONES],
        default="Asia/Shanghai",
    )
    team_min_size = IntegerField(
        _l("Smallest team"), validators=[InputRequired(), NumberRange(min=1, max=12)], default=1
    )
    team_max_size = IntegerField(
        _l("Largest team"), validators=[InputRequired(), NumberRange(min=1, max=12)], default=4
    )
    bot_count = IntegerField(
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
    weight_profit = FiniteFloatField(_l("Profit"), validators=WEIGHT_RULES)
    weight_revenue = FiniteFloatField(_l("Revenue"), validators=WEIGHT_RULES)
    weight_market_share = FiniteFloatField(_l("Market share"), validators=WEIGHT_RULES)
    weight_rating = FiniteFloatField(_l("Rating"), validators=WEIGHT_RULES)
    weight_roi = FiniteFloatField(_l("Return on investment"), validators=WEIGHT_RULES)
    show_rival_names = BooleanField(
        _l("Teams may see rivals' names"),
        description=_l(
            "Off: students see their own team by name and rivals as Rival A, Rival B… on the "
            "leaderboard, the projector, research, exports and competitions. Staff always "
            "see every name."
        ),
    )
    submit = SubmitField(_l("Create game"))

    weight_fields = (
        "weight_profit",
        "weight_revenue",
        "weight_market_share",
        "weight_rating",
        "weight_roi",
    )


class JoinGameForm(FlaskForm):
    code = StringField(
        _l("Join code"),
        validators=[DataRequired(_l("Enter the join code your instructor gave you."))],
    )
    submit = SubmitField(_l("Join"))


class CreateTeamForm(FlaskForm):
    name = StringField(
        _l("Team name"), validators=[DataRequired(_l("Enter a team name.")), Length(max=60)]
    )
    submit = SubmitField(_l("Create team"))


class RosterForm(FlaskForm):
    roster = FileField(
        _l("Roster (CSV)"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l("Columns: name, student_number, team (UTF-8). The team may be empty."),
    )
    submit = SubmitField(_l("Import roster"))


class AssistantForm(FlaskForm):
    login = StringField(_l("Instructor's login"), validators=[DataRequired(_l("Enter a login."))])
    submit = SubmitField(_l("Add instructor"))


class DeadlineForm(FlaskForm):
    deadline = DateTimeLocalField(
        _l("Deadline"), format="%Y-%m-%dT%H:%M", validators=[Optional(), deadline_in_range]
    )
    submit = SubmitField(_l("Set deadline"))


# --------------------------------------------------------------------------- messages

GAME_MESSAGES = {
    "title_length": _l("Enter a title of at most %(max)s characters."),
    "rounds_range": _l("This scenario has %(max)s rounds: choose 1 to %(max)s."),
    "practice_range": _l("Choose 0 to %(max)s practice rounds."),
    "schedule_unknown": _l("Choose a schedule."),
    "deadline_required": _l("Enter the first deadline for a deadline schedule."),
    "deadline_past": _l("The deadline must be in the future."),
    "deadline_range": _l("The deadlines of this game would fall beyond the calendar."),
    "interval_too_short": _l("Leave at least 5 minutes between deadlines."),
    "timezone_unknown": _l("Choose a time zone from the list."),
    "team_size_range": _l("Team sizes must be 1 to %(max)s, smallest first."),
    "bot_count_range": _l("Choose 0 to %(max)s bot teams."),
    "bot_strategy_unknown": _l("Unknown bot strategy: %(strategy)s."),
    "weight_unknown": _l("Unknown scoring weight."),
    "weight_negative": _l("Weights cannot be negative."),
    "weight_range": _l("Enter a weight from 0 to %(max)s."),
    "weights_zero": _l("At least one scoring weight must be above 0."),
    "scenario_unknown": _l("Choose a scenario from the list."),
    "not_instructor": _l("Only instructors can create games."),
    "assistant_unknown": _l("No instructor has this login."),
    "assistant_already": _l("This instructor already runs this game."),
    "game_ended": _l("This game has ended."),
    "join_code_unknown": _l("No game has this join code. Check it with your instructor."),
    "instructors_cannot_play": _l("Instructors cannot join games as players."),
    "team_name_length": _l("Enter a team name of at most %(max)s characters."),
    "team_name_taken": _l("Another team in this game already has this name."),
    "team_full": _l("This team is full (at most %(max)s members)."),
    "team_unknown": _l("There is no such team in this game."),
    "team_changed": _l("Your team changed meanwhile. Reload the page and try again."),
    "already_in_team": _l("You are already in a team."),
    "team_locked": _l("The game has started: ask your instructor to move you."),
    "player_unknown": _l("This student is not in this game."),
    "round_not_open": _l(
        "This round is closed: decisions can no longer be saved. Your last saved decisions count."
    ),
    "cannot_open": _l("This round cannot be opened now: the previous round is not published."),
    "cannot_close": _l("Only an open round can be closed."),
    "cannot_hold": _l("Only an open or closed round can be held."),
    "cannot_release": _l("This round is not held."),
    "cannot_reopen": _l("Only a closed round can be reopened."),
    "cannot_set_deadline": _l("The deadline of this round can no longer be changed."),
    "cannot_reprocess": _l(
        "Only the latest published round can be processed again, before the next is processed."
    ),
    "lease_lost": _l("Another processor took this round over; its results count."),
    "not_processable": _l("This round is not closed, or it is being processed right now."),
}

ROSTER_COLUMNS = {
    "name": _l("name"),
    "student_number": _l("student number"),
    "team": _l("team"),
}

ROSTER_MESSAGES = {
    "not_utf8": _l("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
    "empty_file": _l("The file is empty."),
    "bad_csv": _l("This line is not valid CSV (check the quotes)."),
    "missing_column": _l("The header has no such column."),
    "no_rows": _l("The file has a header but no students."),
    "too_many_rows": _l("At most %(max)s students per file."),
    "required": _l("This value is missing."),
    "nul_character": _l("This value contains a NUL character (U+0000); remove it."),
    "too_long": _l("At most %(max)s characters."),
    "student_number_invalid": _l(
        "“%(value)s” is not a valid student number (3–40 letters, digits, . _ -)."
    ),
    "repeated": _l("The same student number is on row %(first_row)s."),
    "not_a_student": _l("This login belongs to an instructor account."),
    "already_in_team": _l("This student is already in team “%(team)s”."),
    "bot_team": _l("“%(team)s” is a bot team."),
    "team_full": _l("Team “%(team)s” would have more than %(max)s members."),
}

DECISION_MESSAGES = {
    "missing": _l("This value is missing."),
    "unknown_field": _l("This field is not part of the decision sheet."),
    "invalid_choice": _l("Choose one of the options."),
    "invalid_type": _l("Enter a number."),
    "not_a_number": _l("Enter a number."),
    "not_a_whole_number": _l("Enter a whole number of units."),
    "unknown_market": _l("%(market)s is not a market in this scenario."),
    "unknown_product": _l("%(product)s is not a product in this scenario."),
    "already_entered": _l("Your team is already in %(market)s."),
    "not_entered": _l("Enter the market %(market)s first (tick “Enter this round”)."),
    "price_not_positive": _l("A listed product needs a price above 0."),
    "price_out_of_range": _l("Enter a price between %(min)s and %(max)s %(currency)s."),
    "quantity_too_large": _l("At most %(max)s units."),
    "amount_too_large": _l("At most %(max)s CNY."),
    "negative_amount": _l("The amount cannot be negative."),
    "no_parcel_lane": _l("%(market)s has no direct parcel lane."),
    "negative_quantity": _l("A quantity cannot be negative."),
    "quantity_not_positive": _l("Ship at least 1 unit."),
    "no_lane": _l("%(market)s has no %(mode)s lane."),
    "channel_closed": _l("The %(mode)s lane to %(market)s is closed this round."),
    "exceeds_stock": _l(
        "Only %(available)s units are in China (stock plus this round's order); "
        "the shipments ask for %(requested)s."
    ),
    "credit_exceeded": _l("Only %(available)s CNY of credit is left."),
    "repay_exceeds_debt": _l("Your team owes only %(debt)s CNY."),
    "insufficient_cash": _l(
        "These decisions spend %(spend)s CNY up front but your team has %(available)s CNY "
        "(cash plus borrowing)."
    ),
    "below_min_price": _l("The price is below the market's minimum price."),
}
GENERIC_DECISION_MESSAGE = _l("This value is not accepted.")


def message_for(messages: dict[str, Any], code: str, params: dict[str, Any] | None = None) -> str:
    """The translated message for ``code`` with ``params`` filled in."""
    template = messages.get(code)
    if template is None:
        return str(GENERIC_DECISION_MESSAGE)
    try:
        return str(template) % {k: _fmt(v) for k, v in (params or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(template).replace("%%", "%")


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value


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
                for mode in STOCK_MODES:
                    values[f"ship.{m.code}.{p.id}.{mode}"] = shipped.get((m.code, p.id, mode))
        for p in scenario.products:
            values[f"factory_orders.{p.id}"] = sheet.factory_orders.get(p.id)
            values[f"quality_investment_cny.{p.id}"] = sheet.quality_investment_cny.get(p.id)
        values["borrow_cny"] = sheet.borrow_cny if sheet.borrow_cny > 0 else None
        values["repay_cny"] = -sheet.borrow_cny if sheet.borrow_cny < 0 else None
        form._build(values)
        return form

    @classmethod
    def from_request(cls, scenario: Scenario, team: TeamState, data: Any) -> DecisionForm:
        form = cls(scenario, team)
        form._build(None)
        for f in form.fields.values():
            if f.kind == "checkbox":
                f.value = data.get(f.name) in ("y", "on", "1", "true")
            elif f.kind == "select":
                raw = data.get(f.name, "")
                f.value = raw if raw in [c[0] for c in f.choices] else f.choices[0][0]
            else:
                f.value = form._parse_number(f, data.get(f.name, ""))
        return form

    def _parse_number(self, f: DecisionField, raw: str) -> Any:
        text = (raw or "").strip().replace(",", "").replace("，", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            f.errors.append(message_for(DECISION_MESSAGES, "not_a_number"))
            return raw
        if not math.isfinite(number):
            f.errors.append(message_for(DECISION_MESSAGES, "not_a_number"))
            return raw
        if f.kind == "int":
            if number != int(number):
                f.errors.append(message_for(DECISION_MESSAGES, "not_a_whole_number"))
                return raw
            return int(number)
        return number

    def _build(self, values: dict[str, Any] | None) -> None:
        sc = self.scenario

        def v(name: str, default: Any = None) -> Any:
            return default if values is None else values.get(name, default)

        for m in sc.markets:
            self._add(
                DecisionField(
                    f"market.{m.code}",
                    "checkbox",
                    v(f"market.{m.code}", False),
                    SECTION_MARKETS,
                    market=m.code,
                    key="market",
                )
            )
        for m in sc.markets:
            parcel = m.lane("parcel") is not None
            for p in sc.products:
                base = f"offers.{m.code}.{p.id}"
                common = {"section": SECTION_PRICING, "market": m.code, "product": p.id}
                self._add(
                    DecisionField(
                        f"{base}.listed",
                        "checkbox",
                        v(f"{base}.listed", False),
                        key="listed",
                        **common,
                    )
                )
                self._add(
                    DecisionField(
                        f"{base}.price_local",
                        "number",
                        v(f"{base}.price_local"),
                        key="price_local",
                        **common,
                    )
                )
                self._add(
                    DecisionField(
                        f"{base}.ad_budget_cny",
                        "number",
                        v(f"{base}.ad_budget_cny"),
                        key="ad_budget_cny",
                        **common,
                    )
                )
                choices = [("warehouse", str(_l("Overseas warehouse")))]
                if parcel:
                    choices.append(("parcel", str(_l("Direct parcel from China"))))
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
        for p in sc.products:
            self._add(
                DecisionField(
                    f"factory_orders.{p.id}",
                    "int",
                    v(f"factory_orders.{p.id}"),
                    SECTION_STOCK,
                    product=p.id,
                    key="factory_order",
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
        for p in sc.products:
            self._add(
                DecisionField(
                    f"quality_investment_cny.{p.id}",
                    "number",
                    v(f"quality_investment_cny.{p.id}"),
                    SECTION_QUALITY,
                    product=p.id,
                    key="quality",
                )
            )
        self._add(
            DecisionField("borrow_cny", "number", v("borrow_cny"), SECTION_FINANCE, key="borrow")
        )
        self._add(
            DecisionField("repay_cny", "number", v("repay_cny"), SECTION_FINANCE, key="repay")
        )

    # ---- reading

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
        for m in sc.markets:
            for p in sc.products:
                base = f"offers.{m.code}.{p.id}"
                listed = bool(f[f"{base}.listed"].value)
                price = f[f"{base}.price_local"].value
                ad = f[f"{base}.ad_budget_cny"].value
                if not listed and price is None and ad is None:
                    continue
                raw["offers"].setdefault(m.code, {})[p.id] = {
                    "listed": listed,
                    "price_local": float(price or 0.0),
                    "ad_budget_cny": float(ad or 0.0),
                    "channel": f[f"{base}.channel"].value,
                }
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
        return raw

    def attach(self, issues: list[DecisionIssue]) -> None:
        """Put each engine issue on the field its ``loc`` points at."""
        for issue in issues:
            text = message_for(DECISION_MESSAGES, issue.code, issue.params)
            target = self._field_for(issue.loc)
            if target is None:
                self.form_errors.append(text)
            elif text not in target.errors:
                target.errors.append(text)

    def _field_for(self, loc: tuple) -> DecisionField | None:
        if not loc:
            return None
        head = loc[0]
        if head in ("enter_markets", "leave_markets") and len(loc) > 1:
            codes = self._enter if head == "enter_markets" else self._leave
            index = loc[1]
            if isinstance(index, int) and index < len(codes):
                return self.fields.get(f"market.{codes[index]}")
            return None
        if head == "offers":
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
        if head == "borrow_cny":
            repay = self.fields["repay_cny"].value
            return self.fields["repay_cny" if repay else "borrow_cny"]
        return None
