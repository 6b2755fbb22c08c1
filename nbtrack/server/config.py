"""Which store the server extension reads: env var, then server setting, then the root's default.

The order mirrors what a notebook kernel started by this server would do: ``NBTRACK_TRACKING_URI``
wins everywhere; otherwise a kernel whose working directory is the server root writes to
``./nbtrack-store``. ``c.NbtrackConfig.tracking_uri`` lets an admin point the sidebar elsewhere
when the env var is not set.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from traitlets import Unicode
from traitlets.config import Configurable

__all__ = ["NbtrackConfig", "resolve_tracking_uri", "TRACKING_URI_ENV"]

TRACKING_URI_ENV = "NBTRACK_TRACKING_URI"


class NbtrackConfig(Configurable):
    """Server-side settings of the nbtrack extension (``c.NbtrackConfig.*`` in jupyter config)."""

    tracking_uri = Unicode(
        None,
        allow_none=True,
        config=True,
        help=(
            "Tracking store the sidebar reads (a path, tinydb:///abs/path or memory:<name>). "
            "Ignored when NBTRACK_TRACKING_URI is set; default <root_dir>/nbtrack-store."
        ),
    )


def resolve_tracking_uri(serverapp: Any, environ: Mapping[str, str] | None = None) -> str:
    """The tracking URI the extension serves for ``serverapp``."""
    env = os.environ if environ is None else environ
    from_env = env.get(TRACKING_URI_ENV, "").strip()
    if from_env:
        return from_env
    configured = NbtrackConfig(parent=serverapp).tracking_uri
    if configured:
        return configured
    return os.path.join(os.path.abspath(os.path.expanduser(serverapp.root_dir)), "nbtrack-store")
