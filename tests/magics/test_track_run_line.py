"""%track_run NAME ... %track_run --end: a run spanning cells."""
from __future__ import annotations

import pytest
from IPython.core.error import UsageError

import nbtrack
from nbtrack.entities import RunStatus

from .conftest import all_runs, artifact_text


def test_cells_run_meanwhile_are_added_to_the_run(ip, client, tmp_path, capsys):
    start = ip.run_cell("%track_run spanning -t phase=explore\nbase = 10", store_history=True)
    assert start.success
    first = ip.run_cell("a = base + 1", store_history=True)
    second = ip.run_cell("import nbtrack\nnbtrack.log_metric('acc', 0.5)", store_history=True)
    ip.run_cell("%track_run --end", store_history=True)
    [run] = all_runs(client)
    assert run.info.run_name == "spanning" and run.info.status == RunStatus.FINISHED
    assert run.data.tags["phase"] == "explore" and run.data.metrics == {"acc": 0.5}
    files = {f.path for f in client.list_artifacts(run.info.run_id, "cells")}
    assert files == {f"cells/{first.execution_count}.py", f"cells/{second.execution_count}.py"}
    assert artifact_text(client, run.info.run_id, f"cells/{first.execution_count}.py",
                         tmp_path) == "a = base + 1"
    # the opening cell is the run's cell.py
    assert artifact_text(client, run.info.run_id, "cell.py", tmp_path).startswith("%track_run")
    assert nbtrack.active_run() is None
    out = capsys.readouterr().out
    assert "is open" in out and f"nbtrack run 'spanning' ({run.info.run_id})" in out


def test_failing_cell_inside_a_span_keeps_the_run_open(ip, client):
    ip.run_line_magic("track_run", "span")
    assert not ip.run_cell("1/0", store_history=True).success
    assert nbtrack.active_run() is not None
    ip.run_line_magic("track_run", "--end")
    [run] = all_runs(client)
    assert run.info.status == RunStatus.FINISHED and len(client.list_artifacts(run.info.run_id, "cells")) == 1


def test_params_from_variables_and_experiment(ip, client):
    ip.user_ns["epochs"] = 3
    ip.run_line_magic("track_run", "span -p epochs -e longrun")
    ip.run_line_magic("track_run", "--end")
    [run] = all_runs(client)
    assert run.data.params == {"epochs": "3"}
    assert client.get_experiment(run.info.experiment_id).name == "longrun"


def test_end_without_an_open_run_is_a_usage_error(ip):
    with pytest.raises(UsageError, match="no run opened by `%track_run NAME` is open"):
        ip.run_line_magic("track_run", "--end")


def test_opening_twice_is_a_usage_error(ip, client):
    ip.run_line_magic("track_run", "one")
    with pytest.raises(UsageError, match="still open"):
        ip.run_line_magic("track_run", "two")
    ip.run_line_magic("track_run", "--end")
    assert [r.info.run_name for r in all_runs(client)] == ["one"]


def test_opening_while_a_python_run_is_active_is_a_usage_error(ip, client):
    nbtrack.start_run(run_name="by-hand")
    with pytest.raises(UsageError, match="'by-hand'.*still active"):
        ip.run_line_magic("track_run", "span")
    nbtrack.end_run()


@pytest.mark.parametrize(
    "line, message",
    [
        ("--end extra", "takes no other arguments"),
        ("--end -t a=b", "takes no other arguments"),
        ("--end --live", "takes no other arguments"),
        ("--end --live acc", "takes no other arguments"),
        ("--end --no-capture", "takes no other arguments"),
        ("span --live", "--live works with the cell form"),
        ("span -t nope", "-t must be KEY=VALUE"),
        ("span -p missing_var", "variable 'missing_var' is not defined"),
    ],
)
def test_bad_line_arguments(ip, client, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("track_run", line)
    assert all_runs(client) == []


def test_run_ended_by_python_code_is_still_closed_cleanly(ip, client):
    ip.run_line_magic("track_run", "span")
    nbtrack.end_run("KILLED")
    ip.run_line_magic("track_run", "--end")
    [run] = all_runs(client)
    assert run.info.status == RunStatus.KILLED  # what the user decided stays


def test_unloading_the_extension_ends_an_open_span(shell, store_uri, client):
    shell.run_line_magic("load_ext", "nbtrack")
    shell.run_line_magic("track_run", "dangling")
    shell.run_line_magic("unload_ext", "nbtrack")
    [run] = all_runs(client)
    assert run.info.status == RunStatus.FINISHED and nbtrack.active_run() is None
