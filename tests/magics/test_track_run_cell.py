"""%%track_run on a real InteractiveShell: every outcome, every option, bad arguments."""
from __future__ import annotations

import sys

import pytest
from IPython.core.error import UsageError

import nbtrack
from nbtrack._validation import MAX_TAG_VALUE_LENGTH
from nbtrack.entities import RunStatus

from .conftest import all_runs, artifact_text

TRAIN = """\
import nbtrack
for step in range(5):
    nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
result_value = 42
"""


def only_run(client):
    runs = all_runs(client)
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return runs[0]


# -- success ------------------------------------------------------------------------------------
def test_success_records_a_finished_run_with_everything(ip, client, capsys, tmp_path):
    ip.user_ns["lr"] = 0.01
    result = ip.run_cell(f"%%track_run first -t model=cnn -p lr\n{TRAIN}", store_history=True)
    assert result.success
    run = only_run(client)
    assert run.info.run_name == "first" and run.info.status == RunStatus.FINISHED
    assert run.info.end_time >= run.info.start_time
    assert run.data.params == {"lr": "0.01"}
    assert run.data.metrics["loss"] == pytest.approx(0.2)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == [0, 1, 2, 3, 4]
    tags = run.data.tags
    assert tags["model"] == "cnn"
    assert tags["nbtrack.cell_source"] == TRAIN
    assert tags["nbtrack.execution_count"] == str(result.execution_count)
    assert tags["nbtrack.python"] == ".".join(map(str, sys.version_info[:3]))
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert float(tags["nbtrack.duration_s"]) >= 0
    assert tags["nbtrack.user"] == tags["mlflow.user"] and tags["nbtrack.host"]
    assert "nbtrack.error" not in tags
    assert artifact_text(client, run.info.run_id, "cell.py", tmp_path) == TRAIN
    assert '"python"' in artifact_text(client, run.info.run_id, "environment.json", tmp_path)
    assert ip.user_ns["result_value"] == 42  # the body ran in the notebook namespace
    assert nbtrack.active_run() is None
    out = capsys.readouterr().out
    assert f"nbtrack run 'first' ({run.info.run_id})" in out and "FINISHED" in out
    assert "loss=0.2" in out


def test_rerunning_the_cell_makes_a_new_run(ip, client):
    for _ in range(2):
        assert ip.run_cell("%%track_run again\nx = 1").success
    runs = all_runs(client)
    assert len(runs) == 2 and runs[0].info.run_id != runs[1].info.run_id
    assert {r.info.status for r in runs} == {RunStatus.FINISHED}


def test_unnamed_run_gets_a_generated_name(ip, client):
    assert ip.run_cell("%%track_run\npass").success
    assert only_run(client).info.run_name


def test_quoted_names_are_unquoted(ip, client):
    assert ip.run_cell('%%track_run "my run" -e "my exp" -t note="a b"\npass').success
    run = only_run(client)
    assert run.info.run_name == "my run" and run.data.tags["note"] == "a b"
    assert client.get_experiment(run.info.experiment_id).name == "my exp"


def test_experiment_option_creates_or_reuses_the_experiment(ip, client):
    assert ip.run_cell("%%track_run a -e vision\npass").success
    assert ip.run_cell("%%track_run b -e vision\npass").success
    exp = client.get_experiment_by_name("vision")
    runs = client.search_runs([exp.experiment_id])
    assert {r.info.run_name for r in runs} == {"a", "b"}


def test_params_from_several_variables(ip, client):
    ip.user_ns.update(lr=0.1, layers=[64, 32], name="adam")
    assert ip.run_cell("%%track_run -p lr,layers -p name\npass").success
    assert only_run(client).data.params == {"lr": "0.1", "layers": "[64, 32]", "name": "adam"}


def test_body_behaves_like_a_plain_cell(ip, client, capsys):
    body = (
        "%log_params batch=32\n"
        "%set_tags stage=dev\n"
        "from IPython.display import display\n"
        "display('shown-by-display')\n"
        "!echo from-a-shell-command\n"
        "import asyncio\n"
        "await asyncio.sleep(0)\n"
        "'last-expression-value'\n"
    )
    assert ip.run_cell("%%track_run plain\n" + body).success
    run = only_run(client)
    assert run.data.params == {"batch": "32"} and run.data.tags["stage"] == "dev"
    out = capsys.readouterr().out
    assert "shown-by-display" in out and "last-expression-value" in out
    assert "from-a-shell-command" in out


def test_a_body_that_awaits_runs_as_an_awaited_cell(ip, client):
    cell = "%%track_run waiting -t k=v\nimport asyncio\nawait asyncio.sleep(0)\nawaited = 1\n"
    assert ip.transform_cell(cell).startswith("await get_ipython()")
    assert ip.transform_cell("%%track_run plain\nx = 1\n").startswith("get_ipython().run_cell_magic")
    assert ip.run_cell(cell).success and ip.user_ns["awaited"] == 1
    [run] = all_runs(client)
    assert run.info.status == RunStatus.FINISHED and run.data.tags["k"] == "v"


def test_a_failing_awaiting_body_fails_run_and_cell(ip, client):
    result = ip.run_cell("%%track_run waiting\nimport asyncio\nawait asyncio.sleep(0)\n1/0\n")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert all_runs(client)[0].info.status == RunStatus.FAILED


def test_an_awaiting_body_with_bad_arguments_is_a_usage_error(ip, client):
    result = ip.run_cell("%%track_run -t nope\nimport asyncio\nawait asyncio.sleep(0)\n")
    assert isinstance(result.error_in_exec, UsageError) and all_runs(client) == []


def test_no_capture_records_only_the_run(ip, client, tmp_path):
    assert ip.run_cell("%%track_run bare --no-capture\nx = 1").success
    run = only_run(client)
    assert not any(k.startswith("nbtrack.cell") or k == "nbtrack.python" for k in run.data.tags)
    assert "nbtrack.duration_s" in run.data.tags
    assert client.list_artifacts(run.info.run_id) == []


def test_notebook_path_and_git_state_come_from_the_notebook_folder(ip, client, tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "proj"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(repo / "train.ipynb"))
    assert ip.run_cell("%%track_run located\npass").success
    tags = only_run(client).data.tags
    assert tags["nbtrack.notebook"] == tags["mlflow.source.name"] == str(repo / "train.ipynb")
    assert tags["nbtrack.git.branch"] == "main" and tags["nbtrack.git.dirty"] == "false"


def test_a_failing_capture_warns_and_the_run_still_finishes(ip, client, tmp_path, monkeypatch):
    from nbtrack import capture

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text("#!/bin/sh\nexec sleep 30\n")
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setattr(capture, "GIT_TIMEOUT_S", 0.3)
    monkeypatch.setattr(capture, "_WARNED", set())
    with pytest.warns(capture.CaptureWarning, match="git state"):
        assert ip.run_cell("%%track_run robust\nx = 1").success
    run = only_run(client)
    assert run.info.status == RunStatus.FINISHED and "nbtrack.python" in run.data.tags


# -- failure ------------------------------------------------------------------------------------
def test_exception_fails_run_and_cell_with_the_original_error(ip, client, capsys, tmp_path):
    result = ip.run_cell("%%track_run broken\nx = 1\nraise ValueError('boom 42')")
    assert not result.success
    assert isinstance(result.error_in_exec, ValueError) and str(result.error_in_exec) == "boom 42"
    run = only_run(client)
    assert run.info.status == RunStatus.FAILED and run.info.end_time is not None
    assert "ValueError: boom 42" in run.data.tags["nbtrack.error"]
    assert "raise ValueError('boom 42')" in run.data.tags["nbtrack.error"]
    text = artifact_text(client, run.info.run_id, "error.txt", tmp_path)
    assert text.startswith("Traceback") and "ValueError: boom 42" in text
    assert "interactiveshell.py" not in text
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("boom 42") >= 1  # the user saw the traceback
    assert nbtrack.active_run() is None


def test_next_cell_runs_normally_after_a_failure(ip, client):
    assert not ip.run_cell("%%track_run broken\n1/0").success
    after = ip.run_cell("y = 5")
    assert after.success and ip.user_ns["y"] == 5
    assert only_run(client).info.status == RunStatus.FAILED


def test_huge_traceback_is_truncated_in_the_tag_but_whole_in_the_artifact(ip, client, tmp_path):
    assert not ip.run_cell("%%track_run long\nraise RuntimeError('x' * 20000)").success
    run = only_run(client)
    assert len(run.data.tags["nbtrack.error"]) <= MAX_TAG_VALUE_LENGTH
    assert "x" * 20000 in artifact_text(client, run.info.run_id, "error.txt", tmp_path)


def test_syntax_error_in_body_is_a_failed_run(ip, client):
    result = ip.run_cell("%%track_run typo\nfor i in range(3)\n    pass")
    assert not result.success and isinstance(result.error_in_exec, SyntaxError)
    run = only_run(client)
    assert run.info.status == RunStatus.FAILED and "SyntaxError" in run.data.tags["nbtrack.error"]


def test_keyboard_interrupt_kills_the_run(ip, client):
    result = ip.run_cell("%%track_run stopped\nimport nbtrack\nnbtrack.log_metric('m', 1)\n"
                         "raise KeyboardInterrupt")
    assert not result.success and isinstance(result.error_in_exec, KeyboardInterrupt)
    run = only_run(client)
    assert run.info.status == RunStatus.KILLED and run.data.metrics == {"m": 1.0}
    assert "KeyboardInterrupt" in run.data.tags["nbtrack.error"]
    assert nbtrack.active_run() is None


@pytest.mark.filterwarnings("ignore:To exit")
def test_system_exit_in_body_fails_the_run(ip, client):
    assert not ip.run_cell("%%track_run exiting\nraise SystemExit(3)").success
    assert only_run(client).info.status == RunStatus.FAILED


def test_called_directly_a_failing_body_still_ends_the_run(ip, client):
    ip.run_cell_magic("track_run", "direct", "raise ValueError('direct')")
    run = only_run(client)
    assert run.info.status == RunStatus.FAILED and nbtrack.active_run() is None


def test_runs_the_body_left_open_are_closed_too(ip, client):
    body = "import nbtrack\nnbtrack.start_run(run_name='inner', nested=True)\nraise ValueError('x')"
    assert not ip.run_cell("%%track_run outer\n" + body).success
    runs = {r.info.run_name: r for r in all_runs(client)}
    assert runs["outer"].info.status == runs["inner"].info.status == RunStatus.FAILED
    assert nbtrack.active_run() is None


def test_body_that_ends_its_own_run_is_fine(ip, client):
    assert ip.run_cell("%%track_run self_ended\nimport nbtrack\nnbtrack.end_run()").success
    assert only_run(client).info.status == RunStatus.FINISHED
    assert nbtrack.active_run() is None


# -- live ---------------------------------------------------------------------------------------
def test_live_without_the_widget_prints_a_metrics_summary(ip, client, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "nbtrack.widgets", None)  # import now raises ImportError
    assert ip.run_cell(f"%%track_run watched --live loss\n{TRAIN}").success
    out = capsys.readouterr().out
    assert "loss: 5 points, first 1, last 0.2, min 0.2, max 1" in out


def test_live_without_keys_summarises_every_metric(ip, client, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "nbtrack.widgets", None)
    body = "import nbtrack\nnbtrack.log_metrics({'a': 1, 'b': 2})"
    assert ip.run_cell(f"%%track_run watched --live\n{body}").success
    out = capsys.readouterr().out
    assert "a: 1 points" in out and "b: 1 points" in out


def test_live_summary_names_metrics_that_never_came(ip, client, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "nbtrack.widgets", None)
    assert ip.run_cell("%%track_run quiet --live acc,loss\npass").success
    out = capsys.readouterr().out
    assert "acc: no points" in out and "loss: no points" in out
    assert ip.run_cell("%%track_run silent --live\npass").success
    assert "Metrics:\n  (none logged)" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::DeprecationWarning:bqscales")
def test_live_with_the_widget_follows_the_run_and_is_finalized(ip, client, capsys):
    from ipywidgets.widgets.widget import _instances  # every live widget, by model id

    from nbtrack.widgets import LiveCurves

    assert ip.run_cell(f"%%track_run watched --live loss\n{TRAIN}").success
    run_id = all_runs(client)[0].info.run_id
    [live] = [w for w in _instances.values() if isinstance(w, LiveCurves) and w.run_id == run_id]
    assert live.finalized and live.point_count("loss") == 5
    assert "<LiveCurves: static view>" in capsys.readouterr().out
    live.close()


# -- nesting ------------------------------------------------------------------------------------
def test_nested_cell_run_sits_under_the_line_run(ip, client):
    ip.run_line_magic("track_run", "parent")
    parent = nbtrack.active_run().info.run_id
    assert ip.run_cell("%%track_run child --nested\npass").success
    assert nbtrack.active_run().info.run_id == parent  # the line run is still open
    ip.run_line_magic("track_run", "--end")
    runs = {r.info.run_name: r for r in all_runs(client)}
    assert runs["child"].data.tags.get("mlflow.parentRunId") == parent
    assert runs["child"].info.status == runs["parent"].info.status == RunStatus.FINISHED


def test_a_cell_run_while_another_run_is_active_needs_nested(ip, client):
    ip.run_line_magic("track_run", "parent")
    with pytest.raises(UsageError, match="still active.*--nested"):
        ip.run_cell_magic("track_run", "child", "pass")
    assert [r.info.run_name for r in all_runs(client)] == ["parent"]
    ip.run_line_magic("track_run", "--end")


# -- bad arguments: UsageError, no run ----------------------------------------------------------
@pytest.mark.parametrize(
    "line, message",
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("-t novalue", "-t must be KEY=VALUE, got 'novalue'"),
        ("-t =x", "-t must be KEY=VALUE, got '=x'"),
        ("-t 'bad key!'=1", "Invalid tag key"),
        ("-p not_defined_anywhere", "variable 'not_defined_anywhere' is not defined"),
        ("--end", "--end only ends a run opened by the line form"),
        ("a b", "unrecognized arguments: b"),
        ("-e", "expected one argument"),
    ],
)
def test_bad_arguments_raise_usage_error_and_start_nothing(ip, client, line, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        ip.run_cell_magic("track_run", line, "x = 1")
    assert all_runs(client) == []
    assert "x" not in ip.user_ns  # the body did not run


def test_bad_arguments_fail_the_cell_without_a_traceback(ip, client, capsys):
    result = ip.run_cell("%%track_run -t oops\nx = 1")
    assert not result.success and isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert "UsageError: -t must be KEY=VALUE" in err and "Traceback" not in err


def test_param_too_long_is_refused_before_the_run(ip, client):
    ip.user_ns["blob"] = "z" * 7000
    with pytest.raises(UsageError, match="Param 'blob' value is 7000 characters"):
        ip.run_cell_magic("track_run", "-p blob", "pass")
    assert all_runs(client) == []
