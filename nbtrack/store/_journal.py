"""Append-only change journals beside documents whose entries change one at a time.

Starting a run, logging its params and ending it each change one entry of a 100-run shard.
Rewriting the shard for each costs a parse, a serialisation, an fsync and an ``os.replace``
(which ext4 also turns into a data flush): 3-8 ms per change on this machine's shared disk.
Instead, such a change appends one line to ``<document>.jsonl``:

    [[table, entry_id, entry_or_null], ...]\\n

Each line sets (or, with null, removes) whole entries, so replaying a line twice gives the same
document: a compaction that rewrote the document and died before removing the journal loses
nothing. Readers read the journal *before* the document, so a compaction between the two reads
(rewrite, then remove the journal) can only make them replay lines the document already holds.
A line without its newline is a write still under way (or cut short by a crash) and is ignored;
a writer that fails mid-line truncates the journal back, so a later line never follows a torn one.

Durability: the appended line is in the OS page cache when the call returns, so a killed
process loses nothing; it reaches the disk within ``SYNC_DELAY_S`` (a background
``fdatasync``), or at once with ``NBTRACK_FSYNC=always``. See bench/README.md for the trade.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from ..errors import StoreCorruptedError

__all__ = ["Change", "read_journal", "append_journal", "apply_changes", "with_changes", "Syncer", "SYNC_DELAY_S",
           "FSYNC_EACH"]

#: (table, entry id) -> the new entry, or None to remove it.
Change = dict[tuple[str, str], Any]
SYNC_DELAY_S = 0.5
log = logging.getLogger(__name__)
FSYNC_EACH = os.environ.get("NBTRACK_FSYNC", "").lower() == "always"


def read_journal(path: str | Path) -> tuple[list[list[Any]], tuple[int, int] | None]:
    """Complete lines of the journal (each a list of [table, id, entry]) and its (inode, bytes read)."""
    try:
        with open(path, "rb") as fh:
            ino = os.fstat(fh.fileno()).st_ino
            raw = fh.read()
    except FileNotFoundError:
        return [], None
    end = raw.rfind(b"\n") + 1  # a trailing partial line is a write still under way
    records: list[list[Any]] = []
    for number, line in enumerate(raw[:end].splitlines(), start=1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise StoreCorruptedError(str(path), f"line {number} is not JSON: {exc}") from None
        if not isinstance(record, list) or not all(isinstance(e, list) and len(e) == 3 for e in record):
            raise StoreCorruptedError(str(path), f"line {number} is not a list of [table, id, entry]")
        records.append(record)
    return records, (ino, len(raw))


def apply_changes(data: dict[str, Any], entries: Iterable[list[Any] | tuple[str, str, Any]]) -> None:
    """Apply journal entries to a private (mutable) document, in order."""
    for table, entry_id, entry in entries:
        tbl = data.setdefault(table, {})
        if entry is None:
            tbl.pop(entry_id, None)
        else:
            tbl[entry_id] = entry


def append_journal(path: str | Path, changes: Change, known_end: tuple[int, int] | None = None) -> tuple[int, int]:
    """Append one line holding ``changes``; returns the journal's (inode, size) after it.

    ``known_end`` is the (inode, size) this process left after its own last append to the same
    journal: if the file still ends there, its last byte is known to be a newline.
    """
    line = orjson.dumps([[t, i, e] for (t, i), e in changes.items()]) + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        st = os.fstat(fd)
        before = st.st_size
        if before and (st.st_ino, before) != known_end and os.pread(fd, 1, before - 1) != b"\n":
            before = _drop_torn_tail(fd, before)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            if FSYNC_EACH:
                os.fdatasync(fd)
        except BaseException:
            os.ftruncate(fd, before)  # never leave a torn line for the next append to follow
            raise
        return (st.st_ino, before + len(line))  # O_APPEND under the lock: the line ends the file
    finally:
        os.close(fd)


def _drop_torn_tail(fd: int, size: int) -> int:
    """Cut a line left half-written by a killed writer (the caller holds the lock); new size."""
    start = max(0, size - (1 << 20))
    tail = os.pread(fd, size - start, start)
    keep = start + tail.rfind(b"\n") + 1 if b"\n" in tail else 0
    os.ftruncate(fd, keep)
    return keep


class Syncer:
    """Flushes appended journals to disk at most ``SYNC_DELAY_S`` after their first append, and
    runs housekeeping tasks (folding a full shard's journal) off the caller's path."""

    def __init__(self, delay: float = SYNC_DELAY_S) -> None:
        self._delay = delay
        self._paths: set[str | Path] = set()
        self._tasks: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.sync)

    def add(self, path: str | Path) -> None:
        with self._lock:
            if path in self._paths and self._thread is not None:
                return  # already due in the next sync
            self._paths.add(path)
            self._start()
        self._wake.set()

    def add_task(self, key: str, task: Callable[[], None]) -> None:
        """Run ``task`` in the next round (once per ``key``); a failing task is only logged: tasks
        may make reads faster, never make a write durable."""
        with self._lock:
            self._tasks[key] = task
            self._start()
        self._wake.set()

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():  # also after a fork
            self._thread = threading.Thread(target=self._loop, name="nbtrack-journal-sync", daemon=True)
            self._thread.start()

    def sync(self) -> None:
        """fdatasync every journal appended to since the last sync, then run pending tasks."""
        self._sync_paths()
        with self._lock:
            tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            try:
                task()
            except Exception as exc:  # noqa: BLE001 - housekeeping never fails the process
                log.debug("nbtrack: background task failed: %s", exc)

    def _sync_paths(self) -> None:
        with self._lock:
            paths, self._paths = self._paths, set()
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # compacted meanwhile: the rewrite was fsynced
            try:
                os.fdatasync(fd)
            except OSError:
                with self._lock:
                    self._paths.add(path)  # try again on the next round
            finally:
                os.close(fd)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            time.sleep(self._delay)  # batch every append of the next half second into one sync
            self.sync()


def with_changes(current: dict[str, Any], changes: Change) -> dict[str, Any]:
    """A new document sharing every untouched entry (entries are never mutated: copy-on-write)."""
    data = dict(current)
    for (table, entry_id), entry in changes.items():
        if data.get(table) is current.get(table):
            data[table] = dict(current.get(table, {}))
        if entry is None:
            data[table].pop(entry_id, None)
        else:
            data[table][entry_id] = entry
    return data
