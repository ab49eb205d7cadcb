"""A small, deterministic TOML writer for scenario data.

:func:`dumps` turns the plain data :mod:`tomllib` gives back (dicts, lists, strings, ints,
floats, bools) into TOML text that :mod:`tomllib` parses to an equal value. Scenarios edited
in the web app are stored as this text, so the same input always gives byte-identical output:
keys keep their order, scalars come before sub-tables, floats are written with ``repr`` (the
shortest text that reads back as the same float) and strings are basic strings with every
control character escaped.

What it writes, per value:

- a dict at the top level or inside a table: a ``[table]`` (or ``[parent.table]``);
- a non-empty list of dicts: an array of tables, ``[[name]]`` one entry after another, with
  nested arrays of tables as ``[[name.child]]`` under their entry;
- anything else: ``key = value`` with lists and dicts inline.

``None`` has no TOML form: keys whose value is ``None`` are left out (pydantic's
"not given"). Dates and times are not needed by scenarios and are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


class TomlWriteError(TypeError):
    """A value that has no TOML form here (a date, an object, a non-string key)."""


def dumps(data: Mapping[str, Any]) -> str:
    """``data`` as TOML text ending in one newline (empty text for an empty mapping)."""
    blocks: list[list[str]] = []
    _write_table(data, (), blocks, header=None)
    text = "\n\n".join("\n".join(block) for block in blocks if block)
    return text + "\n" if text else ""


def _write_table(
    table: Mapping[str, Any],
    path: tuple[str, ...],
    blocks: list[list[str]],
    *,
    header: str | None,
) -> None:
    lines: list[str] = [header] if header else []
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TomlWriteError(f"TOML keys are strings, got {key!r}")
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_array_of_tables(value):
            nested.append((key, value))
        else:
            lines.append(f"{format_key(key)} = {format_value(value)}")
    blocks.append(lines)
    for key, value in nested:
        child = (*path, key)
        dotted = ".".join(format_key(part) for part in child)
        if isinstance(value, Mapping):
            _write_table(value, child, blocks, header=f"[{dotted}]")
        else:
            for entry in value:
                _write_table(entry, child, blocks, header=f"[[{dotted}]]")


def _is_array_of_tables(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)
    )


def format_key(key: str) -> str:
    """A bare key when it may be one, else a quoted key."""
    return key if _BARE_KEY.match(key) else format_string(key)


def format_string(value: str) -> str:
    """A TOML basic string: ``"..."`` with backslash escapes for quotes, backslashes and
    every control character (U+0000–U+001F and U+007F)."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def format_value(value: Any) -> str:
    """An inline TOML value: string, bool, int, float, list or inline table."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Mapping):
        items = [f"{format_key(k)} = {format_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    raise TomlWriteError(f"no TOML form for {type(value).__name__} {value!r}")


def format_float(value: float) -> str:
    """``repr`` of the float (round-trips exactly), spelled the TOML way for inf and nan."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(value)
    # repr gives "1e-05" or "1e+20" without a dot; both are valid TOML floats as they are.
    return text
