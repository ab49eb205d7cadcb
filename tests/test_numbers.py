"""Numbers typed by users (read by locale, strictly) and numbers shown (Babel filters)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simshop.numbers import (
    NumberInputError,
    currency_sign,
    input_number,
    money,
    number,
    parse_number,
    percent,
)


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def zh(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        yield


@pytest.mark.parametrize(
    ("typed", "locale", "value"),
    [
        ("24.99", "en", Decimal("24.99")),
        ("1,234.5", "en", Decimal("1234.5")),
        ("24,99", "de", Decimal("24.99")),
        ("１２３", "en", Decimal("123")),
        ("１２．５", "zh_Hans_CN", Decimal("12.5")),
        ("－５", "en", Decimal("-5")),
        ("−5", "en", Decimal("-5")),
        ("٣٤", "en", Decimal("34")),
        ("  7 ", "en", Decimal("7")),
        ("", "en", None),
    ],
)
def test_typed_numbers_are_read_by_locale(en, typed, locale, value):
    assert parse_number(typed, locale) == value


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("24,99", "ambiguous_number"),
        ("1.234,56", "ambiguous_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("1e5", "not_a_number"),
        ("1 234", "not_a_number"),
        ("²", "not_a_number"),
        ("1٢3", "mixed_digits"),
        ("12abc", "not_a_number"),
    ],
)
def test_unreadable_or_ambiguous_numbers_are_refused(en, typed, code):
    with pytest.raises(NumberInputError) as info:
        parse_number(typed, "en")
    assert info.value.code == code


def test_an_ambiguous_number_offers_both_readings(en):
    with pytest.raises(NumberInputError) as info:
        parse_number("24,99", "en")
    assert info.value.message == "“24,99” is ambiguous: did you mean “24.99” or “2,499”?"


def test_a_fraction_is_refused_where_a_whole_number_is_needed(en):
    with pytest.raises(NumberInputError) as info:
        parse_number("1.5", "en", integer=True)
    assert info.value.code == "not_a_whole_number"
    assert parse_number("2.0", "en", integer=True) == 2


def test_inputs_show_stored_numbers_without_float_noise(en):
    typed = [input_number(v) for v in (8000.0, 50000, 24.99, 1234.5, None)]
    assert typed == ["8,000", "50,000", "24.99", "1,234.5", ""]
    assert [parse_number(t, "en") for t in typed[:4]] == [
        8000,
        50000,
        Decimal("24.99"),
        Decimal("1234.5"),
    ]


def test_shown_numbers_follow_one_style_per_locale(en):
    assert number(-1234.5) == "-1,234"
    assert number(1234.5, 2) == "1,234.50"
    assert percent(0.231) == "23.1%"
    assert money(654628.4, "CNY") == "CN¥654,628"
    assert money(24.99, "EUR") == "€24.99"
    assert money(2499, "RUB") == "RUB\u00a02,499.00"
    assert number(None) == "—"


def test_yuan_show_fen_only_below_a_thousand_and_only_when_there_are_some(en):
    assert money(0, "CNY") == "CN¥0"  # a zero debt reads like the cash beside it
    assert money(0.0, "CNY") == "CN¥0"
    assert money(600, "CNY") == "CN¥600"
    assert money(45.5, "CNY") == "CN¥45.50"
    assert money(-12.25, "CNY") == "-CN¥12.25"
    assert money(1234.56, "CNY") == "CN¥1,235"
    assert money(0, "EUR") == "€0.00"  # prices in other currencies keep their cents
    assert currency_sign() == "CN¥"
    assert currency_sign("JPY") == "¥"


def test_chinese_pages_use_chinese_currency_symbols(zh):
    assert money(654628.4, "CNY") == "¥654,628"
    assert money(0, "CNY") == "¥0"
    assert currency_sign() == "¥"
    assert percent(0.231) == "23.1%"


def test_decision_messages_show_yuan_amounts_as_money(en):
    from simshop.messages import decision_message

    assert decision_message("credit_exceeded", {"available": 1500.0}) == (
        "Only CN¥1,500 of credit is left."
    )
    assert decision_message("insufficient_cash", {"spend": 2e6, "available": 45.5}) == (
        "These decisions spend CN¥2,000,000 up front but your team has CN¥45.50 "
        "(cash plus borrowing)."
    )


def test_decision_messages_in_chinese_use_the_chinese_sign(zh):
    from simshop.messages import decision_message

    assert decision_message("repay_exceeds_debt", {"debt": 0.0}) == "你的团队只欠款 ¥0。"
