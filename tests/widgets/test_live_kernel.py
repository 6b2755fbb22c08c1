"""LiveCurves in a real kernel: redraws leave as comm messages while the cell still runs,
each carrying a line's x and y together (hold_sync)."""
from __future__ import annotations

from .kernel import running_kernel

CODE = """
import nbtrack
from nbtrack.widgets import LiveCurves
nbtrack.set_experiment("kernel")
with nbtrack.start_run() as run:
    curves = LiveCurves(run.info.run_id, interval=0)
    curves.show()
    for i in range(40):
        nbtrack.log_metrics({"train_loss": 1.0 / (i + 1), "val_loss": 2.0 / (i + 1)}, step=i)
    curves.finalize()
"""


def test_redraws_stream_during_the_cell_with_x_and_y_together(tmp_path):
    messages = []
    with running_kernel(tmp_path, tmp_path / "store") as kc:
        reply = kc.execute_interactive(CODE, output_hook=messages.append, timeout=120)
    assert reply["content"]["status"] == "ok", messages
    lines = {m["content"]["comm_id"] for m in messages if m["msg_type"] == "comm_open"
             and m["content"]["data"]["state"].get("_model_name") == "LinesModel"}
    assert len(lines) == 2
    updates = [m for m in messages if m["msg_type"] == "comm_msg"
               and m["content"]["comm_id"] in lines and m["content"]["data"].get("method") == "update"]
    sent = [{path[0] for path in m["content"]["data"]["buffer_paths"]} & {"x", "y"} for m in updates]
    xy = [s for s in sent if s]
    assert len(xy) >= 40  # interval=0: a redraw per logged point and line
    assert all(s == {"x", "y"} for s in xy)  # never one without the other
    # the lines moved during the loop, not just once at finalize (which updates the twin)
    twin_updates = [i for i, m in enumerate(messages) if m["msg_type"] == "update_display_data"]
    assert twin_updates and "nbtrack-line" in messages[twin_updates[-1]]["content"]["data"]["text/html"]
    assert sum(messages.index(m) < twin_updates[-1] for m in updates) >= 40
    assert messages[-1]["msg_type"] == "status" and messages[-1]["content"]["execution_state"] == "idle"
