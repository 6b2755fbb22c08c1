"""Pure renderers: escaped HTML tables, SVG line charts, sparklines, parallel coordinates."""
from __future__ import annotations

import math

import pytest

from nbtrack.widgets import charts, static
from nbtrack.widgets._metric_rules import best_key, lower_is_better, metric_group
from nbtrack.widgets.charts import Axis, Series

from .svgparse import elements, path_commands, path_points, table_rows

XSS = "<script>alert('x')</script>"


# -- HTML tables -------------------------------------------------------------------------------
def test_html_table_escapes_headers_cells_and_caption():
    out = static.html_table([XSS], [[XSS], ['a"b&c']], caption=XSS)
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert table_rows(out) == [[XSS], [XSS], ['a"b&c']]


def test_html_table_marks_cells_and_rows():
    out = static.html_table(["k", "v"], [["a", 1], ["b", 2]], marks={(0, 1): "best"},
                            row_marks={1: "stale"})
    tds = elements(out, "td")
    assert [td.get("class", "") for td in tds] == ["", "nbtrack-best", "nbtrack-stale", "nbtrack-stale"]
    assert static.MARK_STYLES["best"] in tds[1]["style"]
    assert elements(out, "tr", "nbtrack-stale")


def test_html_table_raw_columns_are_not_escaped_and_others_are():
    out = static.html_table(["a", "b"], [["<svg></svg>", "<svg></svg>"]], raw_columns=[1])
    assert out.count("<svg></svg>") == 1
    assert "&lt;svg&gt;" in out


@pytest.mark.parametrize("value, text", [
    (None, ""), (0.123456, "0.1235"), (3, "3"), (float("nan"), "NaN"), (float("inf"), "inf"),
    (float("-inf"), "-inf"), (True, "True"), ("x", "x"), (1e-7, "1e-07"),
])
def test_format_value(value, text):
    assert static.format_value(value) == text


@pytest.mark.parametrize("ms, text", [
    (None, ""), (-5, ""), (850, "0.9 s"), (12_300, "12.3 s"), (9_450, "9.5 s"), (245_000, "4 min 5 s"),
    (7_380_000, "2.1 h"),
])
def test_format_duration(ms, text):
    assert static.format_duration(ms) == text


def test_format_timestamp_is_local_time_text():
    assert static.format_timestamp(None) == ""
    assert len(static.format_timestamp(1_700_000_000_000)) == len("2023-11-14 22:13:20")


def test_error_and_message_html_escape():
    assert "<script>" not in static.error_html(XSS)
    assert "<script>" not in static.message_html(XSS)
    assert "&lt;script&gt;" in static.error_html(XSS)


def test_twin_html_and_hide_css_share_the_panel_class():
    uid = "abc123"
    twin = static.twin_html(uid, "<p>body</p>", title=XSS)
    css = static.hide_twin_css(uid)
    assert elements(twin, "div", f"nbtrack-twin-{uid}")
    assert f".nbtrack-twin-{uid}{{display:none" in css
    assert "<script>" not in twin


# -- line charts -------------------------------------------------------------------------------
def _paths(svg: str) -> list[dict[str, str]]:
    return elements(svg, "path", "nbtrack-line")


def test_line_chart_has_one_path_per_series_with_one_command_per_point():
    svg = charts.line_chart_svg([Series("a", range(37), [1 / (i + 1) for i in range(37)]),
                                 Series("b", [0, 1], [2.0, 3.0])], title="loss")
    paths = _paths(svg)
    assert [p["data-key"] for p in paths] == ["a", "b"]
    assert path_commands(paths[0]["d"]) == "M" + "L" * 36
    assert len(path_points(paths[1]["d"])) == 2


def test_line_chart_y_decreases_upwards_and_x_increases():
    svg = charts.line_chart_svg([Series("loss", [0, 1, 2], [3.0, 2.0, 1.0])])
    (x0, y0), (x1, y1), (x2, y2) = path_points(_paths(svg)[0]["d"])
    assert x0 < x1 < x2
    assert y0 < y1 < y2  # smaller values are drawn lower (larger SVG y)


def test_line_chart_breaks_the_path_at_non_finite_values():
    svg = charts.line_chart_svg([Series("k", range(5), [1.0, math.nan, 2.0, math.inf, 3.0])])
    assert path_commands(_paths(svg)[0]["d"]) == "MMM"


def test_log_scale_drops_non_positive_points_and_labels_powers_of_ten():
    svg = charts.line_chart_svg([Series("k", range(4), [100.0, 0.0, -1.0, 1.0])], log_y=True)
    assert path_commands(_paths(svg)[0]["d"]) == "MM"
    texts = svg.split("<text")
    assert any(">100<" in t for t in texts) and any(">10<" in t for t in texts)
    assert "(log)" in svg


def test_line_chart_thins_long_series_keeping_first_and_last():
    n = 10_001
    svg = charts.line_chart_svg([Series("k", range(n), [float(i) for i in range(n)])], max_points=500)
    points = path_points(_paths(svg)[0]["d"])
    assert len(points) <= 500
    assert points[0][0] == pytest.approx(58.0)  # first point at the left edge
    assert points[-1][1] < points[0][1]  # last (largest) value drawn highest


def test_line_chart_shows_last_values_and_escapes_labels():
    svg = charts.line_chart_svg([Series(XSS, [0, 1], [1.0, 0.5])], title=XSS)
    assert "<script>" not in svg
    last = elements(svg, "text", "nbtrack-last")
    assert len(last) == 1
    assert "0.5</text>" in svg


def test_empty_and_flat_charts_render():
    empty = charts.line_chart_svg([])
    assert "no data yet" in empty and _paths(empty) == []
    flat = charts.line_chart_svg([Series("k", [0, 1, 2], [5.0, 5.0, 5.0])])
    ys = {y for _, y in path_points(_paths(flat)[0]["d"])}
    assert len(ys) == 1


@pytest.mark.parametrize("lo, hi", [(0, 1), (-3.2, 17.5), (1e-5, 3e-5), (0.1, 0.7), (-100, -1)])
def test_nice_ticks_are_round_and_inside(lo, hi):
    ticks = charts.nice_ticks(lo, hi)
    assert ticks and all(lo - 1e-12 <= t <= hi + 1e-12 for t in ticks)
    steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) <= 1


def test_nice_ticks_of_degenerate_ranges():
    assert charts.nice_ticks(5, 5) == [5]
    assert charts.nice_ticks(math.nan, 1) == []


@pytest.mark.parametrize("n, most", [(0, 5), (3, 5), (5, 5), (6, 5), (1000, 7), (10_000, 2)])
def test_thin_keeps_ends_and_respects_the_limit(n, most):
    idx = list(charts.thin(n, most))
    assert len(idx) <= max(n, 0) and len(idx) <= most
    if n:
        assert idx[0] == 0 and idx[-1] == n - 1
        assert idx == sorted(set(idx))


# -- sparklines, parallel coordinates, stacking -----------------------------------------------
def test_sparkline_is_one_path_with_a_dot():
    svg = charts.sparkline_svg([3, 1, 2, float("nan"), 4])
    paths = elements(svg, "path", "nbtrack-spark")
    assert len(paths) == 1 and path_commands(paths[0]["d"]) == "MLLM"
    assert len(elements(svg, "circle")) == 1
    assert elements(charts.sparkline_svg([]), "path") == []


def test_parallel_coordinates_one_polyline_per_run_through_every_axis():
    axes = [Axis("lr", [0.1, 0.01, 0.001]), Axis("model", ["rf", XSS, "rf"]),
            Axis("acc", [0.9, 0.8, None])]
    svg = charts.parallel_coordinates_svg(axes, ["r1", "r2", "r3"], title="t")
    lines = elements(svg, "path", "nbtrack-pc-line")
    assert len(lines) == 3
    assert [len(path_points(line["d"])) for line in lines] == [3, 3, 2]
    assert "<script>" not in svg
    # lr is numeric: 0.1 is the top of the axis (smallest y), 0.001 the bottom
    assert path_points(lines[0]["d"])[0][1] < path_points(lines[2]["d"])[0][1]


def test_parallel_coordinates_colours_lines_by_the_last_axis():
    svg = charts.parallel_coordinates_svg([Axis("p", [1, 2]), Axis("m", [0.0, 1.0])], ["a", "b"])
    low, high = elements(svg, "path", "nbtrack-pc-line")
    assert low["stroke"] != high["stroke"]


def test_stack_svgs_makes_one_document():
    one = charts.line_chart_svg([Series("a", [0, 1], [1, 2])])
    two = charts.line_chart_svg([Series("b", [0, 1], [1, 2])])
    stacked = charts.stack_svgs([one, two], 520, [240, 240])
    assert stacked.startswith("<svg") and 'viewBox="0 0 520 480"' in stacked[:160]
    assert len(_paths(stacked)) == 2


# -- metric rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("key, group", [
    ("train_loss", "loss"), ("val_loss", "loss"), ("loss/train", "loss"), ("val/loss", "loss"),
    ("loss", "loss"), ("train_acc", "acc"), ("learning_rate", "learning_rate"), ("train", "train"),
    ("eval-f1", "f1"), ("validation.top5 acc", "top5_acc"),
])
def test_metric_group(key, group):
    assert metric_group(key) == group


@pytest.mark.parametrize("key, lower", [
    ("loss", True), ("val_loss", True), ("test_error", True), ("rmse", True), ("MAE", True),
    ("err", True), ("acc", False), ("f1", False), ("auc", False), ("ppl_perplexity", True),
])
def test_lower_is_better(key, lower):
    assert lower_is_better(key) is lower


def test_best_key_picks_min_for_losses_max_otherwise_and_ignores_nan():
    assert best_key("val_loss", {"a": 0.5, "b": 0.2, "c": math.nan}) == "b"
    assert best_key("acc", {"a": 0.5, "b": 0.9, "c": None}) == "b"
    assert best_key("acc", {"a": math.nan, "b": None}) is None
    assert best_key("acc", {"a": 1.0, "b": 1.0}) == "a"
