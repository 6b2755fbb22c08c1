"""LiveCurves: a run's metrics drawn while the cell that logs them is still running.

Points arrive through :func:`nbtrack.client.add_metric_listener`, in the thread that logs
them. The listener only appends to per-key lists; at most every ``interval`` seconds
(default 0.1, measured from the end of the previous redraw) it redraws the lines that
changed, sending each line's x and y together inside ``hold_sync()`` and thinning long
histories to ``max_points`` per line, so a tight logging loop pays for a redraw at most ten
times a second (see ``bench/live_curves.py``).

One chart per metric group (``train_loss`` and ``val_loss`` share the ``loss`` chart; the
rule is in :mod:`nbtrack.widgets._metric_rules`), one line per key, the last value of each
line in the legend under the chart, a "Log scale" toggle and an x-axis choice: step, wall time
or time since the run started (``auto``: relative time when every metric sits at one step, as
with ``log_metric`` without ``step=``; see :mod:`nbtrack.widgets.x_axis`).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
from traitlets import Bool, Enum

from ..client import TrackingClient, add_metric_listener
from ..entities import Metric, RunStatus
from ..errors import InvalidParameterError
from . import x_axis
from ._base import PanelBase, guarded, resolve_client
from ._live_chart import GroupChart, Trace, last_point
from ._metric_rules import metric_group
from .charts import stack_svgs
from .static import escape

__all__ = ["LiveCurves"]


def _check_keys(keys: Sequence[str] | str | None) -> list[str] | None:
    if keys is None:
        return None
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) and k for k in keys):
        raise InvalidParameterError(f"keys must be a list of metric names or None, got {keys!r}")
    if not keys:
        raise InvalidParameterError("keys must name at least one metric, or be None to follow all")
    return list(dict.fromkeys(keys))


def _check_number(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise InvalidParameterError(f"{name} must be a number from {lo} to {hi}, got {value!r}")
    return value


class LiveCurves(PanelBase):
    """Live line charts of one run's metrics.

    ``LiveCurves(run_id, keys=None)`` follows every metric of the run (or only ``keys``),
    starting from what is already logged. Call :meth:`show` to display it and
    :meth:`finalize` when the run is over (``%%track_run --live`` does both).
    """

    log_scale = Bool(False, help="Draw the y axes on a log scale (points <= 0 are hidden).")
    x_axis = Enum(list(x_axis.X_AXES), default_value=x_axis.AUTO,
                  help="x of every chart: step, wall, relative (time since the run started) or "
                       "auto (relative when all points of every metric share one step).")

    def __init__(
        self,
        run_id: str,
        keys: Sequence[str] | str | None = None,
        *,
        client: TrackingClient | None = None,
        interval: float = 0.1,
        max_points: int = 2000,
        group_by: Callable[[str], str] | None = None,
    ):
        # Arguments and the run are checked before any widget is made: a refused call then has
        # nothing to close.
        resolved = resolve_client(client)
        run = resolved.get_run(run_id)
        checked_keys = _check_keys(keys)
        checked_interval = _check_number("interval", interval, 0.0, 60.0)
        checked_max = int(_check_number("max_points", max_points, 2, 1_000_000))
        super().__init__()
        self._client = resolved
        self.run_id: str = run.info.run_id
        self._start_ms = run.info.start_time
        self._drawn_axis = x_axis.STEP  # what the charts' x axes show now
        self._keys = checked_keys
        self._interval = checked_interval
        self._max_points = checked_max
        self._group_by = group_by or metric_group
        self._traces: dict[str, Trace] = {k: Trace() for k in self._keys or ()}
        self._charts: dict[str, GroupChart] = {}
        self._draw_lock = threading.Lock()
        self._next_draw = 0.0  # monotonic time after which the listener may redraw
        self.finalized = False
        self.log_toggle = w.ToggleButton(description="Log scale", value=False, icon="line-chart",
                                         tooltip="Switch the y axes between linear and log scale")
        w.link((self.log_toggle, "value"), (self, "log_scale"))
        self.observe(self._on_log_scale, "log_scale")
        self.x_picker = w.Dropdown(description="x", value=x_axis.AUTO,
                                   options=[(text, key) for key, text in x_axis.X_AXES.items()],
                                   layout=w.Layout(width="180px"))
        w.link((self.x_picker, "value"), (self, "x_axis"))
        self.observe(self._on_x_axis, "x_axis")
        self.header = w.HTML(value=self._header_html(run.info.run_name))
        self.charts_box = w.VBox()
        self._set_body(w.HBox([self.header, self.log_toggle, self.x_picker]), self.charts_box)
        self._load_history(run.data.metrics)
        self.redraw()
        self._remove_listener = add_metric_listener(self._make_listener())

    def _header_html(self, run_name: str) -> str:
        return (f'<b>{escape(run_name)}</b> <span style="color:var(--jp-ui-font-color2);">run {escape(self.run_id)}'
                "</span>")

    def _load_history(self, latest: Any) -> None:
        """Start from the points already logged (attaching to a run half-way through)."""
        for key in self._keys if self._keys is not None else sorted(latest):
            trace = self._traces.setdefault(key, Trace())
            for m in self._client.get_metric_history(self.run_id, key):
                trace.steps.append(m.step)
                trace.times.append(m.timestamp)
                trace.values.append(m.value)

    # -- the logging thread's side -------------------------------------------------------
    def _make_listener(self) -> Callable[[str, list[Metric]], None]:
        """The metric listener: append, and redraw once ``interval`` has passed.

        A closure over locals rather than a method: it runs once per logged point, so every
        attribute lookup saved is paid back ten thousand times a second.
        """
        run_id, traces, keys, monotonic = self.run_id, self._traces, self._keys, time.monotonic

        def on_metrics(logged_run_id: str, metrics: list[Metric]) -> None:
            if logged_run_id != run_id:
                return
            for m in metrics:
                trace = traces.get(m.key)
                if trace is None:
                    if keys is not None:
                        continue
                    trace = traces[m.key] = Trace()
                trace.steps.append(m.step)
                trace.times.append(m.timestamp)
                trace.values.append(m.value)
            if monotonic() >= self._next_draw:
                self.redraw()
            elif not self._twin_stale:
                self.mark_changed()  # once per cell: the twin catches up when the cell ends

        return on_metrics

    def redraw(self) -> None:
        """Send every line that gained points since the last redraw (x and y together)."""
        if not self._draw_lock.acquire(blocking=False):
            return  # another thread is drawing; its redraw or the next one catches up
        try:
            changed: dict[str, GroupChart] = {}
            log_y = self.log_scale
            axis = self._resolved_axis()
            if axis != self._drawn_axis:
                self._drawn_axis = axis
                for chart in self._charts.values():
                    chart.set_x_axis(axis)
                for trace in self._traces.values():
                    trace.drawn = -1
            for key, trace in list(self._traces.items()):
                n = len(trace.values)
                if n == trace.drawn:
                    continue
                chart = self._chart(self._group_by(key))
                xs, values = trace.xy(axis, self._start_ms, self._max_points)
                GroupChart.draw(chart.line(key), xs, values, log_y, wall=axis == x_axis.WALL)
                trace.drawn = n
                changed[chart.group] = chart
            for chart in changed.values():
                chart.update_legend({k: p for k in chart.lines if (p := last_point(self._traces[k]))})
                chart.fit_y_ticks([v for k in chart.lines for v in self._traces[k].values], log_y)
            if changed:
                self.mark_changed()
        finally:
            self._next_draw = time.monotonic() + self._interval
            self._draw_lock.release()

    def _resolved_axis(self) -> str:
        """The x axis drawn now: the chosen one, or what ``auto`` picks for the points so far."""
        return x_axis.choose(self.x_axis, [t.steps_seen() for t in list(self._traces.values())])

    def _chart(self, group: str) -> GroupChart:
        chart = self._charts.get(group)
        if chart is None:
            chart = self._charts[group] = GroupChart(group, self.log_scale)
            if self._drawn_axis != x_axis.STEP:
                chart.set_x_axis(self._drawn_axis)
            self.charts_box.children = (*self.charts_box.children, chart.box)
        return chart

    # -- user actions and life cycle -----------------------------------------------------
    @guarded
    def _on_x_axis(self, change: dict[str, Any]) -> None:
        self.redraw()

    @guarded
    def _on_log_scale(self, change: dict[str, Any]) -> None:
        for chart in self._charts.values():
            chart.set_log(bool(change["new"]))
        for trace in self._traces.values():
            trace.drawn = -1
        self.redraw()

    def finalize(self) -> None:
        """Last redraw, stop following the run, and publish the final static twin."""
        if self.finalized:
            return
        self.finalized = True
        self._remove_listener()
        self.redraw()
        self.refresh_twin(force=True)

    def _cell_finished(self) -> None:
        """End of a cell: catch up, and finalize once the run is over."""
        if not self.finalized:
            self.redraw()
            try:
                ended = self._client.get_run(self.run_id).info.status != RunStatus.RUNNING
            except Exception:  # noqa: BLE001 - a deleted store must not break every cell
                ended = True
            if ended:
                self.finalize()
                return
        self.refresh_twin()

    def close(self) -> None:
        """Stop following the run and close the widgets (every chart is in ``charts_box``)."""
        remove = getattr(self, "_remove_listener", None)
        if remove is not None:
            remove()
        self.finalized = True
        super().close()

    # -- static twin ----------------------------------------------------------------------
    @property
    def metric_keys(self) -> list[str]:
        """Metric keys drawn so far, in the order they first appeared."""
        return [k for k, t in self._traces.items() if t.values]

    def point_count(self, key: str) -> int:
        """How many points of ``key`` have been received (drawn lines may be thinned)."""
        trace = self._traces.get(key)
        return len(trace.values) if trace else 0

    def _chart_svgs(self) -> list[str]:
        axis = self._resolved_axis()
        return [c.svg(self._traces, self.log_scale, self._max_points, axis, self._start_ms)
                for c in self._charts.values()]

    def _title(self) -> str:
        return f"Live curves of run {self.run_id}"

    def static_html(self) -> str:
        svgs = self._chart_svgs()
        body = "".join(f'<div style="margin:4px 0;">{s}</div>' for s in svgs)
        return body or '<div style="color:var(--jp-ui-font-color2);">no metrics logged</div>'

    def static_svg(self) -> str | None:
        svgs = self._chart_svgs()
        return stack_svgs(svgs, 520, [240] * len(svgs)) if svgs else None
