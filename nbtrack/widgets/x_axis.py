"""What a metric chart puts on its x axis: the step, the wall-clock time or the time since the run
started. Pure rules shared by the live curves, the comparison chart and their static twins.

MLflow's default step is 0, so a metric logged without ``step=`` has every point at one step:
drawn against steps it is a vertical line. Such a metric defaults to relative time.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence

__all__ = ["AUTO", "RELATIVE", "STEP", "WALL", "X_AXES", "choose", "label", "tick_format", "values"]

AUTO, STEP, WALL, RELATIVE = "auto", "step", "wall", "relative"
#: Choices offered to the user, with the text shown for each.
X_AXES = {AUTO: "auto", STEP: "step", WALL: "wall time", RELATIVE: "relative time"}
_LABELS = {STEP: "step", WALL: "wall time", RELATIVE: "time since run start (s)"}


def choose(requested: str, step_lists: Iterable[Sequence[int]]) -> str:
    """The axis to draw: ``requested`` unless it is ``auto``; then relative time when every
    metric drawn has all its points at one step (and at least two points), else the step."""
    if requested != AUTO:
        return requested
    lists = [steps for steps in step_lists if len(steps)]
    if lists and all(len(steps) > 1 and min(steps) == max(steps) for steps in lists):
        return RELATIVE
    return STEP


def values(axis: str, steps: Sequence[int], timestamps: Sequence[int], start_ms: int) -> list[float]:
    """x of each point: its step, its time (s since the epoch) or seconds since ``start_ms``."""
    if axis == WALL:
        return [t / 1000 for t in timestamps]
    if axis == RELATIVE:
        return [(t - start_ms) / 1000 for t in timestamps]
    return [float(s) for s in steps]


def label(axis: str) -> str:
    """The axis title."""
    return _LABELS.get(axis, STEP)


def tick_format(axis: str) -> Callable[[float], str] | None:
    """Tick text for wall time (local ``HH:MM:SS``); None: plain numbers."""
    if axis != WALL:
        return None
    return lambda seconds: _dt.datetime.fromtimestamp(seconds).strftime("%H:%M:%S")
