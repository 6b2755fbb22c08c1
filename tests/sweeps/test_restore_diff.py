"""%track_restore, %track_diff, the comparison panel's Diff button and end-of-run snapshots (real shell)."""
from __future__ import annotations

import json

import pytest

import nbtrack
from nbtrack.provenance import load_provenance
from nbtrack.provenance.diff import diff_runs

from .conftest import all_runs, artifact_text

BASE = """%%track_run base -p lr,opt,layers
nbtrack.log_metric("loss", lr * layers)
"""
CHANGED = """%%track_run changed -p lr,opt,layers
scale = 3
nbtrack.log_metric("loss", lr * layers * scale)
"""


@pytest.fixture
def two_runs(ip, client):
    ip.run_cell("import nbtrack\nlr = 0.05\nopt = 'adam'\nlayers = 2")
    assert ip.run_cell(BASE).success
    ip.run_cell("lr = 0.1")
    assert ip.run_cell(CHANGED).success
    runs = {r.info.run_name: r for r in all_runs(client)}
    return runs["base"], runs["changed"]


def test_restore_puts_typed_assignments_and_the_source_in_the_next_cell(ip, two_runs):
    base, _ = two_runs
    ip.run_cell(f"%track_restore {base.info.run_id[:6]}")
    text = ip.rl_next_input
    assert text == (f"# restored from run 'base' ({base.info.run_id})\n"
                    "lr = 0.05\nopt = 'adam'\nlayers = 2\n"
                    'nbtrack.log_metric("loss", lr * layers)\n')


def test_restore_of_a_sweep_child_reruns_that_child(ip, client):
    ip.run_cell("import nbtrack\nclass Small: pass\nclass Big: pass")
    assert ip.run_cell("""%%track_sweep sw lr=[0.1, 0.01] model=[Small, Big]
nbtrack.log_metric("score", lr * (2 if model is Big else 1))
""").success
    child = next(r for r in all_runs(client)
                 if r.data.params.get("lr") == "0.01" and "Big" in r.data.params.get("model", ""))
    ip.run_cell(f"%track_restore {child.info.run_id}")
    text = ip.rl_next_input
    assert text.splitlines()[1:] == [
        "lr = 0.01", "model = ([Small, Big])[1]", 'nbtrack.log_metric("score", lr * (2 if model is Big else 1))']
    ip.run_cell("lr = model = None")
    with nbtrack.start_run(run_name="rerun"):
        assert ip.run_cell(text).success
    rerun = next(r for r in all_runs(client) if r.info.run_name == "rerun")
    assert rerun.data.metrics == {"score": pytest.approx(0.02)} == child.data.metrics
    ip.run_cell("%track_restore sw")
    assert ip.rl_next_input.startswith("%%track_sweep sw lr=[0.1, 0.01] model=[Small, Big]\n")


def test_restore_all_params_and_by_name(ip, client):
    ip.run_cell("import nbtrack")
    ip.run_cell("%%track_run logged\nnbtrack.log_params({'depth': 4, 'kind': 'tree', 'a.b': 1})")
    ip.run_cell("%track_restore logged")
    assert "depth =" not in ip.rl_next_input
    ip.run_cell("%track_restore logged -p")
    assert ip.rl_next_input.splitlines()[1:3] == ["depth = 4", "kind = 'tree'"]
    assert "a.b =" not in ip.rl_next_input


def test_unknown_and_ambiguous_runs_are_usage_errors(ip, client, capsys):
    ip.run_cell("import nbtrack")
    for _ in range(2):
        ip.run_cell("%%track_run twin\npass")
    ip.rl_next_input = None
    ip.run_cell("%track_restore twin")
    assert "matches 2 runs" in capsys.readouterr().err and ip.rl_next_input is None
    ip.run_cell("%track_restore nosuchrun")
    assert "no run matches 'nosuchrun'" in capsys.readouterr().err


def test_diff_reports_a_changed_line_param_and_package_version(ip, client, two_runs, tmp_path):
    base, changed = two_runs
    # Simulate a package upgraded between the runs: the second run's snapshot names a newer ipython.
    reqs = artifact_text(client, changed.info.run_id, "requirements.txt", tmp_path)
    old = next(line for line in reqs.splitlines() if line.lower().startswith("ipython=="))
    client.log_text(changed.info.run_id, reqs.replace(old, "ipython==99.0"), "requirements.txt")
    diff = diff_runs(load_provenance(client, base), load_provenance(client, changed))
    assert "+scale = 3" in diff.source and "-nbtrack.log_metric(\"loss\", lr * layers)" in diff.source
    assert [(c.key, c.before, c.after) for c in diff.params] == [("lr", "0.05", "0.1")]
    [pkg] = diff.packages
    assert (pkg.key.lower(), pkg.before, pkg.after) == ("ipython", old.split("==")[1], "99.0")
    assert [c.key for c in diff.metrics] == ["loss"] and json.dumps(diff.to_dict())
    result = ip.run_cell(f"%track_diff base {changed.info.run_id[:7]}")
    assert result.success, result.error_in_exec


def test_diff_magic_output_is_escaped_html_with_a_text_twin(ip, client, two_runs):
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        ip.run_cell("%track_diff base changed")
    [bundle] = [o.data for o in captured.outputs]
    assert "lr: 0.05 -> 0.1" in bundle["text/plain"] and "+scale = 3" in bundle["text/plain"]
    html = bundle["text/html"]
    assert "nbtrack-added" in html and "nbtrack-removed" in html and "&quot;loss&quot;" in html


def test_comparison_panel_diff_button(client, two_runs):
    from nbtrack.widgets import RunComparison

    base, changed = two_runs
    panel = RunComparison([base.info.run_id, changed.info.run_id], client=client)
    assert panel.diff_view.value == ""
    panel.diff_button.click()
    assert "scale = 3" in panel.diff_view.value and "nbtrack-added" in panel.diff_view.value
    assert panel.diff_view.value in panel.static_html()
    assert RunComparison([base.info.run_id], client=client).diff_button.disabled


def test_runs_keep_requirements_and_the_saved_notebook(ip, client, tmp_path, monkeypatch):
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    ip.run_cell("import nbtrack")
    ip.run_cell("%%track_run snap\nimport json")
    ip.run_cell("%%track_run bare --no-capture\npass")
    runs = {r.info.run_name: r for r in all_runs(client)}
    files = {f.path for f in client.list_artifacts(runs["snap"].info.run_id)}
    assert {"requirements.txt", "notebook.ipynb", "cell.py"} <= files
    assert artifact_text(client, runs["snap"].info.run_id, "notebook.ipynb", tmp_path) == notebook.read_text()
    assert client.list_artifacts(runs["bare"].info.run_id) == []


def test_diff_names_git_commit_and_dirty_changes(client, store_uri):
    exp = client.create_experiment("git")
    ids = []
    for commit, dirty in (("a" * 40, "false"), ("b" * 40, "true")):
        run = client.create_run(exp, run_name=commit[:1], tags={
            "nbtrack.git.commit": commit, "nbtrack.git.dirty": dirty, "nbtrack.python": "3.11.7"})
        ids.append(run.info.run_id)
    diff = diff_runs(*(load_provenance(client, client.get_run(i)) for i in ids))
    assert [(c.key, c.before, c.after) for c in diff.git] == [
        ("commit", "a" * 40, "b" * 40), ("dirty", "false", "true")]
    assert "dirty: false -> true" in diff.text()


def test_restore_of_a_run_spanning_cells_gives_back_those_cells(ip, client):
    ip.run_cell("import nbtrack")
    ip.run_cell("%track_run span", store_history=True)
    ip.run_cell("x = 1", store_history=True)
    ip.run_cell("nbtrack.log_metric('x', x + 1)", store_history=True)
    ip.run_cell("%track_run --end", store_history=True)
    ip.run_cell("%track_restore span")
    assert ip.rl_next_input.splitlines()[1:] == ["x = 1", "nbtrack.log_metric('x', x + 1)"]
