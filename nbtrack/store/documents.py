"""Named JSON documents with cached reads and atomic, locked read-modify-write updates.

A store is a handful of kinds of document (experiment metadata, run shards, one metric-history
file per run, the registry). ``FileDocuments`` keeps each in its own file; ``MemoryDocuments``
(:mod:`.memory_documents`) keeps them in a dict with the same semantics, for tests. Both serialise through JSON so a value
that would not survive a file cannot survive memory either.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

import orjson

from .._identity import pid_alive
from ..errors import NbtrackError, StoreCorruptedError, StoreWriteError, describe_os_error
from ._journal import FSYNC_EACH, Change, Syncer, append_journal, apply_changes, read_journal, with_changes
from ._locks import DocLock, LockFiles
from ._lru import ByteLRU

T = TypeVar("T")

_TMP_SUFFIX = ".tmp"
#: Builds a document's sidecar (a derived file such as run_index's ``.cols``) from the document
#: and the (inode, mtime_ns, size) of the file just written; None writes none.
Sidecar = Callable[[dict[str, Any], tuple[int, int, int]], "bytes | None"]
#: Budget of the parsed-document cache, in bytes of the files held (parsed JSON is ~3x that).
CACHE_FILE_BYTES = int(os.environ.get("NBTRACK_DOC_CACHE_MB", "8")) * 2**20
#: Documents whose single-entry changes go to an append-only journal (see ``_journal``).
JOURNALED = ("runs/",)
#: A journal longer than this is folded back into its document by the next change.
JOURNAL_COMPACT_BYTES = 512 * 1024


def _read_all(fh: BinaryIO) -> bytes:
    return fh.read()


class Documents(Protocol):
    def read(self, name: str) -> dict[str, Any]:
        """Latest committed content ({} when missing). Shared: callers must not mutate it."""

    def load(self, name: str) -> dict[str, Any]:
        """Like ``read`` but never cached: for immutable documents read once (sealed chunks)."""

    def version(self, name: str) -> Any:
        """A value that changes whenever the document is committed (None when missing)."""

    def update(self, name: str, fn: Callable[[dict[str, Any]], T]) -> T:
        """Run ``fn`` on a private copy of the document under its lock; commit if ``fn`` returns."""

    def update_entries(self, name: str, fn: Callable[[dict[str, Any]], tuple[T, Change]]) -> T:
        """Under the document's lock, ``fn`` reads the current (shared, read-only) content and
        returns ``(result, changes)``: whole entries to set or remove, committed together."""

    def put(self, name: str, data: dict[str, Any]) -> None:
        """Write a whole document that is written once and read rarely (not kept in any cache)."""

    def compact(self, name: str, then_create: str | None = None) -> None:
        """Soon, off the caller's path: fold the document's journal, if it has one, back into it
        (one atomic rewrite), then create ``then_create`` empty if it does not exist yet."""

    def put_bytes(self, name: str, payload: bytes) -> None:
        """Like ``put`` for a binary document (sealed metric columns); never cached."""

    def load_bytes(self, name: str) -> bytes | None:
        """A binary document's bytes, or None when missing."""

    def names(self, prefix: str) -> list[str]:
        """Names of existing documents that start with ``prefix``."""

    def describe(self, name: str) -> str:
        """Where the document lives, for error messages (a file path, or the name)."""


def dumps(data: Any) -> bytes:
    """The one JSON encoding of a document (orjson: bytes, NaN refused)."""
    return orjson.dumps(data)


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

    def __init__(
        self, root: str | os.PathLike[str], cache_bytes: int = CACHE_FILE_BYTES, sidecars: Mapping[str, Sidecar] | None = None
    ) -> None:
        self.root = Path(root)
        self._sidecars = dict(sidecars or {})
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".locks").mkdir(exist_ok=True)
        self._cache: ByteLRU[str, tuple[Any, dict[str, Any]]] = ByteLRU(cache_bytes)
        self._cache_lock = threading.Lock()
        self._thread_locks: dict[str, threading.RLock] = {}
        self._local = threading.local()
        self._syncer = Syncer()
        self._lock_files = LockFiles()
        self._appended: dict[str, tuple[int, int]] = {}
        self._root_str = str(self.root)
        self._remove_orphan_temp_files()
        _INSTANCES.add(self)

    def reset_after_fork(self) -> None:
        """In a forked child: locks another thread of the parent held would never be released."""
        self._cache_lock = threading.Lock()
        self._cache = ByteLRU(self._cache.budget)  # its lock may be held by a parent's thread
        self._thread_locks = {}
        self._local = threading.local()
        self._syncer = Syncer()
        self._lock_files.close()  # the parent's open files (and their locks) stay the parent's
        self._lock_files = LockFiles()

    def path(self, name: str) -> Path:
        return self.root / f"{name}.json"

    def describe(self, name: str) -> str:
        return str(self.path(name))

    def _journal(self, name: str) -> str | None:
        return f"{self._root_str}/{name}.jsonl" if name.startswith(JOURNALED) else None

    # -- reading -------------------------------------------------------------------------
    def read(self, name: str) -> dict[str, Any]:
        sig = self.version(name)
        if sig is None:
            return {}
        cached = self._cache.get(name)
        if cached is not None and cached[0] == sig:
            return cached[1]
        data, sig = self._load_current(name)
        if data is None:
            return {}
        self._cache.put(name, (sig, data), _size(sig))
        return data

    def load(self, name: str) -> dict[str, Any]:
        data, _ = self._load_current(name)
        return {} if data is None else data

    def version(self, name: str) -> Any:
        base = f"{self._root_str}/{name}.json"  # plain strings: searches call this per shard
        journaled = name.startswith(JOURNALED)
        jsig = None
        if journaled:  # the journal first: see _journal's module docstring
            try:
                st = os.stat(base + "l")
                jsig = (st.st_ino, st.st_size)
            except FileNotFoundError:
                pass
        try:
            st = os.stat(base)
        except FileNotFoundError:
            return None
        bsig = (st.st_ino, st.st_mtime_ns, st.st_size)
        return (bsig, jsig) if journaled else bsig

    def _load_current(self, name: str) -> tuple[dict[str, Any] | None, Any]:
        """A private copy of the document with its journal replayed, and its version."""
        journal = self._journal(name)
        records, jsig = read_journal(journal) if journal is not None else ([], None)
        data, bsig = self._parse(self.path(name))
        if data is None:
            return None, None
        for record in records:
            apply_changes(data, record)
        return data, (bsig if journal is None else (bsig, jsig))

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
            with _write_errors(path), self._locked(name):
                data, _ = self._load_current(name)
                if data is None:
                    data = {}
                result = fn(data)
                self._rewrite(name, data, outer)
                return result
        finally:
            if outer:
                local.unsynced = None

    def _rewrite(self, name: str, data: dict[str, Any], outer: bool = True) -> None:
        """Atomically replace the document (fsynced, folder too) and drop its journal; lock held."""
        path = self.path(name)
        sig: Any = self._atomic_write(path, dumps(data))
        unsynced = getattr(self._local, "unsynced", None)
        if unsynced is not None:
            unsynced.add(path.parent)
        if outer:
            for folder in unsynced or {path.parent}:
                _fsync_dir(folder)
        self._write_sidecar(name, data, sig)
        journal = self._journal(name)
        if journal is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(journal)  # after the rewrite is durable: it holds every line
            sig = (sig, None)
        self._cache.put(name, (sig, data), _size(sig))

    def update_entries(self, name: str, fn: Callable[[dict[str, Any]], tuple[T, Change]]) -> T:
        journal = self._journal(name)
        with _write_errors(journal or self.path(name)), self._locked(name):
            sig = self.version(name)
            cached = self._cache.get(name)
            if cached is not None and cached[0] == sig:
                current = cached[1]
            else:
                loaded, sig = self._load_current(name)
                current = loaded or {}
            result, changes = fn(current)
            if not changes:
                return result
            if journal is None or sig is None or sig[1] is not None and sig[1][1] > JOURNAL_COMPACT_BYTES:
                data = orjson.loads(dumps(current))  # a private copy to rewrite
                apply_changes(data, ((t, i, e) for (t, i), e in changes.items()))
                self._rewrite(name, data)
                return result
            jsig = append_journal(journal, changes, self._appended.get(journal))
            self._appended = {journal: jsig}  # only the last: where the next append most likely goes
            if not FSYNC_EACH:
                self._syncer.add(journal)
            self._cache.put(name, (new_sig := (sig[0], jsig), with_changes(current, changes)), _size(new_sig))
            return result

    def put_bytes(self, name: str, payload: bytes) -> None:
        """Atomic write of a write-once binary document (``<name>.col``, sealed metric columns).

        Takes no lock of its own: such a document is written only inside the update of the
        document that refers to it (a run's history), under that document's lock.
        """
        path = self.bytes_path(name)
        with _write_errors(path):
            self._write_once(path, payload)

    def load_bytes(self, name: str) -> bytes | None:
        try:
            with open(self.bytes_path(name), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def bytes_path(self, name: str) -> Path:
        return self.root / f"{name}.col"

    def put(self, name: str, data: dict[str, Any]) -> None:
        """Atomic write of a write-once document (a sealed chunk): no read, nothing cached."""
        path = self.path(name)
        with _write_errors(path), self._locked(name):
            self._write_once(path, dumps(data))
        self._cache.pop(name)

    def _write_once(self, path: Path, payload: bytes) -> None:
        """Atomically write a file never rewritten; its folder is synced now, or once by the
        enclosing update when there is one."""
        self._atomic_write(path, payload)
        unsynced = getattr(self._local, "unsynced", None)
        if unsynced:
            unsynced.add(path.parent)
        else:
            _fsync_dir(path.parent)

    # -- sidecars: derived files a reader trusts only while they match the document ------
    def _sidecar_path(self, name: str) -> str:
        return f"{self._root_str}/{name}.cols"

    def _write_sidecar(self, name: str, data: dict[str, Any], sig: tuple[int, int, int]) -> None:
        """Write ``name``'s sidecar (atomic, not fsynced: it is rebuilt if lost); best effort."""
        encoder = next((fn for prefix, fn in self._sidecars.items() if name.startswith(prefix)), None)
        if encoder is None:
            return
        path = Path(self._sidecar_path(name))
        try:
            payload = encoder(data, sig)
            if payload is None:
                path.unlink(missing_ok=True)
                return
            tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
            try:
                with open(tmp, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a reader without it reads the document itself

    def read_with_sidecar(
        self, name: str, read: Callable[[BinaryIO], Any] = _read_all
    ) -> tuple[list[list[Any]], tuple[int, int, int] | None, Any]:
        """The journal's complete records, then the document file's signature and what ``read``
        takes from the open sidecar (all of it by default; read in that order: see ``_journal``);
        (records, None, None) when the document is missing, None in place of the sidecar's part
        when it is."""
        journal = self._journal(name)
        records = read_journal(journal)[0] if journal is not None else []
        try:
            st = os.stat(f"{self._root_str}/{name}.json")
        except FileNotFoundError:
            return records, None, None
        return records, (st.st_ino, st.st_mtime_ns, st.st_size), self.read_sidecar(name, read)

    def read_sidecar(self, name: str, read: Callable[[BinaryIO], Any] = _read_all) -> Any:
        """What ``read`` takes from the open sidecar of ``name`` (a part of it, say), or None."""
        try:
            with open(self._sidecar_path(name), "rb") as fh:
                return read(fh)
        except OSError:
            return None

    def read_base(self, name: str) -> tuple[dict[str, Any] | None, tuple[int, int, int]]:
        """The document file alone (no journal), parsed afresh, and its signature; writes its
        sidecar if it has none that matches (so the next reader need not parse it)."""
        data, sig = self._parse(self.path(name))
        if data is not None:
            self._write_sidecar(name, data, sig)
        return data, sig

    def settle(self) -> None:
        """Do the pending background work now: journal syncs, then compactions."""
        self._syncer.sync()

    def compact(self, name: str, then_create: str | None = None) -> None:
        self._syncer.add_task(name, lambda: self._compact_now(name, then_create))

    def _compact_now(self, name: str, then_create: str | None) -> None:
        if then_create is not None and self.version(then_create) is None:
            # Created ahead, so the first change of the next document is a journal line too.
            self.update(then_create, lambda data: None)
        journal = self._journal(name)
        if journal is None or not os.path.exists(journal):
            return
        with _write_errors(journal), self._locked(name):
            data, sig = self._load_current(name)
            if data is not None and sig[1] is not None:
                self._rewrite(name, data)

    def _locked(self, name: str) -> DocLock:
        with self._cache_lock:
            tlock = self._thread_locks.get(name)
            if tlock is None:
                tlock = self._thread_locks[name] = threading.RLock()
        files = self._lock_files if name.startswith(("runs/", "meta")) else None  # the hot documents
        return DocLock(tlock, f"{self._root_str}/.locks/{name.replace('/', '__')}.lock", files=files)

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


def register_fork_reset(docs: Any) -> None:
    """Register ``docs`` so its ``reset_after_fork`` runs in a forked child."""
    _INSTANCES.add(docs)


def _reset_in_child() -> None:
    for docs in list(_INSTANCES):
        docs.reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)


@contextlib.contextmanager
def _write_errors(where: Any) -> Iterator[None]:
    """An OS failure inside the block becomes StoreWriteError naming ``where`` and the cause
    (full, read-only, busy); nbtrack's own errors pass through."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, NbtrackError):
            raise
        raise StoreWriteError(str(where), describe_os_error(exc)) from exc


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: fsync the folder's entry table (POSIX; a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(sig: Any) -> int:
    """Bytes on disk behind a version (document, plus journal if any): the cache weight."""
    if sig is None:
        return 0
    if len(sig) == 3:
        return int(sig[2])
    base, journal = sig
    return int(base[2] if base else 0) + int(journal[1] if journal else 0)
