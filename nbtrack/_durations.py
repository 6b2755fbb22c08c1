"""How long a run took, and how that is written: one rule for every front end.

A run's duration is ``end_time - start_time`` as stored (a running run: until now). The cell
summary, the CLI, the panels and the sidebar all show it with :func:`format_duration`, whose
rounding matches the sidebar's ``formatDuration`` (``labextension/src/format.ts``) digit for
digit: integer arithmetic on milliseconds, halves rounded up as JavaScript does.
"""
from __future__ import annotations

import time
from typing import Any

__all__ = ["format_duration", "run_duration_ms"]


def run_duration_ms(info: Any, now_ms: int | None = None) -> int | None:
    """``end_time - start_time`` of a ``RunInfo`` in ms; a RUNNING run counts until ``now_ms``
    (default now); None when the run has no end and is not running."""
    start, end = info.start_time, info.end_time
    if end is None and info.status == "RUNNING":
        end = int(time.time() * 1000) if now_ms is None else now_ms
    if start is None or end is None:
        return None
    return max(0, int(end) - int(start))


def format_duration(ms: int | float | None) -> str:
    """``9.5 s`` under a minute, ``4 min 5 s`` under an hour, else ``2.1 h`` ('' for None)."""
    if ms is None or ms < 0:
        return ""
    ms = int(round(ms))
    if ms < 60_000:
        tenths = (ms + 50) // 100
        return f"{tenths // 10}.{tenths % 10} s"
    if ms < 3_600_000:
        minutes, rest = divmod(ms, 60_000)
        return f"{minutes} min {(rest + 500) // 1000} s"
    tenths = (ms + 180_000) // 360_000
    return f"{tenths // 10}.{tenths % 10} h"
