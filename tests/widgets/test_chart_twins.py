"""Static chart twins read in every theme and fit their output: fluid width, end labels inside
the drawing, one tick precision per axis, colours from the one palette with measured contrast."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from nbtrack.reporting import palette
from nbtrack.widgets import charts
from nbtrack.widgets.charts import Series

from .svgparse import elements


def test_charts_fill_the_output_width_through_a_viewbox():
    svg = charts.line_chart_svg([Series("loss", [0, 1, 2], [1.0, 0.5, 0.25])], width=520, height=240)
    [root] = elements(svg, "svg")
    assert root["width"] == "100%" and root["viewbox"] == "0 0 520 240" and "height" not in root


@pytest.mark.parametrize("label", ["loss", "validation_loss_of_a_very_long_metric_name_indeed" * 2])
def test_line_end_labels_stay_inside_the_drawing(label):
    series = [Series(label, [0, 1, 2], [1.0, 0.5, 0.123456789]),
              Series(label + "2", [0, 1, 2], [1.0, 0.7, 0.6])]
    svg = charts.line_chart_svg(series, width=520)
    ends = elements(svg, "text", "nbtrack-last")
    assert len(ends) == 2
    texts = re.findall(r'class="nbtrack-last[^"]*"[^>]*><title>[^<]*</title>([^<]*)</text>', svg)
    for end, text in zip(ends, texts):
        assert float(end["x"]) + len(text) * 6.5 <= 520  # 6.5 px: an 11 px font's average character
    assert f"<title>{label} 0.1235</title>" in svg  # the whole label one hover away


def test_y_ticks_share_one_precision():
    svg = charts.line_chart_svg([Series("acc", [0, 1, 2, 3], [0.5, 0.75, 0.9, 1.0])])
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert len(labels) >= 3
    assert len({len(t.partition(".")[2]) for t in labels}) == 1, labels


def test_palettes_meet_their_contrast_bars():
    assert all(palette.contrast_ratio(c, "#ffffff") >= 4.5 for c in palette.LIGHT)
    for background in ("#111111", "#212121"):  # JupyterLab dark's layout colours 0 and 1
        assert all(palette.contrast_ratio(c, background) >= 4.5 for c in palette.DARK)
    for background in ("#ffffff", "#111111"):
        assert all(palette.contrast_ratio(c, background) >= 3 for c in palette.LINES)


def test_series_colours_switch_with_the_theme():
    svg = charts.line_chart_svg([Series("a", [0, 1], [1, 2])])
    assert 'body[data-jp-theme-light="false"] path.nbtrack-c0{stroke:' + palette.DARK[0] in svg
    [line] = elements(svg, "path", "nbtrack-line")
    assert "nbtrack-c0" in line["class"]


def test_widgets_take_colours_from_the_palette_only():
    folder = Path(charts.__file__).parent
    for name in ("charts.py", "_live_chart.py", "comparison.py", "static.py", "browser.py",
                 "registry_panel.py"):
        code = (folder / name).read_text(encoding="utf-8")
        literal = [c for c in re.findall(r"#[0-9a-fA-F]{6}\b", code)
                   if not re.search(r"var\(--jp-[a-z0-9-]+," + c, code)]
        assert literal == [], (name, literal)


@pytest.mark.parametrize("values, fmt", [([0.05, 1.0], ".1f"), ([0.5, 0.51], ".3f"), ([3, 250], ".0f"),
                                         ([1e-5, 2e-5], ".2~e"), ([1.0, 1.0], None), ([], None)])
def test_bqplot_y_ticks_get_one_precision(values, fmt):
    assert charts.tick_format_for(values) == fmt


def test_live_and_comparison_axes_use_it(client, experiment_id):
    from nbtrack.widgets import LiveCurves, RunComparison

    ids = []
    for n in (10, 20):
        run_id = client.create_run(experiment_id).info.run_id
        for i in range(n):
            client.log_metric(run_id, "loss", 1 / (i + 1), step=i)
        ids.append(run_id)
    assert RunComparison(ids, client=client)._y_label.tick_format == ".1f"
    live = LiveCurves(ids[1], client=client)
    [chart] = live._charts.values()
    assert chart.y_axis.tick_format == ".1f"
