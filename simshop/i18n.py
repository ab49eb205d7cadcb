"""Locale selection for Flask-Babel.

An explicit choice (stored in the session and in a long-lived cookie) wins. Otherwise the
browser's Accept-Language decides, and every Chinese tag (zh, zh-CN, zh-Hans-CN, zh-TW,
zh-HK, ...) maps to our one Chinese catalog, ``zh_Hans_CN``: Babel's own ``best_match``
returns nothing for ``zh-Hans-CN`` or ``zh-TW`` against ``zh_CN``, so we map by hand.
The catalog directory must be named ``zh_Hans_CN``: Babel normalises ``zh_CN`` to that name
and silently ignores a ``translations/zh_CN/`` folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from simshop.vocabulary import CATEGORY_LABELS

DEFAULT_LOCALE = "en"
CHINESE = "zh_Hans_CN"
# Locale code -> the language's own name, shown in the switch.
SUPPORTED_LOCALES = {"en": "English", CHINESE: "简体中文"}
SESSION_KEY = "locale"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def normalize_locale(code: str | None) -> str | None:
    """Map a language tag (``zh-TW``, ``en_US``, ``zh_Hans_CN``) to a supported locale."""
    if not code:
        return None
    tag = code.strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith("zh-"):
        return CHINESE
    if tag == "en" or tag.startswith("en-"):
        return DEFAULT_LOCALE
    return None


def locale_from_accept_language(tags: Iterable[str]) -> str:
    """The first supported locale among tags given in order of preference."""
    for tag in tags:
        locale = normalize_locale(tag)
        if locale:
            return locale
    return DEFAULT_LOCALE


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background work speak English
        return DEFAULT_LOCALE
    chosen = session.get(SESSION_KEY) or request.cookies.get(
        current_app.config["LOCALE_COOKIE_NAME"]
    )
    if chosen in SUPPORTED_LOCALES:
        return chosen
    # LanguageAccept iterates (tag, quality) pairs, best first.
    return locale_from_accept_language(tag for tag, _quality in request.accept_languages)


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>``."""
    return "zh-Hans" if str(get_locale()) == CHINESE else "en"


def chinese_page() -> bool:
    """Whether the page being rendered is in Chinese."""
    return str(get_locale()) == CHINESE


def localized_name(obj_or_mapping: Any, field: str = "name") -> str:
    """``name_zh`` on Chinese pages when it is set, else ``name`` (or ``<field>_zh`` and
    ``<field>``); for scenario objects (markets, products, events) and mappings alike."""
    if isinstance(obj_or_mapping, Mapping):
        plain, chinese = obj_or_mapping.get(field, ""), obj_or_mapping.get(f"{field}_zh")
    else:
        plain = getattr(obj_or_mapping, field, "")
        chinese = getattr(obj_or_mapping, f"{field}_zh", None)
    return str(chinese) if chinese and has_request_context() and chinese_page() else str(plain)


def category_name(scenario: Any, category: str) -> str | None:
    """A tariff category's name for this page: the scenario's own ``[categories]`` entry
    (``name_zh`` on Chinese pages), else the app's translated label
    (:data:`simshop.vocabulary.CATEGORY_LABELS`), else None (the page shows the id)."""
    declared = getattr(scenario, "categories", None) or {}
    if category in declared:
        return localized_name(declared[category])
    label = CATEGORY_LABELS.get(category)
    return str(label) if label is not None else None


def init_app(app: Flask) -> None:
    from simshop.extensions import babel

    babel.init_app(app, locale_selector=select_locale)
    app.add_template_filter(team_display_name, "team_name")
    app.add_template_filter(localized_name, "localized")
    app.add_template_global(bot_strategy_name, "bot_strategy_name")
    app.add_template_global(category_name, "category_label")

    @app.context_processor
    def locale_context() -> dict[str, object]:
        current = str(get_locale())
        return {
            "localized_name": localized_name,
            "current_locale": current,
            "supported_locales": SUPPORTED_LOCALES,
            "html_lang": html_lang(),
        }


# Bot teams are stored as "Bot <n> · <strategy>" (services/games.py); pages show them in the
# reader's language.
BOT_TEAM_NAME = re.compile(r"^Bot (\d+) · ([a-z0-9_]+)$")
BOT_STRATEGY_NAMES = {
    "cost_plus": _l("cost plus"),
    "discounter": _l("discounter"),
    "premium": _l("premium"),
}


def bot_strategy_name(strategy: str) -> str:
    """A bot strategy's short name in the reader's language (the id if it has none)."""
    label = BOT_STRATEGY_NAMES.get(strategy)
    return str(label) if label is not None else strategy


def team_display_name(name: str | None) -> str:
    """A team's name as a page shows it: bot teams' names translated, others as typed."""
    match = BOT_TEAM_NAME.match(name or "")
    if match is None:
        return name or ""
    number, strategy = match.groups()
    label = BOT_STRATEGY_NAMES.get(strategy)
    if label is None:
        return gettext("Bot %(n)s", n=number)
    return gettext("Bot %(n)s · %(strategy)s", n=number, strategy=label)
