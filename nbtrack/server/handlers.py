"""REST handlers for experiments, runs, metric histories and artifacts, plus the route table.

Every verb is ``@tornado.web.authenticated``: Jupyter's token/cookie auth applies, and the server
enforces XSRF on cookie-authenticated POST/DELETE. JSON shapes are documented per handler;
non-finite floats are strings (see :mod:`nbtrack.server.serialize`).
"""
from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Sequence
from typing import Any

import tornado.web
from jupyter_server.utils import url_path_join

from .._run_ids import resolve_run_id
from ..artifacts import ArtifactRepository, is_local_uri, local_path_from_uri
from ..errors import ArtifactNotFoundError, InvalidParameterError
from .base import NbtrackHandler
from .dashboard_handlers import ROUTES as DASHBOARD_ROUTES
from .diff_handlers import ROUTES as DIFF_ROUTES
from .media_handlers import ROUTES as MEDIA_ROUTES
from .registry_handlers import ROUTES as REGISTRY_ROUTES
from .store_handlers import ROUTES as STORE_ROUTES

__all__ = ["API_PREFIX", "route_table"]

API_PREFIX = "nbtrack/api"
MAX_RESULTS_LIMIT = 1000
_CHUNK = 64 * 1024


def _runs_payload(client: Any, experiment_ids: list[str], query: dict[str, Any]) -> dict[str, Any]:
    runs = client.search_runs(experiment_ids, **query)
    stale = set(client.find_stale_runs(experiment_ids))
    return {
        "runs": [_run_json(run, run.info.run_id in stale) for run in runs],
        "next_page_token": getattr(runs, "token", None),
    }


def _run_json(run: Any, stale: bool) -> dict[str, Any]:
    return {"info": run.info, "data": run.data, "stale": stale}


def _one_run(client: Any, run_id: str) -> dict[str, Any]:
    run = client.get_run(resolve_run_id(client, run_id))
    stale = run.info.run_id in set(client.find_stale_runs([run.info.experiment_id]))
    return {"run": _run_json(run, stale)}


def _downsample(points: Sequence[Any], max_points: int) -> list[Any]:
    """At most ``max_points`` evenly spaced points, always keeping the first and the last
    (only the picked points of a column-wise history become ``Metric`` objects)."""
    if max_points <= 0 or len(points) <= max_points:
        return list(points)
    if max_points == 1:
        return [points[-1]]
    last = len(points) - 1
    picks = sorted({round(i * last / (max_points - 1)) for i in range(max_points)})
    return [points[i] for i in picks]


class ExperimentsHandler(NbtrackHandler):
    """GET experiments?view=active|deleted|all -> {"experiments": [Experiment], "tracking_uri"}"""

    @tornado.web.authenticated
    async def get(self) -> None:
        view = self.view_type_argument()
        experiments = await self.call(lambda c: c.search_experiments(view_type=view))
        self.reply({"experiments": experiments, "tracking_uri": self.backend.tracking_uri})


class RunsHandler(NbtrackHandler):
    """GET runs?experiment_ids=1,2&filter=&order_by=..&max_results=&page_token=&view=
    (or experiments/<id>/runs) -> {"runs": [{info, data, stale}], "next_page_token"}"""

    @tornado.web.authenticated
    async def get(self, experiment_id: str | None = None) -> None:
        if experiment_id is not None:
            ids = [experiment_id]
        else:
            ids = [i for arg in self.get_arguments("experiment_ids") for i in arg.split(",") if i]
            if not ids:
                raise InvalidParameterError(
                    "Query parameter experiment_ids is required (comma-separated experiment ids)"
                )
        query = {
            "filter_string": self.get_argument("filter", ""),
            "run_view_type": self.view_type_argument(),
            "max_results": self.int_argument("max_results", 100, 1, MAX_RESULTS_LIMIT),
            "order_by": self.get_arguments("order_by") or None,
            "page_token": self.get_argument("page_token", None) or None,
        }
        self.reply(await self.call(_runs_payload, ids, query))


class RunHandler(NbtrackHandler):
    """GET runs/<run_id> -> {"run": {info, data, stale}}"""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(_one_run, run_id))


class MetricHistoryHandler(NbtrackHandler):
    """GET runs/<run_id>/metrics/<key>?max_points=N -> {"key", "history": [Metric]}"""

    @tornado.web.authenticated
    async def get(self, run_id: str, key: str) -> None:
        max_points = self.int_argument("max_points", 0, 0, 1_000_000)
        history = await self.call(
            lambda c: _downsample(c.get_metric_history(resolve_run_id(c, run_id), key), max_points)
        )
        self.reply({"key": key, "history": history})


class ArtifactListHandler(NbtrackHandler):
    """GET runs/<run_id>/artifacts?path=<dir> -> {"path", "files": [FileInfo]}"""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        path = self.get_argument("path", "") or None
        files = await self.call(lambda c: c.list_artifacts(resolve_run_id(c, run_id), path))
        self.reply({"path": path or "", "files": files})


def _artifact_file(client: Any, run_id: str, path: str) -> tuple[str, str | None]:
    """Local path of one artifact file, and the temporary folder to remove after sending it.

    A local store's file is read in place (traversal -> ArtifactPathError, 400). A remote
    store's (an MLflow server's ``mlflow-artifacts:`` or cloud URI) is first copied into a
    temporary folder through the client, which checks the path the same way.
    """
    run_id = resolve_run_id(client, run_id)
    uri = client.get_run(run_id).info.artifact_uri
    if is_local_uri(uri):
        target = ArtifactRepository(local_path_from_uri(uri)).resolve(path)
        if not target.is_file():
            kind = "a directory; list it with the artifacts endpoint" if target.is_dir() else "missing"
            raise ArtifactNotFoundError(f"Artifact {path!r} of run {run_id} is {kind}")
        return str(target), None
    folder = tempfile.mkdtemp(prefix="nbtrack-artifact-")
    try:
        local = client.download_artifacts(run_id, path, folder)
        if not os.path.isfile(local):
            raise ArtifactNotFoundError(f"Artifact {path!r} of run {run_id} is a directory; list it with the artifacts endpoint")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return local, folder


class ArtifactDownloadHandler(NbtrackHandler):
    """GET runs/<run_id>/artifact?path=<file> -> the file's bytes, streamed, with its type."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        path = self.get_argument("path", "")
        if not path:
            raise InvalidParameterError("Query parameter path is required (an artifact file path)")
        local, temporary = await self.call(_artifact_file, run_id, path)
        try:
            await self._send(local, path)
        finally:
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)

    async def _send(self, local: str, path: str) -> None:
        mime = mimetypes.guess_type(local)[0] or "application/octet-stream"
        name = urllib.parse.quote(path.rsplit("/", 1)[-1])
        self.set_header("Content-Type", mime)
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
        self.set_header("X-Content-Type-Options", "nosniff")
        with open(local, "rb") as fh:
            while chunk := await self.backend.blocking(fh.read, _CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish(set_content_type=mime)


_ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"experiments", ExperimentsHandler),
    (r"experiments/(?P<experiment_id>[^/]+)/runs", RunsHandler),
    (r"runs", RunsHandler),
    (r"runs/(?P<run_id>[^/]+)", RunHandler),
    (r"runs/(?P<run_id>[^/]+)/metrics/(?P<key>.+)", MetricHistoryHandler),
    (r"runs/(?P<run_id>[^/]+)/artifacts", ArtifactListHandler),
    (r"runs/(?P<run_id>[^/]+)/artifact", ArtifactDownloadHandler),
]


def route_table(base_url: str) -> list[tuple[str, type[NbtrackHandler]]]:
    """Tornado (pattern, handler) pairs for every endpoint under ``<base_url>/nbtrack/api/``."""
    return [
        (url_path_join(base_url, API_PREFIX, pattern) + "/?$", handler)
        for pattern, handler in _ROUTES + DASHBOARD_ROUTES + MEDIA_ROUTES + REGISTRY_ROUTES + DIFF_ROUTES + STORE_ROUTES
    ]
