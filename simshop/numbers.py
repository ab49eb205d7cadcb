"""Numbers typed by users, read by the user's locale: the one parser every numeric field uses.

:func:`parse_number` reads what a person typed with Babel's ``parse_decimal(strict=True)``
for the page's locale, so a grouping separator in the wrong place is refused rather than
guessed: in English "24,99" is neither 2,499 nor 24.99, and the message offers both.
Digits of any script that Unicode gives a decimal value (full-width ``１２３``, Arabic-Indic
``١٢٣``, ...) are read as their values, as are the full-width comma, point and minus and
the Unicode minus sign; a number mixing digit scripts, or holding anything else (letters,
``NaN``, ``1e5``, spaces inside), is refused. Errors are :class:`NumberInputError` with a
code and a translated message.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Full-width punctuation and other minus signs that an input method may produce.
_PUNCTUATION = {
    "\uff0c": ",",  # ，
    "\uff0e": ".",  # ．
    "\u3002": ".",  # 。 (an IME's full stop typed as a decimal point)
    "\uff0d": "-",  # －
    "\u2212": "-",  # − minus sign
    "\u2013": "-",  # – en dash
    "\uff0b": "+",  # ＋
}

MESSAGES = {
    "not_a_number": _l("Enter a number."),
    "not_a_whole_number": _l("Enter a whole number."),
    "mixed_digits": _l("Use digits of one kind only."),
    "ambiguous_number": _l("“%(text)s” is ambiguous: did you mean %(options)s?"),
}


class NumberInputError(ValueError):
    """A typed number that cannot be read safely; ``message`` is translated."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code, self.params = code, params

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])


def _ascii_digits(text: str) -> str:
    """Unicode decimal digits as ASCII digits; refuse a mix of digit scripts."""
    out, zeros = [], set()
    for ch in text:
        value = unicodedata.decimal(ch, None)
        if value is None:
            out.append(_PUNCTUATION.get(ch, ch))
            continue
        zeros.add(ord(ch) - value)
        out.append(str(value))
    if len(zeros) > 1:
        raise NumberInputError("mixed_digits")
    return "".join(out)


def page_locale() -> Locale:
    """The locale of the current page (English outside a request)."""
    return get_locale() or Locale("en")


def parse_number(
    raw: str | None, locale: Locale | str | None = None, *, integer: bool = False
) -> Decimal | None:
    """What the user typed as a number for ``locale`` (``None`` when empty).

    Raises :class:`NumberInputError` when the text is not a number, is ambiguous for the
    locale, mixes digit scripts, or (``integer=True``) has a fractional part.
    """
    text = _ascii_digits((raw or "").strip())
    if not text:
        return None
    locale = locale or page_locale()
    allowed = set("0123456789+-") | {get_decimal_symbol(locale), get_group_symbol(locale)}
    if any(ch not in allowed for ch in text):
        raise NumberInputError("not_a_number")
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError as exc:
        suggestions = getattr(exc, "suggestions", None)
        if suggestions:
            options = str(_l(" or ")).join(f"“{s}”" for s in reversed(suggestions))
            raise NumberInputError("ambiguous_number", text=text, options=options) from None
        raise NumberInputError("not_a_number") from None
    except InvalidOperation:
        raise NumberInputError("not_a_number") from None
    if not value.is_finite():
        raise NumberInputError("not_a_number")
    if integer and value != value.to_integral_value():
        raise NumberInputError("not_a_whole_number")
    return value


def input_number(value: float | int | Decimal | None, locale: Locale | str | None = None) -> str:
    """A stored number as an input's value: grouped for the locale, no float noise ("50,000",
    "8,000", "24.99"), in the form :func:`parse_number` reads back unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    try:
        return format_decimal(value, format="#,##0.##########", locale=locale or page_locale())
    except (InvalidOperation, OverflowError, ValueError):
        # Beyond what the decimal context can place (a hostile 1e308, infinity): show it
        # as typed-back text, which the parser then refuses with a message.
        return str(value)


# --------------------------------------------------------------------------- showing numbers
# The Jinja filters every template uses (registered by :func:`init_app`): one grouping, one
# minus sign and one percent style per locale, all from Babel's CLDR data.


def number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """``value`` grouped for the page's locale with exactly ``digits`` decimals ("—" if None)."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=page_locale())


def money(value: float | int | Decimal | None, currency: str | None = None) -> str:
    """An amount with its currency symbol for the page's locale ("¥654,628", "€24.99").

    Yuan amounts show fen only below 1,000 and only when there are fen ("¥45.50", "¥0",
    "¥654,628": a zero debt reads like the cash beside it); other currencies keep their
    cents (prices). Without a ``currency`` the bare grouped number is given (for columns
    headed with the sign, "(CN¥)").
    """
    if value is None:
        return "—"
    if currency is None:
        return number(value)
    locale = page_locale()
    whole = currency == "CNY" and (abs(value) >= 1000 or round(value, 2) == int(value))
    # A code used as the symbol ("RUB") gets a space, like CLDR's "RUB 2,499.00" in prose.
    gap = "\u00a0" if get_currency_symbol(currency, locale).isalpha() else ""
    pattern = f"¤{gap}#,##0" + ("" if whole else ".00")
    return format_currency(
        value, currency, format=pattern, currency_digits=not whole, locale=locale
    )


def percent(value: float | Decimal | None, digits: int = 1) -> str:
    """A fraction as a percentage for the page's locale (0.231 -> "23.1%")."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(value, format=pattern, locale=page_locale())


def currency_sign(currency: str = "CNY") -> str:
    """The currency's sign for the page's locale ("CN¥" in English, "¥" in Chinese): the
    unit in table headings and beside money inputs, the same sign :func:`money` writes."""
    return get_currency_symbol(currency, page_locale())


def init_app(app: Flask) -> None:
    app.add_template_global(currency_sign, "currency_sign")
    app.add_template_filter(number, "number")
    app.add_template_filter(money, "money")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(input_number, "input_number")
