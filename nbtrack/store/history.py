"""A metric's history held as three columns, read like a list of ``Metric``.

``get_metric_history`` returns a ``MetricHistory``: a read-only ``Sequence[Metric]`` whose
points live in packed arrays (steps and timestamps as signed 64-bit integers, values as
doubles, 24 bytes a point) and become ``Metric`` objects only when indexed or iterated. Building
a million frozen ``Metric`` objects costs about a quarter of a second and ~200 MB; a history
that is only plotted or summed never pays that: ``to_numpy()`` and ``to_pandas()`` hand the
columns over without per-point objects. It compares equal to any sequence of the same
``Metric`` values, so code written for MLflow's ``list[Metric]`` keeps working.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .._floats import NON_FINITE
from ..entities import Metric
from . import _columns

if TYPE_CHECKING:
    import numpy
    import pandas

__all__ = ["MetricHistory"]



def _int_column(items: Sequence[Any]) -> Sequence[int]:
    """A packed int64 column, or the plain list when a value does not fit in 64 bits."""
    if type(items) is array and items.typecode == "q":
        return items  # adopted as it is: the caller hands it over
    try:
        return array("q", items)
    except (OverflowError, TypeError):
        return list(items)


def _float_column(items: Sequence[Any]) -> Sequence[float]:
    """A packed float64 column; non-finite values stored as strings are decoded."""
    if type(items) is array and items.typecode == "d":
        return items
    try:
        return array("d", items)
    except TypeError:
        return array("d", [NON_FINITE[x] if type(x) is str else x for x in items])


class MetricHistory(Sequence[Metric]):
    """Points of one metric in logging order, stored column-wise; ``Metric`` built on access.

    Parameters
    ----------
    key : str
        The metric's name (every point carries it).
    steps, values, timestamps : sequence
        Parallel columns of equal length; values may hold "NaN"/"Infinity"/"-Infinity"
        strings, which are decoded.
    """

    __slots__ = ("key", "_steps", "_values", "_timestamps")

    def __init__(self, key: str, steps: Sequence[int], values: Sequence[Any], timestamps: Sequence[int]) -> None:
        if not len(steps) == len(values) == len(timestamps):
            raise ValueError("MetricHistory columns must have the same length")
        self.key = key
        self._steps = _int_column(steps)
        self._values = _float_column(values)
        self._timestamps = _int_column(timestamps)

    @classmethod
    def from_parts(cls, key: str, parts: Iterable[tuple[Any, Any, Any]]) -> MetricHistory:
        """Join chunks given as packed columns: (int64 steps, float64 values, int64 timestamps)
        arrays, or the little-endian byte views of ``_columns.byte_columns``.

        A single chunk of arrays is adopted as it is (the caller must not keep using it); several
        are copied once each into the final columns, so no Python object is made per point.
        """
        chunks = list(parts)
        if len(chunks) == 1 and all(isinstance(c, array) for c in chunks[0]):
            return cls(key, *chunks[0])
        if not chunks:
            return cls(key, array("q"), array("d"), array("q"))
        return cls(key, *_columns.join(chunks))

    @classmethod
    def from_chunks(cls, key: str, chunks: Iterable[dict[str, list[Any]]]) -> MetricHistory:
        """Join stored chunks (dicts of "step", "value", "timestamp" lists) in order."""
        steps: list[Any] = []
        values: list[Any] = []
        timestamps: list[Any] = []
        for chunk in chunks:
            steps += chunk["step"]
            values += chunk["value"]
            timestamps += chunk["timestamp"]
        return cls(key, steps, values, timestamps)

    # -- Sequence ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._steps)

    @overload
    def __getitem__(self, index: int) -> Metric: ...

    @overload
    def __getitem__(self, index: slice) -> MetricHistory: ...

    def __getitem__(self, index: int | slice) -> Metric | MetricHistory:
        if isinstance(index, slice):
            return MetricHistory(self.key, self._steps[index], self._values[index], self._timestamps[index])
        return self._metric(self._values[index], self._timestamps[index], self._steps[index])

    def _metric(self, value: float, timestamp: int, step: int) -> Metric:
        # Frozen dataclass __init__ costs ~3x more; this path builds one object per point.
        metric = object.__new__(Metric)
        metric.__dict__.update(key=self.key, value=value, timestamp=timestamp, step=step)
        return metric

    def __iter__(self) -> Iterator[Metric]:
        make = self._metric
        for value, timestamp, step in zip(self._values, self._timestamps, self._steps):
            yield make(value, timestamp, step)

    def __reversed__(self) -> Iterator[Metric]:
        for i in range(len(self) - 1, -1, -1):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MetricHistory):
            return (self.key == other.key and self._steps == other._steps
                    and self._timestamps == other._timestamps and _same_values(self._values, other._values))
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"MetricHistory(key={self.key!r}, points={len(self)})"

    # -- columns -------------------------------------------------------------------------
    @property
    def steps(self) -> Sequence[int]:
        """The steps, in logging order (a read-only view is not enforced: do not mutate)."""
        return self._steps

    @property
    def values(self) -> Sequence[float]:
        """The values, in logging order."""
        return self._values

    @property
    def timestamps(self) -> Sequence[int]:
        """The timestamps (ms since the epoch), in logging order."""
        return self._timestamps

    token = None
    """No next page: the whole history (MLflow's paged result reads the same, ``.token``)."""

    def to_list(self) -> list[Metric]:
        """The points as a plain list of ``Metric`` (MLflow's ``PagedList.to_list``)."""
        return list(self)

    def to_numpy(self) -> numpy.ndarray:
        """A structured array with fields ``step`` (int64), ``value`` (float64), ``timestamp`` (int64)."""
        import numpy as np

        out = np.empty(len(self), dtype=[("step", "i8"), ("value", "f8"), ("timestamp", "i8")])
        out["step"] = self._steps
        out["value"] = self._values
        out["timestamp"] = self._timestamps
        return out

    def to_pandas(self) -> pandas.DataFrame:
        """A DataFrame with columns ``step``, ``value``, ``timestamp`` (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.to_numpy())

    def nbytes(self) -> int:
        """Approximate memory held by the columns (used to bound caches)."""
        return sum(c.itemsize * len(c) if isinstance(c, array) else 40 * len(c)
                   for c in (self._steps, self._values, self._timestamps)) + 100


def _same_values(a: Sequence[float], b: Sequence[float]) -> bool:
    """Element-wise equality where NaN equals NaN (histories store NaN faithfully)."""
    return a == b or (len(a) == len(b) and all(x == y or (x != x and y != y) for x, y in zip(a, b)))
