"""Helpers for the integrity tests: real stores in tmp dirs, real writer processes, fault injection."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbtrack.store import TinyDBStore, _metric_buffer, documents

ROOT = Path(__file__).resolve().parents[2]


def spawn(code: str, **kwargs: Any) -> subprocess.Popen:
    """A real Python process running ``code`` with this tree first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, **kwargs,
    )


def spawn_script(folder: Path, code: str) -> subprocess.Popen:
    """Like ``spawn`` but from a file, so multiprocessing's spawn can import ``__main__``."""
    script = folder / "script.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=str(folder),
    )


def history(store: TinyDBStore, run_id: str, key: str) -> list[tuple[int, float, int]]:
    return [(m.step, m.value, m.timestamp) for m in store.get_metric_history(run_id, key)]


class WriteFaults:
    """Make the n-th file write of the store fail, before or after its rename took effect.

    "before": the write raises ENOSPC and leaves the file as it was. "after": the new file is in
    place but the folder fsync raises, so the caller sees a failure of a write that is durable.
    A run-shard journal append (store/_journal.py) counts as a write too: "after" appends the
    line, then fails.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.fail_at: int | None = None
        self.mode = "before"
        real_write = documents.FileDocuments._atomic_write
        real_sync = documents._fsync_dir

        def write(path: Path, payload: bytes) -> Any:
            self.calls += 1
            if self.calls == self.fail_at and self.mode == "before":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            result = real_write(path, payload)
            if self.calls == self.fail_at and self.mode == "after":
                self._after = True
            return result

        def sync(folder: Path) -> None:
            if getattr(self, "_after", False):
                self._after = False
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(folder))
            real_sync(folder)

        real_append = documents.append_journal

        def append(path: Path, changes: Any, *known: Any) -> Any:
            self.calls += 1
            if self.calls == self.fail_at and self.mode == "before":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            result = real_append(path, changes, *known)
            if self.calls == self.fail_at and self.mode == "after":
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))
            return result

        monkeypatch.setattr(documents, "append_journal", append)
        monkeypatch.setattr(documents.FileDocuments, "_atomic_write", staticmethod(write))
        monkeypatch.setattr(documents, "_fsync_dir", sync)

    def arm(self, fail_at: int | None, mode: str = "before") -> None:
        self.calls, self.fail_at, self.mode, self._after = 0, fail_at, mode, False


@pytest.fixture
def no_background_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the background flusher back, so the test's own flushes do every write."""
    monkeypatch.setattr(_metric_buffer, "FLUSH_INTERVAL_S", 3600.0)


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch, no_background_flush: None) -> WriteFaults:
    return WriteFaults(monkeypatch)


@pytest.fixture
def store(tmp_path: Path, no_background_flush: None) -> TinyDBStore:
    s = TinyDBStore(tmp_path / "store")
    yield s
    try:
        s.flush()
    except Exception:
        pass


Check = Callable[..., None]
