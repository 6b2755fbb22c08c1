"""Metric histories shrunk for drawing: Largest-Triangle-Three-Buckets (LTTB) over numpy columns.

A chart a few hundred pixels wide cannot show more than a few thousand points, and a 1M-point
history is ~30 MB of JSON. LTTB (Steinarsson, 2013) keeps the first and last points and, from
each of ``n - 2`` equal buckets, the point spanning the largest triangle with the point kept
before it and the mean of the next bucket — so spikes and the curve's shape survive, unlike
every-k-th sampling. The loop runs once per bucket with vector work inside, so 1M points take
tens of milliseconds.

Histories are cached as columns per (run, key, length, last point): the chart re-asks for the
same history at other widths and x axes without re-reading or re-converting it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..history import MetricHistory

__all__ = ["lttb_indices", "Columns", "series_payload", "history_columns"]

_CACHE_BYTES = 64 * 1024 * 1024
X_AXES = ("step", "time")


def lttb_indices(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Indices of the ``n_out`` points LTTB keeps from (``x``, ``y``), ``x`` ascending.

    Non-finite ``y`` values are never picked as a bucket's point (the kept neighbours frame them);
    all indices are returned when ``n_out >= len(x)`` or ``n_out < 3``.
    """
    n = len(x)
    if n_out >= n or n_out < 3:
        return np.arange(n)
    finite = np.isfinite(y)
    y_safe = np.where(finite, y, 0.0)
    every = (n - 2) / (n_out - 2)
    edges = (np.arange(n_out - 1) * every).astype(np.int64) + 1  # bucket b is [edges[b], edges[b+1])
    out = np.empty(n_out, dtype=np.int64)
    out[0], out[-1] = 0, n - 1
    prev = 0
    for b in range(n_out - 2):
        lo, hi = edges[b], edges[b + 1]
        nlo, nhi = (edges[b + 1], edges[b + 2]) if b + 2 < len(edges) else (n - 1, n)
        cx, cy = x[nlo:nhi].mean(), y_safe[nlo:nhi].mean()
        px, py = x[prev], y_safe[prev]
        area = np.abs((px - cx) * (y_safe[lo:hi] - py) - (px - x[lo:hi]) * (cy - py))
        prev = lo + int(np.argmax(np.where(finite[lo:hi], area, -1.0)))
        out[b + 1] = prev
    return out


class Columns:
    """One metric history as numpy columns (step, timestamp in ms, value)."""

    __slots__ = ("step", "timestamp", "value")

    def __init__(self, history: Sequence[Any]):
        if isinstance(history, MetricHistory):  # column-wise: no per-point objects
            self.step = np.asarray(history.steps, dtype=np.int64)
            self.timestamp = np.asarray(history.timestamps, dtype=np.int64)
            self.value = np.asarray(history.values, dtype=np.float64)
            return
        n = len(history)
        self.step = np.fromiter((m.step for m in history), dtype=np.int64, count=n)
        self.timestamp = np.fromiter((m.timestamp for m in history), dtype=np.int64, count=n)
        self.value = np.fromiter((m.value for m in history), dtype=np.float64, count=n)

    @property
    def nbytes(self) -> int:
        return self.step.nbytes + self.timestamp.nbytes + self.value.nbytes

    def ordered_by(self, axis: str) -> Columns:
        """The same points sorted by ``axis`` (a stable sort: equal x keep logging order)."""
        order = np.argsort(self.step if axis == "step" else self.timestamp, kind="stable")
        if len(order) < 2 or bool(np.all(np.diff(order) > 0)):
            return self
        copy = object.__new__(Columns)
        copy.step, copy.timestamp, copy.value = self.step[order], self.timestamp[order], self.value[order]
        return copy


class _ColumnCache:
    """Byte-bounded LRU of :class:`Columns` keyed by (run, key, length, last point)."""

    def __init__(self, max_bytes: int):
        self._max = max_bytes
        self._items: OrderedDict[tuple[Any, ...], Columns] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], history: Sequence[Any]) -> Columns:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        columns = Columns(history)
        with self._lock:
            self._items[key] = columns
            self._bytes += columns.nbytes
            while self._bytes > self._max and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes
        return columns


_cache = _ColumnCache(_CACHE_BYTES)


def history_columns(run_id: str, key: str, history: Sequence[Any]) -> Columns:
    """Columns of ``history`` (cached while the history is unchanged)."""
    last = history[-1] if len(history) else None
    version = (len(history), getattr(last, "timestamp", None), getattr(last, "step", None))
    return _cache.get((run_id, key, *version), history)


def _json_floats(values: np.ndarray) -> list[Any]:
    """Floats for JSON: non-finite values as "NaN" / "Infinity" / "-Infinity" strings."""
    out: list[Any] = values.tolist()
    if not np.all(np.isfinite(values)):
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            v = values[i]
            out[i] = "NaN" if np.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return out


def series_payload(columns: Columns, axis: str, max_points: int) -> dict[str, Any]:
    """JSON-ready ``{"total", "step", "timestamp", "value"}`` of at most ``max_points`` points,
    picked by LTTB along ``axis`` ("step" or "time")."""
    ordered = columns.ordered_by(axis)
    x = (ordered.step if axis == "step" else ordered.timestamp).astype(np.float64)
    keep = lttb_indices(x, ordered.value, max_points) if max_points else np.arange(len(x))
    return {
        "total": int(len(x)),
        "step": ordered.step[keep].tolist(),
        "timestamp": ordered.timestamp[keep].tolist(),
        "value": _json_floats(ordered.value[keep]),
    }
