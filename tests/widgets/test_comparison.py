"""RunComparison: differing params, best metrics, overlaid histories, parallel coordinates."""
from __future__ import annotations

import numpy as np
import pytest

from nbtrack.entities import Metric, Param
from nbtrack.errors import InvalidParameterError, RunNotFoundError
from nbtrack.widgets import RunComparison

from .conftest import XSS
from .svgparse import elements, path_points, table_rows


@pytest.fixture
def three_runs(client, experiment_id):
    """Runs with overlapping params and loss/acc histories of different lengths."""
    ids = []
    specs = [("a", "0.1", "rf", 0.30, 0.80, 10), ("b", "0.01", "rf", 0.20, 0.70, 20),
             ("c", "0.001", XSS, 0.25, 0.90, 5)]
    for name, lr, model, loss, acc, steps in specs:
        run = client.create_run(experiment_id, run_name=name)
        metrics = [Metric("loss", loss + (steps - s) / 100, 0, s) for s in range(steps)]
        metrics.append(Metric("acc", acc, 0, steps))
        client.log_batch(run.info.run_id, metrics=metrics,
                         params=[Param("lr", lr), Param("model", model), Param("seed", "42")])
        ids.append(run.info.run_id)
    return ids


def test_params_side_by_side_with_differences_highlighted(client, three_runs):
    panel = RunComparison(three_runs, client=client)
    rows = table_rows(panel.params_table.value)
    assert rows[0] == ["param", *panel.labels]
    assert rows[1:] == [["lr", "0.1", "0.01", "0.001"], ["model", "rf", "rf", XSS],
                        ["seed", "42", "42", "42"]]
    trs = panel.params_table.value.split("<tr")[2:]
    assert ["nbtrack-diff" in tr for tr in trs] == [True, True, False]
    assert "<script>" not in panel.params_table.value


def test_best_metric_is_min_for_loss_and_max_otherwise(client, three_runs):
    panel = RunComparison(three_runs, client=client)
    rows = table_rows(panel.metrics_table.value)
    assert [r[0] for r in rows[1:]] == ["acc", "loss"]
    best = elements(panel.metrics_table.value, "td", "nbtrack-best")
    assert len(best) == 2
    body = panel.metrics_table.value.split("<tr")[2:]
    acc_cells, loss_cells = (row.split("<td")[1:] for row in body)
    assert ["nbtrack-best" in c for c in acc_cells] == [False, False, False, True]  # c: 0.9
    assert ["nbtrack-best" in c for c in loss_cells] == [False, False, True, False]  # b: 0.21
    assert len(elements(panel.metrics_table.value, "path", "nbtrack-spark")) == 3  # loss histories


def test_histories_of_the_chosen_metric_are_overlaid(client, three_runs):
    panel = RunComparison(three_runs, client=client)
    assert panel.history_metric == "loss"  # loss-like keys come first
    assert [len(line.y) for line in panel.history_lines] == [10, 20, 5]
    np.testing.assert_array_equal(panel.history_lines[2].x, np.arange(5))
    panel.history_picker.value = "acc"
    assert panel.history_metric == "acc"
    assert [list(line.y) for line in panel.history_lines] == [[0.8], [0.7], [0.9]]
    svg = panel.static_svg()
    assert [len(path_points(p["d"])) for p in elements(svg, "path", "nbtrack-line")] == [1, 1, 1]


def test_parallel_coordinates_one_line_per_run_params_then_metric(client, three_runs):
    panel = RunComparison(three_runs, client=client)
    panel.parallel_metric = "acc"
    svg = panel.parallel_chart.value
    lines = elements(svg, "path", "nbtrack-pc-line")
    assert len(lines) == 3
    assert [len(path_points(line["d"])) for line in lines] == [3, 3, 3]  # lr, model, acc (seed is constant)
    assert ">acc</text>" in svg and ">seed</text>" not in svg
    assert "<script>" not in svg


def test_twin_holds_tables_and_charts(client, three_runs):
    panel = RunComparison(three_runs, client=client)
    html = panel.twin_bundle()["text/html"]
    assert "nbtrack-params" in html and "nbtrack-metrics" in html
    assert len(elements(html, "path", "nbtrack-line")) == 3
    assert len(elements(html, "path", "nbtrack-pc-line")) == 3
    assert "<script>" not in html


def test_runs_without_params_or_metrics(client, experiment_id):
    ids = [client.create_run(experiment_id, run_name=f"empty{i}").info.run_id for i in range(2)]
    panel = RunComparison(ids, client=client)
    assert "no params logged" in panel.params_table.value
    assert "no metrics logged" in panel.metrics_table.value
    assert panel.history_metric is None and "no params or metrics" in panel.parallel_chart.value


@pytest.mark.parametrize("run_ids, match", [
    ("abc", "run_ids must be a list"),
    ([], "1 to 50 distinct"),
    ([""], "1 to 50 distinct"),
    ([1, 2], "1 to 50 distinct"),
    ([f"r{i}" for i in range(51)], "1 to 50 distinct"),
])
def test_bad_run_ids(client, run_ids, match):
    with pytest.raises(InvalidParameterError, match=match):
        RunComparison(run_ids, client=client)


def test_unknown_run(client, three_runs):
    with pytest.raises(RunNotFoundError):
        RunComparison([three_runs[0], "f" * 32], client=client)
