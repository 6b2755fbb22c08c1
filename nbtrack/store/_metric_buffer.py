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

#: Buffered points of one metric key as parallel columns: (steps, values, timestamps).
Columns = tuple[list[int], list[float], list[int]]
Batch = dict[str, dict[str, Columns]]  # run id -> key -> columns
Writer = Callable[[Batch], None]


class MetricBuffer:
    def __init__(self, write: Writer, interval: float = FLUSH_INTERVAL_S) -> None:
        self._write = write
        self._interval = interval
        self._pending: Batch = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._woken = False  # mirrors _wake without a method call on the hot path
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Buffer one point: the per-call logging path, a few dict and list operations."""
        with self._lock:
            run = self._pending.get(run_id)
            if run is None:
                run = self._pending[run_id] = {}
            cols = run.get(key)
            if cols is None:
                cols = run[key] = ([], [], [])
            cols[0].append(step)
            cols[1].append(value)
            cols[2].append(timestamp)
        if not self._woken:
            self._wake_flusher()

    def _wake_flusher(self) -> None:
        self._woken = True
        self._wake.set()
        if self._thread is None:
            self._start()

    def pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Write everything buffered so far; on failure the points go back to the buffer."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                with self._lock:
                    for run_id, keys in batch.items():
                        later = self._pending.setdefault(run_id, {})
                        for key, cols in keys.items():
                            newer = later.get(key, ([], [], []))
                            later[key] = tuple(a + b for a, b in zip(cols, newer))  # type: ignore[assignment]
                raise

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        self.flush()

    def _start(self) -> None:
        with self._lock:
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
