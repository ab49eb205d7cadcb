"""Forms for registration, login and passwords."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from simshop.forms.base import AppForm
from simshop.messages import LOGIN_MESSAGES, PASSWORD_MESSAGES
from simshop.security import PASSWORD_MAX_LENGTH, password_problem
from simshop.services.accounts import (
    DISPLAY_NAME_MAX_LENGTH,
    LOGIN_MAX_LENGTH,
    InvalidLoginError,
    parse_login,
)


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


def _check_new_password(form: AppForm, field: Field, *context_fields: str) -> None:
    context = [getattr(form, name).data or "" for name in context_fields]
    problem = password_problem(field.data or "", context_words=context)
    if problem is not None:
        raise ValidationError(PASSWORD_MESSAGES[problem])


class LoginForm(AppForm):
    login = StringField(
        _l("Student number or email"),
        validators=[_required(), Length(max=LOGIN_MAX_LENGTH, message=_l("That is too long."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            _required(),
            Length(max=PASSWORD_MAX_LENGTH, message=_l("Use at most 128 characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class RegisterForm(AppForm):
    display_name = StringField(
        _l("Your name"),
        description=_l("Shown to your instructor and team."),
        validators=[
            _required(),
            Length(
                max=DISPLAY_NAME_MAX_LENGTH,
                message=_l("Use at most %(max)d characters.", max=DISPLAY_NAME_MAX_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "name"},
    )
    login = StringField(
        _l("Student number or email"),
        description=_l("You will log in with this."),
        validators=[_required()],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        validators=[_required()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[_required(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))

    def validate_login(self, field: Field) -> None:
        try:
            parse_login(field.data or "")
        except InvalidLoginError as exc:
            raise ValidationError(LOGIN_MESSAGES[str(exc)]) from exc

    def validate_password(self, field: Field) -> None:
        _check_new_password(self, field, "login", "display_name")


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[_required()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        validators=[_required()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[
            _required(),
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))

    def validate_new_password(self, field: Field) -> None:
        _check_new_password(self, field)
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_l("Choose a password different from the current one."))
