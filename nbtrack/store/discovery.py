"""Which store a kernel, the sidebar, the server extension and the CLI use: one rule, here.

The rule, in order:

1. ``$NBTRACK_TRACKING_URI`` when set (a path or URI, see :func:`canonical_uri`);
2. else the nearest ``nbtrack-store/`` folder found walking up from the start folder: the
   notebook's folder (``$NBTRACK_NOTEBOOK`` / ``$JPY_SESSION_NAME``) or else the current one;
3. else a new ``nbtrack-store/`` at the project root: the git top-level of the start folder if
   it is inside a work tree, else ``$NBTRACK_PROJECT_ROOT`` (the Jupyter server's root, which
   the server extension hands to the kernels it starts), else the start folder itself.

Step 3 applies only to callers that write (kernels, ``TrackingClient()``); read-only callers
(CLI listings, the sidebar) get :class:`~nbtrack.errors.StoreNotFoundError` instead, so that a
look never leaves an empty store behind. ``nbtrack.set_tracking_uri`` sits between steps 1
and 2 in its own process: the variable still comes first, the folders come after.

URIs: a plain path (``~`` expanded, relative to the current folder), ``tinydb:///abs/path``,
``file:`` URIs the way MLflow reads them (``file:./mlruns`` and ``file:mlruns`` are relative,
``file:/abs``, ``file:///abs`` and ``file://localhost/abs`` absolute), ``memory:<name>`` and
``http(s)://host:port`` (an MLflow tracking server: never searched for, never created here).
"""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import InvalidParameterError, NbtrackError, StoreNotFoundError

__all__ = [
    "ENV_URI",
    "PROJECT_ROOT_ENV",
    "STORE_DIR",
    "StoreLocation",
    "canonical_uri",
    "discover_store",
    "existing_store_uri",
]

ENV_URI = "NBTRACK_TRACKING_URI"
PROJECT_ROOT_ENV = "NBTRACK_PROJECT_ROOT"
NOTEBOOK_ENVS = ("NBTRACK_NOTEBOOK", "JPY_SESSION_NAME")
STORE_DIR = "nbtrack-store"
GIT_TIMEOUT_S = 3.0

# A scheme is two or more characters, so a Windows drive (``C:\\data``) stays a path.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_SERVER_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class StoreLocation:
    """Where the rule led: the canonical ``uri``, its folder (None for ``memory:``), whether the
    store exists, which step chose it (``env``, ``found``, ``new``) and the folder searched from."""

    uri: str
    path: str | None
    exists: bool
    source: str
    searched_from: str


def canonical_uri(uri: str | os.PathLike[str]) -> str:
    """Canonical form of a store URI: ``memory:<name>`` or ``tinydb:///absolute/path``.

    Raises
    ------
    InvalidParameterError
        Empty, not text, or a remote host in a ``file:``/``tinydb:`` URI.
    NbtrackError
        A scheme nbtrack has no store for.
    """
    raw = os.fspath(uri) if isinstance(uri, os.PathLike) else uri
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidParameterError(f"Tracking URI must be a non-empty string or path, got {uri!r}")
    raw = raw.strip()
    match = _SCHEME.match(raw)
    scheme = match.group(1).lower() if match else ""
    if scheme == "memory":
        return raw
    if scheme in _SERVER_SCHEMES:
        from .mlflow._connection import canonical_server_uri  # no MLflow import here

        return canonical_server_uri(raw)
    if scheme.startswith("mlflow+"):
        raise NbtrackError(
            f"Tracking URI {raw!r} needs the MLflow team backend, which is not installed in this "
            "version; use a local path, 'tinydb:///abs/path' or 'memory:'"
        )
    if scheme in ("tinydb", "file"):
        parsed = urlparse(raw)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidParameterError(
                f"Tracking URI {raw!r} names host {parsed.netloc!r}; a {scheme} URI is a local "
                f"path: {scheme}:///abs/path (absolute) or {scheme}:rel/path (relative)"
            )
        raw = unquote(parsed.path)
        if not raw:
            raise InvalidParameterError(f"Tracking URI {uri!r} has no path")
    elif scheme:
        raise NbtrackError(
            f"Tracking URI {raw!r} is not supported. Use a local path, 'tinydb:///abs/path', "
            "'file:./path', 'memory:' or an MLflow tracking server 'http(s)://host:port'"
        )
    return f"tinydb://{Path(raw).expanduser().resolve()}"


def _path_of(uri: str) -> str | None:
    return uri[len("tinydb://"):] if uri.startswith("tinydb://") else None


def _start_dir(start: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    if start is not None:
        return Path(start).expanduser().resolve()
    for var in NOTEBOOK_ENVS:
        notebook = env.get(var, "").strip()
        if notebook and os.path.isabs(notebook):
            return Path(notebook).parent
    return Path.cwd()


def _git_top(folder: Path) -> Path | None:
    """The git work tree's top folder holding ``folder``, or None (no git, not a repository)."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    top = proc.stdout.strip()
    return Path(top).resolve() if proc.returncode == 0 and top else None


def _project_root(start: Path, env: Mapping[str, str]) -> Path:
    top = _git_top(start) if start.is_dir() else None
    if top is not None:
        return top
    server_root = env.get(PROJECT_ROOT_ENV, "").strip()
    if server_root:
        root = Path(server_root).expanduser().resolve()
        if start == root or root in start.parents:
            return root
    return start


def discover_store(
    start: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> StoreLocation:
    """Apply the rule (see the module docstring) from ``start``; nothing is created.

    Parameters
    ----------
    start : path-like, optional
        Folder to search up from; default the notebook's folder, else the current folder.
    environ : mapping, optional
        Environment to read (default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    origin = _start_dir(start, env)
    configured = env.get(ENV_URI, "").strip()
    if configured:
        uri = canonical_uri(configured)
        path = _path_of(uri)
        return StoreLocation(uri, path, path is None or os.path.isdir(path), "env", str(origin))
    for folder in (origin, *origin.parents):
        candidate = folder / STORE_DIR
        if candidate.is_dir():
            return StoreLocation(f"tinydb://{candidate}", str(candidate), True, "found", str(origin))
    new = _project_root(origin, env) / STORE_DIR
    return StoreLocation(f"tinydb://{new}", str(new), False, "new", str(origin))


def existing_store_uri(
    uri: str | os.PathLike[str] | None = None,
    start: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The URI of a store that already exists, for callers that only read.

    ``uri`` given: that store; else :func:`discover_store`. Raises
    :class:`~nbtrack.errors.StoreNotFoundError` rather than creating anything.
    """
    if uri is not None:
        canonical = canonical_uri(uri)
        path = _path_of(canonical)
        if path is not None and not os.path.isdir(path):
            raise StoreNotFoundError(f"no nbtrack store at {path}")
        return canonical
    location = discover_store(start, environ=environ)
    if not location.exists:
        where = "$" + ENV_URI if location.source == "env" else location.searched_from
        raise StoreNotFoundError(
            f"no nbtrack store at {location.path} (searched up from {where}); run a tracked "
            f"notebook first, or pass --tracking-uri / set ${ENV_URI}"
        )
    return location.uri
