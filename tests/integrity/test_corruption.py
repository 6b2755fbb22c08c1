"""Corruption stays local and named: each store file kind, missing or garbled."""
from __future__ import annotations

import pytest

from nbtrack import TrackingClient
from nbtrack.errors import NotFoundError, StoreCorruptedError
from nbtrack.store import TinyDBStore
from nbtrack.store.metric_docs import CHUNK_POINTS


@pytest.fixture
def two_runs(tmp_path):
    """Two runs in separate experiments; run ``a`` has a sealed chunk; a registry exists."""
    uri = str(tmp_path / "store")
    client = TrackingClient(uri)
    exp = client.create_experiment("other")
    a = client.create_run("0").info.run_id
    b = client.create_run(exp).info.run_id
    for i in range(CHUNK_POINTS + 10):
        client.log_metric(a, "m", float(i), step=i)
    client.log_metric(b, "m", 1.0)
    client.create_registered_model("model")
    client.flush()
    return tmp_path / "store", client, a, b


def _files(root, a):
    return {
        "meta": root / "meta.json",
        "metrics": root / "metrics" / f"{a}.json",
        "sealed": next((root / "metrics").glob(f"{a}.*-1.col")),
        "registry": root / "registry.json",
    }


GARBLE = [b"", b"{", b"[]", b'{"runs": 3}', b"\xff\xfe"]


@pytest.mark.parametrize("garbage", GARBLE, ids=["empty", "truncated", "list", "wrongtype", "binary"])
@pytest.mark.parametrize("kind", ["meta", "metrics", "sealed", "registry", "shard"])
def test_a_garbled_file_is_named_and_only_what_it_holds_fails(two_runs, kind, garbage):
    root, _, a, b = two_runs
    path = _files(root, a).get(kind) or root / "runs" / f"{a[-6:]}.json"
    path.write_bytes(garbage)
    client = TrackingClient(str(root))
    reader = {
        "meta": lambda: client.search_experiments(),
        "metrics": lambda: client.get_metric_history(a, "m"),
        "sealed": lambda: client.get_metric_history(a, "m"),
        "registry": lambda: client.search_registered_models(),
        "shard": lambda: client.get_run(a),
    }[kind]
    try:
        reader()
    except StoreCorruptedError as exc:
        assert str(path) in str(exc)
    else:
        assert garbage == b'{"runs": 3}' and kind != "shard"  # harmless for files not shaped so
    if kind not in ("shard", "meta"):  # the client checks a run's experiment (in meta) on reads
        assert client.get_run(b).data.metrics == {"m": 1.0}
    if kind != "shard":  # run b shares a's shard file
        assert TinyDBStore(root).get_run(b).data.metrics == {"m": 1.0}
    if kind not in ("metrics", "sealed", "shard"):
        assert len(TinyDBStore(root).get_metric_history(a, "m")) == CHUNK_POINTS + 10


def test_a_garbled_run_record_names_its_shard(two_runs):
    import orjson

    root, _, a, _ = two_runs
    shard = root / "runs" / f"{a[-6:]}.json"
    data = TinyDBStore(root)._docs.read(f"runs/{a[-6:]}")  # the file plus its journal
    for doc in data["runs"].values():
        if doc["run_id"] == a:
            doc = dict(doc)
            del doc["status"]
            data = {"runs": {k: (doc if v["run_id"] == a else v) for k, v in data["runs"].items()}}
    shard.with_suffix(".jsonl").unlink(missing_ok=True)
    shard.write_bytes(orjson.dumps(data))
    client = TrackingClient(str(root))
    for call in (lambda: client.get_run(a), lambda: client.search_runs(["0"]), client.find_stale_runs):
        with pytest.raises(StoreCorruptedError) as err:
            call()
        assert str(shard) in str(err.value)


def test_a_missing_sealed_chunk_is_named(two_runs):
    root, client, a, b = two_runs
    sealed = _files(root, a)["sealed"]
    sealed.unlink()
    with pytest.raises(StoreCorruptedError) as err:
        TrackingClient(str(root)).get_metric_history(a, "m")
    assert sealed.stem in str(err.value)


def test_experiment_ids_are_not_reused_after_meta_json_is_lost(two_runs):
    root, client, a, b = two_runs
    used = client.get_run(b).info.experiment_id
    (root / "meta.json").unlink()
    fresh = TrackingClient(str(root))
    new_id = fresh.create_experiment("after-loss")
    assert int(new_id) > int(used)
    with pytest.raises(NotFoundError):
        fresh.get_experiment(used)  # the lost experiment is gone, its runs not taken over
    assert fresh.get_run(b).info.experiment_id == used
