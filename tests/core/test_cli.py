"""The ``nbtrack`` command line over a real store."""
from __future__ import annotations

import csv
import io
import json
import os
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


# -- issue 10: store rule, ids, formats, help, pipes ---------------------------------------------
@pytest.fixture
def precise(tmp_path):
    """Two experiments; run names repeat across them; metrics with many digits."""
    uri = str(tmp_path / "store")
    client = TrackingClient(uri)
    ids = {}
    for exp_name in ("alpha", "beta"):
        exp = client.create_experiment(exp_name)
        for name, value in (("shared", 0.123456789012), (f"only-{exp_name}", 1234567.891)):
            run = client.create_run(exp, run_name=name, start_time=1_700_000_000_000)
            client.log_metric(run.info.run_id, "acc", value)
            client.set_terminated(run.info.run_id, end_time=1_700_000_009_480)
            ids[(exp_name, name)] = run.info.run_id
    client.flush()
    return uri, ids


def test_version_and_help_without_markup(capsys):
    from nbtrack import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"nbtrack {__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "``" not in text and ":mod:" not in text and "nbtrack-store" in text
    for command in ("experiments", "runs", "show", "compare", "export", "close-stale"):
        assert command in text


def test_runs_table_rounds_to_six_digits_json_and_csv_keep_all(precise):
    uri, _ = precise
    code, out = _main("--tracking-uri", uri, "runs")
    assert code == 0 and "0.123457" in out and "1.23457e+06" in out and "0.123456789012" not in out
    code, out = _main("--tracking-uri", uri, "runs", "--json")
    assert {r["metrics"]["acc"] for r in json.loads(out)} == {0.123456789012, 1234567.891}
    code, out = _main("--tracking-uri", uri, "export")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["metrics.acc"] for r in rows} == {"0.123456789012", "1234567.891"}
    assert {r["start_time"] for r in rows} == {"2023-11-14T22:13:20.000Z"}
    assert {r["end_time"] for r in rows} == {"2023-11-14T22:13:29.480Z"}


def test_runs_without_experiment_shows_an_experiment_column(precise):
    uri, ids = precise
    code, out = _main("--tracking-uri", uri, "runs")
    header = out.splitlines()[0].split()
    assert header[:3] == ["RUN_ID", "NAME", "EXPERIMENT"] and "DURATION" in header
    line = next(ln for ln in out.splitlines() if ln.startswith(ids[("beta", "shared")]))
    assert line.split()[2] == "beta" and "9.5 s" in line
    code, out = _main("--tracking-uri", uri, "runs", "-e", "alpha")
    assert "EXPERIMENT" not in out.splitlines()[0]


def test_every_listing_has_json(precise):
    uri, _ = precise
    for argv in (["experiments"], ["runs"], ["close-stale"], ["export", "--format", "json"]):
        code, out = _main("--tracking-uri", uri, *argv, *(["--json"] if argv[0] != "export" else []))
        assert code == 0 and json.loads(out) is not None


def test_runs_are_named_by_prefix_or_name(precise, capsys):
    uri, ids = precise
    run_id = ids[("alpha", "only-alpha")]
    for ref in (run_id, run_id[:6], "only-alpha"):
        code, out = _main("--tracking-uri", uri, "show", ref, "--json")
        assert code == 0 and json.loads(out)["run_id"] == run_id
    code, out = _main("--tracking-uri", uri, "show", "shared", "-e", "beta", "--json")
    assert json.loads(out)["run_id"] == ids[("beta", "shared")]
    code, _ = _main("--tracking-uri", uri, "compare", "shared")
    err = capsys.readouterr().err
    assert code == 2 and "matches 2 runs" in err
    assert ids[("alpha", "shared")] in err and ids[("beta", "shared")] in err
    code, _ = _main("--tracking-uri", uri, "show", run_id[:5])
    assert code == 2 and "6+ characters" in capsys.readouterr().err


def test_read_only_commands_never_create_a_store(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    for argv in (["runs"], ["experiments"], ["--tracking-uri", str(tmp_path / "typo"), "runs"]):
        code, out = _main(*argv)
        err = capsys.readouterr().err
        assert code == 2 and "no nbtrack store at" in err and out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_store_above_the_current_folder_is_found(populated, tmp_path, monkeypatch):
    uri, ids = populated  # tmp_path/store: give it the standard name
    (tmp_path / "store").rename(tmp_path / "nbtrack-store")
    (tmp_path / "sub").mkdir()
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path / "sub")
    code, out = _main("runs")
    assert code == 0 and "3 run(s)" in out


def test_closed_pipe_exits_quietly(populated):
    uri, _ = populated
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "nbtrack.cli", "--tracking-uri", uri, "runs"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 141 and proc.stderr == ""
