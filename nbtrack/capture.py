"""What produced a run: cell source, notebook path, git state, Python and packages, host, user.

Pure service code: no Jupyter import at module level (the kernel helpers are imported lazily and
only when already loaded). Every capture step catches its own errors and warns once per session
with :class:`CaptureWarning`; a failed step leaves its tags out but never breaks the run.
"""
from __future__ import annotations

import ast
import glob
import json
import os
import platform
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._identity import current_user, host_name, pid_alive
from ._validation import MAX_TAG_VALUE_LENGTH

__all__ = [
    "CaptureWarning",
    "Capture",
    "capture_cell",
    "cell_source_tags",
    "find_notebook_path",
    "git_info",
    "host_user",
    "imported_package_versions",
    "parse_papermill_parameters",
    "requirements_text",
    "snapshot",
    "truncate",
]

T = TypeVar("T")

#: Import names whose versions also become tags (``nbtrack.pkg.<name>``) when imported.
KEY_PACKAGES = ("numpy", "pandas", "sklearn", "torch", "tensorflow", "jax", "xgboost", "lightgbm")
GIT_TIMEOUT_S = 3.0
#: A saved notebook larger than this is not copied into each run (outputs can be huge).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
SERVER_TIMEOUT_S = 1.0
PAPERMILL_HEADER = "# Parameters"

_WARNED: set[str] = set()
_CACHE: dict[str, Any] = {}
SERVER_RETRY_S = 30.0  # pause before asking the Jupyter server again after a failed lookup


class CaptureWarning(UserWarning):
    """A capture step failed; the run is recorded without that piece of context."""


@dataclass
class Capture:
    """Tags and small text artifacts (``path -> text``) describing where a run came from."""

    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)


def _guard(step: str, fn: Callable[[], T], default: T) -> T:
    """Run one capture step; on error warn once per step and per session, return ``default``."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - capture must never break a run
        if step not in _WARNED:
            _WARNED.add(step)
            warnings.warn(
                f"nbtrack could not capture the {step} ({type(exc).__name__}: {exc}); the run "
                "is recorded without it. This warning is shown once per session.",
                CaptureWarning,
                stacklevel=3,
            )
        return default


def truncate(text: str, limit: int = MAX_TAG_VALUE_LENGTH) -> str:
    """Cut ``text`` to at most ``limit`` characters, saying how much was dropped."""
    if len(text) <= limit:
        return text
    marker = f"\n... [truncated {len(text)} characters; see the artifact for all of it]"
    return text[: max(0, limit - len(marker))] + marker


# -- the cell ---------------------------------------------------------------------------------
def cell_source_tags(source: str, execution_count: int | None) -> Capture:
    """The cell source (tag, truncated; artifact ``cell.py`` in full) and its execution count."""
    cap = Capture(
        tags={"nbtrack.cell_source": truncate(source)}, artifacts={"cell.py": source}
    )
    if execution_count is not None:
        cap.tags["nbtrack.execution_count"] = str(execution_count)
    return cap


# -- the notebook path ------------------------------------------------------------------------
def find_notebook_path(user_ns: Mapping[str, Any] | None = None) -> str | None:
    """Best guess of the running notebook's path, or None.

    Order: ``NBTRACK_NOTEBOOK`` (explicit override), JupyterLab's ``JPY_SESSION_NAME``, VS Code's
    ``__vsc_ipynb_file__`` in the namespace, then the running Jupyter server's sessions API,
    matched by this kernel's id.
    """
    for var in ("NBTRACK_NOTEBOOK", "JPY_SESSION_NAME"):
        value = os.environ.get(var)
        if value:
            return os.path.abspath(value)
    vsc = (user_ns or {}).get("__vsc_ipynb_file__")
    if isinstance(vsc, str) and vsc:
        return vsc
    found = _CACHE.get("server_path")
    if found is None and time.monotonic() >= _CACHE.get("server_retry_at", 0.0):
        # A notebook keeps its path, so a found one is kept; a failed lookup (server not up
        # yet, session not registered yet) is tried again after a pause, not never again.
        found = _guard("notebook path from the Jupyter server", _ask_server, None)
        _CACHE["server_path"] = found
        _CACHE["server_retry_at"] = time.monotonic() + SERVER_RETRY_S
    return found


def _kernel_id() -> str | None:
    """This kernel's id from its connection file name, or None outside an ipykernel."""
    if "ipykernel" not in sys.modules:
        return None
    from ipykernel.connect import get_connection_file  # already loaded in a kernel

    try:
        path = get_connection_file()
    except RuntimeError:  # IPython without a running kernel app
        return None
    match = re.search(r"kernel-(.+)\.json$", os.path.basename(path))
    return match.group(1) if match else None


def _running_servers() -> list[dict[str, Any]]:
    """Info files of live Jupyter servers (what ``list_running_servers`` reads).

    ``jupyter_server.serverapp`` costs ~1.3 s to import here, so the few lines that read its
    ``jpserver-*.json`` files are repeated instead of importing it into every kernel.
    """
    from jupyter_core.paths import jupyter_runtime_dir

    servers = []
    for name in glob.glob(os.path.join(jupyter_runtime_dir(), "jpserver-*.json")):
        try:
            with open(name, encoding="utf-8") as f:
                info = json.load(f)
        except (OSError, ValueError):
            continue  # being written, or removed meanwhile
        if pid_alive(info.get("pid")):
            servers.append(info)
    return servers



def _ask_server() -> str | None:
    import urllib.request

    kernel_id = _kernel_id()
    if kernel_id is None:
        return None
    for info in _running_servers():
        request = urllib.request.Request(
            info["url"].rstrip("/") + "/api/sessions",
            headers={"Authorization": f"token {info.get('token', '')}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=SERVER_TIMEOUT_S) as response:
                sessions = json.load(response)
        except OSError:
            continue  # a server we cannot reach is not an error of ours
        for session in sessions:
            if (session.get("kernel") or {}).get("id") == kernel_id:
                root = info.get("root_dir") or info.get("notebook_dir") or ""
                return os.path.join(root, session["path"])
    return None


# -- git ---------------------------------------------------------------------------------------
def git_info(folder: str) -> dict[str, str]:
    """Commit, branch and dirty flag of the git work tree holding ``folder`` ({} if none).

    One ``git status --porcelain=v2 --branch`` call; untracked files do not make a tree dirty.
    """
    try:
        proc = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError:  # git is not installed: nothing to record
        return {}
    if proc.returncode != 0:  # not a repository
        return {}
    tags: dict[str, str] = {}
    dirty = False
    for line in proc.stdout.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.split(" ", 2)[2]
            if oid != "(initial)":
                tags["nbtrack.git.commit"] = oid
        elif line.startswith("# branch.head "):
            head = line.split(" ", 2)[2]
            if head != "(detached)":
                tags["nbtrack.git.branch"] = head
        elif line and not line.startswith("#"):
            dirty = True
    tags["nbtrack.git.dirty"] = "true" if dirty else "false"
    return tags


# -- interpreter, packages, machine -------------------------------------------------------------
def imported_package_versions(modules: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``{distribution: version}`` for every third-party top-level module the session imported."""
    import importlib.metadata as metadata

    if "dists" not in _CACHE:
        _CACHE["dists"] = metadata.packages_distributions()
    dists: Mapping[str, list[str]] = _CACHE["dists"]
    # An imported module keeps its version for the session, so each lookup is done once.
    known: dict[str, str | None] = _CACHE.setdefault("versions", {})
    names = modules if modules is not None else dict(sys.modules)
    versions: dict[str, str] = {}
    for name in names:
        if "." in name or name.startswith("_") or name in sys.stdlib_module_names:
            continue
        for dist in dists.get(name, ()):
            if dist not in known:
                try:
                    known[dist] = metadata.version(dist)
                except metadata.PackageNotFoundError:
                    known[dist] = None
            version = known[dist]
            if version is not None:
                versions[dist] = version
    return dict(sorted(versions.items(), key=lambda kv: kv[0].lower()))


def _key_package_tags(modules: Mapping[str, Any]) -> dict[str, str]:
    tags = {}
    for name in KEY_PACKAGES:
        version = getattr(modules.get(name), "__version__", None)
        if isinstance(version, str):
            tags[f"nbtrack.pkg.{name}"] = version
    return tags


def host_user() -> dict[str, str]:
    """Host name and user name, as every other record of them spells them."""
    user = current_user()
    return {"nbtrack.host": host_name(), "nbtrack.user": user, "mlflow.user": user}


def _environment(modules: Mapping[str, Any]) -> Capture:
    packages = imported_package_versions(modules)
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "packages": packages,
    }
    return Capture(
        tags={"nbtrack.python": env["python"], **_key_package_tags(modules)},
        artifacts={"environment.json": json.dumps(env, indent=1, sort_keys=True)},
    )


# -- all of it -----------------------------------------------------------------------------------
def capture_cell(
    source: str, execution_count: int | None, user_ns: Mapping[str, Any] | None = None
) -> Capture:
    """Everything about the context of a cell run; each step is guarded on its own."""
    cap = cell_source_tags(source, execution_count)
    path = _guard("notebook path", lambda: find_notebook_path(user_ns), None)
    if path:
        cap.tags.update(
            {"nbtrack.notebook": path, "mlflow.source.name": path, "mlflow.source.type": "NOTEBOOK"}
        )
    else:
        cap.tags["mlflow.source.type"] = "NOTEBOOK"
    folder = os.path.dirname(path) if path else os.getcwd()
    no_tags: dict[str, str] = {}
    cap.tags.update(_guard("git state", lambda: git_info(folder or "."), no_tags))
    cap.tags.update(_guard("host and user", host_user, no_tags))
    env = _guard("Python environment", lambda: _environment(dict(sys.modules)), Capture())
    cap.tags.update(env.tags)
    cap.artifacts.update(env.artifacts)
    return cap


# -- at run end ----------------------------------------------------------------------------------
def requirements_text(modules: Mapping[str, Any] | None = None) -> str:
    """``name==version`` lines (requirements.txt style) of the imported third-party packages."""
    return "".join(f"{d}=={v}\n" for d, v in imported_package_versions(modules).items())


def _saved_notebook(user_ns: Mapping[str, Any] | None) -> dict[str, str]:
    path = find_notebook_path(user_ns)
    if not path or not os.path.isfile(path) or os.path.getsize(path) > MAX_NOTEBOOK_BYTES:
        return {}
    with open(path, encoding="utf-8") as f:
        return {"notebook.ipynb": f.read()}


def snapshot(user_ns: Mapping[str, Any] | None = None, notebook: bool = True) -> Capture:
    """Files kept when a run ends, so it can be restored and diffed from a fresh kernel.

    ``requirements.txt``: the packages imported by then (the body may import more than were
    loaded at the start); ``notebook.ipynb``: the notebook file as last saved (skipped when
    ``notebook`` is False, not found, or over :data:`MAX_NOTEBOOK_BYTES`).
    """
    cap = Capture()
    reqs = _guard("imported package versions", lambda: requirements_text(dict(sys.modules)), None)
    if reqs is not None:
        cap.artifacts["requirements.txt"] = reqs
    if notebook:
        empty: dict[str, str] = {}
        cap.artifacts.update(_guard("saved notebook", lambda: _saved_notebook(user_ns), empty))
    return cap


# -- papermill -------------------------------------------------------------------------------------
def parse_papermill_parameters(source: str) -> dict[str, Any] | None:
    """Assignments of papermill's injected parameters cell, or None if ``source`` is not one.

    Papermill injects a cell whose first line is ``# Parameters`` followed only by
    ``name = <literal>`` lines (possibly reformatted by black). The kernel sees only the
    source, so that shape is the signature we recognise.
    """
    lines = source.lstrip("\n").splitlines()
    if not lines or lines[0].rstrip() != PAPERMILL_HEADER:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    params: dict[str, Any] = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            return None
        try:
            params[node.targets[0].id] = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return params or None
