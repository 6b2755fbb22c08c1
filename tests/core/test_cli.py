"""The ``nbtrack`` command line over a real store."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from nbtrack import TrackingClient
from nbtrack.cli import main


@pytest.fixture
def populated(tmp_path):
    uri = str(tmp_path / "store")
    client = TrackingClient(uri)
    exp = client.create_experiment("cli-exp")
    ids = []
    for i, acc in enumerate([0.7, 0.95, 0.9]):
        run = client.create_run(exp, run_name=f"run-{i}")
        client.log_param(run.info.run_id, "lr", str(0.1 * (i + 1)))
        client.log_metric(run.info.run_id, "acc", acc)
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    client.flush()
    return uri, ids


def _main(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_runs_lists_filtered_and_ordered(populated):
    uri, ids = populated
    code, out = _main("--tracking-uri", uri, "runs", "-e", "cli-exp", "-f", "metrics.acc > 0.8", "-o", "metrics.acc DESC")
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith(tuple(ids))]
    assert [line.split()[1] for line in lines] == ["run-1", "run-2"]
    assert "2 run(s)" in out


def test_show_and_compare(populated):
    uri, ids = populated
    code, out = _main("--tracking-uri", uri, "show", ids[0], "--json")
    assert code == 0 and json.loads(out)["params"] == {"lr": "0.1"}
    code, out = _main("--tracking-uri", uri, "compare", ids[0], ids[1])
    assert code == 0 and "params.lr *" in out and "metrics.acc *" in out


def test_export_csv(populated):
    uri, ids = populated
    code, out = _main("--tracking-uri", uri, "export", "-e", "cli-exp", "-o", "metrics.acc")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["metrics.acc"] for r in rows] == ["0.7", "0.9", "0.95"]


def test_bad_filter_and_missing_run_exit_2(populated, capsys):
    uri, _ = populated
    code, _ = _main("--tracking-uri", uri, "runs", "-f", "metrics.acc >")
    assert code == 2 and "position" in capsys.readouterr().err
    code, _ = _main("--tracking-uri", uri, "show", "nope")
    assert code == 2 and "nope" in capsys.readouterr().err
    code, _ = _main("--tracking-uri", uri, "runs", "-e", "no-such-exp")
    assert code == 2 and "no-such-exp" in capsys.readouterr().err


def test_console_entry_point_runs(populated):
    uri, _ = populated
    out = subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "--tracking-uri", uri, "experiments"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "cli-exp" in out and "Default" in out
