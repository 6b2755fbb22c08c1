"""Run searches read each shard's ``.cols`` file (store/run_index.py) and build runs per page.

The file is a cache: every test compares a search's answer with the same search over runs read
from the shards themselves, whatever state the cache files are in.
"""
from __future__ import annotations

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
