"""LiveCurves fed by the metric listener: grouping, throttled redraws, log scale, finalize."""
from __future__ import annotations

import math

import bqplot as bq
import numpy as np
import pytest

import nbtrack
from nbtrack.errors import InvalidParameterError, RunNotFoundError
from nbtrack.widgets import LiveCurves

from .svgparse import elements, path_commands


@pytest.fixture
def run(tracking_uri):
    with nbtrack.start_run(run_name="live") as active:
        yield active


def _y_changes(line: bq.Lines) -> list[int]:
    sizes: list[int] = []
    line.observe(lambda change: sizes.append(len(change["new"])), "y")
    return sizes


def test_keys_sharing_a_name_share_a_chart_one_line_per_key(run):
    curves = LiveCurves(run.info.run_id, interval=0)
    for i in range(20):
        nbtrack.log_metrics({"train_loss": 1 / (i + 1), "val_loss": 2 / (i + 1), "acc": i / 20}, step=i)
    assert list(curves._charts) == ["loss", "acc"]
    loss = curves._charts["loss"]
    assert list(loss.lines) == ["train_loss", "val_loss"]
    np.testing.assert_allclose(loss.lines["val_loss"].y, [2 / (i + 1) for i in range(20)])
    np.testing.assert_array_equal(loss.lines["val_loss"].x, np.arange(20))
    assert curves.metric_keys == ["train_loss", "val_loss", "acc"]
    assert curves.charts_box.children == (loss.box, curves._charts["acc"].box)
    curves.finalize()


def test_redraws_are_throttled_and_coalesced(run):
    curves = LiveCurves(run.info.run_id, keys=["loss"], interval=60)
    line = curves._charts["loss"].lines["loss"]
    sizes = _y_changes(line)
    for i in range(500):
        nbtrack.log_metric("loss", 1 / (i + 1), step=i)
    assert sizes == [] and curves.point_count("loss") == 500  # buffered, not drawn
    curves.finalize()
    assert sizes == [500]  # one redraw carried everything
    assert len(line.x) == 500


def test_every_interval_gets_a_redraw_when_throttling_is_off(run):
    curves = LiveCurves(run.info.run_id, keys=["loss"], interval=0)
    sizes = _y_changes(curves._charts["loss"].lines["loss"])
    for i in range(5):
        nbtrack.log_metric("loss", float(i), step=i)
    assert sizes == [1, 2, 3, 4, 5]
    curves.finalize()


def test_legend_shows_the_last_value_of_each_line(run):
    curves = LiveCurves(run.info.run_id, interval=0)
    nbtrack.log_metric("loss", 0.5, step=0)
    nbtrack.log_metric("loss", 0.25, step=7)
    legend = curves._charts["loss"].legend.value
    assert "loss <b>0.25</b>" in legend and "step 7, 2 pts" in legend
    curves.finalize()


def test_log_toggle_switches_scales_and_hides_non_positive_points(run):
    curves = LiveCurves(run.info.run_id, interval=0)
    for i, v in enumerate([10.0, 1.0, 0.0, -1.0, 0.1]):
        nbtrack.log_metric("loss", v, step=i)
    chart = curves._charts["loss"]
    line = chart.lines["loss"]
    assert len(line.y) == 5
    curves.log_toggle.value = True
    assert curves.log_scale is True
    assert isinstance(chart.y_scale, bq.LogScale)
    assert line.scales["y"] is chart.y_scale and chart.y_axis.scale is chart.y_scale
    np.testing.assert_array_equal(line.y, [10.0, 1.0, 0.1])
    np.testing.assert_array_equal(line.x, [0, 1, 4])
    assert "(log)" in curves.static_svg()
    curves.log_scale = False
    assert isinstance(chart.y_scale, bq.LinearScale) and len(line.y) == 5
    curves.finalize()


def test_non_finite_points_are_counted_but_not_drawn(run):
    curves = LiveCurves(run.info.run_id, interval=0)
    for i, v in enumerate([1.0, math.nan, 2.0, math.inf]):
        nbtrack.log_metric("loss", v, step=i)
    assert curves.point_count("loss") == 4
    np.testing.assert_array_equal(curves._charts["loss"].lines["loss"].y, [1.0, 2.0])
    curves.finalize()


def test_long_histories_are_thinned_for_drawing(run):
    curves = LiveCurves(run.info.run_id, interval=60, max_points=100)
    for i in range(10_000):
        nbtrack.log_metric("loss", float(i), step=i)
    curves.finalize()
    line = curves._charts["loss"].lines["loss"]
    assert len(line.x) <= 100 and line.x[0] == 0 and line.x[-1] == 9_999
    assert curves.point_count("loss") == 10_000


def test_finalize_detaches_and_is_idempotent(run):
    curves = LiveCurves(run.info.run_id, interval=0)
    nbtrack.log_metric("loss", 1.0)
    curves.finalize()
    curves.finalize()
    nbtrack.log_metric("loss", 2.0, step=1)
    assert curves.finalized and curves.point_count("loss") == 1


def test_only_the_followed_run_and_keys_are_drawn(run, client):
    other = client.create_run(run.info.experiment_id, run_name="other")
    curves = LiveCurves(run.info.run_id, keys=["val_loss"], interval=0)
    client.log_metric(other.info.run_id, "val_loss", 5.0)
    nbtrack.log_metric("train_loss", 1.0)
    nbtrack.log_metric("val_loss", 2.0)
    assert curves.metric_keys == ["val_loss"] and curves.point_count("val_loss") == 1
    curves.finalize()


def test_attaching_late_starts_from_the_logged_history(run, client):
    for i in range(30):
        nbtrack.log_metric("loss", 1 / (i + 1), step=i)
    curves = LiveCurves(run.info.run_id, client=client, interval=0)
    nbtrack.log_metric("loss", 0.001, step=30)
    assert curves.point_count("loss") == 31
    assert len(curves._charts["loss"].lines["loss"].y) == 31
    curves.finalize()


def test_static_twin_has_one_path_per_key_with_every_point(run):
    curves = LiveCurves(run.info.run_id, interval=60)
    for i in range(42):
        nbtrack.log_metrics({"train_loss": 1 / (i + 1), "val_loss": 2 / (i + 1)}, step=i)
    curves.finalize()
    bundle = curves.twin_bundle()
    assert set(bundle) == {"text/html", "text/plain", "image/svg+xml"}
    paths = elements(bundle["text/html"], "path", "nbtrack-line")
    assert [p["data-key"] for p in paths] == ["train_loss", "val_loss"]
    assert [path_commands(p["d"]) for p in paths] == ["M" + "L" * 41] * 2
    assert len(elements(bundle["image/svg+xml"], "path", "nbtrack-line")) == 2


def test_close_detaches_the_listener(run):
    curves = LiveCurves(run.info.run_id, interval=0)
    curves.close()
    nbtrack.log_metric("loss", 1.0)
    assert curves.point_count("loss") == 0


@pytest.mark.parametrize("kwargs, match", [
    ({"keys": []}, "at least one metric"),
    ({"keys": [1]}, "keys must be a list of metric names"),
    ({"keys": {"a": 1}}, "keys must be a list of metric names"),
    ({"interval": -1}, "interval must be a number from 0.0 to 60.0"),
    ({"interval": "fast"}, "interval must be a number"),
    ({"max_points": 1}, "max_points must be a number from 2"),
    ({"client": "memory:"}, "client must be an nbtrack.TrackingClient"),
])
def test_bad_arguments(run, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        LiveCurves(run.info.run_id, **kwargs)


def test_unknown_run(tracking_uri):
    from ipywidgets.widgets.widget import _instances  # every live widget, by model id

    before = set(_instances)
    with pytest.raises(RunNotFoundError):
        LiveCurves("0" * 32)
    with pytest.raises(InvalidParameterError):
        LiveCurves("")
    assert not [w for k, w in _instances.items() if k not in before and isinstance(w, LiveCurves)]
