"""In-memory metric buffer drained by a background thread.

The logging hot path only appends to per-key column lists; a daemon thread writes the points at most
``FLUSH_INTERVAL_S`` after the first one arrives. ``flush()`` drains synchronously (run end,
cell end, interpreter exit, and before any read in this process).
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

FLUSH_INTERVAL_S = 0.5

log = logging.getLogger("nbtrack.store")

#: Buffered points of one metric key, in logging order: (step, value, timestamp).
Points = list[tuple[int, float, int]]
Batch = dict[str, dict[str, Points]]  # run id -> key -> points
Writer = Callable[[Batch], None]


class MetricBuffer:
    """Per run and key, a list of points; the logging path takes no lock.

    ``list.append`` and the flusher's copy-then-delete of a list's first ``n`` items are each
    atomic under the GIL, so a point appended while a flush is under way simply stays for the
    next flush. Entries are never removed from the dicts (a logger may hold a list), which
    costs one empty list per metric key per run of this process.
    """

    def __init__(self, write: Writer, interval: float = FLUSH_INTERVAL_S) -> None:
        self._write = write
        self._interval = interval
        self._pending: Batch = {}
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._wake = threading.Event()
        self._woken = False  # mirrors _wake without a method call on the hot path
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Buffer one point: the per-call logging path."""
        run = self._pending.get(run_id)
        if run is None:
            run = self._pending.setdefault(run_id, {})
        points = run.get(key)
        if points is None:
            points = run.setdefault(key, [])
        points.append((step, value, timestamp))
        if not self._woken:
            self._wake_flusher()

    def _wake_flusher(self) -> None:
        self._woken = True
        self._wake.set()
        if self._thread is None:
            self._start()

    def pending(self) -> bool:
        return any(points for run in list(self._pending.values()) for points in list(run.values()))

    def _take(self) -> Batch:
        batch: Batch = {}
        for run_id, run in list(self._pending.items()):
            for key, points in list(run.items()):
                n = len(points)
                if n:
                    taken = points[:n]
                    del points[:n]
                    batch.setdefault(run_id, {})[key] = taken
        return batch

    def flush(self) -> None:
        """Write everything buffered so far; on failure the points go back, in front."""
        with self._flush_lock:
            batch = self._take()
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                for run_id, keys in batch.items():
                    for key, taken in keys.items():
                        self._pending[run_id][key][:0] = taken
                raise

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        self.flush()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="nbtrack-flusher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait()
            if self._closed.wait(self._interval):
                return
            self._wake.clear()
            self._woken = False
            try:
                self.flush()
            except Exception:  # keep training alive; the points stay buffered for the next try
                log.exception("nbtrack: background metric flush failed; will retry")
                self._wake.set()
