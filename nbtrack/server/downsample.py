"""Metric histories shrunk for drawing: LTTB (see :mod:`nbtrack.reporting.lttb`) over numpy columns.

A chart a few hundred pixels wide cannot show more than a few thousand points, and a 1M-point
history is ~30 MB of JSON; the series endpoint sends at most ``max_points`` of them.

Histories are cached as columns per (run, key, length, last point): the chart re-asks for the
same history at other widths and x axes without re-reading or re-converting it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..reporting.lttb import lttb_indices
from ..store.history import MetricHistory

__all__ = ["Columns", "series_payload", "history_columns"]

_CACHE_BYTES = 64 * 1024 * 1024
X_AXES = ("step", "time")


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
