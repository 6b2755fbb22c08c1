"""Failures surface as StoreWriteError with the points kept: full disk, read-only store, end_run."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import nbtrack
from nbtrack.errors import NbtrackError, RunStateError, StoreWriteError
from nbtrack.store import TinyDBStore

from .conftest import spawn


def _mount(folder: Path, *options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)],
                   check=True, capture_output=True)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MB tmpfs (root only; skipped where mounting is not allowed)."""
    folder = tmp_path / "mnt"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        _mount(folder, "size=1m")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    yield folder
    nbtrack.set_tracking_uri(str(tmp_path / "elsewhere"))  # drop the fluent store's run first
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _remount(folder: Path, *options: str) -> None:
    subprocess.run(["mount", "-o", ",".join(("remount", *options)), str(folder)], check=True)


def test_full_disk_raises_at_flush_and_at_the_next_log_then_stores_everything(small_tmpfs, no_background_flush):
    client = nbtrack.TrackingClient(str(small_tmpfs / "store"))
    run_id = client.create_run("0").info.run_id
    logged = 0
    with pytest.raises(StoreWriteError) as err:
        while True:  # ~50k points make more than 1 MB of history
            for _ in range(5000):
                client.log_metric(run_id, "m", logged * 0.25, step=logged)
                logged += 1
            client.flush()
    assert "disk is full" in str(err.value) and str(small_tmpfs) in str(err.value)
    assert "kept in memory" in str(err.value)
    client.get_run(run_id)  # committed data stays readable; the failed write is recorded again
    with pytest.raises(StoreWriteError):
        client.log_metric(run_id, "m", -1.0, step=-1)  # refused: the caller is told, not stored
    _remount(small_tmpfs, "size=64m")
    client.flush()
    steps = [m.step for m in client.get_metric_history(run_id, "m")]
    assert steps == list(range(logged))


def test_read_only_store_keeps_reads_working_and_points_in_memory(small_tmpfs, no_background_flush):
    client = nbtrack.TrackingClient(str(small_tmpfs / "store"))
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "p", "1")
    client.log_metric(run_id, "m", 1.0, step=0)
    client.flush()
    _remount(small_tmpfs, "ro")
    for step in range(1, 101):
        client.log_metric(run_id, "m", float(step), step=step)
    with pytest.raises(StoreWriteError) as err:
        client.flush()
    assert "read-only" in str(err.value)
    assert client.get_run(run_id).data.params == {"p": "1"}
    assert len(client.get_metric_history(run_id, "m")) == 1
    assert [r.info.run_id for r in client.search_runs(["0"])] == [run_id]
    with pytest.raises(StoreWriteError):
        client.set_terminated(run_id)
    assert run_id in client.find_stale_runs()  # its end failed: shown as stale in this process
    _remount(small_tmpfs, "rw")
    assert client.close_stale_runs() == [run_id]
    assert client.get_run(run_id).info.status == "KILLED"
    assert [m.step for m in client.get_metric_history(run_id, "m")] == list(range(101))


def _block_history_writes(store_dir: Path, run_id: str) -> Path:
    lock = store_dir / ".locks" / f"metrics__{run_id}.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()  # a folder where the lock file must go: every history write fails (EISDIR)
    return lock


def test_failed_end_run_is_raised_and_seen_as_stale_by_other_processes(tracking_uri, tmp_path, no_background_flush):
    run = nbtrack.start_run()
    run_id = run.info.run_id
    nbtrack.log_metric("m", 1.0)
    lock = _block_history_writes(tmp_path / "store", run_id)
    with pytest.raises(StoreWriteError):
        nbtrack.flush()
    nbtrack.log_metric("m", 2.0, step=1)
    with pytest.raises(StoreWriteError):
        nbtrack.end_run()
    assert nbtrack.active_run() is None
    other = spawn(
        "import nbtrack, sys\n"
        f"print(nbtrack.TrackingClient({str(tmp_path / 'store')!r}).find_stale_runs())\n"
    )
    out, err = other.communicate(timeout=120)
    assert run_id in out, err
    lock.rmdir()
    client = nbtrack.TrackingClient()
    assert client.close_stale_runs() == [run_id]
    assert [m.value for m in client.get_metric_history(run_id, "m")] == [1.0, 2.0]


DELETER = """
import nbtrack
nbtrack.TrackingClient({uri!r}).delete_run({run_id!r})
print("deleted", flush=True)
"""


def test_a_run_deleted_by_another_process_refuses_further_points(tracking_uri, tmp_path, no_background_flush):
    client = nbtrack.TrackingClient()
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 1.0)
    client.flush()
    proc = spawn(DELETER.format(uri=str(tmp_path / "store"), run_id=run_id))
    assert proc.communicate(timeout=120)[0].strip() == "deleted"
    client.log_metric(run_id, "m", 2.0, step=1)  # accepted: this process has not looked yet
    with pytest.raises(NbtrackError) as err:
        client.flush()
    assert "1 metric points" in str(err.value) and "deleted" in str(err.value)
    with pytest.raises(RunStateError):
        client.log_metric(run_id, "m", 3.0, step=2)
    assert [m.value for m in TinyDBStore(tmp_path / "store").get_metric_history(run_id, "m")] == [1.0]


def test_fluent_flush_raises_like_the_client(tracking_uri, tmp_path, no_background_flush):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 1.0)
        lock = _block_history_writes(tmp_path / "store", run.info.run_id)
        with pytest.raises(StoreWriteError) as fluent_err:
            nbtrack.flush()
        with pytest.raises(StoreWriteError) as client_err:
            nbtrack.TrackingClient().flush()
        assert str(lock) in str(fluent_err.value) and str(lock) in str(client_err.value)
        lock.rmdir()


def test_store_folder_deleted_under_a_live_process_gives_an_nbtrack_error(tracking_uri, tmp_path):
    import shutil

    client = nbtrack.TrackingClient()
    run_id = client.create_run("0").info.run_id
    client.flush()
    shutil.rmtree(tmp_path / "store")
    for call in (lambda: client.log_metric(run_id, "m", 1.0), client.flush,
                 lambda: client.log_param(run_id, "p", "v"), lambda: client.create_experiment("e"),
                 lambda: client.set_terminated(run_id)):
        try:
            call()
        except NbtrackError:
            pass
