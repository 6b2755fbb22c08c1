"""Jupyter server extension of nbtrack: an authenticated REST API over the tracking store.

Enabled automatically on install by ``jupyter-config/server-config/nbtrack.json``; the lab
extension (built into ``nbtrack/labextension``) is the sidebar that calls it.
"""
from __future__ import annotations

from typing import Any

from .backend import Backend
from .config import NbtrackConfig, resolve_tracking_uri
from .handlers import API_PREFIX, route_table
from .stores import StoreChoices

__all__ = ["NbtrackConfig", "API_PREFIX"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbtrack.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Mount the REST handlers under ``<base_url>/nbtrack/api/``."""
    uri = resolve_tracking_uri(serverapp)
    web_app = serverapp.web_app
    backend = Backend(uri)
    web_app.settings["nbtrack_backend"] = backend
    web_app.settings["nbtrack_stores"] = StoreChoices(backend, NbtrackConfig(parent=serverapp).stores)
    web_app.add_handlers(".*$", route_table(web_app.settings["base_url"]))
    backend.warm()
    serverapp.log.info("nbtrack: REST API at %s%s/ serving %s", web_app.settings["base_url"], API_PREFIX, uri)


load_jupyter_server_extension = _load_jupyter_server_extension  # classic notebook server name
