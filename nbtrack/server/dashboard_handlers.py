"""REST handlers the dashboard adds: downsampled metric series, tag and note edits, store info.

``runs/<id>/series/<key>`` answers in columns (``step``, ``timestamp``, ``value``) thinned by
LTTB along the chosen x axis, so a 1M-point history reaches the browser as a few thousand
points. Tag edits go through ``TrackingClient.set_tag`` / ``delete_tag``; the run note is the
MLflow tag ``mlflow.note.content``.
"""
from __future__ import annotations

from typing import Any

import tornado.web

from ..errors import InvalidParameterError
from .base import NbtrackHandler
from .downsample import X_AXES, history_columns, series_payload

__all__ = ["ROUTES"]

_MAX_TAG_VALUE = 8000


def _series(client: Any, run_id: str, key: str, axis: str, max_points: int) -> dict[str, Any]:
    history = client.get_metric_history(run_id, key)
    columns = history_columns(run_id, key, history)
    return {"key": key, "x": axis, **series_payload(columns, axis, max_points)}


class SeriesHandler(NbtrackHandler):
    """GET runs/<run_id>/series/<key>?x=step|time&max_points=N
    -> {"key", "x", "total", "step": [], "timestamp": [], "value": []} (LTTB-thinned)"""

    @tornado.web.authenticated
    async def get(self, run_id: str, key: str) -> None:
        axis = self.get_argument("x", "step")
        if axis not in X_AXES:
            raise InvalidParameterError(f"Query parameter x={axis!r} must be one of {', '.join(X_AXES)}")
        max_points = self.int_argument("max_points", 2000, 0, 100_000)
        self.reply(await self.call(_series, run_id, key, axis, max_points))


def _tag_value(body: dict[str, Any]) -> str:
    value = body.get("value")
    if not isinstance(value, str):
        raise InvalidParameterError(f"Body field value={value!r} must be a string")
    if len(value) > _MAX_TAG_VALUE:
        raise InvalidParameterError(f"Body field value is {len(value)} characters; the limit is {_MAX_TAG_VALUE}")
    return value


class TagHandler(NbtrackHandler):
    """PUT runs/<run_id>/tags/<key> {"value"} sets a tag; DELETE removes it.
    Both -> {"tags": {...}} (the run's tags after the change)."""

    @tornado.web.authenticated
    async def put(self, run_id: str, key: str) -> None:
        value = _tag_value(self.json_body())

        def change(client: Any) -> Any:
            client.set_tag(run_id, key, value)
            return client.get_run(run_id).data.tags

        self.reply({"tags": await self.call(change)})

    @tornado.web.authenticated
    async def delete(self, run_id: str, key: str) -> None:
        def change(client: Any) -> Any:
            client.delete_tag(run_id, key)
            return client.get_run(run_id).data.tags

        self.reply({"tags": await self.call(change)})


def _versions_of_run(client: Any, run_id: str) -> dict[str, Any]:
    client.get_run(run_id)  # 404 for an unknown run
    if "'" in run_id:
        raise InvalidParameterError(f"Run id {run_id!r} contains a quote")
    versions = client.search_model_versions(f"run_id = '{run_id}'")
    return {"model_versions": sorted(versions, key=lambda v: (v.name, int(v.version)))}


class RunModelVersionsHandler(NbtrackHandler):
    """GET runs/<run_id>/model-versions -> {"model_versions": [ModelVersion]} made from this run"""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(_versions_of_run, run_id))


class StoreHandler(NbtrackHandler):
    """GET store -> {"tracking_uri"}: which store this server reads (shown in the sidebar)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply({"tracking_uri": self.backend.tracking_uri})


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"store", StoreHandler),
    (r"runs/(?P<run_id>[^/]+)/series/(?P<key>.+)", SeriesHandler),
    (r"runs/(?P<run_id>[^/]+)/tags/(?P<key>.+)", TagHandler),
    (r"runs/(?P<run_id>[^/]+)/model-versions", RunModelVersionsHandler),
]
