"""System metrics under MLflow's ``system/...`` names, switched and timed as MLflow documents."""
from __future__ import annotations

import time

import pytest

import nbtrack
from nbtrack import system_metrics as sm
from nbtrack.errors import InvalidParameterError

MLFLOW_NAMES = {
    "cpu_utilization_percentage", "system_memory_usage_megabytes", "system_memory_usage_percentage",
    "disk_usage_percentage", "disk_usage_megabytes", "disk_available_megabytes",
    "network_receive_megabytes", "network_transmit_megabytes",
}


@pytest.fixture(autouse=True)
def _defaults(monkeypatch):
    for name in (*sm.ENABLE_ENVS, *sm.INTERVAL_ENVS):
        monkeypatch.delenv(name, raising=False)
    yield
    sm._enabled = None
    sm.set_system_metrics_sampling_interval(None)


def test_one_sample_has_mlflow_names_and_sane_values():
    sample = sm.SystemSampler().sample()
    assert set(sample) >= MLFLOW_NAMES
    assert 0 <= sample["cpu_utilization_percentage"] <= 100
    assert 0 < sample["system_memory_usage_percentage"] <= 100
    assert sample["disk_available_megabytes"] > 0
    assert sample["network_receive_megabytes"] >= 0


def test_interval_default_setter_and_environment(monkeypatch):
    assert sm.get_system_metrics_sampling_interval() == 10.0
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "3")
    assert sm.get_system_metrics_sampling_interval() == 3.0
    monkeypatch.setenv("NBTRACK_SYSTEM_METRICS_SAMPLING_INTERVAL", "2.5")
    assert sm.get_system_metrics_sampling_interval() == 2.5
    nbtrack.set_system_metrics_sampling_interval(1)
    assert sm.get_system_metrics_sampling_interval() == 1.0
    with pytest.raises(InvalidParameterError):
        nbtrack.set_system_metrics_sampling_interval(0)


def test_switches(monkeypatch):
    assert sm.system_metrics_wanted(None) is False
    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    assert sm.system_metrics_wanted(None) is True
    assert sm.system_metrics_wanted(False) is False
    nbtrack.disable_system_metrics_logging()
    assert sm.system_metrics_wanted(None) is False and sm.system_metrics_wanted(True) is True
    nbtrack.enable_system_metrics_logging()
    assert sm.system_metrics_wanted(None) is True


def _wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "system metrics never arrived"
        time.sleep(0.05)


def test_run_logs_samples_in_the_background_and_stops_at_end(client):
    nbtrack.set_system_metrics_sampling_interval(0.05)
    with nbtrack.start_run(log_system_metrics=True) as run:
        key = "system/cpu_utilization_percentage"
        _wait_for(lambda: len(client.get_metric_history(run.info.run_id, key)) >= 2)
    assert run.info.run_id not in sm._monitors
    metrics = client.get_run(run.info.run_id).data.metrics
    assert {f"system/{n}" for n in MLFLOW_NAMES} <= set(metrics)
    steps = [m.step for m in client.get_metric_history(run.info.run_id, key)]
    assert steps == list(range(len(steps)))
    ended = len(steps)
    with nbtrack.start_run(run.info.run_id, log_system_metrics=True):  # resumed: steps go on
        _wait_for(lambda: len(client.get_metric_history(run.info.run_id, key)) > ended)
    assert client.get_metric_history(run.info.run_id, key)[ended].step == ended


def test_no_thread_without_the_switch(client):
    with nbtrack.start_run() as run:
        assert run.info.run_id not in sm._monitors
