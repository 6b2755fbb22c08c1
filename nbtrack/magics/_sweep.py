"""``SweepMagics``: ``%%track_sweep``, a cell run once per setting, each as a nested run."""
from __future__ import annotations

import asyncio
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from ._sweep_line import parse_sweep
from ._sweep_runner import SweepRunner

__all__ = ["SweepMagics"]


@magics_class
class SweepMagics(Magics):
    """``%%track_sweep``."""

    @magic_arguments()
    @argument("run_name", nargs="?", help="Name of the parent sweep run (default: generated).")
    @argument("settings", nargs="*", metavar="NAME=EXPRESSION",
              help="A variable and the Python expression of its values, e.g. lr=[0.1, 0.01].")
    @argument("-e", "--experiment", metavar="EXPERIMENT",
              help="Experiment of the parent and its children (created if missing).")
    @argument("-t", "--tag", action="append", default=[], metavar="KEY=VALUE",
              help="Tag the parent and every child (repeatable).")
    @argument("--random", type=int, metavar="N", help="Try N random settings instead of the grid.")
    @argument("--optuna", type=int, metavar="N",
              help="Let Optuna choose N settings (needs --metric; pip install 'nbtrack[optuna]').")
    @argument("--seed", type=int, metavar="S", help="Seed of --random / --optuna (recorded if not given).")
    @argument("--metric", metavar="KEY", help="Metric whose last value decides the best child.")
    @argument("--direction", choices=("minimize", "maximize"),
              help="minimize or maximize --metric (default: minimize loss/error-like keys).")
    @argument("--fail-fast", action="store_true", help="Stop the sweep at the first failing child.")
    @argument("--live", metavar="METRIC,...", help="Metrics shown as columns of the live table.")
    @argument("--no-capture", action="store_true",
              help="Do not record cell source, notebook, git state or environment.")
    @cell_magic
    def track_sweep(self, line: str, cell: str) -> None:
        """Run the cell once per setting, each as a child run nested under one sweep run.

        Each ``NAME=EXPRESSION`` is evaluated in the notebook namespace; before each child the
        variables are set to one setting and logged as the child's params::

            %%track_sweep lr=[0.1, 0.01, 0.001] depth=range(2, 6) --metric val_loss
            model = train(lr=lr, depth=depth)
            nbtrack.log_metric("val_loss", evaluate(model))

        Settings: every combination (grid, the default); ``--random N`` draws N of them
        (reproducible with ``--seed S``); ``--optuna N`` lets Optuna choose N, using the
        child's last value of ``--metric`` as the objective. Lists are categorical; ``range``,
        ``np.linspace`` and other monotonic arrays are numeric; ``loguniform(a, b)`` and
        ``uniform(a, b)`` are continuous (random and Optuna only); a single value is fixed.
        Expressions may contain spaces only inside brackets or quotes.

        Pruning (``--optuna``): call ``nbtrack.report(step, value)`` in the body; a child
        Optuna judges hopeless ends KILLED with tag ``nbtrack.pruned=true``. The pruner is
        Optuna's median pruner with 2 startup trials and no warm-up steps.

        While it runs, a table shows settings x metrics with the best child so far
        highlighted. At the end the parent run gets the best setting as params ``best.*``
        (and ``best.run_id``) and the metric as ``best_<metric>``, and the cell prints a summary.

        A failing child ends FAILED and the sweep goes on (``--fail-fast`` stops it). An
        interrupt ends the running child and the parent KILLED; finished children stay. The
        cell fails (so Run All stops) when the sweep was interrupted or stopped, or when no
        child finished. ``%track_restore CHILD`` gives back one child's setting and code.

        Tags: the parent has ``nbtrack.sweep`` (grid, random or optuna), ``nbtrack.sweep.line``
        and, as they apply, ``nbtrack.sweep.seed``, ``.metric``, ``.direction``; each child has
        ``nbtrack.sweep.index`` and ``nbtrack.sweep.settings``, and ``mlflow.parentRunId``.
        """
        shell = self.shell
        assert shell is not None
        tracking = shell.magics_manager.registry.get("TrackingMagics")
        papermill = getattr(tracking, "papermill_params", {})
        req = parse_sweep(self.track_sweep, line, shell.user_ns)
        if _awaits_in_running_loop(shell, cell):
            raise UsageError("%%track_sweep cannot run a body with top-level `await` in a kernel yet; "
                             "move the awaiting code into a function the body calls synchronously")
        SweepRunner(shell, req, cell, papermill).run()


def _awaits_in_running_loop(shell: Any, cell: str) -> bool:
    """True if the body needs the event loop that is running this very cell (a kernel's).

    The children run through ``shell.run_cell``, which cannot run a coroutine inside a loop that
    is already running; a plain IPython shell runs one without a loop and is fine.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    try:
        transformed = shell.transform_cell(cell)
    except Exception:  # noqa: BLE001 - the body's own error shows when a child runs it
        return False
    return bool(shell.should_run_async(cell, transformed_cell=transformed, preprocessing_exc_tuple=None))
