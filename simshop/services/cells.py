"""The one formula neutraliser for every file SimShop writes (CSV and XLSX exports, the
debrief table, the roster's credentials list): OWASP ASVS 1.2.10, CSV injection.

A cell a spreadsheet would run as a formula starts with ``= + - @``, a tab, a carriage
return or a NUL byte (``"\\x00=1+1"``: some importers drop the NUL and then see ``=1+1``);
such a string gets a leading apostrophe, which spreadsheets show as text. Numbers, booleans
and None pass unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(value: Any) -> Any:
    """Make a cell inert for spreadsheets (see the module docstring)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
