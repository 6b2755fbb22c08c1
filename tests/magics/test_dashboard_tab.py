"""``%nbtrack_browse --tab``: one output whose custom MIME type the lab extension renders by
opening the dashboard tab, with a plain-text fallback every other front end prints."""
from __future__ import annotations

import subprocess
import sys

from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from nbtrack.magics._dashboard_tab import DASHBOARD_MIME

from .conftest import python_env


def _run(ip, line: str):
    with capture_output() as captured:
        result = ip.run_cell(line)
    return result, captured.outputs


def test_tab_asks_for_the_named_experiment(ip, client):
    exp = client.create_experiment("mnist <b>mlp</b>")
    result, outputs = _run(ip, '%nbtrack_browse "mnist <b>mlp</b>" --tab')
    assert result.success and result.result is None
    (out,) = outputs
    request = out.data[DASHBOARD_MIME]
    assert request["experiment_id"] == exp and request["experiment_name"] == "mnist <b>mlp</b>"
    assert len(request["request"]) == 32 and request["created"] > 0
    assert "opens in a JupyterLab tab" in out.data["text/plain"]
    assert "text/html" not in out.data  # no panel, no widget: the tab is the view
    _, again = _run(ip, f"%nbtrack_browse {exp} --tab")
    assert again[0].data[DASHBOARD_MIME]["request"] != request["request"]


def test_tab_without_experiment_lets_the_dashboard_pick(ip, client):
    _, (out,) = _run(ip, "%nbtrack_browse --tab")
    assert out.data[DASHBOARD_MIME]["experiment_id"] == ""
    assert "the newest experiment" in out.data["text/plain"]


def test_tab_unknown_experiment_is_a_usage_error(ip, client):
    result, outputs = _run(ip, "%nbtrack_browse nope --tab")
    assert isinstance(result.error_in_exec, UsageError)
    assert "No experiment with id or name 'nope'" in str(result.error_in_exec)
    assert not outputs


def test_terminal_ipython_prints_the_text_fallback(store_uri, tmp_path):
    code = "get_ipython().run_line_magic('load_ext', 'nbtrack'); get_ipython().run_line_magic('nbtrack_browse', '--tab')"
    out = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", "-c", code],
                         cwd=tmp_path, env=python_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "nbtrack dashboard: the newest experiment opens in a JupyterLab tab" in out.stdout
    assert f"nbtrack ui {store_uri}" in out.stdout
