"""What a past run was made of, read back from the store: code, variables, git, packages.

The magics record it (see :mod:`nbtrack.capture`): the cell as artifact ``cell.py`` (and,
truncated, tag ``nbtrack.cell_source``; a run spanning cells keeps them as ``cells/<n>.py``), which params were notebook variables (tag
``nbtrack.variables``), a sweep child's setting as source text (tag
``nbtrack.sweep.settings``), the git state as tags, and the imported packages as
``requirements.txt`` (at run end) or ``environment.json`` (at run start). Everything is read
from the store, so ``%track_restore`` and ``%track_diff`` work from a fresh kernel.
"""
from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..entities import Run
from ..errors import NbtrackError

__all__ = [
    "SETTINGS_TAG",
    "VARIABLES_TAG",
    "Provenance",
    "load_provenance",
    "parse_requirements",
    "read_artifact_text",
]

#: Params that were notebook variables (``-p``, papermill, sweep settings), comma-separated.
VARIABLES_TAG = "nbtrack.variables"
#: A sweep child's setting as ``{variable: Python source}`` (JSON).
SETTINGS_TAG = "nbtrack.sweep.settings"
SOURCE_TAG = "nbtrack.cell_source"
GIT_TAGS = {"commit": "nbtrack.git.commit", "branch": "nbtrack.git.branch", "dirty": "nbtrack.git.dirty"}
PACKAGE_TAG_PREFIX = "nbtrack.pkg."


@dataclass
class Provenance:
    """One run and what produced it (empty values where nothing was recorded)."""

    run: Run
    source: str = ""
    variables: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    git: dict[str, str] = field(default_factory=dict)
    python: str = ""
    packages: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.run.info.run_name} ({self.run.info.run_id[:8]})"


def read_artifact_text(client: Any, run_id: str, path: str) -> str | None:
    """The text of one artifact file of the run, or None if it has none at ``path``."""
    with tempfile.TemporaryDirectory(prefix="nbtrack-read-") as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except (NbtrackError, OSError):
            return None
        try:
            return Path(local).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None


def parse_requirements(text: str) -> dict[str, str]:
    """``{name: version}`` of ``name==version`` lines (others ignored)."""
    out = {}
    for line in text.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and name and not name.startswith("#"):
            out[name.strip()] = version.strip()
    return out


def _packages(client: Any, run: Run) -> dict[str, str]:
    """Imported packages: requirements.txt (run end), else environment.json (start), else tags."""
    text = read_artifact_text(client, run.info.run_id, "requirements.txt")
    if text is not None:
        return parse_requirements(text)
    env = read_artifact_text(client, run.info.run_id, "environment.json")
    if env is not None:
        try:
            packages = json.loads(env).get("packages", {})
        except (ValueError, AttributeError):
            packages = {}
        if isinstance(packages, dict):
            return {str(k): str(v) for k, v in packages.items()}
    tags = run.data.tags
    return {k[len(PACKAGE_TAG_PREFIX):]: v for k, v in tags.items() if k.startswith(PACKAGE_TAG_PREFIX)}


def _settings(tags: Mapping[str, str]) -> dict[str, str]:
    try:
        settings = json.loads(tags.get(SETTINGS_TAG, "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in settings.items()} if isinstance(settings, dict) else {}


def _spanned_cells(client: Any, run_id: str) -> str | None:
    """The cells a line-form run (``%track_run NAME`` ... ``--end``) spanned, in order."""
    try:
        files = client.list_artifacts(run_id, "cells")
    except (NbtrackError, OSError):
        return None
    numbered = sorted((int(m.group(1)), f.path) for f in files
                      if (m := re.fullmatch(r"cells/(\d+)\.py", f.path)))
    texts = [read_artifact_text(client, run_id, path) for _, path in numbered]
    return "\n".join(t.rstrip("\n") for t in texts if t is not None) or None


def load_provenance(client: Any, run: Run) -> Provenance:
    """Read everything recorded about how ``run`` was produced.

    The source is the tracked cell (``cell.py``), or for a run spanning cells, those cells.
    """
    tags = run.data.tags
    source = _spanned_cells(client, run.info.run_id) or read_artifact_text(client, run.info.run_id, "cell.py")
    if source is None:
        source = tags.get(SOURCE_TAG, "")
    variables = [v for v in tags.get(VARIABLES_TAG, "").split(",") if v]
    git = {k: tags[t] for k, t in GIT_TAGS.items() if t in tags}
    return Provenance(run, source, variables, _settings(tags), git, tags.get("nbtrack.python", ""),
                      _packages(client, run))
