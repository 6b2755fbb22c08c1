"""``TrackingMagics``: the magics that record runs (``%%track_run``, ``%log_params``...).

``%%track_run`` runs its body through the shell (so magics, ``display``, ``!commands`` work as
in a plain cell), records what produced it (see :mod:`nbtrack.capture`) and always closes the
run: FINISHED, FAILED (traceback kept) or KILLED. A failed body also fails the outer cell, so
nbclient/nbconvert/papermill stop on it exactly as on a plain failing cell.
"""
from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

import nbtrack

from .. import capture
from ..entities import RunStatus
from ._args import (
    RunRequest,
    call_verb,
    checked_params,
    lookup,
    metric_value,
    parse_args,
    parse_pairs,
    parse_value,
    run_request,
)
from ._cell import close_run, guarded, open_run, start_live
from ._count import cell_number, compiled_as, running_cell_number
from ._live_status import LiveStatus, can_update_in_place
from ._summary import summary_bundle

__all__ = ["TrackingMagics"]


def _switch_store(uri: str) -> None:
    """Point the fluent API at ``uri`` once the store there answers; on any failure keep the old one."""
    from ..client import TrackingClient
    from ..errors import NbtrackError

    try:
        TrackingClient(uri).search_experiments(max_results=1)
    except NbtrackError as exc:
        raise UsageError(f"{exc} (the tracking URI is unchanged)") from None
    nbtrack.set_tracking_uri(uri)


@dataclass
class _Tracked:
    """A %%track_run body in progress."""

    run_id: str
    parent_id: str | None
    count: int | None  # prompt number of the cell holding the magic
    live: Any
    live_keys: list[str] | None
    outer: Any  # ExecutionResult of the cell holding the magic (None if called directly)
    capture: bool  # keep the end-of-run snapshot (requirements.txt, notebook.ipynb)
    status: LiveStatus | None  # the line under the cell; None if it could not be shown


_SELF = "get_ipython().magics_manager.registry['TrackingMagics']"


@magics_class
class TrackingMagics(Magics):
    """``%%track_run``, ``%track_run``, ``%log_params``, ``%log_metrics``, ``%set_tags``,
    ``%track_experiment``."""

    shell: Any  # the InteractiveShell that registered us (typed Optional by IPython)

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.papermill_params: dict[str, Any] = {}
        self.line_run: str | None = None  # id of the run opened by `%track_run NAME`
        self._line_run_cell: int | None = None
        self._line_run_capture = True
        self._current_cell = ""  # raw source of the cell being run, if any
        self._depth = 0  # > 0 while a %%track_run body runs (its inner cell events are ignored)
        self._outer_count: int | None = None  # prompt number of the outermost tracked cell
        self._read_earlier_parameters()

    # -- %%track_run / %track_run ----------------------------------------------------------------
    @magic_arguments()
    @argument("run_name", nargs="?", help="Run name (default: a generated adjective-noun name).")
    @argument("-e", "--experiment", metavar="EXPERIMENT", help="Experiment name (created if missing).")
    @argument("-t", "--tag", action="append", default=[], metavar="KEY=VALUE", help="Set a tag (repeatable).")
    @argument("-p", "--param", action="append", default=[], metavar="VAR",
              help="Log notebook variable VAR as a param (repeatable; VAR1,VAR2 also works).")
    @argument("--nested", action="store_true", help="Nest under the active run (e.g. one opened by %%track_run NAME).")
    @argument("--live", nargs="?", const="", default=None, metavar="METRIC,...",
              help="Show live curves of these metrics (all if none given) while the cell runs.")
    @argument("--no-capture", action="store_true",
              help="Do not record cell source, notebook path, git state or environment.")
    @argument("--autolog", action="store_true",
              help="Autolog scikit-learn fits (params, training metrics, model) in this run only.")
    @argument("--system", action="store_true",
              help="Sample system metrics (CPU, memory, disk, network, GPU) under system/... during the run.")
    @argument("--end", action="store_true", help="Line form only: end the run opened by %%track_run NAME.")
    @line_cell_magic
    def track_run(self, line: str, cell: str | None = None) -> None:
        """Record a cell (``%%track_run``) or a span of cells (``%track_run``) as one run.

        Cell form: the body runs as a normal cell inside a run that always ends, FINISHED,
        FAILED (traceback kept as tag ``nbtrack.error`` and artifact ``error.txt``; the cell
        still fails) or KILLED (interrupted). Re-running the cell makes a new run::

            %%track_run baseline -e mnist -p lr -t model=cnn
            for step in range(100):
                nbtrack.log_metric("loss", train_step(), step=step)

        Line form: ``%track_run NAME`` opens a run that spans the following cells (each cell's
        source is added as ``cells/<execution count>.py``) until ``%track_run --end``.

        Unless ``--no-capture`` is given the run records the cell source, execution count,
        notebook path, git commit/branch/dirty flag, Python and imported package versions, host,
        user and duration. Parameters injected by papermill are logged as params.
        """
        args = parse_args(self.track_run, line)
        if cell is None:
            return self._line_form(args)
        if args.end:
            raise UsageError("--end only ends a run opened by the line form `%track_run NAME`")
        return self._cell_form(self._request(args), cell)

    def _request(self, args: Any) -> RunRequest:
        """The run this line asks for; papermill's parameters (seen so far) become params."""
        return run_request(args, self.shell.user_ns, self.papermill_params)

    def _cell_form(self, req: RunRequest, cell: str) -> None:
        tracked = self._begin(req, cell)
        error: BaseException | None = None
        try:
            with compiled_as(self.shell, tracked.count):
                result = self.shell.run_cell(cell)
            error = result.error_before_exec or result.error_in_exec
        except KeyboardInterrupt as exc:  # interrupted outside the user's code
            error = exc
        finally:
            self._finish(tracked, error)

    async def track_run_async(self, line: str, cell: str) -> None:
        """``%%track_run`` for a body with top-level ``await`` (see :meth:`await_transform`).

        A cell magic is called synchronously from inside the kernel's running event loop, where
        a nested ``run_cell`` cannot run a coroutine; awaiting ``run_cell_async`` here can.
        """
        args = parse_args(self.track_run, line)
        if args.end:
            raise UsageError("--end only ends a run opened by the line form `%track_run NAME`")
        tracked = self._begin(self._request(args), cell)
        error: BaseException | None = None
        try:
            transformed, failure = self._transform(cell)
            with compiled_as(self.shell, tracked.count):
                result = await self.shell.run_cell_async(
                    cell, transformed_cell=transformed, preprocessing_exc_tuple=failure)
            error = result.error_before_exec or result.error_in_exec
        except (KeyboardInterrupt, asyncio.CancelledError) as exc:
            error = exc
        finally:
            self._finish(tracked, error)

    def _transform(self, cell: str) -> tuple[str, Any]:
        try:
            return self.shell.transform_cell(cell), None
        except Exception:  # noqa: BLE001 - run_cell_async shows it as the cell's error
            return cell, sys.exc_info()

    def await_transform(self, lines: list[str]) -> list[str]:
        """Input transformer: a ``%%track_run`` cell whose body awaits becomes an awaited call."""
        if not lines or not lines[0].startswith("%%track_run"):
            return lines
        name, _, line = lines[0][2:].rstrip().partition(" ")
        body = "".join(lines[1:])
        if name != "track_run" or not self.shell.autoawait:
            return lines
        transformed, failure = self._transform(body)
        if failure is not None or not self.shell.should_run_async(
                body, transformed_cell=transformed, preprocessing_exc_tuple=None):
            return lines
        call = f"await {_SELF}.track_run_async({line!r}, {body!r})\n"
        return [call]

    def _begin(self, req: RunRequest, cell: str) -> _Tracked:
        # A body's nested run_cell has a result of its own: the number is the outermost cell's.
        count = self._outer_count if self._depth else cell_number(self.shell)
        run_id, parent_id = open_run(self.shell, req, cell, count)
        status = guarded(lambda: self._start_status(run_id), "show the run's status line")
        live = start_live(run_id, req.live) if req.live is not None else None
        self._depth += 1
        self._outer_count = count
        # the ExecutionResult of this very cell, which the body's run_cell replaces
        return _Tracked(run_id, parent_id, count, live, req.live,
                        self.shell.displayhook.exec_result, req.capture, status)

    def _start_status(self, run_id: str) -> LiveStatus | None:
        """The live line under the cell, where a front end updates it in place (else None:
        a terminal just gets the summary)."""
        if not can_update_in_place(self.shell):
            return None
        run = nbtrack.TrackingClient().get_run(run_id)
        status = LiveStatus(run_id, run.info.run_name, run.info.start_time)
        status.start()
        return status

    def _finish(self, tracked: _Tracked, error: BaseException | None) -> None:
        self._depth -= 1
        if not self._depth:
            self._outer_count = None
        self.shell.displayhook.exec_result = outer = tracked.outer
        status = tracked.status
        try:
            run = close_run(tracked.run_id, tracked.parent_id, error, tracked.live, tracked.live_keys,
                            self._snapshot(tracked.capture), summary=status is None)
        finally:
            if status is not None:
                status.stop()
        if status is not None:  # the status line settles into the summary
            experiment = nbtrack.TrackingClient().get_experiment(run.info.experiment_id).name
            status.finish(summary_bundle(run, experiment))
        if error is not None and outer is not None and outer.error_in_exec is None:
            # The traceback is already shown; failing the outer result makes the kernel reply
            # "error" so nbclient/nbconvert stop here as on a plain failing cell.
            outer.error_in_exec = error

    # -- line form ---------------------------------------------------------------------------
    def _line_form(self, args: Any) -> None:
        if args.end:
            others = (args.run_name, args.tag, args.param, args.experiment, args.nested,
                      args.live is not None, args.no_capture)
            if any(others):
                raise UsageError("`%track_run --end` takes no other arguments")
            return self._end_line_run()
        if args.live is not None:
            raise UsageError("--live works with the cell form `%%track_run` only")
        if self.line_run is not None:
            raise UsageError(
                f"run {self.line_run} opened by %track_run is still open; end it with "
                "`%track_run --end` first"
            )
        req = self._request(args)
        source = self._current_cell or f"%track_run {req.name or ''}".rstrip()
        run_id, _ = open_run(self.shell, req, source, cell_number(self.shell))
        self.line_run = run_id
        self._line_run_capture = req.capture
        self._line_run_cell = running_cell_number(self.shell)  # not added again as cells/<n>.py
        print(f"nbtrack: run {run_id} is open; the cells you run are added to it until "
              "`%track_run --end`.")

    def _end_line_run(self, status: str = RunStatus.FINISHED) -> None:
        if self.line_run is None:
            raise UsageError("no run opened by `%track_run NAME` is open; nothing to end")
        run_id, self.line_run = self.line_run, None
        close_run(run_id, None, None, snapshot=self._snapshot(self._line_run_capture))

    def _snapshot(self, wanted: bool) -> capture.Capture | None:
        """The end-of-run files (unless ``--no-capture``)."""
        return capture.snapshot(self.shell.user_ns) if wanted else None

    # -- logging line magics -----------------------------------------------------------------
    @magic_arguments()
    @argument("items", nargs="*", metavar="NAME|KEY=VALUE",
              help="Notebook variable names, or KEY=VALUE pairs (Python literals, else text).")
    @line_magic
    def log_params(self, line: str) -> None:
        """Log params to the active run: ``%log_params lr batch_size optimizer=adam``.

        A bare name logs that notebook variable under its own name; ``KEY=VALUE`` logs a literal
        (``0.1``, ``[1, 2]``, ``'text'``; anything else is kept as text).
        """
        items = parse_args(self.log_params, line).items
        if not items:
            raise UsageError("%log_params needs at least one NAME or KEY=VALUE")
        names = [i for i in items if "=" not in i]
        pairs = parse_pairs([i for i in items if "=" in i], "%log_params item")
        values = {**lookup(self.shell.user_ns, names), **{k: parse_value(v) for k, v in pairs.items()}}
        call_verb(nbtrack.log_params, checked_params(values))

    @magic_arguments()
    @argument("items", nargs="*", metavar="KEY=VALUE", help="Metric values (numbers).")
    @argument("--step", type=int, default=None, help="Step of these values (default 0).")
    @line_magic
    def log_metrics(self, line: str) -> None:
        """Log metrics to the active run: ``%log_metrics loss=0.31 acc=0.92 --step 10``."""
        args = parse_args(self.log_metrics, line)
        if not args.items:
            raise UsageError("%log_metrics needs at least one KEY=VALUE")
        pairs = parse_pairs(args.items, "%log_metrics item")
        call_verb(nbtrack.log_metrics, {k: metric_value(k, v) for k, v in pairs.items()}, step=args.step)

    @magic_arguments()
    @argument("items", nargs="*", metavar="KEY=VALUE", help="Tags (text).")
    @line_magic
    def set_tags(self, line: str) -> None:
        """Set tags on the active run: ``%set_tags stage=tuning note="first try"``."""
        items = parse_args(self.set_tags, line).items
        if not items:
            raise UsageError("%set_tags needs at least one KEY=VALUE")
        pairs = parse_pairs(items, "%set_tags item")
        call_verb(nbtrack.set_tags, pairs)

    @magic_arguments()
    @argument("name", nargs="?", default=None, help="Experiment name (created if missing).")
    @argument("--uri", default=None, metavar="URI",
              help="Store for the runs started next: a folder, tinydb:///path or an MLflow tracking "
                   "server http(s)://host:port (credentials from MLFLOW_TRACKING_USERNAME/PASSWORD "
                   "or MLFLOW_TRACKING_TOKEN).")
    @line_magic
    def track_experiment(self, line: str) -> None:
        """Make NAME the experiment of the runs started next, optionally in another store.

        Examples::

            %track_experiment mnist
            %track_experiment mnist --uri http://mlflow.example.org:5000
            %track_experiment --uri ./nbtrack-store

        With ``--uri`` the store is reached first; if it does not answer, nothing changes.
        Runs already started keep logging where they are.
        """
        args = parse_args(self.track_experiment, line)
        if args.name is None and args.uri is None:
            raise UsageError("%track_experiment needs an experiment NAME, --uri URI, or both")
        if args.uri is not None:
            _switch_store(args.uri)
        if args.name is None:
            print(f"nbtrack: runs started next go to {nbtrack.get_tracking_uri()}.")
            return
        exp = call_verb(nbtrack.set_experiment, args.name)
        where = f" in {args.uri}" if args.uri is not None else ""
        print(f"nbtrack: experiment {exp.name!r} (id {exp.experiment_id}){where} is active.")

    # -- shell events ------------------------------------------------------------------------
    def _read_earlier_parameters(self) -> None:
        """Papermill's parameters cell usually runs before ``%load_ext nbtrack``: find it in
        this session's input history so its values are logged all the same."""
        history = getattr(getattr(self.shell, "history_manager", None), "input_hist_raw", None)
        for source in history or ():
            self._remember_parameters(source)

    def _remember_parameters(self, source: str) -> None:
        params = capture.parse_papermill_parameters(source)
        if params:
            self.papermill_params.update(params)

    def pre_run_cell(self, info: Any) -> None:
        """Remember papermill's injected parameters for every run started after them."""
        source = getattr(info, "raw_cell", "") or ""
        if getattr(info, "store_history", False) and not self._depth:
            self._current_cell = source
        self._remember_parameters(source)

    def post_run_cell(self, result: Any) -> None:
        """Add each cell run while a line-form run is open to that run as ``cells/<n>.py``."""
        if self._depth or result is None or not result.info.store_history:
            return
        self._current_cell = ""
        run_id = self.line_run
        if run_id is None:
            return
        info = result.info
        count = result.execution_count
        if count is None or count == self._line_run_cell:
            return
        guarded(lambda: nbtrack.TrackingClient().log_text(
            run_id, info.raw_cell or "", f"cells/{count}.py"), "add the cell to the run")
