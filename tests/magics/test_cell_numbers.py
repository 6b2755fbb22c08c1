"""Prompt numbers: the recorded count, cells/<n>.py and traceback labels match ``In [n]``.

IPython 9.10+ increments ``execution_count`` before a cell runs, IPython 8 after; CI runs
these tests on both (see .ci/run).
"""
from __future__ import annotations

import re

from .conftest import all_runs

LABEL = re.compile(r"(?:Cell In ?\[|Input In ?\[)(\d+)\]")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_tag_is_the_prompt_number_of_the_cell(ip, client):
    ip.run_cell("x = 1", store_history=True)
    result = ip.run_cell("%%track_run counted\ny = 2", store_history=True)
    [run] = all_runs(client)
    assert run.data.tags["nbtrack.execution_count"] == str(result.execution_count)


def test_nested_tracked_cell_records_the_outer_prompt_number(ip, client):
    body = "%%track_run outer\nget_ipython().run_cell_magic('track_run', 'inner --nested', 'z = 3')"
    result = ip.run_cell(body, store_history=True)
    assert result.success
    counts = {r.info.run_name: r.data.tags["nbtrack.execution_count"] for r in all_runs(client)}
    assert counts == {"outer": str(result.execution_count), "inner": str(result.execution_count)}


def test_traceback_of_a_failing_body_is_labelled_with_the_prompt_number(ip, client, capsys):
    ip.run_cell("pass", store_history=True)
    result = ip.run_cell("%%track_run failing\nx = 1\n1 / 0", store_history=True)
    assert not result.success
    captured = capsys.readouterr()
    labels = {int(n) for n in LABEL.findall(ANSI.sub("", captured.out + captured.err))}
    assert labels == {result.execution_count}
    [run] = all_runs(client)
    assert run.data.tags["nbtrack.execution_count"] == str(result.execution_count)


def test_line_form_stores_exactly_the_cells_it_spans(ip, client):
    ip.run_cell("before = 0", store_history=True)
    opening = ip.run_cell("%track_run span", store_history=True)
    spanned = [ip.run_cell(f"v{i} = {i}", store_history=True) for i in range(3)]
    closing = ip.run_cell("%track_run --end", store_history=True)
    [run] = all_runs(client)
    files = sorted(f.path for f in client.list_artifacts(run.info.run_id, "cells"))
    expected = sorted(f"cells/{r.execution_count}.py" for r in spanned)
    assert files == expected
    assert run.data.tags["nbtrack.execution_count"] == str(opening.execution_count)
    assert f"cells/{closing.execution_count}.py" not in files
