"""Forms of the LTI pages (the launch itself is no form: the platform posts it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from simshop.forms.base import AppForm


class DeepLinkForm(FlaskForm):
    """An instructor picks which of their games the course link plays."""

    # Read as text and parsed by the view: WTForms' coercion errors are not translated.
    game_id = SelectField(
        _l("Game"),
        validators=[InputRequired(_l("Choose a game."))],
        choices=[],
        validate_choice=False,
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def lines_of(text: str | None) -> list[str]:
    """The non-empty lines of a text area (one value per line)."""
    return [v.strip() for v in (text or "").splitlines() if v.strip()]


URL_RULES = [DataRequired(_l("Enter an address.")), Length(max=500)]


class PlatformForm(AppForm):
    """A learning platform's registration (an administrator's page). The service checks the
    addresses (https, or http on this computer) and puts each refusal on its field."""

    name = StringField(
        _l("Platform name"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a name.")), Length(max=120)],
        description=_l("For you, e.g. “University Moodle”."),
    )
    issuer = StringField(
        _l("Issuer"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the issuer.")), Length(max=255)],
        description=_l("The platform's issuer (iss), from its tool registration page."),
    )
    client_id = StringField(
        _l("Client id"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the client id.")), Length(max=255)],
        description=_l("The client id the platform gave SimShop."),
    )
    auth_login_url = StringField(
        _l("Authorisation (OIDC login) URL"), filters=[_strip], validators=URL_RULES
    )
    auth_token_url = StringField(_l("Access token URL"), filters=[_strip], validators=URL_RULES)
    jwks_url = StringField(_l("Public keys (JWKS) URL"), filters=[_strip], validators=URL_RULES)
    deployment_ids = TextAreaField(
        _l("Deployment ids"),
        validators=[DataRequired(_l("Enter at least one deployment id.")), Length(max=4000)],
        description=_l("One per line. Launches from other deployments are refused."),
    )
    frame_origins = TextAreaField(
        _l("Origins allowed to frame SimShop"),
        validators=[Length(max=4000)],
        description=_l(
            "One per line, e.g. https://lms.example.edu. Empty: the issuer's origin. Only "
            "pages opened from a launch of this platform may be shown in its frame."
        ),
    )
    submit = SubmitField(_l("Save platform"))

    def values(self) -> dict[str, object]:
        """The fields as the service takes them."""
        return {
            "name": self.name.data or "",
            "issuer": self.issuer.data or "",
            "client_id": self.client_id.data or "",
            "auth_login_url": self.auth_login_url.data or "",
            "auth_token_url": self.auth_token_url.data or "",
            "jwks_url": self.jwks_url.data or "",
            "deployment_ids": lines_of(self.deployment_ids.data),
            "frame_origins": lines_of(self.frame_origins.data),
        }
