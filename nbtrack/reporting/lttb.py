"""Largest-Triangle-Three-Buckets (LTTB): thin a series for drawing without losing its shape.

LTTB (Steinarsson, 2013) keeps the first and last points and, from each of ``n - 2`` equal
buckets, the point spanning the largest triangle with the point kept before it and the mean of
the next bucket — so spikes and the curve's shape survive, unlike every-k-th sampling. The loop
runs once per bucket with vector work inside, so 1M points take tens of milliseconds. Used by
the dashboard's series endpoint and by ``nbtrack report``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["lttb_indices"]


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
