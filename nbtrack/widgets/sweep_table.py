"""SweepTable: the live table of a ``%%track_sweep``, one row per child run.

Columns are the sweep's variables, then metrics (the ``--live`` keys, else ``--metric`` and
the other keys children log); the best finished row so far is highlighted. Below it,
parallel coordinates of the settings against the deciding metric (SVG, one line per child).
The static twin (see :mod:`._base`) keeps both in notebooks run headless.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from ..sweep import best_index
from ._base import PanelBase
from .charts import Axis, parallel_coordinates_svg
from .static import html_table

__all__ = ["SweepRow", "SweepTable"]

MAX_METRIC_COLUMNS = 6
MAX_PARALLEL_AXES = 8


@dataclass
class SweepRow:
    """One child of the sweep as the table shows it (status RUNNING, PRUNED or the run's)."""

    index: int
    name: str
    status: str
    values: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)


class SweepTable(PanelBase):
    """Settings x metrics of a sweep's children, the best so far highlighted."""

    def __init__(self, names: Sequence[str], metric: str | None, direction: str,
                 columns: Sequence[str] | None = None, title: str = ""):
        super().__init__()
        self.names = list(names)
        self.metric = metric
        self.direction = direction
        self.fixed_columns = list(columns) if columns else None
        self.title = title
        self.rows: list[SweepRow] = []
        self.table = w.HTML(value="")
        self.chart = w.HTML(value="")
        self._set_body(self.table, self.chart)
        self._render()

    def set_row(self, row: SweepRow) -> None:
        """Add a child's row, or replace the row of the same index (e.g. RUNNING -> FINISHED)."""
        for i, old in enumerate(self.rows):
            if old.index == row.index:
                self.rows[i] = row
                break
        else:
            self.rows.append(row)
        self._render()
        self.refresh_twin()

    def columns(self) -> list[str]:
        """The metric columns: fixed by ``--live``, else the deciding metric then the others."""
        if self.fixed_columns:
            return self.fixed_columns
        keys = [self.metric] if self.metric else []
        for row in self.rows:
            keys.extend(k for k in row.metrics if k not in keys)
        return keys[:MAX_METRIC_COLUMNS]

    def best(self) -> int | None:
        """Position in ``rows`` of the best FINISHED child so far (None without a metric)."""
        if not self.metric:
            return None
        values = [r.metrics.get(self.metric) if r.status == "FINISHED" else None for r in self.rows]
        return best_index(values, self.direction)

    def _render(self) -> None:
        self.table.value = self._table_html()
        self.chart.value = self._parallel_svg()
        self.mark_changed()

    def _table_html(self) -> str:
        columns = self.columns()
        rows = [[r.index, r.status, *(r.values.get(n) for n in self.names),
                 *(r.metrics.get(k) for k in columns)] for r in self.rows]
        best = self.best()
        muted = {i: "muted" for i, r in enumerate(self.rows) if r.status in ("FAILED", "KILLED", "PRUNED")}
        marks = {i: "best" for i in [best] if i is not None}
        if not rows:
            return '<div style="color:var(--jp-ui-font-color2);">waiting for the first child run</div>'
        return html_table(["#", "status", *self.names, *columns], rows,
                          row_marks={**muted, **marks}, css_class="nbtrack-sweep")

    def _parallel_svg(self) -> str:
        key = self.metric or next(iter(self.columns()), None)
        if len(self.rows) < 2 or key is None:
            return ""
        varying = [n for n in self.names if len({repr(r.values.get(n)) for r in self.rows}) > 1]
        axes = [Axis(n, [_axis_value(r.values.get(n)) for r in self.rows])
                for n in (varying or self.names)[:MAX_PARALLEL_AXES]]
        axes.append(Axis(key, [r.metrics.get(key) for r in self.rows]))
        labels = [f"#{r.index} {r.name}" for r in self.rows]
        return parallel_coordinates_svg(axes, labels, title=f"Settings vs {key}")

    # -- static twin -------------------------------------------------------------------------
    def _title(self) -> str:
        return self.title

    def static_html(self) -> str:
        return self.table.value + (f"<div>{self.chart.value}</div>" if self.chart.value else "")

    def static_svg(self) -> str | None:
        return None


def _axis_value(value: Any) -> Any:
    """Numbers stay numbers on an axis (numpy scalars included); anything else becomes text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) and not isinstance(value, str) else str(value)
