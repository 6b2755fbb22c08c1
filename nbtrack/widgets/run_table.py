"""The ExperimentBrowser's table model: runs -> sortable, pageable rows (pure, no widgets).

Sorting and paging happen here in Python over plain tuples, so a 10,000-run experiment costs
one sort per change and the page rendered is at most ``MAX_PAGE_SIZE`` rows.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..entities import Run, RunStatus
from ..errors import InvalidParameterError
from .static import (
    SHORT_ID,
    format_duration,
    format_timestamp,
    format_value,
    html_table,
    short_id,
    status_badge,
)

__all__ = ["MAX_PAGE_SIZE", "BASE_COLUMNS", "Column", "RunTable", "columns_for"]

MAX_PAGE_SIZE = 200
#: Pixel widths a column may take (an average character is ~7 px at the tables' 12 px font).
MIN_WIDTH, MAX_WIDTH, CHAR_PX, PAD_PX = 48, 220, 7, 20
#: Columns every table has, before the chosen params and metrics.
BASE_COLUMNS = ("name", "status", "start", "duration", "run_id")


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` is ``name``/``status``/``start``/``duration``/``run_id`` or
    ``params.<key>`` / ``metrics.<key>``."""

    key: str

    @property
    def header(self) -> str:
        return self.key


def columns_for(params: Iterable[str], metrics: Iterable[str]) -> list[Column]:
    """The base columns followed by ``params.<k>`` and ``metrics.<k>`` columns."""
    keys = [*BASE_COLUMNS, *(f"params.{p}" for p in params), *(f"metrics.{m}" for m in metrics)]
    return [Column(k) for k in keys]


def _duration(run: Run, now_ms: int) -> int | None:
    info = run.info
    end = info.end_time if info.end_time is not None else (now_ms if info.status == RunStatus.RUNNING else None)
    return None if end is None or info.start_time is None else end - info.start_time


def _getter(column: Column, stale: set[str], now_ms: int) -> Callable[[Run], Any]:
    """Sort value of ``column`` for a run (None when the run lacks it)."""
    key = column.key
    if key == "name":
        return lambda r: r.info.run_name
    if key == "status":
        return lambda r: f"{r.info.status} (stale)" if r.info.run_id in stale else r.info.status
    if key == "start":
        return lambda r: r.info.start_time
    if key == "duration":
        return lambda r: None if r.info.run_id in stale else _duration(r, now_ms)
    if key == "run_id":
        return lambda r: r.info.run_id
    kind, _, name = key.partition(".")
    if kind == "params":
        return lambda r: r.data.params.get(name)
    if kind == "metrics":
        return lambda r: r.data.metrics.get(name)
    raise InvalidParameterError(f"Unknown column {key!r}: use {', '.join(BASE_COLUMNS)}, params.<key> or metrics.<key>")


def _sort_value(value: Any) -> tuple[int, Any] | None:
    """Numbers (params that parse as numbers too) before text; None for missing or NaN."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return (1, str(value))
    return None if math.isnan(number) else (0, number)


class RunTable:
    """Runs of one search, sorted by one column, cut into pages."""

    def __init__(self, runs: Sequence[Run], columns: Sequence[Column], stale: Iterable[str] = (),
                 now_ms: int = 0):
        self.columns = list(columns)
        self.stale = set(stale)
        self._now = now_ms
        self._runs = list(runs)
        self._getters = {c.key: _getter(c, self.stale, now_ms) for c in self.columns}

    def __len__(self) -> int:
        return len(self._runs)

    @property
    def runs(self) -> list[Run]:
        return self._runs

    def sort(self, column: str, descending: bool = False) -> None:
        """Sort in place by ``column``; runs lacking the value (or NaN) go last either way."""
        get = self._getters.get(column) or _getter(Column(column), self.stale, self._now)
        keyed = [(r, _sort_value(get(r))) for r in self._runs]
        present = [(r, k) for r, k in keyed if k is not None]
        present.sort(key=lambda rk: rk[1], reverse=descending)
        self._runs = [r for r, _ in present] + [r for r, k in keyed if k is None]

    def page_count(self, page_size: int) -> int:
        return max(1, math.ceil(len(self._runs) / page_size))

    def page(self, index: int, page_size: int) -> list[Run]:
        """Runs on page ``index`` (0-based, clamped to the last page)."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidParameterError(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
        index = min(max(index, 0), self.page_count(page_size) - 1)
        return self._runs[index * page_size : (index + 1) * page_size]

    def cells(self, run: Run) -> list[Any]:
        """Display values of a run's row: short id (full id in its title), status with its
        colour bar, times formatted; the rest is left to html_table."""
        out = []
        for column in self.columns:
            value = self._getters[column.key](run)
            if column.key == "run_id":
                value = short_id(value)
            elif column.key == "status":
                value = status_badge(run.info.status, run.info.run_id in self.stale)
            elif column.key == "start":
                value = format_timestamp(value)
            elif column.key == "duration":
                value = format_duration(value)
            out.append(value)
        return out

    def widths(self, runs: Sequence[Run]) -> list[int]:
        """Pixel width of each column: its longest text on these rows, within bounds."""
        out = []
        for column, header in zip(self.columns, (c.header for c in self.columns)):
            if column.key == "run_id":
                longest = SHORT_ID
            elif column.key in ("start", "status"):
                longest = 19
            else:
                get = self._getters[column.key]
                longest = max((len(format_value(get(r))) for r in runs), default=0)
                if column.key == "duration":
                    longest = max(longest, 8)
            chars = max(longest, len(header))
            out.append(min(max(chars * CHAR_PX + PAD_PX, MIN_WIDTH), MAX_WIDTH))
        return out

    def _row_mark(self, run: Run, chosen: set[str]) -> str | None:
        if run.info.run_id in self.stale:
            return "stale"
        return "selected" if run.info.run_id in chosen else None

    def render_head(self, widths: Sequence[int]) -> str:
        """The header alone, laid out in ``widths`` (rows rendered apart line up under it)."""
        return html_table([c.header for c in self.columns], [], widths=widths, css_class="nbtrack-runs-head")

    def render_row(self, run: Run, widths: Sequence[int], selected: bool = False) -> str:
        """One row alone, laid out in ``widths`` (beside its checkbox in the browser)."""
        mark = self._row_mark(run, {run.info.run_id} if selected else set())
        return html_table([c.header for c in self.columns], [self.cells(run)], head=False,
                          widths=widths, row_marks={0: mark} if mark else None,
                          css_class="nbtrack-runs-row")

    def render(self, runs: Sequence[Run], selected: Iterable[str] = (), caption: str | None = None) -> str:
        """HTML of the given rows (a page): stale runs marked red, selected runs blue."""
        chosen = set(selected)
        row_marks = {i: m for i, run in enumerate(runs) if (m := self._row_mark(run, chosen))}
        return html_table([c.header for c in self.columns], [self.cells(r) for r in runs],
                          row_marks=row_marks, caption=caption, css_class="nbtrack-runs")
