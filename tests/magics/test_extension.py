"""Loading/unloading the extension, papermill parameters, and the end-of-cell summary."""
from __future__ import annotations

import subprocess
import sys

import pytest

import nbtrack
from nbtrack import magics
from nbtrack._durations import format_duration
from nbtrack.entities import RunStatus

from .conftest import all_runs, python_env

OUR_MAGICS = {
    "line": {"track_run", "log_params", "log_metrics", "set_tags", "track_experiment",
             "nbtrack_browse", "nbtrack_compare", "nbtrack_registry"},  # the last three: panels
    "cell": {"track_run"},
}


def callbacks(shell):
    return {event: list(cbs) for event, cbs in shell.events.callbacks.items()}


def test_load_registers_magics_and_unload_removes_everything(shell, store_uri):
    before = callbacks(shell)
    shell.run_line_magic("load_ext", "nbtrack")
    for kind, names in OUR_MAGICS.items():
        assert names <= set(shell.magics_manager.magics[kind])
    assert callbacks(shell) != before
    shell.run_line_magic("unload_ext", "nbtrack")
    assert callbacks(shell) == before
    for kind, names in OUR_MAGICS.items():
        assert not names & set(shell.magics_manager.magics[kind])
    assert not {"TrackingMagics", "PanelMagics"} & set(shell.magics_manager.registry)


def test_reload_and_double_load_leave_one_set_of_hooks(shell, store_uri):
    before = callbacks(shell)
    magics.load_ipython_extension(shell)
    magics.load_ipython_extension(shell)  # e.g. config + %load_ext
    shell.run_line_magic("reload_ext", "nbtrack")
    added = {e: len(cbs) - len(before[e]) for e, cbs in shell.events.callbacks.items()}
    assert added == {e: (1 if e in ("pre_run_cell", "post_run_cell") else 0) for e in added}
    shell.run_line_magic("unload_ext", "nbtrack")
    magics.unload_ipython_extension(shell)  # a second unload is a no-op
    assert callbacks(shell) == before


def test_extension_loads_from_shell_config(tmp_path, store_uri):
    """`c.InteractiveShellApp.extensions = ["nbtrack"]` loads the magics at start-up."""
    config = tmp_path / "ipython_config.py"
    config.write_text("c.InteractiveShellApp.extensions = ['nbtrack']\n")
    probe = "print('loaded:', 'track_run' in get_ipython().magics_manager.magics['cell'])"
    proc = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--HistoryManager.hist_file=:memory:",
         f"--config={config}", "-c", probe],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=python_env(),
    )
    assert "loaded: True" in proc.stdout, proc.stdout + proc.stderr


# -- papermill ------------------------------------------------------------------------------------
def test_papermill_parameters_become_params_of_later_runs(ip, client):
    ip.run_cell("alpha = 0.1\nname = 'default'", store_history=True)  # the notebook's defaults
    ip.run_cell("# Parameters\nalpha = 0.5\nname = 'injected'\n", store_history=True)
    assert ip.run_cell("%%track_run first\npass").success
    ip.user_ns["extra"] = 7
    assert ip.run_cell("%%track_run second -p extra\npass").success
    runs = {r.info.run_name: r for r in all_runs(client)}
    for name in ("first", "second"):
        assert runs[name].data.params["alpha"] == "0.5"
        assert runs[name].data.params["name"] == "injected"
        assert runs[name].data.tags["nbtrack.papermill"] == "true"
    assert runs["second"].data.params["extra"] == "7"


def test_without_papermill_there_is_no_papermill_tag(ip, client):
    ip.run_cell("alpha = 0.1", store_history=True)
    assert ip.run_cell("%%track_run plain\npass").success
    [run] = all_runs(client)
    assert "nbtrack.papermill" not in run.data.tags and run.data.params == {}


def test_explicit_param_overrides_the_injected_value(ip, client):
    ip.run_cell("# Parameters\nalpha = 0.5\n", store_history=True)
    ip.user_ns["alpha"] = 0.9  # the notebook changed it before the run
    assert ip.run_cell("%%track_run tuned -p alpha\npass").success
    assert all_runs(client)[0].data.params["alpha"] == "0.9"


# -- summary --------------------------------------------------------------------------------------
def make_run(client, name, status, metrics):
    exp = client.create_experiment("<exp & co>")
    run = client.create_run(exp, run_name=name)
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id, status)
    return client.get_run(run.info.run_id)


def test_summary_escapes_user_text_and_has_a_plain_twin(client):
    run = make_run(client, "<script>alert(1)</script>", RunStatus.FAILED, {"val loss": 0.123456})
    bundle = magics.summary_bundle(run, "<exp & co>")
    assert set(bundle) == {"text/plain", "text/html"}
    html = bundle["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;exp &amp; co&gt;" in html
    assert "val loss" in html and "0.1235" in html and "FAILED" in html
    plain = bundle["text/plain"]
    assert "<script>alert(1)</script>" in plain and run.info.run_id in plain
    shown = format_duration(run.info.end_time - run.info.start_time)
    assert f"FAILED in {shown}" in plain and "val loss=0.1235" in plain


def test_summary_shows_a_bounded_number_of_metrics(client):
    run = make_run(client, "many", RunStatus.FINISHED, {f"m{i}": i for i in range(20)})
    plain = magics.summary_bundle(run, "e")["text/plain"]
    assert plain.count("=") == magics.SUMMARY_METRICS and "(+12 more)" in plain


def test_summary_without_metrics(client):
    run = make_run(client, "quiet", RunStatus.KILLED, {})
    bundle = magics.summary_bundle(run, "e")
    shown = format_duration(run.info.end_time - run.info.start_time)
    assert bundle["text/plain"].endswith(f"KILLED in {shown}") and "KILLED" in bundle["text/html"]


@pytest.mark.parametrize("raw, value", [("0.1", 0.1), ("[1, 2]", [1, 2]), ("'a b'", "a b"),
                                        ("adam", "adam"), ("1e-3", 0.001), ("x=1", "x=1")])
def test_parse_value(raw, value):
    assert magics.parse_value(raw) == value


def test_no_run_leaks_after_any_outcome(ip):
    for body in ("pass", "1/0", "raise KeyboardInterrupt"):
        ip.run_cell("%%track_run\n" + body)
        assert nbtrack.active_run() is None
