"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, no hovering.

Every chart is an ``<svg>`` with presentation attributes and class names only, never
``style=`` or ``<style>``, so it passes the Content-Security-Policy (``style-src 'self'``)
when inlined in a page. Colours come from the stylesheet (``.chart .f-series-0`` and so
on in ``static/css/app.css``): a chart names the role of each mark (a series, the text, the
grid), never a colour. Every bar and point
carries its value as text and every chart has a legend, because a projector and a phone
cannot hover. The exact numbers are in the table each page puts under its chart.

Callers pass already translated titles and labels; this module knows no language.
Values may be ``None`` (no data: nothing drawn, "—" nowhere). The output is ``Markup``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

SERIES_COLOURS = 12
PALETTE = tuple(f"series-{i}" for i in range(SERIES_COLOURS))
"""Colour roles of the series, in order; app.css gives each its colour."""
TEXT = "text"
MUTED = "muted"
GRID = "grid"
HIGHLIGHT = "highlight"
ON_BAR = "on-bar"
BOX = "box"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans CJK SC', 'PingFang SC', sans-serif"

WIDTH = 440
FONT_SIZE = 14
SMALL = 13

Value = float | int | None


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Value]


def compact(value: Value, *, percent: bool = False, digits: int = 3) -> str:
    """A short label: 1234567 -> '1.23M', 12345 -> '12.3k', 0.123 (percent) -> '12.3%'."""
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    v = float(value)
    sign = "−" if v < 0 else ""
    v = abs(v)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            return sign + _significant(v / limit, digits) + suffix
    if v == int(v):
        return f"{sign}{int(v)}"
    return sign + _significant(v, digits)


def _significant(v: float, digits: int) -> str:
    if v == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(v)))))
    text = f"{v:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK characters are about twice as wide as Latin ones."""
    return sum(size * (1.0 if ord(ch) > 0x2E80 else 0.58) for ch in text)


def _spread(ys: list[float], gap: float) -> list[float]:
    """Move sorted positions apart so neighbours are at least ``gap`` apart, keeping the
    group centred where the points are."""
    out = list(ys)
    for _ in range(len(out)):
        moved = False
        for i in range(1, len(out)):
            if out[i] - out[i - 1] < gap:
                push = (gap - (out[i] - out[i - 1])) / 2
                out[i - 1] -= push
                out[i] += push
                moved = True
        if not moved:
            break
    return out


def _nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """About ``count`` evenly spaced round ticks covering ``low``..``high``; ``whole``: whole
    numbers only (counts and ranks: never a tick at 4.2)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    if whole:
        step = max(1.0, float(round(step)))
    start = math.floor(low / step) * step
    ticks = []
    tick = start
    while tick <= high + step * 0.001:
        ticks.append(round(tick, 10))
        tick += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


class _Svg:
    def __init__(self, title: str, height: float) -> None:
        self.title, self.height, self.parts = title, height, []

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: int = SMALL,
        anchor: str = "middle",
        fill: str = TEXT,
        weight: str | None = None,
        rotate: bool = False,
    ) -> None:
        extra = f' font-weight="{weight}"' if weight else ""
        if rotate:
            extra += f' transform="rotate(-90 {x:.1f} {y:.1f})"'
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'class="t-{fill}"{extra}>{escape(text)}</text>'
        )

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str,
        stroke: str | None = None,
        **attrs: str,
    ) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        css = f"f-{fill}" + (f" s-{stroke}" if stroke else "")
        self.add(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
            f'class="{css}"{extra}/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width=1.0, **a) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in a.items())
        self.add(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="s-{stroke}" '
            f'stroke-width="{width}"{extra}/>'
        )

    def legend(self, items: Sequence[tuple[str, str]], top: float, left: float = 8) -> float:
        """Swatches and labels in rows; returns the y below the legend."""
        x, y = left, top
        for label, colour in items:
            width = 18 + _text_width(label, SMALL) + 14
            if x + width > WIDTH - 8 and x > left:
                x, y = left, y + 20
            self.rect(x, y - 10, 12, 12, colour, rx="2")
            self.text(x + 17, y, label, anchor="start")
            x += width
        return y + 14

    def render(self, css_class: str = "chart") -> Markup:
        title = escape(self.title)
        return Markup(
            f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {self.height:.0f}" role="img" font-family="{FONT}">'
            f"<title>{title}</title>" + "".join(self.parts) + "</svg>"
        )


def _frame(svg: _Svg, title: str, legend: Sequence[tuple[str, str]]) -> float:
    svg.text(8, 20, title, size=FONT_SIZE + 1, anchor="start", weight="600")
    if legend:
        return svg.legend(legend, 44) + 6
    return 36


def _axis(svg: _Svg, ticks, y_of, left: float, right: float, *, percent: bool) -> None:
    for tick in ticks:
        y = y_of(tick)
        svg.line(left, y, right, y, GRID, 1 if tick else 1.5)
        label = compact(tick, percent=percent)
        if percent and abs(tick * 100 - round(tick * 100)) < 1e-9:
            label = f"{tick * 100:.0f}%"
        svg.text(left - 6, y + 4, label, anchor="end", fill=MUTED)


CATEGORY_GAP = 24  # from the plot's bottom to the baseline of the category labels


def _category_labels(svg: _Svg, xs: Sequence[float], slot: float, labels: Sequence[str], y: float):
    """Category labels under the plot, thinned to every k-th one when they would touch
    (the last one always shown), so no two ever overlap."""
    widest = max((_text_width(label, SMALL) for label in labels), default=0.0) + 6
    step = max(1, math.ceil(widest / slot)) if slot > 0 else 1
    last = len(labels) - 1
    for i, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if i == last or (i % step == 0 and last - i >= step):
            svg.text(x, y, label, fill=TEXT)


@dataclass(frozen=True)
class _Plot:
    """Where a value axis over one slot per category puts things (SVG units)."""

    ticks: list[float]
    left: float
    right: float
    bottom: float
    height: float
    slot: float
    xs: list[float]
    reverse: bool = False
    """Smaller values higher up (ranks: 1 at the top)."""

    def y_of(self, v: float) -> float:
        span = self.ticks[-1] - self.ticks[0]
        share = (v - self.ticks[0]) / span
        return self.bottom - (1.0 - share if self.reverse else share) * self.height


def _value_plot(
    svg: _Svg,
    low: float,
    high: float,
    categories: Sequence[str],
    *,
    top: float,
    plot_height: float,
    right_margin: float,
    percent: bool,
    whole: bool = False,
    reverse: bool = False,
) -> _Plot:
    """Draw the value axis (gridlines, tick labels) and the category labels below the plot;
    return where values and category slots go (``whole``: whole-number ticks only;
    ``reverse``: smaller values higher up)."""
    ticks = _nice_ticks(low, high, whole=whole)
    left, right = 52.0, WIDTH - right_margin
    bottom = top + 18 + plot_height
    slot = (right - left) / len(categories)
    xs = [left + (i + 0.5) * slot for i in range(len(categories))]
    plot = _Plot(ticks, left, right, bottom, plot_height, slot, xs, reverse)
    _axis(svg, ticks, plot.y_of, left, right, percent=percent)
    _category_labels(svg, xs, slot, categories, bottom + CATEGORY_GAP)
    return plot


def _nothing_to_show(svg: _Svg, top: float) -> Markup:
    """The chart of no data: its frame and a dash."""
    svg.height = top + 30
    svg.text(WIDTH / 2, top + 16, "—", fill=MUTED)
    return svg.render()


def _finish(svg: _Svg, plot: _Plot) -> Markup:
    """The chart down to its category labels."""
    svg.height = plot.bottom + CATEGORY_GAP + 12
    return svg.render()


def bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = False,
    percent: bool = False,
    plot_height: int = 220,
) -> Markup:
    """Vertical bars per category: grouped (side by side) or stacked, each labelled."""
    series = [s for s in series if any(v is not None for v in s.values)] or list(series)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    legend = [(s.label, c) for s, c in zip(series, colours, strict=True)]
    svg = _Svg(title, 0)
    top = _frame(svg, title, legend if len(series) > 1 or stacked else [])
    if not categories or not series:
        return _nothing_to_show(svg, top)
    n = len(categories)
    if stacked:
        totals = [sum(max(s.values[i] or 0, 0) for s in series) for i in range(n)]
        low, high = 0.0, max(totals + [0.0])
    else:
        values = [v for s in series for v in s.values if v is not None]
        low, high = min(values + [0.0]), max(values + [0.0])
    plot = _value_plot(
        svg,
        low,
        high,
        categories,
        top=top,
        plot_height=plot_height,
        right_margin=8,
        percent=percent,
    )
    columns = list(zip(series, colours, strict=True))
    for i in range(n):
        if stacked:
            _stacked_column(svg, plot, i, columns, totals[i], percent=percent)
        else:
            _grouped_columns(svg, plot, i, columns, percent=percent)
    return _finish(svg, plot)


def _stacked_column(
    svg: _Svg,
    plot: _Plot,
    i: int,
    columns: Sequence[tuple[Series, str]],
    total: float,
    *,
    percent: bool,
) -> None:
    """Category ``i`` as one column of the series stacked (positive parts), the total on
    top and each part's value inside it when it fits."""
    y_of, slot = plot.y_of, plot.slot
    width = min(slot * 0.6, 64)
    x = plot.left + i * slot + (slot - width) / 2
    acc = 0.0
    for s, colour in columns:
        v = max(s.values[i] or 0, 0)
        if not v:
            continue
        y1, y2 = y_of(acc + v), y_of(acc)
        svg.rect(x, y1, width, y2 - y1, colour)
        if y2 - y1 >= 15 and width >= 30:
            svg.text(x + width / 2, (y1 + y2) / 2 + 4, compact(v), fill=ON_BAR)
        acc += v
    svg.text(x + width / 2, y_of(acc) - 5, compact(total, percent=percent), weight="600")


def _grouped_columns(
    svg: _Svg, plot: _Plot, i: int, columns: Sequence[tuple[Series, str]], *, percent: bool
) -> None:
    """Category ``i`` as one bar per series side by side, each labelled above (below when
    negative) or, when too narrow, along the bar."""
    y_of, slot = plot.y_of, plot.slot
    zero = y_of(0.0)
    x0 = plot.left + i * slot
    group = min(slot * 0.8, 56 * len(columns))
    width = group / len(columns)
    for j, (s, colour) in enumerate(columns):
        v = s.values[i]
        if v is None:
            continue
        x = x0 + (slot - group) / 2 + j * width
        y = y_of(v)
        svg.rect(x + 1, min(y, zero), width - 2, abs(zero - y), colour)
        label = compact(v, percent=percent)
        if width >= _text_width(label, SMALL - 1) + 2:
            svg.text(x + width / 2, (y - 5) if v >= 0 else (y + 13), label, size=SMALL - 1)
        else:  # too narrow for a level label: write it upwards along the bar
            ty = (min(y, zero) - 4) if v >= 0 else (max(y, zero) + 4)
            anchor = "start" if v >= 0 else "end"
            svg.text(x + width / 2 + 4, ty, label, size=SMALL - 1, anchor=anchor, rotate=True)


def lines(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
    digits: int = 3,
    plot_height: int = 200,
    zero_based: bool = False,
    whole: bool = False,
    reverse: bool = False,
) -> Markup:
    """One line per series over the categories, every point labelled with its value
    (``whole``: the values are counts or ranks, so the axis has whole-number ticks;
    ``reverse``: smaller values higher up, as for ranks where 1 is best)."""
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    svg = _Svg(title, 0)
    top = _frame(svg, title, [(s.label, c) for s, c in zip(series, colours, strict=True)])
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return _nothing_to_show(svg, top)
    low, high = min(values), max(values)
    if zero_based:
        low = min(low, 0.0)
    if high - low < 1e-9:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    plot = _value_plot(
        svg,
        low,
        high,
        categories,
        top=top,
        plot_height=plot_height,
        right_margin=52,
        percent=percent,
        whole=whole,
        reverse=reverse,
    )
    label_all = len(categories) <= 6 or len(series) == 1
    labels: dict[int, list[tuple[float, str, str]]] = {}
    for s, colour in zip(series, colours, strict=True):
        for i, label in _line(svg, plot, s, colour, label_all, percent=percent, digits=digits):
            labels.setdefault(i, []).append(label)
    for i, items in labels.items():
        _point_labels(svg, plot, plot.xs[i], items)
    return _finish(svg, plot)


def _line(
    svg: _Svg,
    plot: _Plot,
    s: Series,
    colour: str,
    label_all: bool,
    *,
    percent: bool,
    digits: int,
) -> list[tuple[int, tuple[float, str, str]]]:
    """Draw one series' line and points; return the labels it wants, by category: every
    point's, or the last point's only."""
    points = [(i, plot.xs[i], plot.y_of(v), v) for i, v in enumerate(s.values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for _, x, y, _ in points)
        svg.add(f'<polyline points="{path}" fill="none" class="s-{colour}" stroke-width="2.5"/>')
    wanted = []
    for i, x, y, v in points:
        svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="f-{colour}"/>')
        if label_all or i == points[-1][0]:
            wanted.append((i, (y, compact(v, percent=percent, digits=digits), colour)))
    return wanted


def _point_labels(svg: _Svg, plot: _Plot, x: float, items: list[tuple[float, str, str]]) -> None:
    """One label per series beside its point at ``x``, pushed apart so none overlap."""
    placed = _spread(sorted(y for y, _, _ in items), SMALL + 1)
    # Never pushed down into the category labels under the plot: lift the group instead.
    excess = max(placed) - (plot.bottom + 1)
    if excess > 0:
        placed = [y - excess for y in placed]
    for (_, text, colour), y in zip(sorted(items), placed, strict=True):
        svg.text(x + 7, y + 4, text, fill=colour, size=SMALL - 1, anchor="start", weight="600")


def hbars(
    title: str,
    items: Sequence[tuple[str, Value, bool]],
    *,
    percent: bool = True,
) -> Markup:
    """Horizontal bars, one per (label, value, highlighted); highlighted = the viewer's team."""
    svg = _Svg(title, 0)
    top = _frame(svg, title, [])
    if not items:
        return _nothing_to_show(svg, top)
    label_width = min(200, max(_text_width(label, SMALL) for label, _, _ in items) + 12)
    left, right = 8 + label_width, WIDTH - 8
    values = [v or 0 for _, v, _ in items]
    low, high = min(values + [0.0]), max(values + [0.0])
    label_room = 58
    span = (high - low) or 1e-9
    scale = (right - left - label_room * (2 if low < 0 else 1)) / span
    zero = left + (label_room if low < 0 else 0) + (0 - low) * scale
    row = 24
    if low < 0:
        svg.line(zero, top, zero, top + 8 + len(items) * row, MUTED, 1)
    for i, (label, value, mine) in enumerate(items):
        y = top + 4 + i * row
        colour = HIGHLIGHT if mine else PALETTE[0]
        v = value or 0
        svg.text(left - 6, y + 15, label, anchor="end", weight="600" if mine else None)
        end = zero + v * scale
        svg.rect(
            min(zero, end),
            y + 3,
            abs(end - zero),
            row - 8,
            colour if v >= 0 else PALETTE[6],
            rx="2",
        )
        if v >= 0:
            svg.text(end + 6, y + 15, compact(value, percent=percent), anchor="start")
        else:
            svg.text(end - 6, y + 15, compact(value, percent=percent), anchor="end")
    svg.height = top + 12 + len(items) * row
    return svg.render()


def boxes(
    title: str,
    categories: Sequence[str],
    stats: Sequence[dict | None],
    *,
    digits: int = 4,
    plot_height: int = 200,
) -> Markup:
    """Box plots from precomputed ``min, q1, median, q3, max``: whiskers at min and max,
    the box from q1 to q3, the median labelled on the box, min and max at the whiskers."""
    svg = _Svg(title, 0)
    top = _frame(svg, title, [])
    present = [s for s in stats if s]
    if not categories or not present:
        return _nothing_to_show(svg, top)
    low = min(s["min"] for s in present)
    high = max(s["max"] for s in present)
    if high - low < 1e-9:
        low, high = low * 0.9, high * 1.1 + 1e-6
    plot = _value_plot(
        svg,
        low,
        high,
        categories,
        top=top,
        plot_height=plot_height,
        right_margin=8,
        percent=False,
    )
    for cx, s in zip(plot.xs, stats, strict=False):
        if s:
            _box(svg, plot, cx, s, digits=digits)
    return _finish(svg, plot)


def _box(svg: _Svg, plot: _Plot, cx: float, s: dict, *, digits: int) -> None:
    """One box plot centred on ``cx``: whiskers, the quartile box, the labelled median."""
    y_of = plot.y_of
    width = min(plot.slot * 0.45, 48)
    svg.line(cx, y_of(s["max"]), cx, y_of(s["min"]), MUTED, 1.5)
    for end in (s["min"], s["max"]):
        svg.line(cx - width / 4, y_of(end), cx + width / 4, y_of(end), MUTED, 1.5)
    y_q3, y_q1 = y_of(s["q3"]), y_of(s["q1"])
    svg.rect(
        cx - width / 2,
        y_q3,
        width,
        max(y_q1 - y_q3, 1.5),
        BOX,
        stroke=PALETTE[0],
        stroke_width="1.5",
    )
    median = y_of(s["median"])
    svg.line(cx - width / 2, median, cx + width / 2, median, PALETTE[0], 3)
    svg.text(
        cx + width / 2 + 4,
        median + 4,
        compact(s["median"], digits=digits),
        anchor="start",
        weight="600",
        size=SMALL - 1,
    )
    svg.text(cx, y_of(s["max"]) - 5, compact(s["max"], digits=digits), size=SMALL - 1, fill=MUTED)
    svg.text(cx, y_of(s["min"]) + 14, compact(s["min"], digits=digits), size=SMALL - 1, fill=MUTED)


RISE, FALL, TOTAL = "rise", "fall", "total"


def waterfall(
    title: str,
    start: tuple[str, float, str],
    steps: Sequence[tuple[str, float, str]],
    end: tuple[str, float, str],
) -> Markup:
    """A horizontal waterfall: a ``start`` total, one floating bar per step (a rise or a
    fall from the running total) and the ``end`` total. Items are (label, value, value
    text); the caller formats the value text (the page's money format)."""
    svg = _Svg(title, 0)
    top = _frame(svg, title, [])
    rows = [start, *steps, end]
    label_width = min(200.0, max(_text_width(label, SMALL) for label, _, _ in rows) + 12)
    text_room = max(_text_width(text, SMALL) for _, _, text in rows) + 10
    left, right = 8 + label_width, WIDTH - 8
    running = [start[1]]
    for _, value, _ in steps:
        running.append(running[-1] + value)
    low = min([0.0, start[1], end[1], *running])
    high = max([0.0, start[1], end[1], *running])
    span = (high - low) or 1.0
    scale = (right - left - text_room) / span

    def x_of(v: float) -> float:
        return left + (v - low) * scale

    row = 24
    bottom = top + 8 + len(rows) * row
    svg.line(x_of(0), top, x_of(0), bottom, MUTED, 1)
    level = start[1]
    for i, (label, value, text) in enumerate(rows):
        y = top + 4 + i * row
        total = i in (0, len(rows) - 1)
        if total:
            a, b, fill = 0.0, value, TOTAL
        else:
            a, b = level, level + value
            fill = RISE if value >= 0 else FALL
            level = b
        x0, x1 = sorted((x_of(a), x_of(b)))
        svg.text(left - 6, y + 15, label, anchor="end", weight="600" if total else None)
        svg.rect(x0, y + 3, max(x1 - x0, 1.0), row - 8, fill, rx="2")
        svg.text(x1 + 6, y + 15, text, anchor="start")
    svg.height = bottom + 6
    return svg.render()
