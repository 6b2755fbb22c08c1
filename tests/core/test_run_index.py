"""Run searches read each shard's ``.cols`` file (store/run_index.py) and build runs per page.

The file is a cache: every test compares a search's answer with the same search over runs read
from the shards themselves, whatever state the cache files are in.
"""
from __future__ import annotations

import json
import os

import pytest

import nbtrack
from nbtrack.entities import RunStatus
from nbtrack.errors import StoreCorruptedError
from nbtrack.search.schemas import filter_runs, sort_runs

FILTER = "metrics.acc > 0.3 AND params.model = 'rf'"
ORDER = ["metrics.acc DESC"]


def _fill(client, runs):
    """``runs`` finished runs; their full shards are folded (the background work done now)."""
    exp = client.create_experiment("idx")
    for i in range(runs):
        run_id = client.create_run(exp, run_name=f"r{i}").info.run_id
        client.log_batch(run_id, metrics=[nbtrack.entities.Metric("acc", (i * 7 % 10) / 10, 0, 0)],
                         params=[nbtrack.entities.Param("model", "rf" if i % 2 else "lr")])
        client.set_terminated(run_id)
    client.flush()
    client._store._docs.settle()
    return exp


def _expected(client, exp):
    runs = client._store.list_runs([exp])
    return [r.info.run_id for r in sort_runs(filter_runs(runs, FILTER), ORDER)]


def _found(client, exp, **kwargs):
    return [r.info.run_id for r in client.search_runs([exp], FILTER, order_by=ORDER, **kwargs)]


@pytest.fixture
def small_shards(monkeypatch):
    monkeypatch.setattr("nbtrack.store.docstore.RUNS_PER_SHARD", 5)


def test_a_full_shard_is_folded_into_its_file_and_gets_a_cols_file(tmp_path, small_shards):
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 10)
    runs_dir = tmp_path / "runs"
    assert (runs_dir / "000002.json").read_text() == "{}"  # created ahead of the third shard's first run
    assert (runs_dir / "000000.cols").exists() and not (runs_dir / "000000.jsonl").exists()
    fresh = nbtrack.TrackingClient(str(tmp_path))
    assert _found(fresh, exp) == _expected(fresh, exp) and len(_found(fresh, exp)) > 2
    run = fresh.search_runs([exp], FILTER, order_by=ORDER)[0]
    assert run == fresh.get_run(run.info.run_id)  # the page's runs are whole runs


def test_journal_changes_override_the_cols_rows(tmp_path, small_shards):
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 12)
    first = _found(client, exp)[0]
    client.log_metric(first, "acc", 0.0, step=5)  # now below the filter, in the journal only
    client.set_tag(first, "team", "x")
    client.flush()
    fresh = nbtrack.TrackingClient(str(tmp_path))
    assert first not in _found(fresh, exp)
    assert _found(fresh, exp) == _expected(fresh, exp)


@pytest.mark.parametrize("damage", ["missing", "stale", "garbage", "truncated", "bad row"])
def test_a_missing_stale_or_damaged_cols_file_is_never_trusted(tmp_path, small_shards, damage):
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 12)
    cols = tmp_path / "runs" / "000000.cols"
    raw = cols.read_bytes()
    if damage == "missing":
        cols.unlink()
    elif damage == "stale":
        shard = tmp_path / "runs" / "000000.json"
        data = shard.read_bytes().replace(b'"model":"rf"', b'"model":"xx"')
        shard.write_bytes(data)  # the shard changed behind the cols file's back
    elif damage == "garbage":
        cols.write_bytes(b"\x00garbage\n" + raw[50:])
    elif damage == "truncated":
        cols.write_bytes(raw[: len(raw) // 3])
    else:
        lines = raw.split(b"\n")
        lines[-3] = b"{not json"
        cols.write_bytes(b"\n".join(lines))
    fresh = nbtrack.TrackingClient(str(tmp_path))
    assert _found(fresh, exp) == _expected(fresh, exp)
    assert [r.data.params for r in fresh.search_runs([exp], FILTER, order_by=ORDER)] == [
        fresh.get_run(i).data.params for i in _expected(fresh, exp)
    ]
    if damage in ("missing", "stale"):
        assert cols.exists()  # rewritten by the search that read the shard


def test_a_page_whose_cols_file_changed_after_the_search_comes_from_the_shard(tmp_path, small_shards):
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 12)
    found = client.search_runs([exp], FILTER, order_by=ORDER, max_results=1)
    for cols in (tmp_path / "runs").glob("*.cols"):
        cols.write_bytes(b"{}\n")
    rest = client.search_runs([exp], FILTER, order_by=ORDER, max_results=100, page_token=found.token)
    assert [found[0].info.run_id] + [r.info.run_id for r in rest] == _expected(client, exp)
    assert all(r == client.get_run(r.info.run_id) for r in rest)


def test_a_corrupted_shard_without_cols_file_is_named(tmp_path, small_shards):
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 3)
    (tmp_path / "runs" / "000000.cols").unlink(missing_ok=True)
    for name in os.listdir(tmp_path / "runs"):
        if name.endswith(".jsonl"):
            (tmp_path / "runs" / name).unlink()
    (tmp_path / "runs" / "000000.json").write_text('{"runs": {"1": {"no": "fields"}}}')
    with pytest.raises(StoreCorruptedError, match="000000.json"):
        nbtrack.TrackingClient(str(tmp_path)).search_runs([exp])


def test_deleted_runs_and_experiments_follow_the_view_type(tmp_path, small_shards):
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 8)
    gone = _found(client, exp)[0]
    client.delete_run(gone)
    assert gone not in _found(client, exp)
    assert gone in [r.info.run_id for r in client.search_runs([exp], run_view_type=nbtrack.entities.ViewType.DELETED_ONLY)]
    client.delete_experiment(exp)
    deleted = client.search_runs([exp], FILTER, run_view_type=nbtrack.entities.ViewType.ALL)
    assert deleted and all(r.info.lifecycle_stage == "deleted" for r in deleted)
    assert client.search_runs([exp], "attributes.lifecycle_stage = 'deleted'", run_view_type=3)
    assert {r.info.status for r in deleted} == {RunStatus.FINISHED}


def test_an_old_format_cols_file_is_rebuilt_never_misread(tmp_path, small_shards):
    """A file of the first format (one header with the signature, no version) that names the
    shard's exact signature is still not trusted: the shard is read and the file rewritten."""
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 12)
    shard = tmp_path / "runs" / "000000.json"
    cols = tmp_path / "runs" / "000000.cols"
    st = os.stat(shard)
    runs = json.loads(shard.read_text())["runs"]
    ids, docs = list(runs), list(runs.values())
    columns = {"a:" + a: [d.get(a) for d in docs] for a in ("run_id", "experiment_id", "lifecycle_stage", "start_time")}
    columns["m:acc"] = [9.0 for _ in docs]  # would put every run first if it were believed
    columns["p:model"] = ["rf" for _ in docs]
    header = {"sig": [st.st_ino, st.st_mtime_ns, st.st_size], "ids": ids,
              "cols": {name: i for i, name in enumerate(columns, start=1)}}
    lines = [json.dumps(header), *(json.dumps(c) for c in columns.values()), *(json.dumps(d) for d in docs)]
    cols.write_text("\n".join(lines) + "\n")
    fresh = nbtrack.TrackingClient(str(tmp_path))
    assert _found(fresh, exp) == _expected(fresh, exp)
    assert json.loads(cols.read_bytes().split(b"\n")[0])["v"] == 2  # rebuilt in the current format


FILTERS = [
    "",
    "metrics.acc > 0.3",
    "metrics.acc >= 0.5 OR params.model = 'lr'",
    "(metrics.acc < 0.2 OR metrics.acc > 0.8) AND params.model != 'lr'",
    "metrics.acc IS NULL",
    "metrics.loss IS NOT NULL AND metrics.loss != 0",
    "params.model LIKE 'r%' AND tags.team IN ('a', 'b')",
    "tags.team NOT IN ('a') OR tags.`mlflow.runName` = 'r3'",
    "tags.`mlflow.runName` ILIKE 'R1%'",
    "attributes.status = 'FINISHED' AND attributes.run_name LIKE '%1'",
    "attributes.start_time > 0 AND attributes.end_time IS NOT NULL",
    "params.missing = 'x' OR metrics.missing > 1",
]


@pytest.mark.parametrize("filter_string", FILTERS)
def test_the_column_filter_gives_the_answer_of_the_runs_themselves(tmp_path, small_shards, filter_string):
    """Filters judged on the columns first (every comparison kind, OR, missing keys, NaN, the
    run-name tag's fallback) return the runs the same filter keeps among whole runs."""
    client = nbtrack.TrackingClient(str(tmp_path))
    exp = _fill(client, 14)
    runs = client._store.list_runs([exp])
    for i, run in enumerate(runs):
        if i % 3 == 0:
            client.set_tag(run.info.run_id, "team", "ab"[i % 2])
        if i % 4 == 1:
            client.log_metric(run.info.run_id, "loss", float("nan") if i % 8 == 1 else 0.0 + i % 3)
        if i == 5:
            client.set_tag(run.info.run_id, "mlflow.runName", "R1-renamed")
    for i in range(3):  # runs without any metric
        bare = client.create_run(exp, run_name=f"bare{i}").info.run_id
        client.log_param(bare, "model", "rf")
        client.set_terminated(bare)
    client.flush()
    docs = client._store._docs
    for name in docs.names("runs/"):
        docs.compact(name)  # every change folded: the rows come from the .cols files
    docs.settle()
    order = ["metrics.acc DESC", "attributes.run_name"]
    fresh = nbtrack.TrackingClient(str(tmp_path))
    expected = [r.info.run_id for r in sort_runs(filter_runs(fresh._store.list_runs([exp]), filter_string), order)]
    for view in (nbtrack.entities.ViewType.ACTIVE_ONLY, nbtrack.entities.ViewType.ALL):
        found = fresh.search_runs([exp], filter_string, run_view_type=view, order_by=order)
        assert [r.info.run_id for r in found] == expected
    assert [r.info.run_id for r in nbtrack.TrackingClient(str(tmp_path)).search_runs(
        [exp], filter_string, order_by=order, max_results=3)] == expected[:3]


def test_the_column_filter_only_narrows_a_parsed_filter():
    from nbtrack.search.columns import column_filter
    from nbtrack.search.schemas import parse_filter

    assert column_filter(lambda row: True) is None
    narrow = column_filter(parse_filter("metrics.acc > 0.5 OR tags.`mlflow.runName` = 'x'").test)
    values = {("metric", "acc"): [0.9, 0.1, None, float("nan")]}
    assert narrow([0, 1, 2, 3], values.get) == [0, 1, 2, 3]  # the run-name tag is not a column: all may match
    narrow = column_filter(parse_filter("metrics.acc > 0.5 AND params.model = 'rf'").test)
    values[("param", "model")] = ["rf", "rf", "rf", "lr"]
    assert narrow([0, 1, 2, 3], values.get) == [0]
    assert narrow([1, 2, 3], values.get) == []
