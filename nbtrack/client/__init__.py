"""``TrackingClient``: experiments, runs, metrics and artifacts addressed by explicit ids.

Method names and semantics follow MLflow's ``MlflowClient`` so its users and its docs carry
over. Every input is validated by the client (the store validates nothing); the fluent API in
``nbtrack.fluent`` is a thin layer over this class and points here for documentation.

The verbs live in one group per theme over one explicit base (:mod:`._base`), each documented
there once (numpydoc): :mod:`.experiments`, :mod:`.runs`, :mod:`.artifacts` and
:mod:`.registry`. This module composes them and keeps the process-wide default tracking URI;
metric listeners live in :mod:`.listeners` and are re-exported here.
"""
from __future__ import annotations

import os
import warnings
from typing import Any

from ..errors import InvalidParameterError
from ..store import ENV_URI, default_uri, open_store, resolve_uri
from .experiments import ExperimentsMixin
from .listeners import add_metric_listener
from .media import MediaMixin
from .model_copy import ModelCopyMixin

__all__ = ["TrackingClient", "MlflowClient", "add_metric_listener", "get_tracking_uri", "set_tracking_uri"]

# ---------------------------------------------------------------------------------------
# Process-wide state: the tracking URI chosen by set_tracking_uri.
# ---------------------------------------------------------------------------------------
_tracking_uri: str | None = None

_UNSUPPORTED_SCHEMES = ("databricks",)


def _canonical_uri(uri: Any) -> str:
    """Canonical store URI; ``http(s)://`` is an MLflow tracking server, Databricks is refused."""
    raw = os.fspath(uri) if isinstance(uri, os.PathLike) else uri
    if isinstance(raw, str) and raw.strip().lower().startswith(_UNSUPPORTED_SCHEMES):
        raise InvalidParameterError(
            f"Tracking URI {raw!r} points at Databricks, which nbtrack does not support. Use a "
            "folder path (default ./nbtrack-store), 'tinydb:///abs/path', 'memory:' or an MLflow "
            "tracking server 'http(s)://host:port'."
        )
    if not isinstance(raw, str):
        raise InvalidParameterError(
            f"Tracking URI must be a string or path, got {type(uri).__name__} {uri!r}"
        )
    return resolve_uri(raw)


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Choose the store used by clients created without a URI (None: back to the default).

    Relative paths are resolved now, so a later change of directory does not move the store.
    ``$NBTRACK_TRACKING_URI`` comes first (the store rule): while it names another store, this
    choice waits (a warning says so) and applies once the variable is unset.
    """
    global _tracking_uri
    _tracking_uri = None if uri is None else _canonical_uri(uri)
    if _tracking_uri is not None and _env_set() and default_uri() != _tracking_uri:
        warnings.warn(
            f"${ENV_URI} is set and comes first: runs keep going to {default_uri()}, not "
            f"{_tracking_uri}, until the variable is unset",
            UserWarning, stacklevel=3,
        )


def get_tracking_uri() -> str:
    """The default store URI, by the store rule (:mod:`nbtrack.store.discovery`):
    ``$NBTRACK_TRACKING_URI``, else ``set_tracking_uri``, else the nearest ``nbtrack-store/`` up
    from the notebook's (or current) folder, else a new one at the project root.
    """
    if _tracking_uri is not None and not _env_set():
        return _tracking_uri
    return default_uri()


def _env_set() -> bool:
    return bool(os.environ.get(ENV_URI, "").strip())


class TrackingClient(ExperimentsMixin, MediaMixin, ModelCopyMixin):
    """Client for an nbtrack store: experiments, runs, metrics, artifacts and the registry.

    Parameters
    ----------
    tracking_uri : str or path-like, optional
        Store location: a folder path, ``tinydb:///abs/path`` or ``memory:<name>``. Defaults to
        :func:`nbtrack.get_tracking_uri` (``$NBTRACK_TRACKING_URI``, else ``set_tracking_uri``,
        else the nearest ``nbtrack-store/`` up from the notebook's folder, else a new one at the
        project root). ``http(s)://host:port`` is an MLflow tracking server (needs the extra
        ``nbtrack[mlflow]``).

    registry_uri : str, optional
        Accepted for MLflow's signature when it names the same store (the registry lives in
        the tracking store).

    Notes
    -----
    Clients on the same URI in one process share one store object, so metric buffers and
    caches are shared with the fluent API.
    """

    def __init__(
        self, tracking_uri: str | os.PathLike[str] | None = None, registry_uri: str | None = None
    ):
        uri = get_tracking_uri() if tracking_uri is None else _canonical_uri(tracking_uri)
        if registry_uri is not None and _canonical_uri(registry_uri) != uri:
            raise InvalidParameterError(
                f"registry_uri {registry_uri!r} differs from the tracking URI {uri!r}: nbtrack "
                "keeps the model registry in the tracking store"
            )
        self._tracking_uri = uri
        self._store = open_store(uri)

    @property
    def tracking_uri(self) -> str:
        """The canonical URI this client was opened on."""
        return self._tracking_uri

    def __repr__(self) -> str:
        return f"TrackingClient({self._tracking_uri!r})"


# MLflow's name for the same client: ``from mlflow import MlflowClient`` ports by renaming.
MlflowClient = TrackingClient
