"""Which store the server extension reads: the store rule of :mod:`nbtrack.store.discovery`.

``NBTRACK_TRACKING_URI`` wins everywhere; else ``c.NbtrackConfig.tracking_uri`` (an admin's
choice); else the rule's store searched up from the server's root folder, which is also what
a kernel started there finds. The root is handed to the kernels this server starts
(``$NBTRACK_PROJECT_ROOT``), so a notebook in a subfolder with no store above it creates the
store the sidebar reads, not one of its own.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from traitlets import List, Unicode
from traitlets.config import Configurable

from ..store.discovery import ENV_URI, PROJECT_ROOT_ENV, canonical_uri, discover_store

__all__ = ["NbtrackConfig", "resolve_tracking_uri", "TRACKING_URI_ENV"]

TRACKING_URI_ENV = ENV_URI


class NbtrackConfig(Configurable):
    """Server-side settings of the nbtrack extension (``c.NbtrackConfig.*`` in jupyter config)."""

    tracking_uri = Unicode(
        None,
        allow_none=True,
        config=True,
        help=(
            "Tracking store the sidebar reads (a path, tinydb:///abs/path or memory:<name>). "
            "Ignored when NBTRACK_TRACKING_URI is set; default: the nearest nbtrack-store/ "
            "up from root_dir, else a new one at the git top-level or root_dir."
        ),
    )
    stores = List(
        Unicode(),
        default_value=[],
        config=True,
        help=(
            "More stores the sidebar's store switcher offers besides the one above: MLflow "
            "tracking servers (http(s)://host:port; credentials from MLFLOW_TRACKING_USERNAME/"
            "PASSWORD or MLFLOW_TRACKING_TOKEN, never in the URI) or store folders."
        ),
    )


def resolve_tracking_uri(serverapp: Any, environ: Mapping[str, str] | None = None) -> str:
    """The canonical tracking URI the extension serves for ``serverapp``.

    Reading the real environment (``environ`` None) also exports the server root as
    ``$NBTRACK_PROJECT_ROOT`` for the kernels the server starts.
    """
    root = os.path.abspath(os.path.expanduser(serverapp.root_dir))
    if environ is None:
        os.environ.setdefault(PROJECT_ROOT_ENV, root)
    env = os.environ if environ is None else environ
    if env.get(TRACKING_URI_ENV, "").strip():
        return discover_store(root, environ=env).uri
    configured = NbtrackConfig(parent=serverapp).tracking_uri
    if configured:
        return canonical_uri(configured)
    return discover_store(root, environ={**env, PROJECT_ROOT_ENV: root}).uri
