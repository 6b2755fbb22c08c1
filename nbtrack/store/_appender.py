"""The logging hot path: one run's plain points appended straight into the metric buffer.

Kept apart from :mod:`._metric_buffer` (which owns what waits and when it is written) because
this is the one place where speed decides the shape of the code: every check here is a type
test, and anything unusual goes back to the validating path.
"""
from __future__ import annotations

from collections.abc import Callable
from threading import get_ident
from time import time as _time
from typing import TYPE_CHECKING, Any

from ._metric_buffer import I64_END, I64_MIN, Fallback, Series, interval_ms

if TYPE_CHECKING:
    from ._metric_buffer import MetricBuffer

__all__ = ["RunAppender"]


class RunAppender:
    """The logging hot path of one run: plain points go straight into the run's series.

    Called as ``appender(key, value, step=None, timestamp=None)`` (and ``appender.many(metrics,
    step, timestamp)``). A call whose key already has a series of this thread, whose value is a
    ``float`` and whose step and timestamp are ``None`` or 64-bit ``int`` appends three array
    items and returns: no validator call, no lock, no I/O. Anything else goes to the fallback
    (the client's full path: validation with its error messages, the store's run checks, then
    :meth:`MetricBuffer.add`), as does every call while ``observers`` is non-empty (live plots
    must see each point) and every call after the buffer cleared the run's fast map (a failed
    write to report, the run's end, a fork).
    """

    __slots__ = ("_buffer", "_run_id", "_fast", "_one", "_many", "_observers")

    def __init__(self, buffer: MetricBuffer, run_id: str, one: Fallback,
                 many: Callable[[Any, Any, Any], None], observers: Any) -> None:
        self._buffer, self._run_id = buffer, run_id
        self._one, self._many, self._observers = one, many, observers
        self._fast: dict[str, Series] = buffer.fast_series(run_id)

    def __call__(self, key: Any, value: Any, step: Any = None, timestamp: Any = None) -> None:
        try:
            s = self._fast.get(key)
        except TypeError:  # an unhashable key: the fallback says why it is not a key
            s = None
        if s is None or type(value) is not float or self._observers or s.owner != get_ident():
            return self._slow_one(key, value, step, timestamp)
        if step is None:
            step = 0
        elif type(step) is not int or not I64_MIN <= step < I64_END:
            return self._slow_one(key, value, step, timestamp)
        if timestamp is None:
            timestamp = now = int(_time() * 1000)
        elif type(timestamp) is not int or not I64_MIN <= timestamp < I64_END:
            return self._slow_one(key, value, step, timestamp)
        else:
            now = 0  # a caller's timestamp says nothing about the clock: only the count bound applies
        n = len(s.timestamps)
        if n >= s.busy and (n >= s.limit or now >= s.due):
            self._buffer.relieve(self._run_id)  # a failure raised here leaves the point untaken
            n = len(s.timestamps)
        s.add_step(step)
        s.add_value(value)
        s.add_time(timestamp)
        if not n:
            s.due = now + interval_ms()
            self._buffer.wake_flusher()
        return None

    def many(self, metrics: Any, step: Any = None, timestamp: Any = None) -> None:
        """Several keys at one step and time; all points are checked before any is taken."""
        fast, ident = self._fast, get_ident()
        try:
            if type(metrics) is not dict or self._observers:
                raise LookupError
            if step is not None and (type(step) is not int or not I64_MIN <= step < I64_END):
                raise LookupError
            group = [fast[k] for k in metrics]
            values = list(metrics.values())
            for s, value in zip(group, values):
                if type(value) is not float or s.owner != ident:
                    raise LookupError
            now = 0
            if timestamp is None:
                timestamp = now = int(_time() * 1000)
            elif type(timestamp) is not int or not I64_MIN <= timestamp < I64_END:
                raise LookupError
        except (LookupError, TypeError):  # anything unusual: the full path checks and says why
            self._many(metrics, step, timestamp)
            self._rebind()
            return
        if step is None:
            step = 0
        for s in group:
            n = len(s.timestamps)
            if n >= s.busy and (n >= s.limit or now >= s.due):
                self._buffer.relieve(self._run_id)  # before any point is taken
                break
        wake = False
        for s, value in zip(group, values):
            if not s.timestamps:
                s.due = now + interval_ms()
                wake = True
            s.add_step(step)
            s.add_value(value)
            s.add_time(timestamp)
        if wake:
            self._buffer.wake_flusher()

    def _slow_one(self, key: Any, value: Any, step: Any, timestamp: Any) -> None:
        self._one(key, value, step, timestamp)
        self._rebind()

    def _rebind(self) -> None:
        self._fast = self._buffer.fast_series(self._run_id)
