"""``%nbtrack_browse --tab``: ask JupyterLab to open the nbtrack dashboard in a main-area tab.

The magic displays one output with the MIME type ``application/vnd.nbtrack.dashboard+json``;
nbtrack's lab extension renders it by opening (or revealing) the dashboard on the chosen
experiment, once, while the output is fresh. Every other front end (classic notebook, nbconvert,
a terminal IPython) shows the ``text/plain`` fallback, which says how to get the same view there.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from ..errors import ExperimentNotFoundError, NotFoundError

__all__ = ["DASHBOARD_MIME", "DashboardTab"]

DASHBOARD_MIME = "application/vnd.nbtrack.dashboard+json"


class DashboardTab:
    """A displayable request to open the dashboard on one experiment (None: the newest)."""

    def __init__(self, experiment_id: str, experiment_name: str, tracking_uri: str):
        self.experiment_id = experiment_id
        self.experiment_name = experiment_name
        self.tracking_uri = tracking_uri

    @classmethod
    def for_experiment(cls, ref: str | None) -> DashboardTab:
        """The request for the experiment named or numbered ``ref`` in the current store."""
        from ..client import TrackingClient, get_tracking_uri

        uri = get_tracking_uri()
        where = uri[len("tinydb://"):] if uri.startswith("tinydb://") else uri
        if ref is None:
            return cls("", "", where)
        client = TrackingClient(uri)
        found: Any = client.get_experiment_by_name(ref)
        if found is None:
            try:
                found = client.get_experiment(ref)
            except NotFoundError:
                raise ExperimentNotFoundError(f"No experiment with id or name {ref!r}") from None
        return cls(found.experiment_id, found.name, where)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        what = f"experiment {self.experiment_name!r}" if self.experiment_name else "the newest experiment"
        fallback = (
            f"nbtrack dashboard: {what} opens in a JupyterLab tab when nbtrack's lab extension is "
            f"installed. Elsewhere run `nbtrack ui {self.tracking_uri}` in a terminal and open the "
            "URL it prints, or use %nbtrack_browse without --tab for a panel in the notebook."
        )
        return {
            DASHBOARD_MIME: {
                "experiment_id": self.experiment_id,
                "experiment_name": self.experiment_name,
                "request": uuid.uuid4().hex,
                "created": int(time.time() * 1000),
            },
            "text/plain": fallback,
        }
