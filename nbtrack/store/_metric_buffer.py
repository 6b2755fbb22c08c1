"""In-memory metric buffer drained by a background thread.

The logging hot path only appends to a list; a daemon thread writes the points at most
``FLUSH_INTERVAL_S`` after the first one arrives. ``flush()`` drains synchronously (run end,
cell end, interpreter exit, and before any read in this process).
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

FLUSH_INTERVAL_S = 0.5

log = logging.getLogger("nbtrack.store")

#: (key, value, timestamp, step): plain tuples keep the hot path free of object construction.
Point = tuple[str, float, int, int]
Writer = Callable[[dict[str, list[Point]]], None]


class MetricBuffer:
    def __init__(self, write: Writer, interval: float = FLUSH_INTERVAL_S) -> None:
        self._write = write
        self._interval = interval
        self._pending: dict[str, list[Point]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str, points: list[Point]) -> None:
        with self._lock:
            bucket = self._pending.get(run_id)
            if bucket is None:
                self._pending[run_id] = points
            else:
                bucket.extend(points)
        if not self._wake.is_set():
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
                    for run_id, points in batch.items():
                        later = self._pending.get(run_id, [])
                        self._pending[run_id] = points + later
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
            try:
                self.flush()
            except Exception:  # keep training alive; the points stay buffered for the next try
                log.exception("nbtrack: background metric flush failed; will retry")
                self._wake.set()
