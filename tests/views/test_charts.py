"""Charts name colour roles, and the stylesheet gives every role its colour."""

from __future__ import annotations

import re
from pathlib import Path

from simshop.views import charts

CSS = (Path(__file__).resolve().parents[2] / "simshop/static/css/app.css").read_text()


def every_chart() -> list[str]:
    series = [charts.Series(f"Team {i}", [float(i), -1.0, 2.5]) for i in range(14)]
    return [
        str(charts.bars("Profit", ["R1", "R2", "R3"], series)),
        str(charts.bars("Stacked", ["R1", "R2", "R3"], series[:3], stacked=True)),
        str(charts.lines("Share", ["R1", "R2", "R3"], series, percent=True)),
        str(charts.hbars("Cash", [("Alpha", 3.0, True), ("Beta", -2.0, False)])),
        str(
            charts.boxes(
                "Prices",
                ["US"],
                [{"min": 1.0, "q1": 2.0, "median": 3.0, "q3": 4.0, "max": 5.0}],
            )
        ),
        str(
            charts.waterfall(
                "Why",
                ("Round 1", 100.0, "¥100"),
                [("Prices", 30.0, "+¥30"), ("Tariffs", -50.0, "−¥50")],
                ("Round 2", 80.0, "¥80"),
            )
        ),
    ]


def test_charts_carry_no_colour_of_their_own():
    for svg in every_chart():
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgb\(", svg)
        assert re.search(r'\b(fill|stroke)="(?!none")', svg) is None, svg[:200]


def test_every_colour_role_a_chart_uses_is_styled():
    used = {c for svg in every_chart() for c in re.findall(r'class="([^"]+)"', svg)}
    roles = {part for c in used for part in c.split() if re.match(r"[fst]-", part)}
    assert {"f-series-0", "s-series-11", "t-muted", "s-grid", "f-highlight"} <= roles
    assert {"f-rise", "f-fall", "f-total"} <= roles
    for role in roles:
        assert f".chart .{role}" in CSS, role


def test_line_labels_pushed_apart_stay_clear_of_the_category_labels():
    """Three series ending at the plot's floor: their value labels are spread apart, but the
    group is lifted rather than pushed down onto "R1" under the plot."""
    series = [charts.Series(name, [0.0, 5.0]) for name in ("A", "B", "C")]
    svg = str(charts.lines("Share", ["R1", "R2"], series))
    texts = re.findall(r'<text x="[\d.]+" y="([\d.]+)" font-size="(\d+)"[^>]*>([^<]*)</text>', svg)
    category_y = next(float(y) for y, _size, text in texts if text == "R1")
    value_ys = [float(y) for y, size, text in texts if size == "12" and text == "0"]
    assert len(value_ys) == 3
    # A 12px label's box ends about 3px under its baseline; a 13px label's starts about
    # 13px over its own: keep 16px between the baselines.
    assert max(value_ys) <= category_y - 16


def test_a_waterfall_floats_each_step_from_the_running_total():
    svg = str(
        charts.waterfall(
            "Why",
            ("Round 1", 100.0, "¥100"),
            [("Prices", 30.0, "+¥30"), ("Tariffs", -50.0, "−¥50")],
            ("Round 2", 80.0, "¥80"),
        )
    )
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*class="f-(\w+)"', svg)
    assert [kind for _, _, kind in bars] == ["total", "rise", "fall", "total"]
    (x0, w0, _), (x1, w1, _), (x2, w2, _), (x3, w3, _) = [
        (float(x), float(w), k) for x, w, k in bars
    ]
    scale = w0 / 100
    assert abs(x1 - (x0 + w0)) < 0.2  # the rise starts where round 1 ends
    assert abs(w1 / scale - 30) < 0.5
    assert abs((x2 + w2) - (x1 + w1)) < 0.2  # the fall ends at the running total, 130
    assert abs(w2 / scale - 50) < 0.5
    assert abs(w3 / scale - 80) < 0.5
    for text in ("Round 1", "Prices", "Tariffs", "Round 2", "+¥30", "−¥50"):
        assert f">{text}<" in svg


def test_a_rank_chart_has_whole_number_ticks():
    """Ranks are whole numbers: a team fourth in both rounds gets ticks 3, 4, 5, not 4.2."""
    svg = str(charts.lines("Rank", ["Round 1", "Round 2"], [charts.Series("Rank", [4, 4])]))
    whole = str(
        charts.lines("Rank", ["Round 1", "Round 2"], [charts.Series("Rank", [4, 4])], whole=True)
    )
    ticks = re.findall(r'text-anchor="end"[^>]*>([^<]*)</text>', whole)
    assert ticks == ["3", "4", "5"]
    assert "4.2" in svg  # without it the axis is the usual fine one
    assert charts._nice_ticks(1, 12, whole=True) == [0, 5, 10, 15]
    assert charts._nice_ticks(0.2, 0.9, whole=True) == [0, 1]


def test_a_reversed_rank_chart_puts_first_place_at_the_top():
    """Rank 1 is best, so ``reverse`` draws it highest: the point of a team that climbed from
    third to first rises, and the tick labels read 1 at the top down to 3."""

    def ys(svg: str) -> list[float]:
        return [float(y) for y in re.findall(r'<circle cx="[^"]+" cy="([^"]+)"', svg)]

    def ticks(svg: str) -> list[str]:
        found = re.findall(r'y="([^"]+)"[^>]*text-anchor="end"[^>]*>([^<]*)</text>', svg)
        return [label for _, label in sorted(found, key=lambda item: float(item[0]))]

    rounds, climb = ["Round 1", "Round 2"], [charts.Series("Rank", [3, 1])]
    usual = str(charts.lines("Rank", rounds, climb, whole=True))
    reversed_ = str(charts.lines("Rank", rounds, climb, whole=True, reverse=True))
    first, second = ys(reversed_)
    assert second < first  # first place is drawn above third place
    usual_first, usual_second = ys(usual)
    assert usual_second > usual_first
    assert ticks(reversed_) == sorted(ticks(usual), key=float)
    assert ticks(reversed_)[0] in ("0", "1")
