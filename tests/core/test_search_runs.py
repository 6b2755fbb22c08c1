"""search_runs on the client (pages, tokens, view types) and the fluent API (DataFrame / list)."""
from __future__ import annotations

import math

import pandas as pd
import pytest

import nbtrack
from nbtrack import (
    ExperimentNotFoundError,
    InvalidFilterError,
    InvalidParameterError,
    RunStatus,
    TrackingClient,
    ViewType,
)


@pytest.fixture
def populated(any_uri):
    """Experiment 'search' with five runs: acc 0.5..0.9, model rf/lr, tag status on the best two."""
    client = TrackingClient()
    exp_id = client.create_experiment("search")
    ids = []
    for i, acc in enumerate([0.5, 0.6, 0.7, 0.8, 0.9]):
        run = client.create_run(exp_id, run_name=f"run-{i}", start_time=1_000 + i)
        client.log_metric(run.info.run_id, "accuracy", acc)
        client.log_param(run.info.run_id, "model", "rf" if i % 2 == 0 else "lr")
        if acc >= 0.8:
            client.set_tag(run.info.run_id, "status", "completed")
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return client, exp_id, ids


def _names(runs):
    return [r.info.run_name for r in runs]


def test_default_order_is_newest_first(populated):
    client, exp_id, _ = populated
    assert _names(client.search_runs([exp_id])) == ["run-4", "run-3", "run-2", "run-1", "run-0"]


def test_filter_order_and_max_results(populated):
    client, exp_id, _ = populated
    best = client.search_runs(
        experiment_ids=[exp_id], filter_string="metrics.accuracy >= 0.7",
        order_by=["metrics.accuracy DESC"], max_results=2,
    )
    assert _names(best) == ["run-4", "run-3"]
    assert [r.data.metrics["accuracy"] for r in best] == [0.9, 0.8]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("params.model = 'rf'", {"run-0", "run-2", "run-4"}),
        ("tags.status = 'completed'", {"run-3", "run-4"}),
        ("metrics.accuracy > 0.6 AND params.model = 'lr'", {"run-3"}),
        ("attributes.run_name = 'run-1'", {"run-1"}),
        ("metrics.accuracy < 0.55 OR tags.status = 'completed'", {"run-0", "run-3", "run-4"}),
    ],
)
def test_filters(populated, filter_string, expected):
    client, exp_id, _ = populated
    assert set(_names(client.search_runs(exp_id, filter_string))) == expected


def test_pages_cover_every_run_once(populated):
    client, exp_id, _ = populated
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs([exp_id], max_results=2, page_token=token, order_by=["params.model"])
        seen.extend(_names(page))
        pages += 1
        token = page.token
        if token is None:
            break
    assert pages == 3
    assert sorted(seen) == [f"run-{i}" for i in range(5)]
    assert seen == _names(client.search_runs([exp_id], order_by=["params.model"]))


def test_token_from_another_query_is_rejected(populated):
    client, exp_id, _ = populated
    first = client.search_runs([exp_id], max_results=2)
    with pytest.raises(InvalidParameterError, match="different search"):
        client.search_runs([exp_id], "metrics.accuracy > 0", max_results=2, page_token=first.token)
    with pytest.raises(InvalidParameterError, match="different search"):
        client.search_runs([exp_id], max_results=2, page_token=first.token, order_by=["metrics.accuracy"])


@pytest.mark.parametrize("token", ["garbage", "eyJ4IjogMX0=", 12])
def test_malformed_tokens_are_rejected(populated, token):
    client, exp_id, _ = populated
    with pytest.raises(InvalidParameterError, match="page_token"):
        client.search_runs([exp_id], page_token=token)


def test_view_types_and_deleted_runs(populated):
    client, exp_id, ids = populated
    client.delete_run(ids[0])
    assert "run-0" not in _names(client.search_runs([exp_id]))
    assert _names(client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == ["run-0"]
    assert len(client.search_runs([exp_id], run_view_type=ViewType.ALL)) == 5
    client.restore_run(ids[0])
    assert len(client.search_runs([exp_id])) == 5


def test_deleting_an_experiment_hides_its_runs(populated):
    client, exp_id, _ = populated
    client.delete_experiment(exp_id)
    assert list(client.search_runs([exp_id])) == []
    assert len(client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == 5
    client.restore_experiment(exp_id)
    assert len(client.search_runs([exp_id])) == 5


def test_several_experiments_and_single_id(populated):
    client, exp_id, _ = populated
    other = client.create_experiment("other")
    client.create_run(other, run_name="other-run")
    assert "other-run" in _names(client.search_runs([exp_id, other]))
    assert _names(client.search_runs(other)) == ["other-run"]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"experiment_ids": ["404"]}, ExperimentNotFoundError),
        ({"experiment_ids": None}, InvalidParameterError),
        ({"experiment_ids": [""]}, InvalidParameterError),
        ({"filter_string": "metrics.accuracy >>> 1"}, InvalidFilterError),
        ({"filter_string": 5}, InvalidFilterError),
        ({"order_by": ["metrics.accuracy SIDEWAYS"]}, InvalidFilterError),
        ({"order_by": "metrics.accuracy"}, InvalidFilterError),
        ({"max_results": 0}, InvalidParameterError),
        ({"max_results": 50_001}, InvalidParameterError),
        ({"max_results": "5"}, InvalidParameterError),
        ({"run_view_type": 7}, InvalidParameterError),
    ],
)
def test_bad_inputs(populated, kwargs, error):
    client, exp_id, _ = populated
    args = {"experiment_ids": [exp_id], **kwargs}
    with pytest.raises(error):
        client.search_runs(**args)


def test_bad_filter_names_the_position(populated):
    client, exp_id, _ = populated
    with pytest.raises(InvalidFilterError) as err:
        client.search_runs([exp_id], "metrics.accuracy >")
    assert err.value.position >= 0


# -- fluent ---------------------------------------------------------------------------------
def test_fluent_default_is_a_dataframe_with_mlflow_columns(populated):
    _, exp_id, ids = populated
    nbtrack.set_experiment("search")
    df = nbtrack.search_runs(order_by=["metrics.accuracy DESC"])
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert {"metrics.accuracy", "params.model", "tags.status", "tags.mlflow.runName"} <= set(df.columns)
    assert list(df["run_id"]) == ids[::-1]
    assert list(df["metrics.accuracy"]) == [0.9, 0.8, 0.7, 0.6, 0.5]
    assert set(df["status"]) == {RunStatus.FINISHED}
    assert str(df["start_time"].dt.tz) == "UTC"
    assert df["tags.status"].isna().sum() == 3


def test_fluent_empty_dataframe_keeps_columns(any_uri):
    df = nbtrack.search_runs(experiment_ids=["0"])
    assert df.empty
    assert list(df.columns) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


def test_fluent_missing_metric_is_nan(any_uri):
    with nbtrack.start_run():
        nbtrack.log_metric("a", 1.0)
    with nbtrack.start_run():
        nbtrack.log_param("p", 1)
    df = nbtrack.search_runs(order_by=["start_time ASC"])
    values = list(df["metrics.a"])
    assert len(values) == 2 and sum(math.isnan(v) for v in values) == 1


def test_fluent_list_names_and_all(populated):
    client, exp_id, ids = populated
    other = client.create_experiment("other")
    client.create_run(other, run_name="other-run")
    runs = nbtrack.search_runs(experiment_names=["search"], output_format="list", max_results=3)
    assert _names(runs) == ["run-4", "run-3", "run-2"]
    every = nbtrack.search_runs(search_all_experiments=True, output_format="list")
    assert len(every) == 6
    by_id = nbtrack.search_runs([exp_id], filter_string="tags.status = 'completed'", output_format="list")
    assert set(_names(by_id)) == {"run-3", "run-4"}


def test_fluent_pages_through_client_pages(any_uri):
    client = TrackingClient()
    for i in range(5):
        client.create_run("0", run_name=f"r{i}")
    assert len(nbtrack.search_runs(["0"], output_format="list", max_results=4)) == 4
    assert len(nbtrack.search_runs(["0"], output_format="list")) == 5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"output_format": "json"}, "output_format"),
        ({"experiment_ids": ["0"], "experiment_names": ["Default"]}, "not both"),
        ({"max_results": -1}, "max_results"),
        ({"max_results": True}, "max_results"),
    ],
)
def test_fluent_bad_inputs(any_uri, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        nbtrack.search_runs(**kwargs)


def test_fluent_without_pandas_returns_runs(any_uri, monkeypatch):
    """With pandas not importable, the default output_format gives a list of Runs."""
    with nbtrack.start_run(run_name="only"):
        pass
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)  # makes `import pandas` fail
    runs = nbtrack.search_runs()
    assert isinstance(runs, list) and [r.info.run_name for r in runs] == ["only"]
