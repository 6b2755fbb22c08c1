"""REST handlers the dashboard adds: downsampled metric series, tag and note edits, store info.

``runs/<id>/series/<key>`` answers in columns (``step``, ``timestamp``, ``value``) thinned by
LTTB along the chosen x axis, so a 1M-point history reaches the browser as a few thousand
points; ``series?run_ids=&key=`` answers one chart (every run's line) in one request, and with
``x=auto`` picks the axis itself (time when every point of every run shares one step). Tag edits go through ``TrackingClient.set_tag`` / ``delete_tag``; the run note is the
MLflow tag ``mlflow.note.content``.
"""
from __future__ import annotations

from typing import Any

import tornado.web

from ..errors import InvalidParameterError
from .base import NbtrackHandler
from .downsample import X_AXES, Columns, history_columns, series_payload

__all__ = ["ROUTES"]

_MAX_TAG_VALUE = 8000
_MAX_CHART_RUNS = 100


def _series(client: Any, run_id: str, key: str, axis: str, max_points: int) -> dict[str, Any]:
    history = client.get_metric_history(run_id, key)
    columns = history_columns(run_id, key, history)
    return {"key": key, "x": axis, **series_payload(columns, axis, max_points)}


def _one_step(columns: list[Columns]) -> bool:
    """True when some run has several points and every run logs all of them at one step."""
    return any(len(c.step) > 1 for c in columns) and all(
        len(c.step) == 0 or bool((c.step == c.step[0]).all()) for c in columns
    )


def _chart(client: Any, run_ids: list[str], key: str, axis: str, max_points: int) -> dict[str, Any]:
    columns = [history_columns(r, key, client.get_metric_history(r, key)) for r in run_ids]
    if axis == "auto":
        axis = "time" if _one_step(columns) else "step"
    lines = [{"run_id": r, **series_payload(c, axis, max_points)} for r, c in zip(run_ids, columns)]
    return {"key": key, "x": axis, "series": lines}


class ChartHandler(NbtrackHandler):
    """GET series?run_ids=a,b&key=K&x=step|time|auto&max_points=N -> {"key", "x", "series":
    [{"run_id", "total", "step": [], "timestamp": [], "value": []}]}: one chart in one request."""

    @tornado.web.authenticated
    async def get(self) -> None:
        run_ids = [i for arg in self.get_arguments("run_ids") for i in arg.split(",") if i]
        key = self.get_argument("key", "")
        if not run_ids or not key:
            raise InvalidParameterError("Query parameters run_ids (comma-separated) and key are required")
        if len(run_ids) > _MAX_CHART_RUNS:
            raise InvalidParameterError(f"At most {_MAX_CHART_RUNS} runs per chart, got {len(run_ids)}")
        axis = self.get_argument("x", "auto")
        if axis not in (*X_AXES, "auto"):
            raise InvalidParameterError(f"Query parameter x={axis!r} must be one of {', '.join(X_AXES)}, auto")
        max_points = self.int_argument("max_points", 2000, 0, 100_000)
        self.reply(await self.call(_chart, run_ids, key, axis, max_points))


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
    (r"series", ChartHandler),
    (r"runs/(?P<run_id>[^/]+)/series/(?P<key>.+)", SeriesHandler),
    (r"runs/(?P<run_id>[^/]+)/tags/(?P<key>.+)", TagHandler),
    (r"runs/(?P<run_id>[^/]+)/model-versions", RunModelVersionsHandler),
]
