"""Two real processes promote, move aliases and add versions on one TinyDB store at once.

The workers meet at a barrier (marker files) before every round, so both contend for the
registry lock in each round: without it one process can take the lock over and over and run
to the end before the other gets in, and the test would not test concurrency.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from nbtrack.client import TrackingClient

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 25

WORKER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from nbtrack.client import TrackingClient

worker, rounds, sync = {worker}, {rounds}, Path({sync!r})
client = TrackingClient({store!r})
source = client.get_model_version("m", 1).source


def wait_for(marker):
    deadline = time.monotonic() + 60
    while not marker.exists():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {{marker.name}}")
        time.sleep(0.001)


(sync / f"ready{{worker}}").touch()
wait_for(sync / "go")
start = time.perf_counter()
for i in range(rounds):
    if i:  # both workers finished round i - 1: run round i together
        wait_for(sync / f"done{{1 - worker}}-{{i - 1}}")
    mine = 2 * worker + 1 + i % 2           # worker 0 owns versions 1-2, worker 1 owns 3-4
    client.transition_model_version_stage("m", mine, "Production" if i % 2 else "Staging")
    client.set_registered_model_alias("m", f"worker{{worker}}", 1 + i % 4)
    client.set_registered_model_alias("m", "champion", mine)
    if i % 5 == 0:
        client.create_model_version("m", source, tags={{"worker": str(worker)}})
    (sync / f"done{{worker}}-{{i}}").touch()
print(f"ops/s {{rounds * 3.2 / (time.perf_counter() - start):.0f}}", flush=True)
"""


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "workers did not get ready in time"
        time.sleep(0.005)


def test_two_processes_promoting_at_once_lose_nothing(tmp_path):
    store, sync = str(tmp_path / "store"), tmp_path / "sync"
    sync.mkdir()
    client = TrackingClient(store)
    run_id = client.create_run("0").info.run_id
    client.log_model(run_id, {"weights": [1, 2]}, "model")
    for _ in range(4):
        client.register_model(f"runs:/{run_id}/model", "m")
    events_before = len(client.get_registry_audit("m"))

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER.format(root=str(ROOT), worker=w, rounds=ROUNDS, sync=str(sync), store=store)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for w in (0, 1)
    ]
    _wait_for(lambda: all((sync / f"ready{w}").exists() for w in (0, 1)))
    (sync / "go").touch()
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert out.startswith("ops/s")

    created_per_worker = len(range(0, ROUNDS, 5))
    model = client.get_registered_model("m")
    versions = client.search_model_versions("name = 'm'")
    numbers = sorted(v.version for v in versions)
    assert numbers == list(range(1, 5 + 2 * created_per_worker))  # unique, none lost or reused
    for w in (0, 1):
        assert sum(v.tags.get("worker") == str(w) for v in versions) == created_per_worker
        assert model.aliases[f"worker{w}"] == str(1 + (ROUNDS - 1) % 4)
    last = "Production" if (ROUNDS - 1) % 2 else "Staging"
    assert client.get_model_version("m", 1 + (ROUNDS - 1) % 2).current_stage == last
    assert client.get_model_version("m", 3 + (ROUNDS - 1) % 2).current_stage == last
    assert int(model.aliases["champion"]) in (1 + (ROUNDS - 1) % 2, 3 + (ROUNDS - 1) % 2)

    events = client.get_registry_audit("m")[events_before:]
    actions = [e.action for e in events]
    assert len(events) == 2 * (ROUNDS * 3 + created_per_worker)
    assert actions.count("transition_model_version_stage") == 2 * ROUNDS
    assert actions.count("set_registered_model_alias") == 4 * ROUNDS
    assert actions.count("create_model_version") == 2 * created_per_worker
    for w in (0, 1):
        own = [e for e in events if isinstance(e.after, dict) and e.after.get("alias") == f"worker{w}"]
        assert [e.after["version"] for e in own] == [1 + i % 4 for i in range(ROUNDS)]
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    # the workers really interleaved: champion changed hands between them again and again
    champions = [e.after["version"] for e in events if isinstance(e.after, dict) and e.after.get("alias") == "champion"]
    assert {v <= 2 for v in champions} == {True, False}
    owners = [v <= 2 for v in champions]
    assert sum(a != b for a, b in zip(owners, owners[1:])) >= ROUNDS // 2
