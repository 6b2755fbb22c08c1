"""Panels in a real IPython shell: widget + static twin outputs, end-of-cell refresh, magics."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from .conftest import REPO, make_runs
from .svgparse import elements, path_commands, table_rows

WIDGET = "application/vnd.jupyter.widget-view+json"


def _run(ip, code: str):
    with capture_output() as captured:
        result = ip.run_cell(code)
    return result, captured.outputs


def _twins(outputs):
    return [o for o in outputs if "text/html" in o.data and "nbtrack-twin" in o.data["text/html"]]


def _twin_uid(html: str) -> str:
    return [c for c in elements(html, "div", "nbtrack-twin")[0]["class"].split() if c.startswith("nbtrack-twin-")][0]


def test_a_panel_shows_the_widget_then_its_twin_which_the_widget_hides(ip, client, experiment_id):
    make_runs(client, experiment_id, 3)
    result, outputs = _run(ip, f"from nbtrack.widgets import ExperimentBrowser\nb = ExperimentBrowser(experiment='{experiment_id}')\nb")
    assert result.success
    assert list(outputs[0].data) == ["text/plain", WIDGET]
    assert outputs[0].data[WIDGET]["model_id"] == ip.user_ns["b"].model_id
    twin = outputs[1].data["text/html"]
    assert len(table_rows(twin)) == 4
    uid = _twin_uid(twin)
    hider = ip.user_ns["b"].children[0]
    assert f".{uid}{{display:none" in hider.value and hider.layout.display == "none"


def test_changes_made_from_code_reach_the_twin_by_update_display(ip, client, experiment_id):
    make_runs(client, experiment_id, 3)
    _run(ip, f"from nbtrack.widgets import ExperimentBrowser\nb = ExperimentBrowser(experiment='{experiment_id}')\nb")
    make_runs(client, experiment_id, 2, start=3)
    result, outputs = _run(ip, "b.reload()")
    assert result.success
    updates = [o for o in outputs if o.update]
    assert len(updates) == 1  # one refresh at the end of the cell, however many changes
    assert len(table_rows(updates[0].data["text/html"])) == 6
    result, outputs = _run(ip, "b.next_button.click()")
    assert [o.update for o in outputs] == []  # nothing changed: a single page


def test_live_curves_twin_is_final_at_the_end_of_a_track_run_live_cell(ip):
    cell = "for i in range(25):\n    nbtrack.log_metric('train_loss', 1 / (i + 1), step=i)\n"
    result, outputs = _run(ip, "import nbtrack\nnbtrack.set_experiment('live')\n")
    result, outputs = _run(ip, f"%%track_run demo --live\n{cell}")
    assert result.success
    assert any(WIDGET in o.data for o in outputs)
    last = _twins(outputs)[-1].data["text/html"]
    (path,) = elements(last, "path", "nbtrack-line")
    assert path["data-key"] == "train_loss" and path_commands(path["d"]) == "M" + "L" * 24


def test_unfinalized_live_curves_refresh_at_each_cell_end_and_finalize_when_the_run_ends(ip):
    _run(ip, "import nbtrack\nfrom nbtrack.widgets import LiveCurves\n"
             "run = nbtrack.start_run()\nlc = LiveCurves(run.info.run_id, interval=60)\nlc.show()")
    result, outputs = _run(ip, "for i in range(7):\n    nbtrack.log_metric('loss', 1.0 / (i + 1), step=i)")
    (update,) = [o for o in outputs if o.update]
    (path,) = elements(update.data["text/html"], "path", "nbtrack-line")
    assert path_commands(path["d"]) == "M" + "L" * 6
    assert not ip.user_ns["lc"].finalized
    _run(ip, "nbtrack.log_metric('loss', 0.01, step=7)\nnbtrack.end_run()")
    assert ip.user_ns["lc"].finalized


def test_browse_magic(ip, client, experiment_id):
    make_runs(client, experiment_id, 2)
    result, outputs = _run(ip, '%nbtrack_browse widgets --page-size 10')
    assert result.success and result.result is None
    (twin,) = _twins(outputs)
    assert [r[0] for r in table_rows(twin.data["text/html"])[1:]] == ["run-0001", "run-0000"]


def test_compare_magic(ip, client, experiment_id):
    ids = make_runs(client, experiment_id, 2)
    result, outputs = _run(ip, f"%nbtrack_compare {ids[0]} {ids[1]}")
    assert result.success
    (twin,) = _twins(outputs)
    assert "Comparison of 2 runs" in twin.data["text/html"]


def test_registry_magic(ip, client, experiment_id):
    run = client.create_run(experiment_id)
    client.log_model(run.info.run_id, {"w": 1}, "m", registered_model_name="my model")
    result, outputs = _run(ip, '%nbtrack_registry "my model"')
    assert result.success
    (twin,) = _twins(outputs)
    assert table_rows(twin.data["text/html"])[1][:2] == ["1", "None"]


@pytest.mark.parametrize("line, match", [
    ("%nbtrack_browse nope", "No active experiment with id or name 'nope'"),
    ("%nbtrack_browse --page-size 0", "page_size must be 1 to 200"),
    ("%nbtrack_browse --page-size x", "invalid int value"),
    ("%nbtrack_browse a b", "unrecognized arguments"),
    ("%nbtrack_compare", "at least two run ids"),
    ("%nbtrack_compare abc", "at least two run ids"),
    ("%nbtrack_compare abc def", "abc"),
    ("%nbtrack_registry nope", "nope"),
    ("%nbtrack_browse \"unbalanced", "cannot split"),
])
def test_magic_usage_errors(ip, experiment_id, line, match):
    result, _ = _run(ip, line)
    assert isinstance(result.error_in_exec, UsageError)
    assert match in str(result.error_in_exec)


def test_importing_the_package_and_the_magics_does_not_load_widget_libraries():
    code = (
        "import sys, nbtrack, nbtrack.widgets, nbtrack.widgets.static, nbtrack.widgets.charts, "
        "nbtrack.widgets.run_table, nbtrack.magics.panels\n"
        "bad = [m for m in ('ipywidgets', 'bqplot', 'numpy') if m in sys.modules]\n"
        "print(bad)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_widget_name():
    import nbtrack.widgets

    with pytest.raises(AttributeError, match="Nope"):
        nbtrack.widgets.Nope  # noqa: B018


def test_clicks_outside_a_cell_publish_the_twin_once_errors_included(ip, client, experiment_id):
    """What a front-end click does: the callback runs outside any cell, so it publishes itself."""
    make_runs(client, experiment_id, 30)
    run = client.create_run(experiment_id)
    client.log_model(run.info.run_id, {"w": 1}, "m", registered_model_name="clf")
    _run(ip, f"from nbtrack.widgets import ExperimentBrowser, RegistryPanel\n"
             f"b = ExperimentBrowser(experiment='{experiment_id}', page_size=10)\ndisplay(b)\n"
             f"r = RegistryPanel()\ndisplay(r)")
    browser, registry = ip.user_ns["b"], ip.user_ns["r"]
    with capture_output() as captured:
        browser.filter_box.value = "metrics.acc < 0.005"  # one change, several linked traits
    (update,) = [o for o in captured.outputs if o.update]
    assert len(table_rows(update.data["text/html"])) == 1 + 5
    with capture_output() as captured:
        registry.alias_box.value = "<bad>"
        (button,) = [b for box in registry.children for b in getattr(box, "children", ())
                     if getattr(b, "description", "") == "Set alias"]
        button.click()
    (update,) = [o for o in captured.outputs if o.update]
    assert "Invalid alias" in update.data["text/html"] and "&lt;bad&gt;" in update.data["text/html"]
