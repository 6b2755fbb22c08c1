"""The base REST handler: authenticated JSON replies and nbtrack errors as MLflow's server sends them.

An error's HTTP status is the one MLflow's server gives its ``error_code``
(:data:`nbtrack.errors.HTTP_STATUS`: ``INVALID_PARAMETER_VALUE`` and ``RESOURCE_ALREADY_EXISTS``
400, ``RESOURCE_DOES_NOT_EXIST`` 404, ``INVALID_STATE`` and ``INTERNAL_ERROR`` 500...), and the
body is MLflow's ``{"error_code": ..., "message": ...}`` plus ``"error"`` (the exception class,
for the UI) and, for a filter that does not parse, ``"position"`` (0-based offset) so the UI can
point at it. Failures outside nbtrack (unknown route, refused login) get the same shape with
the code MLflow gives their status (``ENDPOINT_NOT_FOUND``, ``PERMISSION_DENIED``...).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler

from ..entities import ViewType
from ..errors import InvalidParameterError, NbtrackError
from .backend import Backend
from .serialize import dumps, error_body
from .stores import StoreChoices

__all__ = ["NbtrackHandler", "http_status_for"]

T = TypeVar("T")

_VIEW_TYPES = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}


def http_status_for(exc: BaseException) -> int:
    """The HTTP status MLflow's server answers ``exc``'s error code with (500 if unexpected)."""
    return exc.get_http_status_code() if isinstance(exc, NbtrackError) else 500


class NbtrackHandler(APIHandler):
    """JSON API handler over the server's :class:`Backend`; subclasses decorate every verb."""

    @property
    def store_choices(self) -> StoreChoices:
        return self.settings["nbtrack_stores"]

    @property
    def backend(self) -> Backend:
        """The backend of the store named by the query parameter ``store`` (default: the server's)."""
        return self.store_choices.backend(self.get_argument("store", None))

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(client, ...)`` off the event loop."""
        return await self.backend.run(fn, *args, **kwargs)

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(dumps(payload))

    # -- request parsing -----------------------------------------------------------------
    def int_argument(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise InvalidParameterError(
                f"Query parameter {name}={raw!r} must be an integer from {low} to {high}"
            )
        return value

    def view_type_argument(self) -> int:
        raw = self.get_argument("view", "active")
        if raw not in _VIEW_TYPES:
            raise InvalidParameterError(
                f"Query parameter view={raw!r} must be one of {', '.join(_VIEW_TYPES)}"
            )
        return _VIEW_TYPES[raw]

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object ({} when empty)."""
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidParameterError(f"Request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise InvalidParameterError(
                f"Request body must be a JSON object, got {type(body).__name__}"
            )
        return body

    # -- errors --------------------------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, NbtrackError):
            self.set_status(http_status_for(exc))
            self.finish(json.dumps(error_body(exc)))
            return
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or exc.reason or self._reason
            self.finish(json.dumps(error_body(None, status_code, message)))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Expected client errors are warnings, not tracebacks in the server log."""
        if isinstance(value, NbtrackError) and http_status_for(value) < 500:
            self.log.warning("nbtrack API %s %s: %s", self.request.method, self.request.uri, value)
            return
        super().log_exception(typ, value, tb)
