"""Charts' x axis: step, wall time or relative time; one-step metrics default to relative time."""
from __future__ import annotations

import re

import nbtrack
from nbtrack.widgets import LiveCurves, RunComparison, x_axis


def test_auto_picks_relative_time_only_when_every_metric_sits_at_one_step():
    assert x_axis.choose("auto", [[0, 0, 0]]) == "relative"
    assert x_axis.choose("auto", [[0, 0], [5, 5]]) == "relative"
    assert x_axis.choose("auto", [[0, 0], [0, 1]]) == "step"
    assert x_axis.choose("auto", [[0]]) == "step"  # one point: nothing to spread yet
    assert x_axis.choose("wall", [[0, 1]]) == "wall"


def test_values_per_axis():
    steps, times = [0, 0, 0], [1_000_000, 1_000_500, 1_002_000]
    assert x_axis.values("step", steps, times, 999_000) == [0.0, 0.0, 0.0]
    assert x_axis.values("relative", steps, times, 999_000) == [1.0, 1.5, 3.0]
    assert x_axis.values("wall", steps, times, 0) == [1000.0, 1000.5, 1002.0]


def _x_of(svg: str) -> list[float]:
    d = re.search(r'class="nbtrack-line[^"]*"[^>]* d="([^"]*)"', svg).group(1)
    return [float(x) for x in re.findall(r"[ML]([-\d.]+),", d)]


def test_live_curves_without_steps_spread_points_over_relative_time(tracking_uri):
    run = nbtrack.start_run(run_name="no-steps")
    live = LiveCurves(run.info.run_id, interval=0)
    for i, t in enumerate((1_000, 2_000, 4_000)):
        nbtrack.log_metric("loss", 1.0 / (i + 1), timestamp=run.info.start_time + t)
    live.redraw()
    svg = live.static_svg()
    assert "time since run start" in svg
    xs = _x_of(svg)
    assert len(set(xs)) == 3  # not a vertical line
    [chart] = live._charts.values()
    assert list(chart.lines["loss"].x) == [1.0, 2.0, 4.0]
    live.x_axis = "step"
    assert "time since run start" not in live.static_svg() and len(set(_x_of(live.static_svg()))) == 1
    live.close()
    nbtrack.end_run()


def test_live_curves_with_steps_keep_steps(tracking_uri):
    run = nbtrack.start_run(run_name="steps")
    live = LiveCurves(run.info.run_id, interval=0)
    for step in range(3):
        nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
    live.redraw()
    [chart] = live._charts.values()
    assert list(chart.lines["loss"].x) == [0.0, 1.0, 2.0]
    live.x_picker.value = "wall"
    assert chart.lines["loss"].x.dtype.kind == "M"  # dates on a DateScale
    assert "wall time" in live.static_svg()
    live.close()
    nbtrack.end_run()


def test_comparison_history_defaults_to_relative_time_without_steps(tracking_uri):
    ids = []
    for name in ("a", "b"):
        with nbtrack.start_run(run_name=name) as run:
            for t in (100, 300):
                nbtrack.log_metric("acc", t / 1000, timestamp=run.info.start_time + t)
            ids.append(run.info.run_id)
    panel = RunComparison(ids)
    assert panel.history_axis() == "relative"
    assert [list(m.x) for m in panel.history_lines] == [[0.1, 0.3], [0.1, 0.3]]
    panel.x_axis = "step"
    assert [list(m.x) for m in panel.history_lines] == [[0.0, 0.0], [0.0, 0.0]]
