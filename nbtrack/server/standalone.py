"""``nbtrack ui``: the dashboard outside JupyterLab, on a plain Jupyter server.

A small ``ExtensionApp`` starts ``jupyter_server`` with nbtrack's REST extension and one page,
``/nbtrack/ui``, that loads the dashboard bundle (built from the same React code as the lab
extension) and JupyterLab's own light and dark theme variables (picked by the reader's system
setting). Authentication is Jupyter's: a token in the printed URL, then a cookie; every REST
verb stays ``@authenticated``.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join

__all__ = ["NbtrackUIApp", "launch"]

STATIC = Path(__file__).parent / "static"
_THEMES = {"light": "theme-light-extension", "dark": "theme-dark-extension"}

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nbtrack</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{theme_light}" media="(prefers-color-scheme: light), (prefers-color-scheme: no-preference)">
<link rel="stylesheet" href="{theme_dark}" media="(prefers-color-scheme: dark)">
<link rel="stylesheet" href="{css}">
<script id="jupyter-config-data" type="application/json">{config}</script>
</head><body class="nbtrack-standalone"><div id="nbtrack-root" class="nbtrack-dashboard-widget"></div>
<script src="{js}"></script></body></html>"""


def _theme_file(name: str) -> Path | None:
    """JupyterLab's installed theme stylesheet (its ``--jp-*`` variables), if any."""
    for prefix in (sys.prefix, *os.environ.get("JUPYTER_PATH", "").split(os.pathsep)):
        base = Path(prefix) / "share" / "jupyter" / "lab" / "themes" / "@jupyterlab"
        candidate = base / _THEMES[name] / "index.css"
        if candidate.is_file():
            return candidate
    return None


class PageHandler(JupyterHandler):
    """GET /nbtrack/ui -> the dashboard page (login required, as every Jupyter page)."""

    @tornado.web.authenticated
    def get(self) -> None:
        base = self.base_url
        config = {"baseUrl": base, "wsUrl": "", "token": self.token or "", "appName": "nbtrack"}
        asset = lambda name: url_path_join(base, "nbtrack", "ui", "static", name)  # noqa: E731
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(_PAGE.format(
            theme_light=asset("theme-light.css"), theme_dark=asset("theme-dark.css"),
            css=asset("dashboard.css"), js=asset("dashboard.js"),
            config=json.dumps(config).replace("</", "<\\/"),
        ))


class AssetHandler(JupyterHandler):
    """GET /nbtrack/ui/static/<name>: the bundle, its stylesheet and the two themes."""

    @tornado.web.authenticated
    def get(self, name: str) -> None:
        if name.startswith("theme-") and name.endswith(".css"):
            path = _theme_file(name[len("theme-"):-len(".css")]) if name[6:-4] in _THEMES else None
        elif name in ("dashboard.js", "dashboard.css"):
            path = STATIC / name
        else:
            path = None
        if path is None or not path.is_file():
            raise tornado.web.HTTPError(404, f"no asset {name!r}")
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        self.set_header("Content-Type", f"{kind}; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(path.read_bytes())


class NbtrackUIApp(ExtensionApp):
    """The ``nbtrack ui`` server: the REST extension plus the dashboard page."""

    name = "nbtrack_ui"
    description = "nbtrack dashboard on a plain Jupyter server"
    default_url = "/nbtrack/ui"
    load_other_extensions = False
    open_browser = False

    @classmethod
    def get_extension_package(cls) -> str:
        return __name__  # this module declares the app's extension point

    def initialize_handlers(self) -> None:
        self.handlers.extend([
            (r"/nbtrack/ui/?", PageHandler),
            (r"/nbtrack/ui/static/(?P<name>[A-Za-z0-9_.-]+)", AssetHandler),
        ])

    def initialize_settings(self) -> None:
        from . import _load_jupyter_server_extension

        _load_jupyter_server_extension(self.serverapp)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": __name__, "app": NbtrackUIApp}]


def launch(store: str | None, port: int | None, ip: str = "127.0.0.1", extra: list[str] | None = None) -> Any:
    """Start the server (blocking) on ``store``; the URL with its token is printed."""
    if store:
        os.environ["NBTRACK_TRACKING_URI"] = os.path.abspath(store) if "://" not in store else store
    argv = [f"--ServerApp.ip={ip}", "--ServerApp.open_browser=False"]
    if port:
        argv += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    return NbtrackUIApp.launch_instance(argv=argv + (extra or []))
