"""A successful, a failing and an interrupted %%track_run cell in a real kernel (nbclient)."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from .conftest import artifact_text, execute, notebook, output_text, runs_by_name

SETUP = "%load_ext nbtrack\nimport nbtrack\nlr = 0.05"
PROBE = "print('active after cell:', nbtrack.active_run())"
GOOD = """%%track_run good -p lr -t kind=ok
for step in range(3):
    nbtrack.log_metric("loss", 1.0 - 0.25 * step, step=step)
print("trained")"""
BAD = """%%track_run bad -p lr
nbtrack.log_metric("loss", 9.0)
raise ValueError("diverged at step 7")"""
# A real SIGINT through ipykernel's handler, as the interrupt button sends it.
INTERRUPTED = """%%track_run interrupted
import signal, time
nbtrack.log_metric("progress", 0.5)
signal.raise_signal(signal.SIGINT)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    pass"""
AWAITING = """%%track_run awaiting
import asyncio
await asyncio.sleep(0.01)
nbtrack.log_metric("awaited", 1)"""


def test_three_outcomes_leave_three_honest_runs(store_uri, client, tmp_path):
    nb = execute(notebook(SETUP, GOOD, PROBE, BAD, PROBE, INTERRUPTED, PROBE, AWAITING, PROBE),
                 tmp_path, allow_errors=True)
    runs = runs_by_name(client)
    assert set(runs) == {"good", "bad", "interrupted", "awaiting"}
    good, bad, stopped = runs["good"], runs["bad"], runs["interrupted"]

    assert good.info.status == "FINISHED" and good.data.params == {"lr": "0.05"}
    assert good.data.metrics == {"loss": 0.5} and good.data.tags["kind"] == "ok"
    assert good.data.tags["nbtrack.cell_source"].rstrip("\n") == GOOD.split("\n", 1)[1]
    assert good.data.tags["nbtrack.execution_count"] == str(nb.cells[1].execution_count)
    assert [m.step for m in client.get_metric_history(good.info.run_id, "loss")] == [0, 1, 2]

    assert bad.info.status == "FAILED" and bad.data.params == {"lr": "0.05"}
    assert bad.data.metrics == {"loss": 9.0}
    assert "ValueError: diverged at step 7" in bad.data.tags["nbtrack.error"]
    error_file = artifact_text(client, bad.info.run_id, "error.txt", tmp_path)
    assert 'raise ValueError("diverged at step 7")' in error_file

    assert stopped.info.status == "KILLED" and stopped.data.metrics == {"progress": 0.5}
    assert "KeyboardInterrupt" in stopped.data.tags["nbtrack.error"]
    assert runs["awaiting"].info.status == "FINISHED" and runs["awaiting"].data.metrics == {"awaited": 1}

    for index in (2, 4, 6, 8):
        assert output_text(nb.cells[index]).strip() == "active after cell: None"
    # the status line under the cell settled into the summary; the normal error output follows
    for index, ename, status in ((3, "ValueError", "FAILED"), (5, "KeyboardInterrupt", "KILLED")):
        kinds = [o.output_type for o in nb.cells[index].outputs]
        assert kinds[0] == "display_data" and "error" in kinds
        assert status in nb.cells[index].outputs[0].data["text/plain"]
        assert nb.cells[index].outputs[kinds.index("error")].ename == ename
    summary = nb.cells[1].outputs[0]
    assert "good" in summary.data["text/html"] and "FINISHED" in summary.data["text/plain"]


def test_failing_tracked_cell_stops_execution_like_a_plain_failing_cell(store_uri, client, tmp_path):
    after = "%%track_run never\nprint('should not run')"
    nb = notebook(SETUP, BAD, after)
    with pytest.raises(CellExecutionError) as info:
        execute(nb, tmp_path)
    assert "ValueError" in str(info.value) and "diverged at step 7" in str(info.value)
    assert set(runs_by_name(client)) == {"bad"}
    assert nb.cells[2].outputs == []


def test_nbconvert_exits_non_zero_on_a_failing_tracked_cell(store_uri, client, tmp_path):
    path = tmp_path / "failing.ipynb"
    nbformat.write(notebook(SETUP, GOOD, BAD, PROBE), path)
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.iopub_timeout=120", "--ExecutePreprocessor.raise_on_iopub_timeout=True",
         "--output", "out.ipynb", str(path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode != 0 and "CellExecutionError" in proc.stderr
    runs = runs_by_name(client)
    assert runs["good"].info.status == "FINISHED" and runs["bad"].info.status == "FAILED"


def test_line_form_spans_cells_in_a_kernel(store_uri, client, tmp_path):
    nb = execute(notebook(SETUP, "%track_run span", "x = 1", "y = x + 1", "%track_run --end", PROBE),
                 tmp_path)
    run = runs_by_name(client)["span"]
    files = sorted(f.path for f in client.list_artifacts(run.info.run_id, "cells"))
    counts = [nb.cells[i].execution_count for i in (2, 3)]
    assert run.info.status == "FINISHED" and files == [f"cells/{n}.py" for n in counts]
    assert "nbtrack run 'span'" in output_text(nb.cells[4])
    assert output_text(nb.cells[5]).strip() == "active after cell: None"
