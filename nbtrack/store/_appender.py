"""The logging hot path: plain points appended straight into the metric buffer.

Kept apart from :mod:`._metric_buffer` (which owns what waits and when it is written) because
this is the one place where speed decides the shape of the code: every check here is a type
test, and anything unusual goes back to the validating path.

An appender is a closure, not an object with ``__call__``: calling a plain function costs
about half as much as calling an instance (CPython dispatches ``__call__`` through a slot
wrapper), and its state lives in cells, read without attribute lookups. It can be pointed at
another run (:meth:`Appender.retarget`), which is how the fluent ``log_metric`` is this
function itself, one frame between the caller and the buffer, following the active run.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from threading import get_ident
from time import time_ns
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from ._metric_buffer import I64_END, I64_MIN, Fallback, interval_ns

if TYPE_CHECKING:
    from ._metric_buffer import MetricBuffer

__all__ = ["Appender", "Target", "run_appender"]


class Target(NamedTuple):
    """Where an appender's points go.

    ``buffer`` and ``run_id`` name the series plain points are appended to (``buffer`` None: a
    store without a fast path, every call validates); ``one(key, value, step, timestamp)`` and
    ``many(metrics, step, timestamp)`` are the validating path for everything else; while
    ``observers`` is non-empty every call takes that path (live plots must see each point).
    """

    buffer: MetricBuffer | None
    run_id: str
    one: Fallback
    many: Callable[[Any, Any, Any], None]
    observers: Any = ()


class Appender(Protocol):
    """What :func:`run_appender` returns: ``(key, value, step=None, timestamp=None)``, ``many``
    and ``retarget``."""

    def __call__(self, key: Any, value: Any, step: Any = None, timestamp: Any = None) -> None: ...

    def many(self, metrics: Any, step: Any = None, timestamp: Any = None) -> None: ...

    def retarget(self, target: Target) -> None: ...


def run_appender(target: Target, like: Callable[..., Any] | None = None, name: str = "append") -> Appender:
    """The logging hot path into ``target``'s run: plain points go straight into its series.

    A call whose key already has a series of this thread, whose value is a ``float`` and whose
    step and timestamp are ``None`` or 64-bit ``int`` appends three array items and returns: no
    validator call, no lock, no I/O. The series' backlog (flush now? wake the flusher?) is
    checked on its first point of each millisecond; a take resets the series' clock, so the
    first point after it is checked too. Anything else goes to the target's ``one`` / ``many`` (the
    client's full path: validation with its error messages, the store's run checks, then
    :meth:`MetricBuffer.add`), as does every call after the buffer cleared the run's fast map
    (a failed write to report, the run's end, a fork). ``like``: a function whose docstring and
    signature the appender shows, under ``name`` (the fluent verb it serves as).
    """
    buffer, run_id, one, many, observers = target
    fast: dict[str, Any] = {}
    relieve: Callable[[str], None] = _no_buffer
    wake: Callable[[], None] = _no_buffer

    def retarget(new: Target) -> None:
        nonlocal buffer, run_id, one, many, observers, relieve, wake
        buffer, run_id, one, many, observers = new
        if buffer is not None:
            relieve, wake = buffer.relieve, buffer.wake_flusher
        rebind()

    def rebind() -> None:
        nonlocal fast
        fast = buffer.fast_series(run_id) if buffer is not None else {}

    def slow(key: Any, value: Any, step: Any, timestamp: Any) -> None:
        one(key, value, step, timestamp)
        rebind()

    def append(key: Any, value: Any, step: Any = None, timestamp: Any = None) -> None:
        try:
            s = fast[key]
        except (KeyError, TypeError):  # a new key, or an unhashable one: the fallback says why
            return slow(key, value, step, timestamp)
        if type(value) is not float or observers or s.owner != get_ident():
            return slow(key, value, step, timestamp)
        if step is None:
            step = 0
        elif type(step) is not int:
            return slow(key, value, step, timestamp)
        if timestamp is None:
            now = time_ns()
            if now < s.tick:  # the millisecond of this series' previous point: its checks still hold
                try:
                    s.add_step(step)
                except OverflowError:
                    return slow(key, value, step, timestamp)
                s.add_value(value)
                s.add_time(s.ms)
                return None
            timestamp = s.ms = now // 1_000_000
            s.tick = (timestamp + 1) * 1_000_000
        elif type(timestamp) is not int or not I64_MIN <= timestamp < I64_END:
            return slow(key, value, step, timestamp)
        else:
            now = 0  # a caller's timestamp says nothing about the clock: only the count bound applies
        n = len(s.timestamps)
        if n >= s.busy and (n >= s.limit or now >= s.due):
            relieve(run_id)  # a failure raised here leaves the point untaken
            n = len(s.timestamps)
        try:
            s.add_step(step)  # the int64 column refuses a step outside 64 bits: nothing is taken yet
        except OverflowError:
            return slow(key, value, step, timestamp)
        s.add_value(value)
        s.add_time(timestamp)
        if not n:
            s.due = now + interval_ns()
            wake()
        return None

    def append_many(metrics: Any, step: Any = None, timestamp: Any = None) -> None:
        """Several keys at one step and time; all points are checked before any is taken.

        One pass checks every point and reads each series' backlog; the second only appends.
        """
        ident = get_ident()
        try:
            if type(metrics) is not dict or observers:
                raise LookupError
            if step is None:
                step = 0
            elif type(step) is not int or not I64_MIN <= step < I64_END:
                raise LookupError
            if timestamp is None:
                now = time_ns()
                timestamp = now // 1_000_000
            elif type(timestamp) is not int or not I64_MIN <= timestamp < I64_END:
                raise LookupError
            else:
                now = 0
            group = [fast[k] for k in metrics]
            values = list(metrics.values())
            behind = fresh = False
            for s, value in zip(group, values):
                if type(value) is not float or s.owner != ident:
                    raise LookupError
                n = len(s.timestamps)
                if not n:
                    fresh = True
                elif n >= s.busy and (n >= s.limit or now >= s.due):
                    behind = True
        except (LookupError, TypeError):  # anything unusual: the full path checks and says why
            many(metrics, step, timestamp)
            rebind()
            return
        if behind:
            relieve(run_id)  # before any point is taken
            fresh = True
        starting = [s for s in group if not s.timestamps] if fresh else ()
        for s, value in zip(group, values):
            s.add_step(step)
            s.add_value(value)
            s.add_time(timestamp)
        if starting:  # a series' first waiting point: its flush is due one interval on
            for s in starting:
                s.due = now + interval_ns()
            wake()

    if like is not None:
        functools.update_wrapper(append, like)
    append.__name__ = append.__qualname__ = name
    append.many = append_many  # type: ignore[attr-defined]
    append.retarget = retarget  # type: ignore[attr-defined]
    retarget(target)
    return cast(Appender, append)


def _no_buffer(*_: Any) -> None:
    """``relieve``/``wake`` of a target without a buffer: never reached (its fast map stays empty)."""
