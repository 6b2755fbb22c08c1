"""``%%track_run --autolog`` autologs that cell only; ``--system`` samples system metrics during it."""
from __future__ import annotations

import pytest

from nbtrack import system_metrics as sm

from .conftest import all_runs

pytest.importorskip("sklearn")

FIT = """
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=200).fit(X, y)
"""


def test_autolog_applies_to_that_cell_only(ip, client):
    from sklearn.linear_model import LogisticRegression

    before = LogisticRegression.fit
    assert ip.run_cell(f"%%track_run fitted --autolog\n{FIT}").success
    run = all_runs(client)[0]
    assert run.data.params["max_iter"] == "200" and "training_accuracy_score" in run.data.metrics
    assert LogisticRegression.fit is before  # patches removed when the cell's run ended
    assert ip.run_cell(f"%%track_run plain\n{FIT}").success
    plain = next(r for r in all_runs(client) if r.info.run_name == "plain")
    assert "max_iter" not in plain.data.params


def test_system_flag_samples_during_the_cell(ip, client):
    sm.set_system_metrics_sampling_interval(0.05)
    try:
        body = (
            "import time\nfrom nbtrack import TrackingClient, active_run\n"
            "deadline = time.monotonic() + 120\n"
            "while not TrackingClient().get_metric_history(active_run().info.run_id, 'system/cpu_utilization_percentage'):\n"
            "    assert time.monotonic() < deadline\n    time.sleep(0.05)\n"
        )
        assert ip.run_cell(f"%%track_run sampled --system\n{body}").success
    finally:
        sm.set_system_metrics_sampling_interval(None)
    run = all_runs(client)[0]
    assert "system/memory_usage_megabytes" not in run.data.metrics
    assert "system/system_memory_usage_megabytes" in run.data.metrics
    assert not sm._monitors
