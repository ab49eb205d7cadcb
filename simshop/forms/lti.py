"""Forms of the LTI pages (the launch itself is no form: the platform posts it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired


class DeepLinkForm(FlaskForm):
    """An instructor picks which of their games the course link plays."""

    # Read as text and parsed by the view: WTForms' coercion errors are not translated.
    game_id = SelectField(
        _l("Game"),
        validators=[InputRequired(_l("Choose a game."))],
        choices=[],
        validate_choice=False,
    )
