"""Scenario data as TOML text, written by tomli-w.

:func:`dumps` turns the plain data :mod:`tomllib` gives back (dicts, lists, strings, ints,
floats, bools) into TOML text that :mod:`tomllib` parses to an equal value. Scenarios edited
in the web app are stored as this text, so the same input always gives byte-identical output:
keys keep their order within a table (tomli-w writes a table's plain values before its
sub-tables), floats are written with ``repr`` (the shortest text that reads back as the same
float) and strings are basic strings with every control character escaped.

``None`` has no TOML form: keys whose value is ``None`` are left out (pydantic's
"not given"). Values with no TOML form (objects, non-string keys) raise
:class:`TomlWriteError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomli_w


class TomlWriteError(TypeError):
    """A value that has no TOML form here (an object, a non-string key)."""


def dumps(data: Mapping[str, Any]) -> str:
    """``data`` as TOML text (empty text for an empty mapping)."""
    try:
        return tomli_w.dumps(_without_none(data))
    except TypeError as error:
        raise TomlWriteError(str(error)) from error


def _without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TomlWriteError(f"TOML keys are strings, got {key!r}")
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(item) for item in value]
    return value
