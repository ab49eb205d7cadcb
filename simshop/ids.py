"""Database ids as they arrive from outside (URLs, form fields, cookies).

Every primary key is a signed 64-bit integer at most, so anything larger cannot name a row;
SQLite and psycopg refuse to bind it (an OverflowError, i.e. a 500), hence these checks
before any query. ``str.isdigit`` is not enough: it is true for ``"²"`` and ``"٣"``, which
``int`` then refuses or reads as a different number.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(text: str | None) -> int | None:
    """The id written as ASCII digits in ``text``, or None (not digits, or beyond 64 bits)."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_ID else None
