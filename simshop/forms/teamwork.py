"""Forms for memos, rubrics, peer review and peer evaluation. The rubric points and the
ratings have one field per criterion or per teammate and item, so those forms are built for
the game at hand (:func:`points_form`, :func:`ratings_form`)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from simshop.services.memos import CRITERION_LABEL_MAX, CRITERION_POINTS_MAX, MEMO_MAX_CHARS
from simshop.services.peer import SCORE_MAX, SCORE_MIN

MEMO_KIND_LABELS = {"strategy": _l("Strategy memo"), "reflection": _l("Reflection")}
SCORING_LABELS = {
    "instructor": _l("The instructor, with the rubric"),
    "peer": _l("Anonymous peer review among teams"),
}
PEER_ITEM_LABELS = {
    "contribution": _l("Contribution"),
    "reliability": _l("Reliability"),
    "communication": _l("Communication"),
    "quality": _l("Quality of work"),
}


class MemoForm(FlaskForm):
    # Unknown kinds are refused by the view (400) and the service, not by WTForms' untranslated
    # "Not a valid choice".
    kind = SelectField(
        choices=[SelectChoice(k, v) for k, v in MEMO_KIND_LABELS.items()], validate_choice=False
    )
    # Stored exactly: no filters (WTForms does not strip a TextAreaField).
    body = TextAreaField(
        _l("Memo"),
        description=_l("At most %(max)s characters.", max=MEMO_MAX_CHARS),
        render_kw={"rows": 12},
    )


class SettingsForm(FlaskForm):
    memo_scoring = SelectField(
        _l("Memos are scored by"),
        choices=[SelectChoice(k, v) for k, v in SCORING_LABELS.items()],
        validate_choice=False,  # the service refuses unknown values with a translated message
    )
    reviews_per_team = IntegerField(
        _l("Memos each team reviews"),
        validators=[InputRequired(_l("Enter a whole number."))],
    )
    peer_factor_min = DecimalField(
        _l("Lowest peer factor"), places=2, validators=[InputRequired(_l("Enter a number."))]
    )
    peer_factor_max = DecimalField(
        _l("Highest peer factor"), places=2, validators=[InputRequired(_l("Enter a number."))]
    )


class CriterionForm(FlaskForm):
    label = StringField(
        _l("Criterion"),
        validators=[InputRequired(_l("Enter a criterion."))],
        render_kw={"maxlength": CRITERION_LABEL_MAX},
    )
    max_points = IntegerField(
        _l("Maximum points"),
        validators=[
            InputRequired(_l("Enter a whole number.")),
            NumberRange(
                1, CRITERION_POINTS_MAX, _l("Enter 1 to %(max)s.", max=CRITERION_POINTS_MAX)
            ),
        ],
    )


class EvaluationForm(FlaskForm):
    after_round = IntegerField(
        _l("After round"), validators=[InputRequired(_l("Enter a round number."))]
    )
    items = SelectMultipleField(
        _l("Items to rate"),
        choices=[SelectChoice(k, v) for k, v in PEER_ITEM_LABELS.items()],
        default=["contribution", "reliability", "communication"],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,
    )
    include_self = BooleanField(_l("Students also rate themselves (flagged if inflated)"))


def points_form(criteria: list[Any], prefix: str = "") -> FlaskForm:
    """One 0..max field per rubric criterion, named ``c<id>``."""

    class PointsForm(FlaskForm):
        pass

    for criterion in criteria:
        setattr(
            PointsForm,
            f"c{criterion.id}",
            IntegerField(
                f"{criterion.label} (0–{criterion.max_points})",
                validators=[
                    InputRequired(_l("Enter the points.")),
                    NumberRange(
                        0, criterion.max_points, _l("Enter 0 to %(max)s.", max=criterion.max_points)
                    ),
                ],
                render_kw={"min": 0, "max": criterion.max_points},
            ),
        )
    return PointsForm(prefix=prefix)


def points_of(form: FlaskForm, criteria: list[Any]) -> dict[int, int]:
    return {c.id: form[f"c{c.id}"].data for c in criteria}


def ratings_form(
    ratees: list[Any], items: list[str], given: dict[int, dict[str, int]]
) -> FlaskForm:
    """One 1..5 choice per teammate and item, named ``r<user id>_<item>``."""

    class RatingsForm(FlaskForm):
        pass

    choices = [SelectChoice(str(n), str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
    for ratee in ratees:
        for item in items:
            setattr(
                RatingsForm,
                f"r{ratee.id}_{item}",
                SelectField(
                    PEER_ITEM_LABELS.get(item, item),
                    choices=[SelectChoice("", "—"), *choices],
                    default=str(given.get(ratee.id, {}).get(item, "")),
                    validators=[Optional()],
                    # anything but 1..5 is left out, and the service names the field
                    validate_choice=False,
                ),
            )
    return RatingsForm()


def ratings_of(form: FlaskForm, ratees: list[Any], items: list[str]) -> dict[int, dict[str, int]]:
    ratings: dict[int, dict[str, int]] = {}
    for ratee in ratees:
        for item in items:
            raw = form[f"r{ratee.id}_{item}"].data
            if raw and raw.isdecimal() and len(raw) == 1:
                ratings.setdefault(ratee.id, {})[item] = int(raw)
    return ratings
