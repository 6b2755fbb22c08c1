"""Magics that display the notebook panels (registered by ``%load_ext nbtrack``).

ipywidgets and bqplot are imported inside the magic bodies, so loading the extension stays
cheap. Each magic displays its panel (widget plus static twin) and returns nothing.
"""
from __future__ import annotations

import html
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from ..errors import NbtrackError

__all__ = ["PanelMagics"]

_URI_HELP = ("Store to read instead of the current one: a folder, tinydb:///path or an MLflow "
             "tracking server http(s)://host:port.")


def _parse(magic: Any, line: str) -> Any:
    """Parse a magic line shell-style (quotes group words); bad input is a UsageError."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot split {line!r}: {exc}") from None
    return magic.parser.parse_args(words)


def _client(uri: str | None) -> Any:
    """A client on ``uri`` (``--uri``), or on the current tracking URI when None."""
    from ..client import TrackingClient

    try:
        return TrackingClient(uri)
    except NbtrackError as exc:
        raise UsageError(str(exc)) from None


def _resolved(client: Any, refs: list[str]) -> list[str]:
    """Full run ids of ids, unique id prefixes or run names (the one resolver's rule)."""
    from .._run_ids import resolve_run_ids

    return resolve_run_ids(client, refs)


def _store_line(uri: str) -> None:
    """Which store a panel reads, so runs never seem to vanish into another one."""
    where = uri[len("tinydb://"):] if uri.startswith("tinydb://") else uri
    display({"text/plain": f"nbtrack store: {where}",
             "text/html": f'<div class="nbtrack-store-path" style="font-size:11px">'
                          f"nbtrack store: <code>{html.escape(where)}</code></div>"}, raw=True)


def _show(make: Any) -> None:
    """Build a panel and display it; nbtrack errors (unknown ids, bad input) are UsageErrors."""
    try:
        panel = make()
    except NbtrackError as exc:
        raise UsageError(str(exc)) from None
    display(panel)


@magics_class
class PanelMagics(Magics):
    """``%nbtrack_browse``, ``%nbtrack_compare``, ``%nbtrack_registry``."""

    @magic_arguments()
    @argument("experiment", nargs="?", default=None,
              help="Experiment name or id (quote names with spaces); default: the newest one.")
    @argument("--page-size", type=int, default=50, help="Rows per page, 1 to 200 (default 50).")
    @argument("--uri", default=None, help=_URI_HELP)
    @argument("--tab", action="store_true",
              help="Open the full dashboard in a JupyterLab tab instead of a panel here.")
    @line_magic
    def nbtrack_browse(self, line: str = "") -> None:
        """Browse the runs of an experiment: filter, sort, page, select and compare.

        Examples::

            %nbtrack_browse
            %nbtrack_browse "my experiment" --page-size 100
            %nbtrack_browse --uri http://mlflow.example.org:5000
            %nbtrack_browse "my experiment" --tab
        """
        args = _parse(self.nbtrack_browse, line)
        if args.tab:
            if args.uri:
                raise UsageError("--tab opens the dashboard on the store JupyterLab serves; "
                                 "--uri applies to the panel only")
            from ._dashboard_tab import DashboardTab

            _show(lambda: DashboardTab.for_experiment(args.experiment))
            return
        from ..widgets import ExperimentBrowser

        client = _client(args.uri)
        _store_line(client.tracking_uri)
        _show(lambda: ExperimentBrowser(client, experiment=args.experiment, page_size=args.page_size))

    @magic_arguments()
    @argument("run_ids", nargs="*", help="Two or more runs: ids, unique id prefixes (6+ characters) or names.")
    @argument("--uri", default=None, help=_URI_HELP)
    @line_magic
    def nbtrack_compare(self, line: str = "") -> None:
        """Compare runs side by side: params, latest metrics, histories, parallel coordinates.

        Example::

            %nbtrack_compare 3f2a9c 8b41d0
            %nbtrack_compare baseline "tuned lr"
        """
        args = _parse(self.nbtrack_compare, line)
        if len(args.run_ids) < 2:
            raise UsageError("%nbtrack_compare needs at least two run ids, e.g. "
                             "%nbtrack_compare RUN_ID_1 RUN_ID_2")
        from ..widgets import RunComparison

        client = _client(args.uri)
        _show(lambda: RunComparison(_resolved(client, args.run_ids), client=client))

    @magic_arguments()
    @argument("model", nargs="?", default=None,
              help="Registered model name (quote names with spaces); default: the first one.")
    @argument("--uri", default=None, help=_URI_HELP)
    @line_magic
    def nbtrack_registry(self, line: str = "") -> None:
        """Show registered models: versions, stages, aliases, audit trail and promotion buttons.

        Example::

            %nbtrack_registry iris-classifier
        """
        args = _parse(self.nbtrack_registry, line)
        from ..widgets import RegistryPanel

        client = _client(args.uri)
        _show(lambda: RegistryPanel(client, model=args.model))
