"""%%track_sweep, %track_restore and %track_diff in a real kernel (nbclient), interrupt included."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import nbformat
import pytest

import nbtrack
from tests._support.kernels import notebook, notebook_client, output_text

TIMEOUT_S = 180

SETUP = "%load_ext nbtrack\nimport nbtrack"
GRID = """%%track_sweep grid -e kgrid lr=[0.1, 0.01] depth=range(2, 4) --metric loss
nbtrack.log_metric("loss", lr * depth)"""
RANDOM = """%%track_sweep {name} -e krand --random 3 --seed 1 a=range(100) b=['x', 'y', 'z']
nbtrack.log_metric("m", a)"""
# Each child does worse than every earlier one (``trials`` counts them), so whatever settings the
# sampler picks, the median pruner must prune every child after its 2 startup trials.
OPTUNA = """%%track_sweep tpe -e kopt x=range(0, 10) --optuna 6 --seed 3 --metric loss
trials = globals().get("trials", 0) + 1
for step in range(4):
    loss = trials + (x - 3) ** 2 / 100 + 1.0 / (step + 1)
    nbtrack.log_metric("loss", loss, step=step)
    nbtrack.report(step, loss)"""
FAILING = """%%track_sweep flaky -e kfail x=[1, 2, 3] --metric score
if x == 2:
    raise ValueError("bad x")
nbtrack.log_metric("score", x)"""
PROBE = "print('active:', nbtrack.active_run())"
# Between the two runs the kernel imports PyYAML, so b's requirements.txt lists a package a lacks.
RUN_A = "k = 1\nimport sys\nassert 'yaml' not in sys.modules"
RUN_A2 = "%%track_run a -e kdiff -p k\nnbtrack.log_metric('v', 1)"
RUN_B = "k = 2\nimport yaml"
RUN_B2 = "%%track_run b -e kdiff -p k\nscale = 2\nnbtrack.log_metric('v', 1 * scale)"


def _runs(uri: str, experiment: str) -> list[nbtrack.Run]:
    client = nbtrack.TrackingClient(uri)
    exp = client.get_experiment_by_name(experiment)
    return sorted(client.search_runs([exp.experiment_id], max_results=1000), key=lambda r: r.info.start_time)


def _children(runs):
    return [r for r in runs if "mlflow.parentRunId" in r.data.tags]


def _parent(runs):
    [parent] = [r for r in runs if "nbtrack.sweep" in r.data.tags]
    return parent


def test_sweeps_restore_and_diff_in_a_kernel(store_uri, tmp_path):
    restore = '%track_restore "lr=0.01 depth=3"'
    diff = "%track_diff a b"
    nb = notebook(SETUP, GRID, RANDOM.format(name="r1"), RANDOM.format(name="r2"), OPTUNA, FAILING,
                   PROBE, restore, RUN_A, RUN_A2, RUN_B, RUN_B2, diff, PROBE)
    payloads: dict[int, list] = {}

    def keep_payload(cell, cell_index, execute_reply):
        payloads[cell_index] = execute_reply["content"].get("payload", [])

    notebook_client(nb, tmp_path, TIMEOUT_S, on_cell_executed=keep_payload).execute()

    grid = _runs(store_uri, "kgrid")
    assert len(grid) == 5 and {r.info.status for r in grid} == {"FINISHED"}
    children = _children(grid)
    assert sorted((c.data.params["lr"], c.data.params["depth"]) for c in children) == [
        ("0.01", "2"), ("0.01", "3"), ("0.1", "2"), ("0.1", "3")]
    assert all(c.data.metrics["loss"] == pytest.approx(float(c.data.params["lr"]) * int(c.data.params["depth"]))
               for c in children)
    assert _parent(grid).data.params["best.lr"] == "0.01" and _parent(grid).data.metrics["best_loss"] == 0.02
    [twin] = [o.data["text/html"] for o in nb.cells[1].outputs
              if 'class="nbtrack-sweep"' in o.get("data", {}).get("text/html", "")]
    assert twin.count("<tr") == 5 and twin.count('<tr class="nbtrack-best"') == 1  # final, kept headless

    rand = _runs(store_uri, "krand")
    by_parent: dict[str, list] = {}
    for child in _children(rand):
        by_parent.setdefault(child.data.tags["mlflow.parentRunId"], []).append(
            (int(child.data.tags["nbtrack.sweep.index"]), child.data.params["a"], child.data.params["b"]))
    first, second = (sorted(v) for v in by_parent.values())
    assert len(first) == 3 and first == second

    optuna = _children(_runs(store_uri, "kopt"))
    pruned = [c for c in optuna if c.data.tags.get("nbtrack.pruned") == "true"]
    assert len(optuna) == 6 and len(pruned) == 4 and {c.info.status for c in pruned} == {"KILLED"}

    flaky = _children(_runs(store_uri, "kfail"))
    assert sorted((c.data.params["x"], c.info.status) for c in flaky) == [
        ("1", "FINISHED"), ("2", "FAILED"), ("3", "FINISHED")]

    assert output_text(nb.cells[6]).strip() == "active: None" == output_text(nb.cells[13]).strip()
    [next_cell] = [p for p in payloads[7] if p.get("source") == "set_next_input"]
    restored = [c for c in children if c.info.run_name == "lr=0.01 depth=3"][0]
    assert next_cell["text"] == (f"# restored from run 'lr=0.01 depth=3' ({restored.info.run_id})\n"
                                 "lr = 0.01\ndepth = 3\nnbtrack.log_metric(\"loss\", lr * depth)\n")
    shown = output_text(nb.cells[12])
    assert "+scale = 2" in shown and "k: 1 -> 2" in shown and "v: 1 -> 2" in shown
    assert "PyYAML: (none) -> " in shown


async def _wait_for(path: Path, task: asyncio.Task, timeout_s: float) -> None:
    """Until ``path`` exists (the child is in its body) or the cell ended early."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if task.done():
            raise AssertionError(f"the cell ended before {path.name} appeared: {task.result()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear in {timeout_s} s")
        await asyncio.sleep(0.05)


INTERRUPTED = """%%track_sweep stopped -e kint x=range(5)
import pathlib, time
nbtrack.log_metric("seen", x)
if x == 2:
    pathlib.Path({mark!r}).write_text("in the body")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.01)"""
AFTER = "print('active:', nbtrack.active_run(), 'sum:', 1 + 1)"
AWAITING = "%%track_sweep -e kint x=[1]\nimport asyncio\nawait asyncio.sleep(0)"


async def _run_interrupted(nb: nbformat.NotebookNode, cwd: Path, mark: Path) -> None:
    client = notebook_client(nb, cwd, TIMEOUT_S, allow_errors=True)
    async with client.async_setup_kernel():
        await client.async_execute_cell(nb.cells[0], 0)
        task = asyncio.ensure_future(client.async_execute_cell(nb.cells[1], 1))
        await _wait_for(mark, task, TIMEOUT_S)
        await client.km.interrupt_kernel()
        await task
        await client.async_execute_cell(nb.cells[2], 2)
        await client.async_execute_cell(nb.cells[3], 3)


def test_an_interrupt_from_the_kernel_manager_mid_sweep(store_uri, tmp_path):
    mark = tmp_path / "in-body"
    nb = notebook(SETUP, INTERRUPTED.format(mark=str(mark)), AFTER, AWAITING)
    asyncio.run(_run_interrupted(nb, tmp_path, mark))
    runs = _runs(store_uri, "kint")
    status = {c.data.params["x"]: c.info.status for c in _children(runs)}
    assert status == {"0": "FINISHED", "1": "FINISHED", "2": "KILLED"}
    assert _parent(runs).info.status == "KILLED"
    assert any(o.output_type == "error" and o.ename == "KeyboardInterrupt" for o in nb.cells[1].outputs)
    assert output_text(nb.cells[2]).strip() == "active: None sum: 2"
    assert "UsageError: %%track_sweep cannot run a body with top-level `await`" in output_text(nb.cells[3])
    assert len(_runs(store_uri, "kint")) == 4  # the refused sweep started no run
