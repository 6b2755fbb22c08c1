"""REST handlers for a run's logged media: image histories (``log_image`` with a key) and tables
(``log_table``), so the dashboard, the compare view and the sidebar can show them.

``runs/<id>/media`` lists what there is — images grouped by key and ordered by step, table
files named in the run's ``mlflow.loggedArtifacts`` tag; the image bytes come from the artifact
download endpoint. ``runs/<id>/table?path=`` answers a table as columns and rows, cut to
``max_rows``, the path checked like any artifact path (a path leaving the run folder is 403).
"""
from __future__ import annotations

import json
from typing import Any

import tornado.web

from .._run_ids import resolve_run_id
from ..artifacts import ArtifactRepository, local_path_from_uri
from ..errors import ArtifactNotFoundError, InvalidParameterError
from .base import NbtrackHandler

__all__ = ["ROUTES"]

_LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
_MAX_TABLE_BYTES = 20 * 1024 * 1024


def _table_paths(tags: dict[str, str]) -> list[str]:
    """Table files the run's ``mlflow.loggedArtifacts`` tag lists (a malformed tag lists none)."""
    try:
        listed = json.loads(tags.get(_LOGGED_ARTIFACTS_TAG, "[]"))
    except ValueError:
        return []
    if not isinstance(listed, list):
        return []
    return sorted({e["path"] for e in listed if isinstance(e, dict) and e.get("type") == "table"
                   and isinstance(e.get("path"), str)})


def _media(client: Any, run_ref: str) -> dict[str, Any]:
    run_id = resolve_run_id(client, run_ref)
    run = client.get_run(run_id)
    images: dict[str, list[dict[str, Any]]] = {}
    for entry in client.get_image_history(run_id):
        images.setdefault(entry.key, []).append({
            "step": entry.step, "timestamp": entry.timestamp,
            "path": entry.path, "thumbnail_path": entry.thumbnail_path,
        })
    keys = [{"key": key, "images": steps} for key, steps in sorted(images.items())]
    return {"run_id": run_id, "images": keys, "tables": _table_paths(run.data.tags)}


def _table(client: Any, run_ref: str, path: str, max_rows: int) -> dict[str, Any]:
    run = client.get_run(resolve_run_id(client, run_ref))
    target = ArtifactRepository(local_path_from_uri(run.info.artifact_uri)).resolve(path)
    if not target.is_file():
        raise ArtifactNotFoundError(f"Table {path!r} of run {run.info.run_id} is missing")
    if target.stat().st_size > _MAX_TABLE_BYTES:
        raise InvalidParameterError(
            f"Table {path!r} is {target.stat().st_size} bytes; the preview limit is {_MAX_TABLE_BYTES}"
        )
    try:
        payload = json.loads(target.read_bytes())
        columns, rows = payload["columns"], payload["data"]
    except (ValueError, KeyError, TypeError):
        raise InvalidParameterError(f"{path!r} is not a logged table (split JSON with columns and data)") from None
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise InvalidParameterError(f"{path!r} is not a logged table (columns and data must be lists)")
    return {"path": path, "columns": [str(c) for c in columns], "data": rows[:max_rows],
            "total_rows": len(rows)}


class MediaHandler(NbtrackHandler):
    """GET runs/<run_id>/media -> {"run_id", "images": [{"key", "images": [{"step", "timestamp",
    "path", "thumbnail_path"}]}], "tables": [path]}"""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(_media, run_id))


class TableHandler(NbtrackHandler):
    """GET runs/<run_id>/table?path=<file>&max_rows=N -> {"path", "columns", "data", "total_rows"}"""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        path = self.get_argument("path", "")
        if not path:
            raise InvalidParameterError("Query parameter path is required (a table artifact path)")
        max_rows = self.int_argument("max_rows", 1000, 1, 100_000)
        self.reply(await self.call(_table, run_id, path, max_rows))


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"runs/(?P<run_id>[^/]+)/media", MediaHandler),
    (r"runs/(?P<run_id>[^/]+)/table", TableHandler),
]
