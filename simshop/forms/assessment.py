"""Forms for assessment: attaching a quiz to a round, answering one, a team's forecast and
the gradebook's settings. Every number goes through :func:`simshop.numbers.parse_number`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from simshop.forms.base import AppForm
from simshop.forms.fields import DecimalField, WholeNumberField
from simshop.forms.game import MultiCheckboxField, deadline_in_range
from simshop.numbers import NumberInputError, parse_number

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class QuizForm(AppForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=120)]
    )
    round_id = SelectField(
        _l("Round"),
        coerce=int,
        description=_l("Questions on your own numbers use this round's published results."),
    )
    question_ids = MultiCheckboxField(_l("Questions"))
    opens_at = DateTimeLocalField(
        _l("Opens"),
        format=TIME_FORMAT,
        validators=[InputRequired(_l("Enter a date and time.")), deadline_in_range],
        description=_l("In the game's time zone."),
    )
    closes_at = DateTimeLocalField(
        _l("Closes"),
        format=TIME_FORMAT,
        validators=[InputRequired(_l("Enter a date and time.")), deadline_in_range],
        description=_l("In the game's time zone. Answers are refused from this time on."),
    )
    submit = SubmitField(_l("Attach quiz"))


WEIGHT_RULES = [
    InputRequired(_l("Enter a weight.")),
    NumberRange(min=0, max=100, message=_l("Enter a weight from 0 to 100.")),
]


def grade_settings_form(components: list[tuple[str, Any]]) -> type[AppForm]:
    """A settings form with one weight field per gradebook component ``weight_<key>``."""

    class GradeSettingsForm(AppForm):
        curve_target = DecimalField(
            _l("Curve: target class mean"),
            validators=[Optional(), NumberRange(min=0, max=100)],
            description=_l(
                "Optional. Every grade is raised by the same amount so that the class mean "
                "reaches this value; no grade is lowered and none exceeds 100."
            ),
        )
        submit = SubmitField(_l("Save weights"))

    for key, label in components:
        setattr(GradeSettingsForm, f"weight_{key}", DecimalField(label, validators=WEIGHT_RULES))
    return GradeSettingsForm


def forecast_form(markets: list[tuple[str, str]]) -> type[AppForm]:
    """A forecast form: whole units ``units-<code>`` and profit ``profit-<code>`` per market
    and the round's net profit."""

    class ForecastForm(AppForm):
        profit_cny = DecimalField(
            _l("Net profit this round (CN¥)"),
            validators=[Optional()],
            description=_l("Negative for a loss. Leave empty to forecast units only."),
        )
        submit = SubmitField(_l("Save forecast"))

    for code, name in markets:
        setattr(
            ForecastForm,
            f"units-{code}",
            WholeNumberField(
                _l("Units sold in %(market)s", market=name),
                validators=[Optional(), NumberRange(min=0, max=10_000_000)],
            ),
        )
        setattr(
            ForecastForm,
            f"profit-{code}",
            DecimalField(
                _l("Profit in %(market)s (CN¥)", market=name),
                validators=[Optional()],
                description=_l(
                    "The market's contribution: its sales less the costs it causes (goods "
                    "sold, fees, VAT, freight, duty, storage, advertising, entry fee)."
                ),
            ),
        )
    return ForecastForm


def parse_answers(kinds: dict[str, str], form: MultiDict) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers typed in the quiz form (field ``q-<id>``) by question kind, and a
    translated message per question that cannot be read (a number in the page's locale)."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for qid, kind in kinds.items():
        name = f"q-{qid}"
        try:
            if kind == "single":
                raw = form.get(name, "")
                answers[qid] = int(raw) if raw.isdecimal() else None
            elif kind == "multiple":
                answers[qid] = [int(v) for v in form.getlist(name) if v.isdecimal()]
            else:
                value = parse_number(form.get(name, ""))
                answers[qid] = None if value is None else float(value)
        except NumberInputError as exc:
            errors[qid] = exc.message
    return answers, errors
