"""Loading a scenario file with every problem located: file, key path, line, code, message.

:func:`load_scenario_file` and :func:`load_scenario_text` either return a
:class:`LoadedScenario` (the validated scenario, its text and SHA-256, which a game keeps as
its snapshot) or raise :class:`ScenarioInvalid` listing *every* problem found, not just the
first: size and encoding, TOML syntax, schema errors (one per key), and cross-section errors
(an event naming a market the scenario does not have, a duplicate id, an event after the last
round).

Each :class:`ScenarioProblem` has a stable ``code`` (pydantic's error type such as
``missing`` or ``greater_than``, or one of ours such as ``unknown_market``) and ``params`` so
the web layer can translate the English ``message``. ``line`` comes from
:class:`TomlLocator`, which maps a key path back to the line that defines it.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, TypeAdapter, ValidationError

from simshop.engine.bots import BOT_STRATEGIES
from simshop.engine.scenario import (
    EVENT_KINDS,
    MARKET_CODES,
    MAX_SCENARIO_BYTES,
    MAX_SCENARIO_DEPTH,
    SKIP_CROSS_CHECK,
    Bots,
    Calendar,
    CrossProblem,
    Economy,
    Event,
    EventBase,
    IpRisk,
    Lane,
    Market,
    Meta,
    ModelParams,
    Product,
    Requirement,
    ResearchSettings,
    Scenario,
    Scoring,
    Supplier,
    Tariff,
    Tier,
    cross_check,
    cross_check_parts,
    loc_to_path,
)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ScenarioProblem:
    """One thing wrong with a scenario file.

    ``loc`` is a key path such as ``"markets[1].lanes[0].lead_days"`` (``""`` for the file as
    a whole); ``line`` is 1-based, or None when the key is absent from the file.
    """

    file: str
    loc: str
    line: int | None
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.loc}: {self.message}" if self.loc else f"{where}: {self.message}"


class ScenarioInvalid(Exception):
    """A scenario file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ScenarioProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LoadedScenario(NamedTuple):
    scenario: Scenario
    text: str
    sha256: str
    """Hex SHA-256 of the file's bytes (of the UTF-8 text for :func:`load_scenario_text`)."""


# --------------------------------------------------------------------------- entry points


def load_scenario_file(path: str | Path) -> LoadedScenario:
    """Read, parse and validate a scenario file. Raises :class:`ScenarioInvalid`."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioInvalid([_too_large(name, size)])
        with path.open("rb") as fh:
            data = fh.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioInvalid(
            [
                ScenarioProblem(
                    name,
                    "",
                    None,
                    "unreadable",
                    f"cannot read the file: {exc.strerror or exc}",
                    {"error": str(exc.strerror or exc)},
                )
            ]
        ) from None
    return load_scenario_bytes(data, name)


def load_scenario_bytes(data: bytes, source_name: str = "<scenario>") -> LoadedScenario:
    """Decode (UTF-8, an optional BOM allowed), parse and validate scenario bytes."""
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioInvalid([_too_large(source_name, len(data))])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioInvalid(
            [
                ScenarioProblem(
                    source_name,
                    "",
                    line,
                    "not_utf8",
                    f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8",
                    {"offset": exc.start},
                )
            ]
        ) from None
    return _load(text.removeprefix("\ufeff"), source_name, hashlib.sha256(data).hexdigest())


def load_scenario_text(text: str, source_name: str = "<scenario>") -> LoadedScenario:
    """Parse and validate scenario TOML text. Raises :class:`ScenarioInvalid`."""
    encoded = text.encode("utf-8", errors="surrogatepass")
    if len(encoded) > MAX_SCENARIO_BYTES:
        raise ScenarioInvalid([_too_large(source_name, len(encoded))])
    return _load(text, source_name, hashlib.sha256(encoded).hexdigest())


def _too_large(name: str, size: int) -> ScenarioProblem:
    return ScenarioProblem(
        name,
        "",
        None,
        "too_large",
        f"the file is {size:,} bytes; a scenario may be at most {MAX_SCENARIO_BYTES:,} bytes",
        {"size": size, "max": MAX_SCENARIO_BYTES},
    )


# --------------------------------------------------------------------------- pipeline


_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def _load(text: str, name: str, sha256: str) -> LoadedScenario:
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise ScenarioInvalid(
            [ScenarioProblem(name, "", None, "empty_file", "the file has no settings")]
        )
    deep_line = _bracket_depth_exceeded(text)
    if deep_line is None:
        deep_line = _dotted_key_depth_exceeded(text)
    if deep_line is not None:
        raise ScenarioInvalid([_too_deep(name, "", deep_line)])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioInvalid([_syntax_problem(name, str(exc), text)]) from None
    except RecursionError:  # a backstop: the bracket scan should have caught it
        raise ScenarioInvalid([_too_deep(name, "", None)]) from None

    locator = TomlLocator(text)
    deep_loc = _too_deep_loc(data)
    if deep_loc is not None:
        raise ScenarioInvalid([_too_deep(name, loc_to_path(deep_loc), locator.line_of(deep_loc))])

    problems: list[ScenarioProblem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data, context={SKIP_CROSS_CHECK: True})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.append(_pydantic_problem(name, error, data, locator))
    cross = cross_check(scenario) if scenario is not None else _partial_cross_check(data)
    for p in [*_strategy_problems(data), *cross]:
        problems.append(
            ScenarioProblem(
                name, loc_to_path(p.loc), locator.line_of(p.loc), p.code, p.message, p.params
            )
        )
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise ScenarioInvalid(problems)
    assert scenario is not None
    return LoadedScenario(scenario, text, sha256)


def _syntax_problem(name: str, message: str, text: str) -> ScenarioProblem:
    match = _TOML_POSITION.search(message)
    line: int | None = None
    column: int | None = None
    if match and match.group(1):
        line, column = int(match.group(1)), int(match.group(2))
    elif match:  # "at end of document"
        line = text.count("\n") + (0 if text.endswith("\n") else 1)
    bare = message[: match.start()] if match else message
    return ScenarioProblem(
        name,
        "",
        line,
        "toml_syntax",
        f"TOML syntax error: {bare}" + (f" (column {column})" if column else ""),
        {"detail": bare, "column": column},
    )


def _too_deep(name: str, loc: str, line: int | None) -> ScenarioProblem:
    return ScenarioProblem(
        name,
        loc,
        line,
        "too_deep",
        f"tables and arrays are nested more than {MAX_SCENARIO_DEPTH} levels deep",
        {"max": MAX_SCENARIO_DEPTH},
    )


def _code_chars(text: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, line)`` of every character outside strings and comments (a
    rough TOML scan for the pre-checks below; a newline is yielded too, with its line)."""
    line = 1
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch in "\"'":
            quote = text[i : i + 3] if text.startswith(ch * 3, i) else ch
            end = text.find(quote, i + len(quote))
            while quote == '"' and end > 0 and _escaped(text, end):
                end = text.find(quote, end + 1)
            stop = n if end < 0 else end + len(quote)
            line += text.count("\n", i, stop)
            i = stop
            continue
        if ch == "\n":
            line += 1
        yield i, ch, line
        i += 1


def _bracket_depth_exceeded(text: str) -> int | None:
    """The line where ``[``/``{`` nesting in values passes the limit, or None.

    A rough scan (strings and comments skipped) run before :mod:`tomllib`, whose recursive
    descent would otherwise hit the recursion limit on ``a = [[[[[…``.
    """
    if text.count("[") + text.count("{") <= MAX_SCENARIO_DEPTH:
        return None
    depth = 0
    for _i, ch, line in _code_chars(text):
        if ch in "[{":
            depth += 1
            if depth > MAX_SCENARIO_DEPTH:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


DOTTED_KEY_SCAN_LIMIT = 100
"""Dotted keys with more parts than this are refused before parsing (fewer are parsed in no
time, and the nesting check on the parsed data then says exactly where it is too deep)."""


def _dotted_key_depth_exceeded(text: str) -> int | None:
    """The line of a dotted key with more than :data:`DOTTED_KEY_SCAN_LIMIT` parts, or None.

    ``tomllib`` takes time quadratic in the parts of a dotted key (``a.a.a.… = 1``: a 300 kB
    file with 150,000 parts would hold a worker for minutes), so this linear scan runs
    first. Dots are counted outside strings and comments, in runs that a ``=``, ``,``,
    bracket, brace or line end ends; a dot between two digits is a decimal point."""
    if text.count(".") < DOTTED_KEY_SCAN_LIMIT:
        return None
    dots = 0
    n = len(text)
    for i, ch, line in _code_chars(text):
        if ch in "\n=,[]{}":
            dots = 0
        elif ch == "." and not (0 < i < n - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            dots += 1
            if dots >= DOTTED_KEY_SCAN_LIMIT:
                return line
    return None


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _too_deep_loc(data: dict[str, Any]) -> Loc | None:
    """The path of the first value nested deeper than the limit (iterative, no recursion)."""
    stack: list[tuple[Loc, Any, int]] = [((), data, 1)]
    while stack:
        loc, value, depth = stack.pop()
        if depth > MAX_SCENARIO_DEPTH:
            return loc
        if isinstance(value, dict):
            stack.extend((loc + (k,), v, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((loc + (i,), v, depth + 1) for i, v in enumerate(value))
    return None


# --------------------------------------------------------------------------- schema errors


_SECTION_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Scenario,
    ("meta",): Meta,
    ("calendar",): Calendar,
    ("economy",): Economy,
    ("model",): ModelParams,
    ("markets", "#"): Market,
    ("markets", "#", "lanes", "#"): Lane,
    ("products", "#"): Product,
    ("products", "#", "suppliers", "#"): Supplier,
    ("products", "#", "suppliers", "#", "tiers", "#"): Tier,
    ("research",): ResearchSettings,
    ("tariffs", "#"): Tariff,
    ("bots",): Bots,
    ("scoring",): Scoring,
    ("compliance", "#"): Requirement,
    ("products", "#", "ip_risk"): IpRisk,
}

_TYPE_WORDS = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "an array",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def _model_at(loc: Loc, data: Any) -> type[BaseModel] | None:
    """The schema class of the table at ``loc`` (an event's class comes from its ``kind``)."""
    if len(loc) == 2 and loc[0] == "events" and isinstance(loc[1], int):
        kind = _get(data, loc + ("kind",))
        return EVENT_KINDS.get(kind) if isinstance(kind, str) else None
    shape = tuple("#" if isinstance(p, int) else p for p in loc)
    return _SECTION_MODELS.get(shape)


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{shown}"'
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value:g}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return type(value).__name__


def _plain(value: Any) -> Any:
    """ctx values as JSON-friendly params."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _pydantic_problem(
    name: str, error: Mapping[str, Any], data: dict[str, Any], locator: TomlLocator
) -> ScenarioProblem:
    raw_loc: Loc = tuple(error["loc"])
    # A discriminated union puts the chosen kind in the path: events[0].tariff_change.rate.
    # A dict key's own error ends in "[key]": the key is the place (demand_range.DE).
    loc: Loc = tuple(
        part
        for k, part in enumerate(raw_loc)
        if not (k == 2 and raw_loc[0] == "events" and part in EVENT_KINDS) and part != "[key]"
    )
    ctx = {k: _plain(v) for k, v in (error.get("ctx") or {}).items() if k != "error"}
    if "field" in ctx:
        # a dotted field ("suppliers.1.id") points into the table: array indexes as ints
        loc = loc + tuple(
            int(part) if part.isdigit() else part for part in str(ctx.pop("field")).split(".")
        )
    code, loc, message, ctx = _worded(
        error["type"], loc, error["msg"], error.get("input"), ctx, data
    )
    return ScenarioProblem(name, loc_to_path(loc), locator.line_of(loc), code, message, ctx)


def _worded(
    code: str, loc: Loc, message: str, value: Any, ctx: dict[str, Any], data: dict[str, Any]
) -> tuple[str, Loc, str, dict[str, Any]]:
    """A pydantic error in the words of a scenario author: ``(code, loc, message, ctx)``
    (our own code for union tags, patterns and market codes; what was found in ``ctx``)."""
    kinds = ", ".join(EVENT_KINDS)
    if code == "missing":
        message = f"required key '{loc[-1]}' is missing"
        ctx["key"] = loc[-1]
    elif code == "extra_forbidden":
        message = _unknown_key(loc, data, ctx)
    elif code == "union_tag_invalid":
        code = "unknown_event_kind"
        loc = loc + ("kind",)
        message = f"unknown event kind '{ctx.get('tag')}'; the kinds are: {kinds}"
        ctx = {"kind": ctx.get("tag"), "known": list(EVENT_KINDS)}
    elif code == "union_tag_not_found":
        code = "missing_event_kind"
        message = f"an event needs a 'kind', one of: {kinds}"
        ctx = {"known": list(EVENT_KINDS)}
    elif code in _TYPE_WORDS:
        message = f"expected {_TYPE_WORDS[code]}, got {_describe(value)}"
        ctx["got"] = _describe(value)
    elif code == "string_pattern_mismatch":
        code, message = _pattern_words(str(ctx.get("pattern", "")))
        message += f"; got {_describe(value)}"
        ctx["got"] = _describe(value)
    elif code == "literal_error":
        if (
            isinstance(loc[-1], str)
            and loc[-1] in ("code", "market", "markets")
            or (isinstance(loc[-1], int) and "markets" in loc)
            or (len(loc) > 1 and loc[-2] == "demand_range")
        ):
            code = "bad_market_code"
        message = f"expected one of {ctx.get('expected', '')}, got {_describe(value)}"
        ctx["got"] = _describe(value)
    elif code in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        message = f"{message}, got {_describe(value)}"
        ctx["got"] = _plain(value)
    elif code in {"too_short", "too_long"}:
        message = message.replace(" after validation", "")
    elif code == "value_error":
        message = message.removeprefix("Value error, ")
    return code, loc, message, ctx


def _unknown_key(loc: Loc, data: dict[str, Any], ctx: dict[str, Any]) -> str:
    """The message for a key the schema does not have, with the closest allowed key as a
    suggestion (put in ``ctx`` with the key)."""
    key = str(loc[-1])
    model = _model_at(loc[:-1], data)
    allowed = sorted(model.model_fields) if model else []
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    message = f"unknown key '{key}'" + (f"; did you mean '{close[0]}'?" if close else "")
    if not close and allowed:
        message += f" (allowed: {', '.join(allowed)})"
    ctx.update(key=key, suggestion=close[0] if close else None)
    return message


def _pattern_words(pattern: str) -> tuple[str, str]:
    """The code and message for a text that does not match its pattern."""
    if "A-Z" in pattern:
        return "bad_currency", "a currency is three capital letters, e.g. 'USD'"
    if "\\*" in pattern:
        return (
            "bad_identifier",
            "a category is lowercase letters, digits, '-' or '_' (or '*' for all)",
        )
    return "bad_identifier", (
        "an id is lowercase letters, digits, '-' or '_', starting with a letter "
        "(at most 48 characters)"
    )


def _strategy_problems(data: dict[str, Any]) -> list[CrossProblem]:
    """``[bots] strategies`` naming a strategy the bots' registry does not have."""
    bots = data.get("bots")
    strategies = bots.get("strategies") if isinstance(bots, dict) else None
    if not isinstance(strategies, list):
        return []
    unknown = [s for s in strategies if isinstance(s, str) and s not in BOT_STRATEGIES]
    if not unknown:
        return []
    params = {"unknown": ", ".join(unknown), "known": ", ".join(BOT_STRATEGIES)}
    message = "unknown bot strategy {unknown}; choose from {known}".format(**params)
    return [CrossProblem(("bots", "strategies"), "unknown_strategy", message, params)]


def _partial_cross_check(data: dict[str, Any]) -> list[CrossProblem]:
    """Cross-checks over the sections that validate on their own, when the whole does not."""

    def each(key: str, validate: Any) -> list[tuple[int, Any]]:
        items = data.get(key)
        out = []
        for i, item in enumerate(items if isinstance(items, list) else []):
            with contextlib.suppress(ValidationError):
                out.append((i, validate(item)))
        return out

    def raw_values(key: str, attr: str) -> set[str]:
        items = data.get(key)
        return {
            item[attr]
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get(attr), str)
        }

    try:
        calendar: Calendar | None = Calendar.model_validate(data.get("calendar"))
    except ValidationError:
        calendar = None
    event_adapter: TypeAdapter[EventBase] = TypeAdapter(Event)
    return cross_check_parts(
        calendar=calendar,
        markets=each("markets", Market.model_validate),
        products=each("products", Product.model_validate),
        tariffs=each("tariffs", Tariff.model_validate),
        events=each("events", event_adapter.validate_python),
        known_market_codes=raw_values("markets", "code") & set(MARKET_CODES),
        known_categories=raw_values("products", "category"),
        known_currencies=raw_values("markets", "currency"),
        compliance=each("compliance", Requirement.model_validate),
        known_requirement_markets=raw_values("compliance", "market"),
    )


# --------------------------------------------------------------------------- line locator


_BARE_KEY = r"[A-Za-z0-9_\-]+"
_KEY_PART = rf'(?:{_BARE_KEY}|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_DOTTED_KEY})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED_KEY})\s*\]")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=\s*(.*)$")
_PART = re.compile(_KEY_PART)


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for raw in _PART.findall(dotted):
        if raw[:1] == '"':
            parts.append(raw[1:-1].encode().decode("unicode_escape", errors="replace"))
        elif raw[:1] == "'":
            parts.append(raw[1:-1])
        else:
            parts.append(raw)
    return tuple(parts)


class TomlLocator:
    """Maps a key path to the line of the TOML text that defines it.

    Tracks ``[table]`` and ``[[array]]`` headers (counting array entries per parent, so
    ``[[markets.lanes]]`` is numbered within the current ``[[markets]]``), dotted keys and
    ``key =`` lines; multi-line strings and arrays are skipped over. A path that is not
    defined in the file (a missing key, an element of an inline array) falls back to the
    nearest enclosing key or table that is.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[Loc, int] = {}
        current_index: dict[Loc, int] = {}
        table: Loc = ()
        skip_until: str | None = None
        bracket_depth = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if skip_until is not None:
                if skip_until in line:
                    skip_until = None
                continue
            if bracket_depth > 0:
                bracket_depth += _bracket_balance(line)
                continue
            if match := _ARRAY_HEADER.match(line):
                parts = _key_parts(match.group(1))
                parent = self._resolve(parts[:-1], current_index)
                key = parent + (parts[-1],)
                index = current_index.get(key, -1) + 1
                current_index[key] = index
                # A new entry restarts the numbering of arrays nested inside it.
                for nested in [k for k in current_index if k[: len(key)] == key and k != key]:
                    del current_index[nested]
                table = key + (index,)
                self.lines.setdefault(key, number)
                self.lines.setdefault(table, number)
                continue
            if match := _TABLE_HEADER.match(line):
                table = self._resolve(_key_parts(match.group(1)), current_index)
                for k in range(1, len(table) + 1):
                    self.lines.setdefault(table[:k], number)
                continue
            if match := _KEY_LINE.match(line):
                parts = _key_parts(match.group(1))
                for k in range(1, len(parts) + 1):
                    self.lines.setdefault(table + parts[:k], number)
                value = match.group(2).lstrip()
                for quote in ('"""', "'''"):
                    if value.startswith(quote) and value.count(quote) == 1:
                        skip_until = quote
                if value.startswith("["):
                    bracket_depth = max(0, _bracket_balance(value))

    @staticmethod
    def _resolve(parts: tuple[str, ...], current_index: dict[Loc, int]) -> Loc:
        resolved: Loc = ()
        for part in parts:
            resolved = resolved + (part,)
            if resolved in current_index:
                resolved = resolved + (current_index[resolved],)
        return resolved

    def line_of(self, loc: Loc) -> int | None:
        """The line defining ``loc`` or its nearest defined ancestor (None at the root)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return None


def _bracket_balance(line: str) -> int:
    """Opening minus closing brackets on a line, ignoring strings and comments (roughly)."""
    balance = 0
    quote: str | None = None
    for k, ch in enumerate(line):
        if quote:
            if ch == quote and not (quote == '"' and _escaped(line, k)):
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            balance += 1
        elif ch in "]}":
            balance -= 1
    return balance
