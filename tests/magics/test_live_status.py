"""The status line of a tracked cell: throttled in-place updates, settled into the summary.

Driven in a real IPython shell (whose display publisher records every publish) and in a real
kernel, where nbclient applies the updates to one output as JupyterLab does.
"""
from __future__ import annotations

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher

import nbtrack
from nbtrack.magics._live_status import LiveStatus, can_update_in_place

from .conftest import all_runs


@pytest.fixture
def published(ip):
    """Every (data, update) the shell publishes while the test runs."""
    original = ip.display_pub
    capturing = CapturingDisplayPublisher()
    ip.display_pub = capturing
    yield capturing.outputs
    ip.display_pub = original


def _logging_run(ip, status, points):
    with nbtrack.start_run(run_name="<b>bold</b>") as run:
        status.run_id = run.info.run_id
        status.start()
        for i in range(points):
            nbtrack.log_metric("loss", 1 / (i + 1), step=i)
        nbtrack.log_metrics({"acc": 0.5, "f1": 0.25, "auc": 0.75, "mse": 0.125}, step=points)
        status.finish({"text/plain": "done", "text/html": "<b>done</b>"})
    return run


def test_interval_zero_updates_per_log_call_in_place(ip, published):
    status = LiveStatus("", "<b>bold</b>", 0, interval=0)
    _logging_run(ip, status, 5)
    assert status.points == 9 and status.updates == 6
    first, *updates, final = published
    assert not first["update"] and all(o["update"] for o in updates) and final["update"]
    assert {o["transient"]["display_id"] for o in published} == {status.display_id}
    assert final["data"] == {"text/plain": "done", "text/html": "<b>done</b>"}
    html = updates[-1]["data"]["text/html"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html  # escaped
    assert "9 points" in html and "loss" not in html  # the 4 latest keys only, one counted
    assert "(+1)" in updates[-1]["data"]["text/plain"]


def test_a_long_interval_sends_no_update_however_many_points(ip, published):
    status = LiveStatus("", "quiet", 0, interval=3600)
    _logging_run(ip, status, 3000)
    assert status.points == 3004 and status.updates == 0
    assert [o["update"] for o in published] == [False, True]  # the line, then the summary


def test_other_runs_points_are_not_counted(ip, published):
    status = LiveStatus("someone-else", "x", 0, interval=0)
    status.start()
    with nbtrack.start_run():
        nbtrack.log_metric("loss", 1.0)
    status.stop()
    assert status.points == 0 and len(published) == 1


def test_terminal_shell_gets_only_the_summary(ip, published, client):
    assert not can_update_in_place(ip)
    ip.run_cell("%%track_run term\nfor i in range(500):\n    nbtrack.log_metric('loss', i, step=i)")
    [run] = all_runs(client)
    assert [o["data"]["text/plain"].split(" ")[:2] for o in published] == [["nbtrack", "run"]]
    assert run.info.run_id in published[0]["data"]["text/plain"]
