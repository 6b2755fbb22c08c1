"""The status line in a real kernel: updates stream while the cell runs, throttled, and a
headless run (nbclient, as nbconvert and papermill use it) keeps one line, the summary."""
from __future__ import annotations

import os

from tests.notebooks.conftest import execute, notebook
from tests.widgets.kernel import running_kernel

# Logs for at least a second of the kernel's own clock: the workload, not a wait.
BUSY = """%%track_run busy
import time
start, i = time.monotonic(), 0
while time.monotonic() - start < 1.0 or i < 100:
    nbtrack.log_metrics({"loss": 1 / (i + 1), "acc": i / (i + 1)}, step=i)
    i += 1
elapsed = time.monotonic() - start"""


def test_updates_stream_in_place_and_are_throttled(tmp_path):
    messages = []
    with running_kernel(tmp_path, tmp_path / "store") as kc:
        kc.execute_interactive("%load_ext nbtrack\nimport nbtrack", timeout=120)
        reply = kc.execute_interactive(BUSY, output_hook=messages.append, timeout=180)
        assert reply["content"]["status"] == "ok", messages
        probe = []
        kc.execute_interactive("print(i, elapsed)", output_hook=probe.append, timeout=60)
    [text] = [m["content"]["text"] for m in probe if m["msg_type"] == "stream"]
    points, elapsed = text.split()
    shown = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")
             and m["content"]["transient"].get("display_id", "").startswith("nbtrack-status")]
    first, *updates, final = shown
    assert first["msg_type"] == "display_data" and "running" in first["content"]["data"]["text/plain"]
    assert all(m["msg_type"] == "update_display_data" for m in (*updates, final))
    assert updates, "no update while the cell ran"
    # at most one update per 0.25 s of logging, however many points were logged
    assert len(updates) <= float(elapsed) / 0.25 + 1 < int(points) / 10
    assert "loss=" in updates[-1]["content"]["data"]["text/plain"]
    assert final["content"]["data"]["text/plain"].startswith("nbtrack run 'busy'")


def test_headless_notebook_keeps_one_clean_line(store_uri, tmp_path):
    os.environ.pop("JPY_SESSION_NAME", None)
    nb = execute(notebook("%load_ext nbtrack\nimport nbtrack", BUSY + "\nprint('trained')"), tmp_path)
    outputs = nb.cells[1].outputs
    assert [o["output_type"] for o in outputs] == ["display_data", "stream"]
    assert outputs[0]["data"]["text/plain"].startswith("nbtrack run 'busy'")
    assert "FINISHED" in outputs[0]["data"]["text/html"] and "running" not in outputs[0]["data"]["text/plain"]
