"""Metric listeners: callbacks told about every metric point logged in this process.

Live plots subscribe here. A listener's error is logged and swallowed: a broken plot must never
stop training.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from ..entities import Metric
from ..errors import InvalidParameterError

# Logged under the public module users know and may configure, not this private one.
log = logging.getLogger("nbtrack.client")

MetricListener = Callable[[str, list[Metric]], None]

# Mutated in place, never rebound: the logging hot path imports this list and tests it directly.
listeners: list[MetricListener] = []


def add_metric_listener(fn: MetricListener) -> Callable[[], None]:
    """Call ``fn(run_id, metrics)`` after every successful metric log; returns a remover.

    Listener errors are logged and swallowed: a broken live plot must never stop training.
    """
    if not callable(fn):
        raise InvalidParameterError(f"metric listener must be callable, got {fn!r}")
    listeners.append(fn)

    def remove() -> None:
        if fn in listeners:
            listeners.remove(fn)

    return remove


def notify(run_id: str, metrics: list[Metric]) -> None:
    """Call every listener with these points, logging (not raising) their errors."""
    for fn in tuple(listeners):
        try:
            fn(run_id, metrics)
        except Exception:  # noqa: BLE001 - listeners must never break training code
            log.exception("nbtrack metric listener %r failed", fn)
