"""The ExperimentBrowser's table model: sorting with missing values last, paging, rendering."""
from __future__ import annotations

import math

import pytest

from nbtrack.entities import Run, RunData, RunInfo
from nbtrack.errors import InvalidParameterError
from nbtrack.widgets.run_table import MAX_PAGE_SIZE, RunTable, columns_for

from .svgparse import elements, table_rows


def _run(i: int, status: str = "FINISHED", **data) -> Run:
    info = RunInfo(run_id=f"id{i:04d}", run_name=data.pop("name", f"run-{i}"), experiment_id="1",
                   status=status, start_time=1_000 * i, end_time=None if status == "RUNNING" else 1_000 * i + 500,
                   lifecycle_stage="active", artifact_uri="")
    return Run(info, RunData(params=data.get("params", {}), metrics=data.get("metrics", {})))


def _names(runs):
    return [r.info.run_name for r in runs]


def test_sort_by_metric_puts_missing_and_nan_last_in_both_directions():
    runs = [_run(0, metrics={"acc": 0.5}), _run(1), _run(2, metrics={"acc": 0.9}),
            _run(3, metrics={"acc": math.nan})]
    table = RunTable(runs, columns_for([], ["acc"]))
    table.sort("metrics.acc")
    assert _names(table.runs) == ["run-0", "run-2", "run-1", "run-3"]
    table.sort("metrics.acc", descending=True)
    assert _names(table.runs) == ["run-2", "run-0", "run-1", "run-3"]


def test_numeric_params_sort_as_numbers_text_after_numbers():
    runs = [_run(i, params={"lr": v}) for i, v in enumerate(["0.1", "10", "2", "auto"])]
    table = RunTable(runs, columns_for(["lr"], []))
    table.sort("params.lr")
    assert [r.data.params["lr"] for r in table.runs] == ["0.1", "2", "10", "auto"]


def test_sort_by_every_base_column():
    runs = [_run(2, name="b"), _run(1, name="c", status="RUNNING"), _run(3, name="a")]
    table = RunTable(runs, columns_for([], []), now_ms=10_000)
    table.sort("name")
    assert _names(table.runs) == ["a", "b", "c"]
    table.sort("start", descending=True)
    assert _names(table.runs) == ["a", "b", "c"]
    table.sort("duration", descending=True)
    assert _names(table.runs)[0] == "c"  # still running: 9 s so far
    table.sort("status")
    assert [r.info.status for r in table.runs] == ["FINISHED", "FINISHED", "RUNNING"]


def test_unknown_column_is_rejected():
    with pytest.raises(InvalidParameterError, match="Unknown column 'bogus'"):
        RunTable([], columns_for([], [])).sort("bogus")


def test_pages_cover_every_run_once_and_clamp():
    runs = [_run(i) for i in range(450)]
    table = RunTable(runs, columns_for([], []))
    assert table.page_count(200) == 3
    pages = [table.page(i, 200) for i in range(3)]
    assert [len(p) for p in pages] == [200, 200, 50]
    assert len({r.info.run_id for p in pages for r in p}) == 450
    assert table.page(99, 200) == pages[-1]
    assert table.page(-1, 200) == pages[0]
    assert RunTable([], columns_for([], [])).page_count(50) == 1


@pytest.mark.parametrize("size", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_size_limits(size):
    with pytest.raises(InvalidParameterError, match="page_size must be 1 to 200"):
        RunTable([_run(0)], columns_for([], [])).page(0, size)


def test_render_marks_stale_and_selected_and_escapes():
    runs = [_run(0, name="<script>x</script>", params={"p": "<b>"}), _run(1, status="RUNNING"), _run(2)]
    table = RunTable(runs, columns_for(["p"], []), stale={"id0001"}, now_ms=5_000)
    out = table.render(runs, selected={"id0002"})
    assert "<script>" not in out and "<b>" not in out
    rows = table_rows(out)
    assert rows[0] == ["name", "status", "start", "duration", "run_id", "params.p"]
    assert rows[1][0] == "<script>x</script>" and rows[1][5] == "<b>"
    assert rows[2][1] == "RUNNING (stale)" and rows[2][3] == ""
    assert len(elements(out, "tr", "nbtrack-stale")) == 1
    assert len(elements(out, "tr", "nbtrack-selected")) == 1
