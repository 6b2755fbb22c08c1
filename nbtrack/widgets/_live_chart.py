"""One bqplot chart of LiveCurves: a metric group's lines, their legend, and the log toggle."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import bqplot as bq
import ipywidgets as w
import numpy as np

from . import x_axis
from .charts import PALETTE, Series, line_chart_svg, swatch_html, tick_format_for
from .static import escape, format_value

__all__ = ["Trace", "GroupChart", "last_point"]


@dataclass
class Trace:
    """Points of one metric key, appended by the logging thread (lists: cheap appends)."""

    steps: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # timestamps, ms since the epoch
    values: list[float] = field(default_factory=list)
    drawn: int = -1  # number of points the chart showed at the last redraw
    _checked: int = 0  # points whose step was compared with the first one
    _mixed: bool = False  # some point's step differs from the first point's

    def snapshot(self, max_points: int) -> tuple[list[int], list[float]]:
        """A consistent, thinned copy (the logger appends steps and times before values)."""
        steps, _, values = self._thinned(max_points)
        return steps, values

    def _thinned(self, max_points: int) -> tuple[list[int], list[int], list[float]]:
        n = len(self.values)
        if n <= max_points:
            return self.steps[:n], self.times[:n], self.values[:n]
        stride = math.ceil((n - 1) / (max_points - 1))  # the same points charts.thin() keeps
        return (self.steps[0 : n - 1 : stride] + [self.steps[n - 1]],
                self.times[0 : n - 1 : stride] + [self.times[n - 1]],
                self.values[0 : n - 1 : stride] + [self.values[n - 1]])

    def xy(self, axis: str, start_ms: int, max_points: int) -> tuple[list[float], list[float]]:
        """Thinned x (per ``axis``, see :mod:`.x_axis`) and y of the points so far."""
        steps, times, values = self._thinned(max_points)
        return x_axis.values(axis, steps, times, start_ms), values

    def steps_seen(self) -> tuple[int, ...]:
        """The distinct-step evidence :func:`x_axis.choose` needs, checked incrementally."""
        n = len(self.values)
        if not self._mixed and self._checked < n:
            first = self.steps[0]
            self._mixed = any(s != first for s in self.steps[self._checked:n])
            self._checked = n
        if n == 0:
            return ()
        return (self.steps[0], self.steps[0] + 1) if self._mixed else (self.steps[0],) * min(n, 2)


class GroupChart:
    """A bqplot Figure with one Lines mark per key of a metric group, plus an HTML legend."""

    def __init__(self, group: str, log_y: bool, height: str = "260px"):
        self.group = group
        self.x_scale = bq.LinearScale()
        self.y_scale = self._make_y_scale(log_y)
        self.x_axis = bq.Axis(scale=self.x_scale, label=x_axis.label(x_axis.STEP), grid_lines="none")
        self.y_axis = bq.Axis(scale=self.y_scale, side="left", grid_lines="dashed")
        self.figure = bq.Figure(
            title=group, marks=[], axes=[self.x_axis, self.y_axis], animation_duration=0,
            fig_margin={"top": 40, "bottom": 40, "left": 60, "right": 20},
            layout=w.Layout(width="100%", height=height),
        )
        self.lines: dict[str, bq.Lines] = {}
        self.legend = w.HTML(value="")
        self.box = w.VBox([self.figure, self.legend])

    @staticmethod
    def _make_y_scale(log_y: bool) -> bq.Scale:
        return bq.LogScale() if log_y else bq.LinearScale()

    def line(self, key: str) -> bq.Lines:
        """The Lines mark of ``key``, created (with the next palette colour) on first use."""
        mark = self.lines.get(key)
        if mark is None:
            color = PALETTE[len(self.lines) % len(PALETTE)]
            mark = bq.Lines(x=np.zeros(0), y=np.zeros(0), labels=[key], colors=[color],
                            scales={"x": self.x_scale, "y": self.y_scale}, stroke_width=1.5)
            self.lines[key] = mark
            self.figure.marks = [*self.figure.marks, mark]
        return mark

    def set_log(self, log_y: bool) -> None:
        """Switch the y scale between LinearScale and LogScale (lines are redrawn by the caller)."""
        old, self.y_scale = self.y_scale, self._make_y_scale(log_y)
        with self.figure.hold_sync():
            for mark in self.lines.values():
                mark.scales = {"x": self.x_scale, "y": self.y_scale}
            self.y_axis.scale = self.y_scale
        old.close()  # replaced everywhere; left open it would stay registered with the kernel

    def set_x_axis(self, axis: str) -> None:
        """Switch the x scale to ``axis`` (a date scale for wall time); the caller redraws."""
        old, self.x_scale = self.x_scale, bq.DateScale() if axis == x_axis.WALL else bq.LinearScale()
        with self.figure.hold_sync():
            for mark in self.lines.values():
                mark.scales = {"x": self.x_scale, "y": self.y_scale}
            self.x_axis.scale = self.x_scale
            self.x_axis.label = x_axis.label(axis)
        old.close()

    @staticmethod
    def draw(mark: bq.Lines, xs: list[float], values: list[float], log_y: bool,
             wall: bool = False) -> None:
        """Send x and y together; non-finite (and, on a log axis, non-positive) points are dropped.

        ``wall``: ``xs`` are seconds since the epoch, sent as dates.
        """
        x = np.asarray(xs, dtype=float)
        y = np.asarray(values, dtype=float)
        keep = np.isfinite(y)
        if log_y:
            keep &= y > 0
        if not keep.all():
            x, y = x[keep], y[keep]
        if wall:
            x = (x * 1000).astype("datetime64[ms]")
        with mark.hold_sync():
            mark.x = x
            mark.y = y

    def fit_y_ticks(self, values: list[float], log_y: bool) -> None:
        """One precision for every y tick of these values (log axes keep d3's own labels)."""
        wanted = None if log_y else tick_format_for(values)
        if self.y_axis.tick_format != wanted:
            self.y_axis.tick_format = wanted

    def update_legend(self, last: dict[str, tuple[int, float, int]]) -> None:
        """Legend entries ``key  value  (step s, n points)`` in each line's colour."""
        items = []
        for i, key in enumerate(self.lines):
            if key not in last:
                continue
            step, value, count = last[key]
            color = PALETTE[i % len(PALETTE)]
            items.append(  # the swatch carries the line's colour; text keeps the theme's
                '<span style="color:var(--jp-ui-font-color1);margin-right:14px;white-space:nowrap;">'
                f"{swatch_html(color)}{escape(key)} <b>{escape(format_value(value))}</b> "
                f'<span style="color:var(--jp-ui-font-color2);">(step {escape(step)}, {count} pts)</span></span>'
            )
        html = f'<div class="nbtrack-legend" style="font-size:12px;">{"".join(items)}</div>'
        if html != self.legend.value:
            self.legend.value = html

    def svg(self, traces: dict[str, Trace], log_y: bool, max_points: int,
            axis: str = x_axis.STEP, start_ms: int = 0) -> str:
        """Static SVG of this chart from the traces' full data, x per ``axis``."""
        series = []
        for key in self.lines:
            trace = traces.get(key)
            if trace is not None:
                xs, values = trace.xy(axis, start_ms, max_points)
                series.append(Series(key, xs, values))
        return line_chart_svg(series, title=self.group, log_y=log_y, max_points=max_points,
                              x_label=x_axis.label(axis), x_format=x_axis.tick_format(axis))


def last_point(trace: Trace) -> tuple[int, float, int] | None:
    """(step, value, count) of the newest point of ``trace``, or None if it is empty."""
    n = len(trace.values)
    if n == 0:
        return None
    return trace.steps[n - 1], trace.values[n - 1], n
