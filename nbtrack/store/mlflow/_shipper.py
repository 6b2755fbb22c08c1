"""Metric points buffered in memory and shipped to the server in background ``log_batch`` requests.

Exactly once, over a request that is not idempotent: each point leaves the buffer once, into a
chunk of at most ``MAX_METRICS_PER_REQUEST`` points of one run. A chunk is forgotten only when
its request succeeded. A chunk whose request failed stays queued, in order, and is retried with
backoff; if the failure left it unknown whether the server applied it (a timeout, a reset
connection, a 5xx), the retry first reads the keys' histories back and sends only the points
the server does not have. A refused connection is known to have applied nothing. Only a definite refusal (an invalid value, a deleted run) drops
a chunk, and says so; a server error, a rate limit or an auth failure keeps it for a retry.

The first failure of an outage is kept and raised to the user at the next call
(``take_error``); the points stay queued until the server answers again.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ...errors import StoreWriteError
from . import _connection as conn

#: MLflow's per-request limit for metrics in ``log_batch``.
MAX_METRICS_PER_REQUEST = 1000
FLUSH_INTERVAL_S = 0.5
MAX_BACKOFF_S = 10.0

log = logging.getLogger("nbtrack.store")

#: One buffered point: run id, key, value, timestamp, step.
Point = tuple[str, str, float, int, int]
Sender = Callable[[str, list[Point]], None]
HistoryReader = Callable[[str, str], Iterable[tuple[float, int, int]]]


@dataclass
class _Chunk:
    run_id: str
    points: list[Point]
    uncertain: bool = False  # a request for it failed after possibly reaching the server


def _identity(value: float, timestamp: int, step: int) -> tuple[object, int, int]:
    return ("nan" if math.isnan(value) else float(value), int(timestamp), int(step))


class MetricShipper:
    """The hot path appends a tuple to a list; a daemon thread ships the points.

    Parameters
    ----------
    send : callable
        ``send(run_id, points)`` issues one ``log_batch`` request (raises on failure).
    read_history : callable
        ``read_history(run_id, key)`` yields ``(value, timestamp, step)`` of the points the
        server holds, to reconcile a chunk whose request had an unknown outcome.
    address : str
        ``host:port``, for error messages.
    """

    def __init__(self, send: Sender, read_history: HistoryReader, address: str,
                 interval: float = FLUSH_INTERVAL_S) -> None:
        self._send = send
        self._read_history = read_history
        self._address = address
        self._interval = interval
        self._points: list[Point] = []
        self._queue: list[_Chunk] = []
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._woken = False
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._outage = False
        #: The failure not yet shown to the user (read on the hot path, so a plain attribute).
        self.error: StoreWriteError | None = None
        self._last_cause = ""
        _shippers.add(self)

    # -- hot path ------------------------------------------------------------------------
    def add(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        self._points.append((run_id, key, value, timestamp, step))
        if not self._woken:
            self._woken = True
            self._wake.set()
            if self._thread is None:
                self._start()

    def take_error(self) -> StoreWriteError | None:
        """The pending failure (cleared: each outage is reported once)."""
        error, self.error = self.error, None
        return error

    def pending(self, run_id: str | None = None) -> int:
        """Points not yet accepted by the server (of one run, or all)."""
        queued = [c for c in list(self._queue) if run_id is None or c.run_id == run_id]
        fresh = [p for p in list(self._points) if run_id is None or p[0] == run_id]
        return sum(len(c.points) for c in queued) + len(fresh)

    # -- shipping ------------------------------------------------------------------------
    def _enqueue_new(self) -> None:
        n = len(self._points)
        if not n:
            return
        taken = self._points[:n]
        del self._points[:n]
        by_run: dict[str, list[Point]] = {}
        for point in taken:
            by_run.setdefault(point[0], []).append(point)
        for run_id, points in by_run.items():
            for start in range(0, len(points), MAX_METRICS_PER_REQUEST):
                self._queue.append(_Chunk(run_id, points[start:start + MAX_METRICS_PER_REQUEST]))

    def ship(self) -> bool:
        """Send everything buffered, oldest first; True when nothing is left unsent."""
        with self._send_lock:
            self._enqueue_new()
            while self._queue:
                chunk = self._queue[0]
                try:
                    if chunk.uncertain:
                        chunk.points = self._missing(chunk)
                        chunk.uncertain = False
                    if chunk.points:
                        self._send(chunk.run_id, chunk.points)
                except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
                    if conn.is_retryable(exc):
                        chunk.uncertain = chunk.uncertain or not conn.is_unreachable(exc)
                        self._fail(exc, len(chunk.points))
                        return False
                    self._queue.pop(0)  # refused by the server (e.g. run deleted): never accepted
                    self._refused(exc, chunk)
                    continue
                self._queue.pop(0)
                self._outage = False
            return True

    def _missing(self, chunk: _Chunk) -> list[Point]:
        """The chunk's points the server does not hold (multiset difference per key)."""
        held: dict[str, Counter[tuple[object, int, int]]] = {}
        for key in {p[1] for p in chunk.points}:
            held[key] = Counter(_identity(*m) for m in self._read_history(chunk.run_id, key))
        missing = []
        for point in chunk.points:
            seen = held[point[1]]
            ident = _identity(point[2], point[3], point[4])
            if seen[ident] > 0:
                seen[ident] -= 1
            else:
                missing.append(point)
        return missing

    def _fail(self, exc: BaseException, _count: int) -> None:
        self._last_cause = conn.cause_of(exc)
        if not self._outage:
            self._outage = True
            self.error = StoreWriteError(
                f"MLflow server {self._address}", self._last_cause,
                f"{self.pending()} metric points are kept in memory and retried in the background.",
            )
        log.warning("nbtrack: sending metrics to %s failed (%s); will retry", self._address, self._last_cause)

    def _refused(self, exc: BaseException, chunk: _Chunk) -> None:
        self.error = StoreWriteError(
            f"MLflow server {self._address}", conn.cause_of(exc),
            f"It refused {len(chunk.points)} metric points of run {chunk.run_id}; they are dropped.",
        )

    def flush(self, run_id: str | None = None) -> None:
        """Ship now; StoreWriteError if points (of ``run_id``, or any) are still unsent."""
        self.ship()
        error = self.take_error()
        left = self.pending(run_id)
        if left:
            cause = self._last_cause or (error.cause if error else "unknown cause")
            raise StoreWriteError(
                f"MLflow server {self._address}", cause,
                f"{left} metric points are kept in memory and retried in the background.",
            )
        if error is not None:
            raise error

    # -- background thread ---------------------------------------------------------------
    def _start(self) -> None:
        with self._send_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="nbtrack-mlflow-shipper", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        delay = self._interval
        while not self._closed.is_set():
            self._wake.wait()
            if self._closed.wait(delay):
                return
            self._wake.clear()
            self._woken = False
            try:
                done = self.ship()
            except Exception:  # keep training alive; points stay queued
                log.exception("nbtrack: shipping metrics to %s failed", self._address)
                done = False
            if done:
                delay = self._interval
            else:
                delay = min(delay * 2, MAX_BACKOFF_S)
                self._wake.set()

    def close(self) -> None:
        self._closed.set()
        self._wake.set()

    def _after_fork_in_child(self) -> None:
        """A forked child ships only its own points, with its own thread and locks."""
        self._points = []
        self._queue = []
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._woken = False
        self._thread = None
        self.error = None
        self._outage = False


_shippers: weakref.WeakSet[MetricShipper] = weakref.WeakSet()


def _reset_in_child() -> None:
    for shipper in list(_shippers):
        shipper._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
