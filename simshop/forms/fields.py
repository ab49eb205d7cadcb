"""Numeric form fields: every number a user types goes through :func:`simshop.numbers.parse_number`
(the page's locale, strict), and a stored number is shown in an input without float noise
("8000", not "8000.0")."""

from __future__ import annotations

from wtforms import FloatField, IntegerField, widgets

from simshop.numbers import NumberInputError, input_number, parse_number


class DecimalField(FloatField):
    """A number typed as text; empty is ``None`` (the schema's default or "required")."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        try:
            value = parse_number(valuelist[0] if valuelist else "")
        except NumberInputError as exc:
            raise ValueError(exc.message) from None
        self.data = None if value is None else float(value)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return input_number(self.data)


class WholeNumberField(IntegerField):
    """A whole number typed as text; empty is ``None``."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        try:
            value = parse_number(valuelist[0] if valuelist else "", integer=True)
        except NumberInputError as exc:
            raise ValueError(exc.message) from None
        self.data = None if value is None else int(value)


class PercentField(DecimalField):
    """A rate shown and typed as a percentage ("25" is 25 %) and stored as the fraction the
    scenario file holds (0.25)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = round(self.data / 100, 10)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else input_number(round(self.data * 100, 8))
