"""Module-level media verbs for the active run: ``log_image``, ``log_table``, ``load_table``, ``get_artifact_uri``.

Thin calls on the active run's client; documented once on :class:`nbtrack.client.TrackingClient`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .runs import active_experiment_id, fluent_client, require_active_run

__all__ = ["log_image", "log_table", "load_table", "get_artifact_uri"]


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
) -> None:
    """Log an image to the active run: one file, or step ``step`` of the history ``key``."""
    active = require_active_run("log an image")
    active.client.log_image(active.run_id, image, artifact_file, key, step, timestamp)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log a dict of columns or a DataFrame as a JSON table (to ``run_id``, else the active run)."""
    if run_id is None:
        active = require_active_run("log a table")
        active.client.log_table(active.run_id, data, artifact_file)
    else:
        fluent_client().log_table(run_id, data, artifact_file)


def load_table(
    artifact_file: str, run_ids: Sequence[str] | None = None, extra_columns: Sequence[str] | None = None
) -> Any:
    """The table ``artifact_file`` of ``run_ids`` (else of every run of the active experiment)."""
    client = fluent_client()
    return client.load_table(active_experiment_id(client), artifact_file, run_ids, extra_columns)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The active run's artifact URI, or that of ``artifact_path`` inside it."""
    active = require_active_run("get the artifact URI")
    return active.client.get_artifact_uri(active.run_id, artifact_path)
