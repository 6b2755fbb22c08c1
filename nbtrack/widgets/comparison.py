"""RunComparison: a few runs side by side.

- params: one row per key, one column per run; rows whose values differ are highlighted;
- latest metrics: the best value of each row is highlighted (min for loss/error-like keys,
  else max; rule in :mod:`nbtrack.widgets._metric_rules`), with a sparkline of each history;
- the histories of one chosen metric overlaid (bqplot, one line per run);
- parallel coordinates of the params vs one chosen metric (SVG, one polyline per run);
- images logged with ``log_image(key=...)`` per key side by side at a chosen step (latest by
  default), and tables logged with ``log_table`` side by side (see :mod:`.media_view`);
- a "Diff" button: what changed from the first run to the second (see :mod:`nbtrack.provenance.diff`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np
from traitlets import Enum, Int, Unicode

from .._run_ids import resolve_run_id
from ..client import TrackingClient
from ..entities import Metric, Run
from ..errors import InvalidParameterError
from . import x_axis
from ._base import PanelBase, guarded, resolve_client
from ._metric_rules import best_key, lower_is_better
from .charts import (
    PALETTE,
    Axis,
    Series,
    legend_html,
    line_chart_svg,
    parallel_coordinates_svg,
    sparkline_svg,
    tick_format_for,
)
from .media_view import MediaView
from .static import escape, format_value, html_table

__all__ = ["RunComparison"]

MAX_RUNS = 50
MAX_PARALLEL_AXES = 8
MAX_SPARKLINES = 200


def _check_run_ids(run_ids: Any) -> list[str]:
    if isinstance(run_ids, str) or not isinstance(run_ids, (list, tuple)):
        raise InvalidParameterError(f"run_ids must be a list of run ids, got {run_ids!r}")
    ids = list(dict.fromkeys(run_ids))
    if not ids or len(ids) > MAX_RUNS or not all(isinstance(i, str) and i for i in ids):
        raise InvalidParameterError(
            f"run_ids must hold 1 to {MAX_RUNS} distinct non-empty run id strings, got {run_ids!r}"
        )
    return ids


class RunComparison(PanelBase):
    """Params, latest metrics, metric histories and parallel coordinates of some runs."""

    history_metric = Unicode("", allow_none=True, help="Metric whose histories are overlaid.")
    parallel_metric = Unicode("", allow_none=True, help="Metric on the last parallel-coordinates axis.")
    image_step = Int(-1, help="Step of the images shown (-1: each run's latest).")
    x_axis = Enum(list(x_axis.X_AXES), default_value=x_axis.AUTO,
                  help="x of the history chart: step, wall, relative (time since each run "
                       "started) or auto (relative when every history sits at one step).")

    def __init__(self, run_ids: Sequence[str], client: TrackingClient | None = None):
        super().__init__()
        self._client = resolve_client(client)
        # ids as shown in tables (unique prefixes) and run names are accepted too
        self.runs: list[Run] = [self._client.get_run(resolve_run_id(self._client, i))
                                for i in _check_run_ids(run_ids)]
        self.labels = [f"{r.info.run_name} ({r.info.run_id[:8]})" for r in self.runs]
        self.param_keys = sorted({k for r in self.runs for k in r.data.params})
        self.metric_keys = sorted({k for r in self.runs for k in r.data.metrics})
        self._histories: dict[tuple[str, str], Sequence[Metric]] = {}
        self.params_table = w.HTML(value=self._params_html())
        self.metrics_table = w.HTML(value=self._metrics_html())
        first = next((k for k in self.metric_keys if lower_is_better(k)),
                     self.metric_keys[0] if self.metric_keys else None)
        self.history_picker = w.Dropdown(description="History", options=self.metric_keys, value=first)
        self.parallel_picker = w.Dropdown(description="Colour by", options=self.metric_keys, value=first)
        self.x_picker = w.Dropdown(description="x", value=x_axis.AUTO,
                                   options=[(text, key) for key, text in x_axis.X_AXES.items()])
        self._build_history_chart()
        self.parallel_chart = w.HTML(value="")
        self.diff_button = w.Button(
            description="Diff", disabled=len(self.runs) < 2,
            tooltip="What changed from the first run to the second: source, params, git, packages, metrics")
        self.diff_view = w.HTML(value="")
        self.diff_button.on_click(self._on_diff)
        self.media = MediaView(self._client, self.runs, self.labels)
        self.image_step_picker = w.Dropdown(
            description="Image step", value=-1,
            options=[("latest", -1), *((str(step), step) for step in self.media.steps)])
        self.images_view = w.HTML(value=self.media.images_html())
        self.tables_view = w.HTML(value=self.media.tables_html())
        w.link((self.image_step_picker, "value"), (self, "image_step"))
        self.observe(self._on_image_step, "image_step")
        media_widgets = ((self.image_step_picker, self.images_view) if self.media.image_keys else ()) + (
            (self.tables_view,) if self.tables_view.value else ())
        w.link((self.history_picker, "value"), (self, "history_metric"))
        w.link((self.parallel_picker, "value"), (self, "parallel_metric"))
        self.observe(self._on_history_metric, "history_metric")
        w.link((self.x_picker, "value"), (self, "x_axis"))
        self.observe(self._on_history_metric, "x_axis")
        self.observe(self._on_parallel_metric, "parallel_metric")
        self._set_body(
            w.HTML(value="<b>Params</b>"), self.params_table,
            w.HTML(value="<b>Latest metrics</b>"), self.metrics_table,
            w.HBox([self.history_picker, self.x_picker]), self.history_figure, self.history_legend,
            self.parallel_picker, self.parallel_chart,
            *media_widgets,
            self.diff_button, self.diff_view,
        )
        self._draw_history()
        self.parallel_chart.value = self._parallel_svg()

    # -- tables ------------------------------------------------------------------------------
    def _params_html(self) -> str:
        rows, marks = [], {}
        for r, key in enumerate(self.param_keys):
            values = [run.data.params.get(key) for run in self.runs]
            rows.append([key, *values])
            if len(set(values)) > 1:
                marks.update({(r, c): "diff" for c in range(len(values) + 1)})
        if not rows:
            return '<div style="color:var(--jp-ui-font-color2);">no params logged</div>'
        return html_table(["param", *self.labels], rows, marks=marks, css_class="nbtrack-params")

    def history(self, run_id: str, key: str) -> Sequence[Metric]:
        """A run's history of ``key`` (cached for the life of the panel)."""
        cached = self._histories.get((run_id, key))
        if cached is None:
            cached = self._histories[(run_id, key)] = self._client.get_metric_history(run_id, key)
        return cached

    def _metric_cell(self, run: Run, key: str, with_spark: bool) -> str:
        value = run.data.metrics.get(key)
        text = escape(format_value(value))
        if with_spark and value is not None:
            points = self.history(run.info.run_id, key)
            if len(points) > 1:
                text += " " + sparkline_svg([m.value for m in points])
        return text

    def _metrics_html(self) -> str:
        with_spark = len(self.metric_keys) * len(self.runs) <= MAX_SPARKLINES
        rows, marks = [], {}
        for r, key in enumerate(self.metric_keys):
            values = {str(i): run.data.metrics.get(key) for i, run in enumerate(self.runs)}
            best = best_key(key, values)
            if best is not None:
                marks[(r, int(best) + 1)] = "best"
            rows.append([key, *(self._metric_cell(run, key, with_spark) for run in self.runs)])
        if not rows:
            return '<div style="color:var(--jp-ui-font-color2);">no metrics logged</div>'
        raw = range(1, len(self.runs) + 1)
        return html_table(["metric", *self.labels], rows, marks=marks, raw_columns=raw,
                          css_class="nbtrack-metrics")

    # -- charts ------------------------------------------------------------------------------
    def _build_history_chart(self) -> None:
        self._x, self._y = bq.LinearScale(), bq.LinearScale()
        self._x_label = bq.Axis(scale=self._x, label=x_axis.label(x_axis.STEP))
        self._y_label = bq.Axis(scale=self._y, side="left")
        self.history_lines = [
            bq.Lines(x=np.zeros(0), y=np.zeros(0), scales={"x": self._x, "y": self._y},
                     labels=[label], colors=[PALETTE[i % len(PALETTE)]])
            for i, label in enumerate(self.labels)
        ]
        # the legend is HTML under the chart: one compact row, swatches coloured, text in the
        # theme's colour (bqplot's own legend paints the text in the line colour, in a big box)
        self.history_legend = w.HTML(value=legend_html(self.labels))
        self.history_figure = bq.Figure(
            marks=self.history_lines, animation_duration=0,
            axes=[self._x_label, self._y_label],
            layout=w.Layout(width="100%", height="280px"),
        )

    def _histories_now(self) -> list[list[Metric]]:
        key = self.history_metric
        return [list(self.history(run.info.run_id, key)) if key else [] for run in self.runs]

    def history_axis(self) -> str:
        """The x axis the history chart shows: the chosen one, or what ``auto`` picks."""
        return x_axis.choose(self.x_axis, [[m.step for m in h] for h in self._histories_now()])

    def _history_series(self) -> list[Series]:
        axis = self.history_axis()
        series = []
        for run, label, points in zip(self.runs, self.labels, self._histories_now()):
            xs = x_axis.values(axis, [m.step for m in points], [m.timestamp for m in points],
                               run.info.start_time)
            series.append(Series(label, xs, [m.value for m in points]))
        return series

    def _draw_history(self) -> None:
        self.history_figure.title = self.history_metric or ""
        axis = self.history_axis()
        scale = bq.DateScale() if axis == x_axis.WALL else bq.LinearScale()
        for mark, s in zip(self.history_lines, self._history_series()):
            x, y = np.asarray(s.xs, dtype=float), np.asarray(s.ys, dtype=float)
            keep = np.isfinite(y)
            x, y = x[keep], y[keep]
            with mark.hold_sync():
                mark.scales = {"x": scale, "y": self._y}
                mark.x = (x * 1000).astype("datetime64[ms]") if axis == x_axis.WALL else x
                mark.y = y
        old, self._x = self._x, scale
        self._x_label.scale = scale
        old.close()  # nothing shows it now; left open it would stay registered with the kernel
        self._y_label.tick_format = tick_format_for([y for s in self._history_series() for y in s.ys])
        self._x_label.label = x_axis.label(axis)
        self.mark_changed()

    def _parallel_svg(self) -> str:
        differing = [k for k in self.param_keys
                     if len({r.data.params.get(k) for r in self.runs}) > 1]
        keys = (differing or self.param_keys)[:MAX_PARALLEL_AXES]
        axes = [Axis(k, [r.data.params.get(k) for r in self.runs]) for k in keys]
        if self.parallel_metric:
            axes.append(Axis(self.parallel_metric,
                             [r.data.metrics.get(self.parallel_metric) for r in self.runs]))
        if not axes:
            return '<div style="color:var(--jp-ui-font-color2);">no params or metrics to plot</div>'
        return parallel_coordinates_svg(axes, self.labels, title=f"Params vs {self.parallel_metric or ''}")

    @guarded
    def _on_history_metric(self, _: dict[str, Any]) -> None:
        self._draw_history()

    @guarded
    def _on_parallel_metric(self, _: dict[str, Any]) -> None:
        self.parallel_chart.value = self._parallel_svg()
        self.mark_changed()

    @guarded
    def _on_image_step(self, _: dict[str, Any]) -> None:
        self.images_view.value = self.media.images_html(None if self.image_step < 0 else self.image_step)
        self.mark_changed()

    @guarded
    def _on_diff(self, _: Any) -> None:
        from ..provenance import load_provenance
        from ..provenance.diff import diff_runs
        from .diff_html import diff_html

        before, after = (load_provenance(self._client, r) for r in self.runs[:2])
        self.diff_view.value = diff_html(diff_runs(before, after))
        self.mark_changed()

    # -- static twin -------------------------------------------------------------------------
    def _title(self) -> str:
        return f"Comparison of {len(self.runs)} runs"

    def _history_svg(self) -> str:
        if not self.history_metric:
            return ""
        axis = self.history_axis()
        return line_chart_svg(self._history_series(), title=self.history_metric,
                              x_label=x_axis.label(axis), x_format=x_axis.tick_format(axis))

    def static_html(self) -> str:
        return (
            "<b>Params</b>" + self.params_table.value
            + "<b>Latest metrics</b>" + self.metrics_table.value
            + f"<div>{self._history_svg()}</div><div>{self.parallel_chart.value}</div>"
            + self.images_view.value + self.tables_view.value
            + self.diff_view.value
        )

    def static_svg(self) -> str | None:
        return self._history_svg() or None
