"""Named JSON documents with cached reads and atomic, locked read-modify-write updates.

A store is a handful of kinds of document (experiment metadata, run shards, one metric-history
file per run, the registry). ``FileDocuments`` keeps each in its own file; ``MemoryDocuments``
keeps them in a dict with the same semantics, for tests. Both serialise through JSON so a value
that would not survive a file cannot survive memory either.
"""
from __future__ import annotations

import os
import secrets
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, TypeVar

import orjson

from ..errors import NbtrackError, StoreCorruptedError, StoreWriteError, describe_os_error
from ._locks import DocLock
from ._lru import ByteLRU

T = TypeVar("T")

_TMP_SUFFIX = ".tmp"
#: Budget of the parsed-document cache, in bytes of the files held (parsed JSON is ~3x that).
CACHE_FILE_BYTES = int(os.environ.get("NBTRACK_DOC_CACHE_MB", "8")) * 2**20


class Documents(Protocol):
    def read(self, name: str) -> dict[str, Any]:
        """Latest committed content ({} when missing). Shared: callers must not mutate it."""

    def load(self, name: str) -> dict[str, Any]:
        """Like ``read`` but never cached: for immutable documents read once (sealed chunks)."""

    def version(self, name: str) -> Any:
        """A value that changes whenever the document is committed (None when missing)."""

    def update(self, name: str, fn: Callable[[dict[str, Any]], T]) -> T:
        """Run ``fn`` on a private copy of the document under its lock; commit if ``fn`` returns."""

    def names(self, prefix: str) -> list[str]:
        """Names of existing documents that start with ``prefix``."""

    def describe(self, name: str) -> str:
        """Where the document lives, for error messages (a file path, or the name)."""


def _dumps(data: Any) -> bytes:
    return orjson.dumps(data)


class MemoryDocuments:
    """Documents in a dict; same copy-on-update semantics as files."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.RLock()
        _INSTANCES.add(self)

    def reset_after_fork(self) -> None:
        self._lock = threading.RLock()

    def read(self, name: str) -> dict[str, Any]:
        return self._docs.get(name, {})

    load = read

    def version(self, name: str) -> Any:
        return self._versions.get(name)

    def update(self, name: str, fn: Callable[[dict[str, Any]], T]) -> T:
        with self._lock:
            current = self._docs.get(name)
            data = orjson.loads(_dumps(current)) if current is not None else {}
            result = fn(data)
            self._docs[name] = orjson.loads(_dumps(data))
            self._versions[name] = self._versions.get(name, 0) + 1
            return result

    def names(self, prefix: str) -> list[str]:
        with self._lock:
            return sorted(n for n in self._docs if n.startswith(prefix))

    def describe(self, name: str) -> str:
        return f"memory document {name!r}"


class FileDocuments:
    """One JSON file per document under ``root``; ``name`` "runs/ab" is ``root/runs/ab.json``.

    Writes: file lock per document, fresh read inside the lock, temp file in the same folder,
    fsync, ``os.replace``, then an fsync of the folder so the rename itself survives a power cut
    (once per outermost update: a chunk sealed inside a history update shares it). Reads: re-parse
    only when (inode, mtime, size) changed, so a reader sees other processes' commits and never a
    half-written file. Parsed documents are kept in a least-recently-used cache of
    ``cache_bytes`` (file bytes), so memory does not grow with the number of documents a process
    touches.
    """

    def __init__(self, root: str | os.PathLike[str], cache_bytes: int = CACHE_FILE_BYTES) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".locks").mkdir(exist_ok=True)
        self._cache: ByteLRU[str, tuple[tuple[int, int, int], dict[str, Any]]] = ByteLRU(cache_bytes)
        self._cache_lock = threading.Lock()
        self._thread_locks: dict[str, threading.RLock] = {}
        self._local = threading.local()
        self._remove_orphan_temp_files()
        _INSTANCES.add(self)

    def reset_after_fork(self) -> None:
        """In a forked child: locks another thread of the parent held would never be released."""
        self._cache_lock = threading.Lock()
        self._cache = ByteLRU(self._cache.budget)  # its lock may be held by a parent's thread
        self._thread_locks = {}
        self._local = threading.local()

    def path(self, name: str) -> Path:
        return self.root / f"{name}.json"

    def describe(self, name: str) -> str:
        return str(self.path(name))

    # -- reading -------------------------------------------------------------------------
    def read(self, name: str) -> dict[str, Any]:
        path = self.path(name)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {}
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._cache.get(name)
        if cached is not None and cached[0] == sig:
            return cached[1]
        data, sig = self._parse(path)
        if data is None:
            return {}
        self._cache.put(name, (sig, data), sig[2])
        return data

    def load(self, name: str) -> dict[str, Any]:
        data, _ = self._parse(self.path(name))
        return {} if data is None else data

    def version(self, name: str) -> Any:
        try:
            st = os.stat(self.path(name))
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    @staticmethod
    def _parse(path: Path) -> tuple[dict[str, Any] | None, tuple[int, int, int]]:
        # Reopen the path on every read: a handle kept open would still see the replaced file.
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                raw = fh.read()
        except FileNotFoundError:
            return None, (0, 0, 0)
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise StoreCorruptedError(str(path), f"invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise StoreCorruptedError(str(path), f"expected a JSON object, found {type(data).__name__}")
        return data, sig

    # -- writing -------------------------------------------------------------------------
    def update(self, name: str, fn: Callable[[dict[str, Any]], T]) -> T:
        """Locked read-modify-write; an OS failure becomes StoreWriteError naming the file."""
        path = self.path(name)
        local = self._local
        outer = not getattr(local, "unsynced", None)
        if outer:
            local.unsynced = {path.parent}  # nested updates (a sealed chunk) share one folder fsync
        try:
            with self._locked(name):
                data, _ = self._parse(path)
                if data is None:
                    data = {}
                result = fn(data)
                payload = _dumps(data)
                sig = self._atomic_write(path, payload)
                local.unsynced.add(path.parent)
                if outer:
                    for folder in local.unsynced:
                        _fsync_dir(folder)
                self._cache.put(name, (sig, data), sig[2])
                return result
        except OSError as exc:
            if isinstance(exc, NbtrackError):
                raise
            raise StoreWriteError(str(path), describe_os_error(exc)) from exc
        finally:
            if outer:
                local.unsynced = None

    def _locked(self, name: str) -> DocLock:
        with self._cache_lock:
            tlock = self._thread_locks.setdefault(name, threading.RLock())
        return DocLock(tlock, self.root / ".locks" / (name.replace("/", "__") + ".lock"))

    @staticmethod
    def _atomic_write(path: Path, payload: bytes) -> tuple[int, int, int]:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
                st = os.fstat(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        # The inode and size survive the rename; mtime too (rename does not touch it).
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _remove_orphan_temp_files(self) -> None:
        """Delete temp files left by writers that were killed mid-write."""
        for tmp in self._iter_temp_files():
            try:
                pid = int(tmp.name.rsplit(".", 3)[-3])
            except (ValueError, IndexError):
                continue
            if pid != os.getpid() and not pid_alive(pid):
                tmp.unlink(missing_ok=True)

    def _iter_temp_files(self) -> Iterator[Path]:
        for folder in (self.root, *(p for p in self.root.iterdir() if p.is_dir())):
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        if entry.name.startswith(".") and entry.name.endswith(_TMP_SUFFIX):
                            yield Path(entry.path)
            except OSError:
                continue

    def names(self, prefix: str) -> list[str]:
        folder, _, stem = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        try:
            with os.scandir(base) as it:
                found = [
                    (f"{folder}/" if folder else "") + e.name[:-5]
                    for e in it
                    if e.name.endswith(".json") and e.name.startswith(stem) and not e.name.startswith(".")
                ]
        except FileNotFoundError:
            return []
        return sorted(found)


_INSTANCES: weakref.WeakSet[Any] = weakref.WeakSet()


def _reset_in_child() -> None:
    for docs in list(_INSTANCES):
        docs.reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: fsync the folder's entry table (POSIX; a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True
