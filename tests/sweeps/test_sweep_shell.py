"""%%track_sweep in a real IPython shell on a TinyDB store: grid, random, Optuna, failures, interrupts."""
from __future__ import annotations

import json

import pytest

import nbtrack

from .conftest import all_runs, artifact_text

GRID = """%%track_sweep grid -e sweeps lr=[0.1, 0.01] depth=range(2, 4) --metric loss -t team=a
nbtrack.log_metric("loss", lr * depth)
"""


def _split(client):
    runs = all_runs(client)
    parents = [r for r in runs if "nbtrack.sweep" in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return parents, children


def _settings(children):
    return [(r.data.params["lr"], r.data.params["depth"])
            for r in sorted(children, key=lambda r: int(r.data.tags["nbtrack.sweep.index"]))]


def test_a_2x2_grid_gives_4_children_under_one_parent(ip, client):
    ip.run_cell("import nbtrack")
    result = ip.run_cell(GRID)
    assert result.success, result.error_in_exec
    [parent], children = _split(client)
    assert len(children) == 4 and len(all_runs(client)) == 5
    assert _settings(children) == [("0.1", "2"), ("0.1", "3"), ("0.01", "2"), ("0.01", "3")]
    exp = client.get_experiment_by_name("sweeps")
    for child in children:
        assert child.info.status == "FINISHED" and child.info.experiment_id == exp.experiment_id
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tags["team"] == "a"
        lr, depth = float(child.data.params["lr"]), int(child.data.params["depth"])
        assert child.data.metrics == {"loss": pytest.approx(lr * depth)}
    best = min(children, key=lambda r: r.data.metrics["loss"])
    assert parent.info.status == "FINISHED" and parent.info.run_name == "grid"
    assert parent.info.experiment_id == exp.experiment_id and parent.data.tags["team"] == "a"
    assert parent.data.params == {"best.lr": "0.01", "best.depth": "2", "best.run_id": best.info.run_id}
    assert parent.data.metrics == {"best_loss": pytest.approx(0.02)}
    assert nbtrack.active_run() is None
    # the variables were set in the namespace (last setting) and the body ran in it
    assert ip.user_ns["lr"] == 0.01 and ip.user_ns["depth"] == 3


def test_children_record_their_cell_and_settings_and_the_parent_its_line(ip, client, tmp_path):
    ip.run_cell("import nbtrack")
    ip.run_cell(GRID)
    [parent], children = _split(client)
    child = children[0]
    assert child.data.tags["nbtrack.cell_source"] == GRID.split("\n", 1)[1]
    assert json.loads(child.data.tags["nbtrack.sweep.settings"]).keys() == {"lr", "depth"}
    assert "requirements.txt" in {f.path for f in client.list_artifacts(child.info.run_id)}
    assert parent.data.tags["nbtrack.sweep.line"].startswith("grid -e sweeps lr=[0.1, 0.01]")
    assert "ipython==" in artifact_text(client, parent.info.run_id, "requirements.txt", tmp_path).lower()


def test_random_with_a_seed_is_reproducible(ip, client):
    ip.run_cell("import nbtrack")
    cell = """%%track_sweep --random 3 --seed 1 lr=[0.1, 0.01, 0.001] depth=range(2, 9)
nbtrack.log_metric("loss", lr * depth)
"""
    assert ip.run_cell(cell).success
    first = _settings(_split(client)[1])
    for run in all_runs(client):
        client.delete_run(run.info.run_id)
    assert ip.run_cell(cell).success
    parents, children = _split(client)
    second = _settings(children)
    assert len(first) == 3 and len(set(first)) == 3 and first == second
    assert {p.data.tags["nbtrack.sweep.seed"] for p in parents} == {"1"}


def test_random_records_a_seed_when_none_is_given(ip, client):
    ip.run_cell("import nbtrack")
    assert ip.run_cell("%%track_sweep --random 2 wd=loguniform(1e-5, 1e-2)\nnbtrack.log_metric('m', wd)").success
    [parent], children = _split(client)
    assert parent.data.tags["nbtrack.sweep.seed"].isdigit()
    assert all(1e-5 <= float(c.data.params["wd"]) <= 1e-2 for c in children) and len(children) == 2


def test_a_failing_child_is_failed_and_the_others_run(ip, client):
    ip.run_cell("import nbtrack")
    result = ip.run_cell("""%%track_sweep x=[1, 2, 3] --metric score
if x == 2:
    raise ValueError("bad x")
nbtrack.log_metric("score", x)
""")
    assert result.success  # the sweep itself completed
    [parent], children = _split(client)
    status = {c.data.params["x"]: c.info.status for c in children}
    assert status == {"1": "FINISHED", "2": "FAILED", "3": "FINISHED"}
    failed = next(c for c in children if c.data.params["x"] == "2")
    assert "ValueError: bad x" in failed.data.tags["nbtrack.error"]
    assert parent.info.status == "FINISHED" and parent.data.params["best.x"] == "3"


def test_fail_fast_stops_at_the_first_failure_and_fails_the_cell(ip, client):
    ip.run_cell("import nbtrack")
    result = ip.run_cell("""%%track_sweep x=[1, 2, 3] --fail-fast
if x == 2:
    raise ValueError("bad x")
""")
    assert not result.success and isinstance(result.error_in_exec, ValueError)
    [parent], children = _split(client)
    assert sorted(c.info.status for c in children) == ["FAILED", "FINISHED"]
    assert parent.info.status == "FAILED" and nbtrack.active_run() is None


def test_an_interrupt_kills_the_child_and_the_parent_and_keeps_the_finished(ip, client):
    ip.run_cell("import nbtrack")
    result = ip.run_cell("""%%track_sweep x=range(5)
nbtrack.log_metric("seen", x)
if x == 2:
    raise KeyboardInterrupt
""")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    [parent], children = _split(client)
    status = {c.data.params["x"]: c.info.status for c in children}
    assert status == {"0": "FINISHED", "1": "FINISHED", "2": "KILLED"}
    assert parent.info.status == "KILLED" and nbtrack.active_run() is None
    assert ip.run_cell("1 + 1").result == 2  # the shell is still usable


def test_optuna_prunes_children_as_killed_and_tagged(ip, client):
    from IPython.utils.capture import capture_output

    pytest.importorskip("optuna")
    ip.run_cell("import nbtrack")
    # every child does worse than all earlier ones, so all after the 2 startup trials are pruned
    with capture_output() as captured:
        result = ip.run_cell("""%%track_sweep tpe x=range(0, 10) lr=loguniform(1e-3, 1e-1) --optuna 6 --seed 3 --metric loss
trials = globals().get("trials", 0) + 1
for step in range(4):
    loss = trials + (x - 3) ** 2 / 100 + 1.0 / (step + 1)
    nbtrack.log_metric("loss", loss, step=step)
    nbtrack.report(step, loss)
""")
    assert result.success, result.error_in_exec
    [parent], children = _split(client)
    assert len(children) == 6 and parent.data.tags["nbtrack.sweep"] == "optuna"
    pruned = [c for c in children if c.data.tags.get("nbtrack.pruned") == "true"]
    assert len(pruned) == 4 and all(c.info.status == "KILLED" for c in pruned)
    twins = [o.data["text/html"] for o in captured.outputs
             if 'class="nbtrack-sweep"' in o.data.get("text/html", "")]
    assert twins[-1].count(">PRUNED<") == 4 and "pruned by Optuna at step 0" in captured.stdout
    assert {c.data.tags["nbtrack.pruned_step"] for c in pruned} == {"0"}
    assert all("nbtrack.error" not in c.data.tags for c in pruned)
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert len(finished) + len(pruned) == 6
    best = min(finished, key=lambda c: c.data.metrics["loss"])
    assert parent.data.params["best.x"] == best.data.params["x"]
    assert parent.data.metrics["best_loss"] == pytest.approx(best.data.metrics["loss"])
    assert nbtrack.active_run() is None and ip.custom_exceptions == ()


def test_report_outside_a_sweep_does_nothing(ip):
    ip.run_cell("import nbtrack")
    assert ip.run_cell("nbtrack.report(0, 1.5)").success


@pytest.mark.parametrize("line, message", [
    ("", "at least one NAME=EXPRESSION"),
    ("lr=loguniform(1e-3, 1e-1)", "continuous"),
    ("x=[1, 2] --optuna 3", "--optuna needs --metric"),
    ("x=[1, 2] --random 2 --optuna 3", "one of --random"),
    ("x=[1, 2] --seed 3", "--seed goes with"),
    ("x=[] ", "no values"),
    ("x=undefined_name", "cannot evaluate x=undefined_name"),
    ("x=[1, 2", "complete Python expression"),
    ("x=[1] x=[2]", "given twice"),
    ("lr = [1, 2]", "no space before or after '='"),
])
def test_bad_lines_are_usage_errors_and_start_no_run(ip, client, line, message, capsys):
    result = ip.run_cell(f"%%track_sweep {line}\npass")
    assert not result.success
    assert message in str(result.error_in_exec) or message in capsys.readouterr().err
    assert all_runs(client) == [] and nbtrack.active_run() is None


def test_tags_after_t_are_not_settings(ip, client):
    assert ip.run_cell("%%track_sweep x=[1] -t stage=dev\npass").success
    [parent], [child] = _split(client)
    assert parent.data.tags["stage"] == "dev" and child.data.params == {"x": "1"}


def test_the_live_table_shows_running_children_and_highlights_the_best(ip, client, monkeypatch):
    from IPython.utils.capture import capture_output

    from nbtrack.magics import _sweep_runner

    monkeypatch.setattr(_sweep_runner, "LIVE_INTERVAL_S", 0.0)  # redraw on every point
    ip.run_cell("import nbtrack")
    with capture_output() as captured:
        assert ip.run_cell(GRID.replace("nbtrack.log_metric", "nbtrack.log_metric('partial', 1)\n"
                                        "nbtrack.log_metric")).success
    twins = [o.data["text/html"] for o in captured.outputs
             if 'class="nbtrack-sweep"' in o.data.get("text/html", "")]
    assert any("RUNNING" in t and "partial" in t for t in twins)  # metrics of a running child
    final = twins[-1]
    assert final.count("<tr") == 5 and "RUNNING" not in final
    best_rows = [tr for tr in final.split("<tr")[1:] if 'class="nbtrack-best"' in tr]
    assert len(best_rows) == 1 and ">0.01<" in best_rows[0] and ">2<" in best_rows[0]
    assert "Settings vs loss" in final  # parallel coordinates
