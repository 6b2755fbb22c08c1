"""Searches on a server: MLflow's grammar goes to the server, nbtrack-only syntax is filtered here.

Each query is answered both ways and compared: the server's answer (``MlflowStore.search_runs``
returns a page) and nbtrack's own engine over every listed run.
"""
from __future__ import annotations

import uuid

import pytest

from nbtrack import TrackingClient
from nbtrack.entities import Metric, Param, RunTag, ViewType
from nbtrack.search.schemas import filter_experiments, filter_runs, sort_experiments, sort_runs

SERVER_FILTERS = [
    "",
    "metrics.acc > 0.5",
    "params.model = 'rf' AND metrics.acc >= 0.2",
    "tags.team LIKE 'a%'",
    "attributes.run_name != 'r3'",
    "metrics.loss <= 3 AND attributes.status = 'FINISHED'",
]
LOCAL_FILTERS = [
    "metrics.acc > 0.8 OR params.model = 'lin'",
    "(tags.team = 'ab' OR tags.team = 'b') AND metrics.acc > 0.1",
    "tags.team IS NULL",
    "attributes.run_name IN ('r1', 'r3', 'r4')",  # MLflow's grammar has IN for run ids only: refused
]


@pytest.fixture(scope="module")
def seeded(mlflow_server):
    client = TrackingClient(mlflow_server.uri)
    exp_id = client.create_experiment(f"search-{uuid.uuid4().hex[:8]}")
    for i in range(7):
        run = client.create_run(exp_id, start_time=1_000 + i, run_name=f"r{i}")
        team = [RunTag("team", ["ab", "b", "a"][i % 3])] if i != 5 else []
        client.log_batch(run.info.run_id, metrics=[Metric("acc", i / 7, 1, 0), Metric("loss", 7 - i, 1, 0)],
                         params=[Param("model", "rf" if i % 2 else "lin")], tags=team)
        client.set_terminated(run.info.run_id, "FINISHED" if i != 2 else "FAILED")
    return client, exp_id


def _local(client, exp_id, filter_string, order_by):
    return [r.info.run_id for r in sort_runs(filter_runs(client.store.list_runs([exp_id]), filter_string), order_by)]


@pytest.mark.parametrize("order_by", [None, ["metrics.acc DESC"], ["params.model", "attributes.run_name DESC"]])
@pytest.mark.parametrize("filter_string", SERVER_FILTERS)
def test_filters_mlflow_can_say_are_answered_by_the_server(seeded, filter_string, order_by):
    client, exp_id = seeded
    page = client.store.search_runs([exp_id], filter_string, ViewType.ACTIVE_ONLY, 1000, order_by or [], None)
    assert page is not None, "the server should have answered"
    found = client.search_runs([exp_id], filter_string, order_by=order_by)
    assert [r.info.run_id for r in found] == [r.info.run_id for r in page[0]]
    assert [r.info.run_id for r in found] == _local(client, exp_id, filter_string, order_by)


@pytest.mark.parametrize("filter_string", LOCAL_FILTERS)
def test_nbtrack_only_syntax_is_filtered_here(seeded, filter_string):
    client, exp_id = seeded
    assert client.store.search_runs([exp_id], filter_string, ViewType.ACTIVE_ONLY, 1000, [], None) is None
    found = client.search_runs([exp_id], filter_string, order_by=["metrics.acc"])
    assert [r.info.run_id for r in found] == _local(client, exp_id, filter_string, ["metrics.acc"])
    assert found


def test_server_pages_cover_every_run_once(seeded):
    client, exp_id = seeded
    seen, token = [], None
    while True:
        page = client.search_runs([exp_id], "metrics.loss >= 1", max_results=2, page_token=token)
        seen += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert seen == _local(client, exp_id, "metrics.loss >= 1", None)
    assert len(seen) == 7


def test_experiment_searches_both_ways(seeded):
    client, exp_id = seeded
    name = client.get_experiment(exp_id).name
    for filter_string, pushed in ((f"name = '{name}'", True), ("name LIKE 'search-%'", True),
                                  (f"name = '{name}' OR name = 'Default'", False)):
        page = client.store.search_experiments(ViewType.ALL, 1000, filter_string, [], None)
        assert (page is not None) is pushed
        found = [e.experiment_id for e in client.search_experiments(ViewType.ALL, filter_string=filter_string)]
        local = sort_experiments(filter_experiments(client.store.list_experiments(), filter_string), None)
        assert found == [e.experiment_id for e in local]
        assert exp_id in found
