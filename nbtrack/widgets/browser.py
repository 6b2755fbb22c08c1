"""ExperimentBrowser: pick an experiment, filter, sort, page through its runs, compare some.

Each row of the page has a checkbox: checked runs (kept across pages) are what Compare
compares. The rows are laid out with fixed column widths, long text cut with an ellipsis and
whole in the cell's title, and the table scrolls sideways inside the panel when wider than it.

State lives in traits (``experiment_id``, ``filter_string``, ``sort_by``, ``descending``,
``page``, ``page_size``, ``extra_columns``, ``selected_run_ids``), each linked to its control,
so a test or a user can drive the panel from Python as well as by clicking. Runs are fetched
once per experiment/filter/refresh, then sorted and paged in Python; only one page (at most
200 rows) is rendered.
"""
from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import ipywidgets as w
from traitlets import Bool, Int, Tuple, Unicode, validate

from .. import _validation as v
from ..client import TrackingClient
from ..entities import Experiment, Run, ViewType
from ..errors import ExperimentNotFoundError, InvalidFilterError, InvalidParameterError
from ..search.paging import all_pages
from ._base import PanelBase, guarded, resolve_client
from .run_table import BASE_COLUMNS, MAX_PAGE_SIZE, RunTable, columns_for
from .static import error_html, escape

__all__ = ["ExperimentBrowser"]

PAGE_SIZES = (10, 25, 50, 100, 200)
_CHECK_WIDTH = "30px"
DEFAULT_COLUMNS_PER_KIND = 4
_SEARCH_PAGE = 50_000


def _filter_error_html(exc: InvalidFilterError) -> str:
    """The parse error with a caret under the offending position (all escaped)."""
    text = exc.text or ""
    caret = " " * max(0, min(exc.position, len(text))) + "^"
    return error_html(f"{exc}\n  {text}\n  {caret}")


def _pick_experiment(experiments: list[Experiment], wanted: str | None) -> Experiment:
    """``wanted`` by id or name; None means the newest active experiment."""
    if wanted is None:
        return max(experiments, key=lambda e: (e.creation_time or 0, e.experiment_id))
    for exp in experiments:
        if exp.experiment_id == wanted:
            return exp
    for exp in experiments:
        if exp.name == wanted:
            return exp
    names = ", ".join(repr(e.name) for e in experiments[:10])
    raise ExperimentNotFoundError(f"No active experiment with id or name {wanted!r} (experiments: {names})")


class ExperimentBrowser(PanelBase):
    """Runs of one experiment as a sortable, paged table, with a filter box and Compare."""

    experiment_id = Unicode("", help="Id of the experiment shown.")
    filter_string = Unicode("", help="Search filter (MLflow grammar plus OR and parentheses).")
    sort_by = Unicode("start", help="Column key the table is sorted by.")
    descending = Bool(True, help="Sort from the largest value down.")
    page = Int(0, help="0-based page shown.")
    page_size = Int(50, help=f"Rows per page, 1 to {MAX_PAGE_SIZE}.")
    extra_columns = Tuple(help="params.<key> / metrics.<key> columns shown after the base ones.")
    selected_run_ids = Tuple(help="Ids of the runs selected for comparison (kept across pages).")

    def __init__(self, client: TrackingClient | None = None, experiment: str | None = None,
                 *, page_size: int = 50):
        super().__init__()
        self._client = resolve_client(client)
        self._table = RunTable([], columns_for([], []))
        self._all_columns: list[str] = []
        self._quiet = False
        self.comparison: Any = None
        self._build_controls()
        self.page_size = page_size
        experiments = self._active_experiments()
        exp = _pick_experiment(experiments, None if experiment is None else str(experiment))
        self._set_experiment_options(experiments)
        self.experiment_id = exp.experiment_id  # observer loads the runs

    @validate("page_size")
    def _check_page_size(self, proposal: dict[str, Any]) -> int:
        size = proposal["value"]
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidParameterError(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {size!r}")
        return size

    # -- building --------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.experiment_picker = w.Dropdown(description="Experiment", options=[])
        self.filter_box = w.Text(description="Filter", continuous_update=False,
                                 placeholder="metrics.acc > 0.9 AND params.model = 'rf'",
                                 layout=w.Layout(width="60%"))
        self.filter_error = w.HTML(value="")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.column_picker = w.SelectMultiple(description="Columns", options=[], rows=4)
        self.sort_picker = w.Dropdown(description="Sort by", options=list(BASE_COLUMNS), value="start")
        self.order_picker = w.ToggleButtons(options=[("desc", True), ("asc", False)], value=True,
                                            style={"button_width": "64px"})
        self.prev_button = w.Button(description="Prev", icon="arrow-left")
        self.next_button = w.Button(description="Next", icon="arrow-right")
        self.page_label = w.HTML(value="")
        self.page_size_picker = w.Dropdown(description="Rows", options=list(PAGE_SIZES), value=50,
                                           layout=w.Layout(width="140px"))
        self.table = w.HTML(value="")  # the whole page as one table: the static twin's
        self.table_head = w.HTML(value="", layout=w.Layout(margin="0"))
        self.rows_box = w.VBox(layout=w.Layout(width="max-content"))
        self.row_checks: dict[str, w.Checkbox] = {}
        self._row_views: dict[str, w.HTML] = {}
        self._widths: list[int] = []
        self.compare_button = w.Button(description="Compare", icon="columns",
                                       tooltip="Compare the runs checked in the table")
        self.compare_box = w.VBox()
        self._wire_controls()
        self._set_body(
            w.HBox([self.experiment_picker, self.refresh_button]),
            w.HBox([self.filter_box]), self.filter_error,
            w.HBox([self.column_picker, w.VBox([self.sort_picker, self.order_picker])]),
            w.HBox([self.prev_button, self.next_button, self.page_size_picker, self.page_label]),
            w.VBox([w.HBox([w.HTML(layout=w.Layout(width=_CHECK_WIDTH, margin="0")), self.table_head],
                           layout=w.Layout(width="max-content")), self.rows_box],
                   layout=w.Layout(overflow="auto", max_width="100%")),
            self.compare_button,
            self.compare_box,
        )

    def _wire_controls(self) -> None:
        """Link controls to traits and route clicks and picks to the (guarded) callbacks."""
        for control, trait in [(self.filter_box, "filter_string"), (self.sort_picker, "sort_by"),
                               (self.order_picker, "descending")]:
            w.link((control, "value"), (self, trait))
        self.experiment_picker.observe(self._on_pick_experiment, "value")
        self.column_picker.observe(self._on_pick_columns, "value")
        self.page_size_picker.observe(self._on_pick_page_size, "value")
        self.refresh_button.on_click(self._on_refresh)
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)
        self.compare_button.on_click(self._on_compare)
        self.observe(self._on_query, ["experiment_id", "filter_string"])
        self.observe(self._on_sort, ["sort_by", "descending", "extra_columns"])
        self.observe(self._on_page, ["page", "page_size"])

    def _active_experiments(self) -> list[Experiment]:
        experiments = self._client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=50_000)
        if not experiments:
            raise ExperimentNotFoundError("The store has no active experiment to browse")
        return list(experiments)

    def _set_experiment_options(self, experiments: list[Experiment]) -> None:
        options = [(f"{e.name} ({e.experiment_id})", e.experiment_id) for e in experiments]
        with self._quietly():
            self.experiment_picker.options = options
            if any(value == self.experiment_id for _, value in options):
                self.experiment_picker.value = self.experiment_id

    # -- loading ---------------------------------------------------------------------------
    def _fetch_runs(self) -> list[Run]:
        return list(all_pages(self._client.search_runs, experiment_ids=[self.experiment_id],
                              filter_string=self.filter_string, max_results=_SEARCH_PAGE))

    def reload(self) -> None:
        """Fetch the runs again (experiment, filter, stale state) and redraw the table.

        A filter that does not parse is shown under the filter box; the table keeps the last
        good result.
        """
        try:
            runs = self._fetch_runs()
        except InvalidFilterError as exc:
            self.filter_error.value = _filter_error_html(exc)
            self.mark_changed()
            return
        self.filter_error.value = ""
        stale = self._client.find_stale_runs([self.experiment_id])
        self._offer_columns(runs)
        self._table = RunTable(runs, columns_for(*self._split_columns()), stale, v.now_ms())
        self._resort()

    def _offer_columns(self, runs: list[Run]) -> None:
        """Offer every param/metric key as a column; default to the most common ones."""
        params = Counter(k for r in runs for k in r.data.params)
        metrics = Counter(k for r in runs for k in r.data.metrics)
        offered = [f"params.{k}" for k in sorted(params)] + [f"metrics.{k}" for k in sorted(metrics)]
        chosen = [c for c in self.extra_columns if c in offered]
        if not chosen:
            chosen = [f"params.{k}" for k, _ in params.most_common(DEFAULT_COLUMNS_PER_KIND)]
            chosen += [f"metrics.{k}" for k, _ in metrics.most_common(DEFAULT_COLUMNS_PER_KIND)]
        self._all_columns = offered
        self._show_columns(tuple(chosen))

    def _show_columns(self, chosen: tuple[str, ...]) -> None:
        """Set the extra columns and the controls that list them, without re-rendering."""
        sort_by = self.sort_by if self.sort_by in (*BASE_COLUMNS, *chosen) else "start"
        with self._quietly():
            self.column_picker.options = self._all_columns
            self.column_picker.value = tuple(c for c in chosen if c in self._all_columns)
            self.extra_columns = chosen
            self.sort_picker.options = [*BASE_COLUMNS, *chosen]
            self.sort_picker.value = sort_by
            self.sort_by = sort_by

    def _split_columns(self) -> tuple[list[str], list[str]]:
        params = [c.partition(".")[2] for c in self.extra_columns if c.startswith("params.")]
        metrics = [c.partition(".")[2] for c in self.extra_columns if c.startswith("metrics.")]
        return params, metrics

    def _resort(self) -> None:
        self._table.sort(self.sort_by, self.descending)
        with self._quietly():
            self.page = 0
        self.render()

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change linked traits without each change re-sorting or re-rendering the table."""
        outer, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = outer

    # -- rendering -------------------------------------------------------------------------
    @property
    def run_count(self) -> int:
        """Runs matching the current experiment and filter."""
        return len(self._table)

    @property
    def page_count(self) -> int:
        return self._table.page_count(self.page_size)

    def page_runs(self) -> list[Run]:
        """Runs on the current page, in table order."""
        return self._table.page(self.page, self.page_size)

    def render(self) -> None:
        """Redraw the current page (table, page label, selection list, buttons)."""
        if self.page >= self.page_count:
            with self._quietly():
                self.page = self.page_count - 1
        runs = self.page_runs()
        self.table.value = self._table.render(runs, self.selected_run_ids)
        self._render_rows(runs)
        first = self.page * self.page_size + 1 if runs else 0
        self.page_label.value = escape(
            f"rows {first}-{first + len(runs) - 1 if runs else 0} of {len(self._table)} "
            f"- page {self.page + 1}/{self.page_count}"
        )
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= self.page_count - 1
        self.compare_button.description = f"Compare ({len(self.selected_run_ids)})"
        self.mark_changed()

    def _render_rows(self, runs: list[Run]) -> None:
        """One checkbox and one fixed-width row per run of the page, under a matching header."""
        self._widths = self._table.widths(runs)
        self.table_head.value = self._table.render_head(self._widths)
        for check in self.row_checks.values():
            check.close()
        for view in self._row_views.values():
            view.close()
        self.row_checks, self._row_views, rows = {}, {}, []
        for run in runs:
            run_id, chosen = run.info.run_id, run.info.run_id in self.selected_run_ids
            check = w.Checkbox(value=chosen, indent=False, description="",
                               tooltip=f"Select {run.info.run_name} ({run_id[:8]}) for Compare",
                               layout=w.Layout(width=_CHECK_WIDTH, margin="0"))
            check.observe(functools.partial(self._on_check, run_id), "value")
            view = w.HTML(value=self._table.render_row(run, self._widths, chosen),
                          layout=w.Layout(margin="0"))
            self.row_checks[run_id], self._row_views[run_id] = check, view
            rows.append(w.HBox([check, view], layout=w.Layout(width="max-content", align_items="center")))
        self.rows_box.children = rows

    def select_runs(self, run_ids: Any) -> None:
        """Check exactly these runs (ids; those on other pages stay checked too)."""
        self.selected_run_ids = tuple(dict.fromkeys(run_ids))
        self.render()

    # -- callbacks -------------------------------------------------------------------------
    @guarded
    def _on_pick_experiment(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"] is not None:
            self.experiment_id = change["new"]

    @guarded
    def _on_query(self, change: dict[str, Any]) -> None:
        if change["name"] == "experiment_id":
            with self._quietly():
                self.experiment_picker.value = self.experiment_id
                self.selected_run_ids = ()
                self.extra_columns = ()
        self.reload()

    @guarded
    def _on_sort(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["name"] == "extra_columns":
            self._show_columns(tuple(self.extra_columns))
            self._table = RunTable(self._table.runs, columns_for(*self._split_columns()),
                                   self._table.stale, v.now_ms())
        self._resort()

    @guarded
    def _on_page(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["name"] == "page_size" and self.page_size in PAGE_SIZES:
            with self._quietly():
                self.page_size_picker.value = self.page_size
        self.render()

    @guarded
    def _on_pick_columns(self, change: dict[str, Any]) -> None:
        if not self._quiet and tuple(change["new"]) != self.extra_columns:
            self.extra_columns = tuple(change["new"])

    @guarded
    def _on_pick_page_size(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.page_size = int(change["new"])

    @guarded
    def _on_check(self, run_id: str, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        keep = [i for i in self.selected_run_ids if i != run_id]
        self.selected_run_ids = (*keep, run_id) if change["new"] else tuple(keep)
        run = next((r for r in self.page_runs() if r.info.run_id == run_id), None)
        if run is not None and run_id in self._row_views:
            self._row_views[run_id].value = self._table.render_row(run, self._widths, bool(change["new"]))
        self.table.value = self._table.render(self.page_runs(), self.selected_run_ids)
        self.compare_button.description = f"Compare ({len(self.selected_run_ids)})"
        self.mark_changed()

    @guarded
    def _on_refresh(self, _: Any = None) -> None:
        self._set_experiment_options(self._active_experiments())
        self.reload()
        self.show_message(f"Refreshed: {len(self._table)} runs")

    @guarded
    def _on_prev(self, _: Any = None) -> None:
        self.page = max(0, self.page - 1)

    @guarded
    def _on_next(self, _: Any = None) -> None:
        self.page = min(self.page_count - 1, self.page + 1)

    @guarded
    def _on_compare(self, _: Any = None) -> None:
        if len(self.selected_run_ids) < 2:
            self.show_message("Select at least two runs to compare.")
            return
        from .comparison import RunComparison

        comparison = RunComparison(list(self.selected_run_ids), client=self._client)
        if self.comparison is not None:
            self.comparison.close()
        self.comparison = comparison
        self.compare_box.children = (comparison,)
        self.show_message("")

    # -- static twin -------------------------------------------------------------------------
    def _title(self) -> str:
        name = dict((v_, k) for k, v_ in self.experiment_picker.options).get(self.experiment_id, "")
        return f"Experiment {name}"

    def static_html(self) -> str:
        info = f'<div style="color:var(--jp-ui-font-color1);">{self.page_label.value}'
        if self.filter_string:
            info += f" - filter: <code>{escape(self.filter_string)}</code>"
        info += f" - sorted by {escape(self.sort_by)} {'desc' if self.descending else 'asc'}</div>"
        body = info + self.filter_error.value + self.table.value
        if self.comparison is not None:
            body += self.comparison.static_html()
        return body
