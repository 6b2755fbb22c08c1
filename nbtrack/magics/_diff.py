"""``DiffMagics``: ``%track_diff RUN RUN`` shows what changed between two runs."""
from __future__ import annotations

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

import nbtrack

from ..provenance import load_provenance
from ..provenance.diff import diff_runs
from ._args import parse_args
from ._run_ref import find_run

__all__ = ["DiffMagics"]


@magics_class
class DiffMagics(Magics):
    """``%track_diff``."""

    @magic_arguments()
    @argument("before", help="The older run: id, unique id prefix (6+ characters) or run name.")
    @argument("after", help="The newer run, given the same way.")
    @line_magic
    def track_diff(self, line: str) -> None:
        """Show what changed from one run to another::

            %track_diff 3f9a1c 7b2e04

        Shows the unified diff of the cell source (added lines green, removed red), then the
        params, git commit/branch/dirty state, Python and package versions that differ, and
        the metrics that moved (with the change). Package versions come from the run's
        ``requirements.txt`` snapshot, else ``environment.json``. Everything is read from the
        store, so this works from a fresh kernel; the comparison panel's "Diff" button shows
        the same view.
        """
        from ..widgets.diff_html import diff_html

        args = parse_args(self.track_diff, line)
        client = nbtrack.TrackingClient()
        before, after = find_run(client, args.before), find_run(client, args.after)
        diff = diff_runs(load_provenance(client, before), load_provenance(client, after))
        display({"text/plain": diff.text(), "text/html": diff_html(diff)}, raw=True)
