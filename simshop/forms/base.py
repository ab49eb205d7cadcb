"""The base of every SimShop form: a NUL byte in a field is that field's error.

The request guard (:func:`simshop.views.refuse_nul_bytes`) removes NUL characters from the
posted form before any form or view reads it and records which fields held one
(:func:`nul_fields`); :class:`AppForm` turns each of its own such fields into an error on the
field, in the user's language, so the page re-renders with the message where it belongs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField

NUL_FIELD_MESSAGE = _l("Text cannot contain a NUL character (U+0000).")
NUL_FIELDS_KEY = "nul_fields"


def nul_fields() -> frozenset[str]:
    """The names of this request's form fields that held a NUL character."""
    if not has_request_context():
        return frozenset()
    return frozenset(g.get(NUL_FIELDS_KEY, ()))


def mark_nul_fields(fields: Iterable[Any]) -> bool:
    """Give each field (nested ones too) that held a NUL character that error alone; True
    when none did."""
    bad = nul_fields()
    if not bad:
        return True
    clean = True
    for field in fields:
        if isinstance(field, FormField | FieldList):
            clean = mark_nul_fields(field) and clean
        elif field.name in bad:
            field.errors = [NUL_FIELD_MESSAGE]
            clean = False
    return clean


class AppForm(FlaskForm):
    """:class:`FlaskForm` whose validation also refuses NUL characters, field by field."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return mark_nul_fields(self) and valid
