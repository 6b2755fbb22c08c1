"""CSV export neutralises text cells a spreadsheet would run as formulas (OWASP's rule)."""
from __future__ import annotations

import csv
import io

from nbtrack import TrackingClient
from nbtrack.cli import main


def test_formula_like_cells_get_a_leading_quote_and_numbers_stay(tmp_path):
    uri = str(tmp_path / "store")
    client = TrackingClient(uri)
    run_id = client.create_run("0", run_name="=HYPERLINK(\"http://x\",\"y\")").info.run_id
    client.log_param(run_id, "a", "+1")
    client.log_param(run_id, "b", "-2+3")
    client.log_param(run_id, "c", "@SUM(A1)")
    client.log_param(run_id, "d", "plain = text")
    client.set_tag(run_id, "t", "=cmd|' /C calc'!A0")
    client.log_metric(run_id, "loss", -1.5)
    out = io.StringIO()
    assert main(["--tracking-uri", uri, "export", "-e", "0"], out=out) == 0
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    cells = dict(zip(header, row))
    assert cells["run_name"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert (cells["params.a"], cells["params.b"], cells["params.c"]) == ("'+1", "'-2+3", "'@SUM(A1)")
    assert cells["params.d"] == "plain = text"
    assert cells["tags.t"] == "'=cmd|' /C calc'!A0"
    assert cells["metrics.loss"] == "-1.5"
