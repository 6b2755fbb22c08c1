"""REST handler for what changed between two runs (the dashboard's "Diff" action).

``GET runs/<before>/diff/<after>`` -> ``{"diff": RunDiff.to_dict(), "html": <escaped HTML>}``
(each run a full id, unique id prefix or run name, as on every run route):
the same comparison as ``%track_diff`` (see :mod:`nbtrack.provenance.diff`), as data and as the HTML view
the notebook shows, so a front end can render either.
"""
from __future__ import annotations

from typing import Any

import tornado.web

from .._run_ids import resolve_run_id
from ..provenance import load_provenance
from ..provenance.diff import diff_runs
from .base import NbtrackHandler

__all__ = ["ROUTES"]


def _diff_payload(client: Any, before: str, after: str) -> dict[str, Any]:
    from ..widgets.diff_html import diff_html

    runs = [client.get_run(resolve_run_id(client, ref)) for ref in (before, after)]
    diff = diff_runs(*(load_provenance(client, run) for run in runs))
    return {"diff": diff.to_dict(), "html": diff_html(diff)}


class RunDiffHandler(NbtrackHandler):
    """GET runs/<before>/diff/<after> -> {"diff": {source, params, git, packages, metrics...}, "html"}"""

    @tornado.web.authenticated
    async def get(self, before: str, after: str) -> None:
        self.reply(await self.call(_diff_payload, before, after))


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"runs/(?P<before>[^/]+)/diff/(?P<after>[^/]+)", RunDiffHandler),
]
