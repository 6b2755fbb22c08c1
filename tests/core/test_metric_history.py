"""The column-backed metric history and the store's byte-bounded read caches."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nbtrack.entities import Metric
from nbtrack.errors import StoreCorruptedError
from nbtrack.store import MemoryStore, TinyDBStore
from nbtrack.store._lru import ByteLRU
from nbtrack.store.documents import FileDocuments
from nbtrack.store.history import MetricHistory
from nbtrack.store.metric_docs import CHUNK_POINTS


@pytest.fixture(params=["memory", "tinydb"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else TinyDBStore(tmp_path / "store")
    yield s
    s.close()


def _eager(key, n, start=0):
    return [Metric(key, 1.0 / (i + 1), 1_000 + i, i) for i in range(start, start + n)]


def _logged(store, points):
    run_id = store.create_run("0", "r", 1000).info.run_id
    store.log_batch(run_id, points)
    store.flush()
    return run_id


def test_history_equals_the_eager_list_across_sealed_chunks(store):
    points = _eager("loss", CHUNK_POINTS * 2 + 7)
    run_id = _logged(store, points)
    history = store.get_metric_history(run_id, "loss")
    assert isinstance(history, MetricHistory)
    assert len(history) == len(points)
    assert history == points and points == list(history)
    assert history[0] == points[0] and history[-1] == points[-1]
    assert history[CHUNK_POINTS] == points[CHUNK_POINTS]
    assert list(reversed(history)) == points[::-1]
    assert history.index(points[3]) == 3 and points[5] in history


def test_slices_are_histories_and_match_list_slices(store):
    points = _eager("acc", 50)
    history = store.get_metric_history(_logged(store, points), "acc")
    for sl in (slice(None, 10), slice(-5, None), slice(3, 40, 7), slice(None, None, -1), slice(60, 70)):
        part = history[sl]
        assert isinstance(part, MetricHistory) and part == points[sl]
    with pytest.raises(IndexError):
        history[50]


def test_to_numpy_gives_the_columns(store):
    points = _eager("loss", 1000)
    history = store.get_metric_history(_logged(store, points), "loss")
    arr = history.to_numpy()
    assert arr.dtype.names == ("step", "value", "timestamp")
    assert arr["step"].tolist() == [m.step for m in points]
    assert arr["value"].tolist() == [m.value for m in points]
    assert arr["timestamp"].tolist() == [m.timestamp for m in points]
    assert list(history.values) == [m.value for m in points]


def test_non_finite_values_survive_columns_and_numpy(store):
    values = [math.nan, math.inf, -math.inf, 2.5]
    points = [Metric("x", v, 1000 + i, i) for i, v in enumerate(values)]
    history = store.get_metric_history(_logged(store, points), "x")
    got = history.to_numpy()["value"]
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf and got[3] == 2.5
    assert math.isnan(history[0].value) and history[1].value == math.inf


def test_to_pandas_has_one_row_per_point(store):
    pd = pytest.importorskip("pandas")
    history = store.get_metric_history(_logged(store, _eager("loss", 20)), "loss")
    frame = history.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["step", "value", "timestamp"]
    assert frame["step"].tolist() == list(range(20))


def test_empty_history_is_an_empty_sequence(store):
    run_id = store.create_run("0", "r", 1000).info.run_id
    history = store.get_metric_history(run_id, "never")
    assert len(history) == 0 and history == [] and list(history) == []
    assert history.to_numpy().shape == (0,)


def test_warm_read_reflects_new_points(store):
    run_id = _logged(store, _eager("loss", 10))
    first = store.get_metric_history(run_id, "loss")
    store.log_batch(run_id, _eager("loss", 5, start=10))
    second = store.get_metric_history(run_id, "loss")
    assert len(first) == 10 and second == _eager("loss", 15)


def test_history_is_read_only():
    history = MetricHistory("k", [1], [2.0], [3])
    with pytest.raises(TypeError):
        history[0] = Metric("k", 1.0, 1, 1)  # type: ignore[index]
    with pytest.raises(ValueError):
        MetricHistory("k", [1, 2], [1.0], [1])


def test_histories_of_different_keys_are_not_equal():
    assert MetricHistory("a", [1], [2.0], [3]) != MetricHistory("b", [1], [2.0], [3])
    assert MetricHistory("a", [1], [math.nan], [3]) == MetricHistory("a", [1], [math.nan], [3])


def test_byte_lru_evicts_the_least_recently_used():
    cache: ByteLRU[str, int] = ByteLRU(100)
    cache.put("a", 1, 40)
    cache.put("b", 2, 40)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3, 40)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.nbytes == 80
    cache.put("huge", 4, 101)
    assert "huge" not in cache and cache.nbytes == 80


def test_document_cache_stays_within_its_budget(tmp_path):
    docs = FileDocuments(tmp_path, cache_bytes=20_000)
    for i in range(50):
        docs.update(f"runs/{i:06x}", lambda raw: raw.update(blob="x" * 1000))
    for i in range(50):
        assert docs.read(f"runs/{i:06x}")["blob"] == "x" * 1000
    assert docs._cache.nbytes <= 20_000 and len(docs._cache) < 50


def test_sealed_chunks_are_not_kept_parsed(tmp_path):
    store = TinyDBStore(tmp_path / "store")
    run_id = _logged(store, _eager("loss", CHUNK_POINTS * 3))
    store._docs._cache.clear()
    assert len(store.get_metric_history(run_id, "loss")) == CHUNK_POINTS * 3
    cached = [name for name in _cached_names(store) if "." in name]
    assert cached == []  # sealed chunk files are read, joined into columns, and dropped
    store.close()


def _cached_names(store):
    return list(store._docs._cache._items)


def test_history_cache_is_bounded_by_bytes(tmp_path, monkeypatch):
    store = TinyDBStore(tmp_path / "store")
    store._history_cache = ByteLRU(10 * 24 * 1000)  # room for ~10 histories of 1,000 points
    run_ids = [_logged(store, _eager("loss", 1000)) for _ in range(30)]
    for run_id in run_ids:
        assert len(store.get_metric_history(run_id, "loss")) == 1000
    assert store._history_cache.nbytes <= 10 * 24 * 1000 and len(store._history_cache) <= 10
    store.close()


def test_missing_sealed_chunk_is_named(tmp_path):
    store = TinyDBStore(tmp_path / "store")
    run_id = _logged(store, _eager("loss", CHUNK_POINTS + 1))
    sealed = [p for p in (tmp_path / "store" / "metrics").iterdir() if "-" in p.name]
    sealed[0].write_bytes(b"{}")
    with pytest.raises(StoreCorruptedError, match=sealed[0].stem):
        store.get_metric_history(run_id, "loss")
    store.close()


def test_columns_are_packed():
    history = MetricHistory("k", list(range(1000)), [0.5] * 1000, list(range(1000)))
    assert history.nbytes() < 30 * 1000
    assert np.asarray(history.values).dtype == np.float64
