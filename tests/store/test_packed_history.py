"""Sealed and open history chunks as packed binary columns; stores with JSON chunks still read."""
from __future__ import annotations

import math
from array import array

import orjson
import pytest

from nbtrack.entities import Metric
from nbtrack.errors import StoreCorruptedError
from nbtrack.store import MemoryStore, TinyDBStore, _columns
from nbtrack.store.metric_docs import CHUNK_POINTS, sealed_chunk_name

ODD = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]


@pytest.fixture(params=["memory", "tinydb"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else TinyDBStore(tmp_path / "store")
    yield s
    s.close()


def _same(a: float, b: float) -> bool:
    return a == b and math.copysign(1, a) == math.copysign(1, b) or (a != a and b != b)


def test_pack_round_trips_every_float_and_the_int64_limits():
    steps = array("q", [-(2**63), 0, 2**63 - 1, 7, 8, 9])
    values = array("d", ODD)
    stamps = array("q", [0, 1, 2, 2**62, -1, 5])
    got = _columns.unpack(_columns.pack(steps, values, stamps))
    assert got[0] == steps and got[2] == stamps
    assert all(_same(a, b) for a, b in zip(got[1], values))
    assert _columns.unpack_text(_columns.pack_text(steps, values, stamps))[0] == steps


@pytest.mark.parametrize("garbage", [b"", b"NBCOL1\0\0", b"{}", b"NBCOL1\0\0" + b"\x05" + b"\0" * 7 + b"x" * 24])
def test_unpack_refuses_what_is_not_a_packed_chunk(garbage):
    with pytest.raises(ValueError):
        _columns.unpack(garbage)


@pytest.mark.parametrize("n", [3, CHUNK_POINTS * 2 + 3])  # open chunk only; sealed chunks plus an open one
def test_non_finite_values_round_trip_through_the_store(store, n):
    run_id = store.create_run("0", "r", 1000).info.run_id
    values = [ODD[i % len(ODD)] for i in range(n)]
    store.log_batch(run_id, [Metric("m", v, 1000 + i, i) for i, v in enumerate(values)])
    store.flush()
    for reader in (store, TinyDBStore(store._docs.root) if hasattr(store._docs, "root") else store):
        history = reader.get_metric_history(run_id, "m")
        assert [m.step for m in history] == list(range(n))
        assert all(_same(m.value, v) for m, v in zip(history, values))
        assert [m.timestamp for m in history] == [1000 + i for i in range(n)]


def _write_old_format(root, run_id: str, n_sealed: int, n_open: int) -> list[tuple[int, float, int]]:
    """A history as stores wrote it before packed columns: JSON lists, sealed chunks as JSON files."""
    points = [(i, [1.5, "NaN", "Infinity", "-Infinity"][i % 4], 2000 + i) for i in range(n_sealed + n_open)]
    sealed = {"step": [p[0] for p in points[:n_sealed]], "value": [p[1] for p in points[:n_sealed]],
              "timestamp": [p[2] for p in points[:n_sealed]]}
    name = sealed_chunk_name(run_id, "m", 1)
    (root / "metrics").mkdir(exist_ok=True)
    (root / f"{name}.json").write_bytes(orjson.dumps(sealed))
    rest = points[n_sealed:]
    doc = {"#committed": {"oldwriter": 3},
           "m": {"1": {"file": name, "count": n_sealed},
                 "2": {"step": [p[0] for p in rest], "value": [p[1] for p in rest],
                       "timestamp": [p[2] for p in rest]}}}
    (root / "metrics" / f"{run_id}.json").write_bytes(orjson.dumps(doc))
    decode = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return [(s, decode.get(v, v) if isinstance(v, str) else v, t) for s, v, t in points]


def test_a_store_with_json_chunks_still_reads_and_takes_new_points(tmp_path):
    store = TinyDBStore(tmp_path / "store")
    run_id = store.create_run("0", "r", 1000).info.run_id
    expected = _write_old_format(tmp_path / "store", run_id, 10, 4)
    got = [(m.step, m.value, m.timestamp) for m in TinyDBStore(tmp_path / "store").get_metric_history(run_id, "m")]
    assert len(got) == 14 and all(a[0] == b[0] and _same(a[1], b[1]) and a[2] == b[2] for a, b in zip(got, expected))
    store.log_batch(run_id, [Metric("m", 0.25, 9000 + i, 100 + i) for i in range(CHUNK_POINTS)])
    store.flush()
    fresh = TinyDBStore(tmp_path / "store").get_metric_history(run_id, "m")
    assert len(fresh) == 14 + CHUNK_POINTS
    assert [m.step for m in fresh[:14]] == list(range(14)) and fresh[-1].step == 100 + CHUNK_POINTS - 1
    assert math.isinf(fresh[2].value) and fresh[11].value == -math.inf and math.isnan(fresh[13].value)
    assert (tmp_path / "store" / f"{sealed_chunk_name(run_id, 'm', 1)}.json").exists()  # never rewritten


def test_a_truncated_sealed_chunk_is_named(tmp_path):
    store = TinyDBStore(tmp_path / "store")
    run_id = store.create_run("0", "r", 1000).info.run_id
    store.log_batch(run_id, [Metric("m", 1.0, 1000 + i, i) for i in range(CHUNK_POINTS + 1)])
    store.flush()
    sealed = next((tmp_path / "store" / "metrics").glob("*.col"))
    sealed.write_bytes(sealed.read_bytes()[:-8])
    with pytest.raises(StoreCorruptedError) as err:
        TinyDBStore(tmp_path / "store").get_metric_history(run_id, "m")
    assert str(sealed) in str(err.value)
