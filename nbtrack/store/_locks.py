"""Cross-process locks on lock files, one per store document.

On POSIX a bare ``fcntl.flock`` costs ~1.5 µs per acquire/release; the filelock package (kept for
Windows) costs ~100-150 µs, which was a third of starting or ending a run. A lock is taken with a
non-blocking attempt and then polled every 2 ms, so a waiter gets its turn between two writes of
a busy writer, and gives up with StoreBusyError after the timeout.
"""
from __future__ import annotations

import os
import threading
import time

from ..errors import StoreBusyError

LOCK_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.002

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def _busy(path: str, timeout: float) -> StoreBusyError:
    return StoreBusyError(
        f"Could not lock {path} within {timeout:.0f} s; another process holds the store. Try again."
    )


class LockFiles:
    """Open lock-file descriptors kept between locks of the same document (at most ``size``).

    Opening and closing the lock file cost two of the ~10 system calls of a run-shard change.
    Only unlocked descriptors are kept; a forked child must start with a new ``LockFiles``
    (its copies share the parent's open files, and so the parent's locks).
    """

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, path: str) -> int:
        with self._lock:
            fd = self._fds.pop(path, -1)
        return fd if fd >= 0 else os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # flock needs no write access

    def give(self, path: str, fd: int) -> None:
        with self._lock:
            self._fds[path] = fd
            evicted = self._fds.pop(next(iter(self._fds))) if len(self._fds) > self._size else -1
        if evicted >= 0:
            os.close(evicted)

    def close(self) -> None:
        """Close every kept descriptor. Takes no lock: it also runs in a forked child, where a
        parent's thread may have held it."""
        fds, self._fds = list(self._fds.values()), {}
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    __del__ = close


class DocLock:
    """In-process lock, then the cross-process lock on ``path``; released in reverse order."""

    def __init__(
        self, thread_lock: threading.RLock, path: str, timeout: float | None = None, files: LockFiles | None = None
    ) -> None:
        self._thread_lock = thread_lock
        self._path = path
        self._files = files
        self._timeout = LOCK_TIMEOUT_S if timeout is None else timeout
        self._fd = -1
        self._fallback = None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            self._acquire_file_lock()
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fallback is not None:
                self._fallback.release()
            else:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                if self._files is not None:
                    self._files.give(self._path, self._fd)
                else:
                    os.close(self._fd)
        finally:
            self._thread_lock.release()

    def _acquire_file_lock(self) -> None:
        if fcntl is None:
            from filelock import FileLock, Timeout

            self._fallback = FileLock(self._path, timeout=self._timeout, thread_local=False)
            try:
                self._fallback.acquire(poll_interval=POLL_INTERVAL_S)
            except Timeout:
                raise _busy(self._path, self._timeout) from None
            return
        fd = self._files.take(self._path) if self._files is not None else os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise _busy(self._path, self._timeout) from None
                time.sleep(POLL_INTERVAL_S)
            except BaseException:
                os.close(fd)
                raise
