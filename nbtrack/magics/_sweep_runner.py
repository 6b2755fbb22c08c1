"""Running a ``%%track_sweep``: one parent run, one nested child run per setting.

Children reuse the machinery of ``%%track_run`` (:func:`._cell.open_run` / :func:`._cell.close_run`):
the body runs through ``shell.run_cell`` and each child always ends FINISHED, FAILED, or
KILLED (interrupted, or pruned by Optuna). A failed child does not stop the sweep (unless
``--fail-fast``); an interrupt ends the running child and the parent KILLED and returns the
kernel to the user with no run left active.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

import nbtrack

from .. import capture
from .._validation import MAX_PARAM_VALUE_LENGTH
from ..client import add_metric_listener
from ..entities import Metric, Param, Run, RunStatus
from ..errors import RunPrunedError
from ..provenance import SETTINGS_TAG, VARIABLES_TAG
from ..sweep import Coord, best_index, reporting, sample, setting_source, setting_values
from ._args import RunRequest
from ._cell import close_run, guarded, open_run
from ._count import cell_number, compiled_as
from ._summary import sweep_summary
from ._sweep_line import SweepRequest

__all__ = ["ChildResult", "SweepRunner"]

MAX_CHILD_NAME = 120
LIVE_INTERVAL_S = 0.5  # least time between two redraws of the running child's row


@dataclass
class ChildResult:
    """How one child run ended."""

    index: int
    run: Run
    values: dict[str, Any]
    error: BaseException | None

    @property
    def status(self) -> str:
        return self.run.info.status


class _Settings:
    """Settings of a grid or random sweep (a fixed list)."""

    def __init__(self, req: SweepRequest):
        from ..sweep import grid

        self.coords = list(grid(req.spaces)) if req.mode == "grid" else sample(req.spaces, req.count, req.seed)

    def __iter__(self) -> Iterator[dict[str, Coord]]:
        return iter(self.coords)

    def reporter(self) -> AbstractContextManager[Any]:
        return nullcontext()

    def tell(self, result: ChildResult, metric: str | None) -> None:
        """Nothing learns from a grid or a random sample."""


class _OptunaSettings(_Settings):
    """Settings asked one at a time from an Optuna study, which learns from each child."""

    def __init__(self, req: SweepRequest):
        from ..sweep import optuna as sweep_optuna

        self._optuna = sweep_optuna
        self.study = sweep_optuna.create_study(req.direction, req.seed)
        self.spaces = req.spaces
        self.dists = sweep_optuna.distributions(req.spaces)
        self.count = req.count
        self.trial: Any = None

    def __iter__(self) -> Iterator[dict[str, Coord]]:
        for _ in range(self.count):
            self.trial = self.study.ask(self.dists)
            yield self._optuna.coords_of(self.spaces, self.trial.params)

    def reporter(self) -> AbstractContextManager[Any]:
        return reporting(self._report)

    def _report(self, step: int, value: float) -> None:
        self.trial.report(value, step)
        if self.trial.should_prune():
            raise RunPrunedError(step)

    def tell(self, result: ChildResult, metric: str | None) -> None:
        from optuna.trial import TrialState

        value = result.run.data.metrics.get(metric) if metric else None
        if isinstance(result.error, RunPrunedError):
            self.study.tell(self.trial, state=TrialState.PRUNED)
        elif result.status == RunStatus.FINISHED and value is not None:
            self.study.tell(self.trial, value)
        else:
            self.study.tell(self.trial, state=TrialState.FAIL)


def _show_pruned(shell: Any, etype: Any, value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
    """Custom traceback for RunPrunedError: one line instead of a traceback."""
    print(f"nbtrack: {value}")
    return []


@contextmanager
def _quiet_pruning(shell: Any) -> Iterator[None]:
    """Show a pruned child as one line (unless the user installed their own handler)."""
    if shell.custom_exceptions:
        yield
        return
    shell.set_custom_exc((RunPrunedError,), _show_pruned)
    try:
        yield
    finally:
        shell.set_custom_exc((), None)


class SweepRunner:
    """One ``%%track_sweep`` cell: the parent run, its children, the table and the summary."""

    def __init__(self, shell: Any, req: SweepRequest, cell: str, extra_params: Mapping[str, Any]):
        self.shell, self.req, self.cell = shell, req, cell
        self.extra_params = dict(extra_params)  # papermill's parameters, logged on every run
        self.results: list[ChildResult] = []
        self.client = nbtrack.TrackingClient()
        self.parent_id = ""
        self.count: int | None = None  # prompt number of the %%track_sweep cell
        self.experiment = ""
        self.table: Any = None

    # -- the whole sweep ---------------------------------------------------------------------
    def run(self) -> None:
        req = self.req
        if req.mode != "grid" and req.seed is None:
            req.seed = random.SystemRandom().randrange(2**31)  # recorded, so the sweep can be redone
        settings = self._settings()
        outer = self.shell.displayhook.exec_result
        self.count = cell_number(self.shell)  # the children's run_cell would change it
        self.parent_id, _ = open_run(self.shell, self._parent_request(), self.cell, self.count)
        error: BaseException | None = None
        try:
            parent = self.client.get_run(self.parent_id)
            self.experiment = self.client.get_experiment(parent.info.experiment_id).name
            self.table = self._show_table(parent)
            error = self._children(settings)
        except KeyboardInterrupt as exc:
            print("nbtrack: sweep interrupted")
            error = exc
        finally:
            self.shell.displayhook.exec_result = outer
            self._finish(error, outer)

    def _settings(self) -> _Settings:
        if self.req.mode != "optuna":
            return _Settings(self.req)
        try:
            return _OptunaSettings(self.req)
        except ImportError as exc:
            raise UsageError(str(exc)) from None

    def _children(self, settings: _Settings) -> BaseException | None:
        """Run every child; the error that stops the sweep (interrupt, --fail-fast) or None."""
        quiet = _quiet_pruning(self.shell) if self.req.mode == "optuna" else nullcontext()
        with quiet, _optuna_quiet(self.req.mode):
            for index, coords in enumerate(settings):
                result = self._child(index, coords, settings)
                self.results.append(result)
                settings.tell(result, self.req.metric)
                self._show_row(result)
                if isinstance(result.error, KeyboardInterrupt):
                    return result.error
                if result.status == RunStatus.FAILED and self.req.fail_fast:
                    return result.error
        return None

    # -- one child -----------------------------------------------------------------------------
    def _child(self, index: int, coords: Mapping[str, Coord], settings: _Settings) -> ChildResult:
        values = setting_values(self.req.spaces, coords)
        source = setting_source(self.req.spaces, coords)
        self.shell.user_ns.update(values)
        request = self._child_request(index, values, source)
        run_id, _ = open_run(self.shell, request, self.cell, self.count)
        unwatch = self._watch(index, run_id, request.name or "", values)
        error: BaseException | None = None
        try:
            with settings.reporter(), compiled_as(self.shell, self.count):
                result = self.shell.run_cell(self.cell)
            error = result.error_before_exec or result.error_in_exec
        except KeyboardInterrupt as exc:  # between the body and us
            error = exc
        finally:
            unwatch()
            snap = capture.snapshot(notebook=False) if self.req.capture else None
            run = close_run(run_id, self.parent_id, error, snapshot=snap, summary=False)
        return ChildResult(index, run, values, error)

    def _child_request(self, index: int, values: Mapping[str, Any], source: Mapping[str, str]) -> RunRequest:
        params = {k: capture.truncate(str(v), MAX_PARAM_VALUE_LENGTH)
                  for k, v in {**self.extra_params, **values}.items()}
        tags = {**self.req.tags, "nbtrack.sweep.index": str(index),
                SETTINGS_TAG: json.dumps(source), VARIABLES_TAG: ",".join(params)}
        if self.extra_params:
            tags["nbtrack.papermill"] = "true"
        name = " ".join(f"{k}={_short(v)}" for k, v in values.items())[:MAX_CHILD_NAME]
        return RunRequest(name=name, experiment=self.experiment, tags=tags, params=params,
                          nested=True, capture=self.req.capture)

    def _parent_request(self) -> RunRequest:
        req = self.req
        tags = {**req.tags, "nbtrack.sweep": req.mode,
                "nbtrack.sweep.line": capture.truncate(req.line),
                "nbtrack.sweep.size": str(req.count)}
        if req.seed is not None:
            tags["nbtrack.sweep.seed"] = str(req.seed)
        if req.metric:
            tags.update({"nbtrack.sweep.metric": req.metric, "nbtrack.sweep.direction": req.direction})
        params = {k: capture.truncate(str(v), MAX_PARAM_VALUE_LENGTH) for k, v in self.extra_params.items()}
        if params:
            tags.update({"nbtrack.papermill": "true", VARIABLES_TAG: ",".join(params)})
        return RunRequest(name=req.name, experiment=req.experiment, tags=tags, params=params,
                          capture=req.capture)

    # -- the end -------------------------------------------------------------------------------
    def best(self) -> ChildResult | None:
        """The FINISHED child with the best last value of ``--metric`` (None without one)."""
        metric = self.req.metric
        if not metric:
            return None
        values = [r.run.data.metrics.get(metric) if r.status == RunStatus.FINISHED else None
                  for r in self.results]
        i = best_index(values, self.req.direction)
        return None if i is None else self.results[i]

    def _finish(self, error: BaseException | None, outer: Any) -> None:
        best = self.best()
        if best is not None:
            guarded(lambda: self._log_best(best), "log the best setting on the sweep run")
        snap = capture.snapshot(self.shell.user_ns) if self.req.capture else None
        parent = close_run(self.parent_id, None, error, snapshot=snap, summary=False)
        display(sweep_summary(parent, self.experiment, self.results, best, self.req), raw=True)
        if self.table is not None:
            guarded(lambda: self.table.refresh_twin(force=True), "update the sweep table")
        failed = error if error is not None else self._all_failed()
        if failed is not None and outer is not None and outer.error_in_exec is None:
            outer.error_in_exec = failed  # so Run All / nbclient stop here, as on a failing cell

    def _all_failed(self) -> BaseException | None:
        """The last child's error when no child finished (the body is likely broken)."""
        if self.results and all(r.status != RunStatus.FINISHED for r in self.results):
            return next((r.error for r in reversed(self.results) if r.error is not None), None)
        return None

    def _log_best(self, best: ChildResult) -> None:
        metric = self.req.metric
        assert metric is not None
        value = best.run.data.metrics[metric]
        params = [Param(f"best.{k}", capture.truncate(str(v), MAX_PARAM_VALUE_LENGTH))
                  for k, v in best.values.items()]
        params.append(Param("best.run_id", best.run.info.run_id))
        metrics = [Metric(f"best_{metric}", value, int(time.time() * 1000), 0)]
        self.client.log_batch(self.parent_id, metrics=metrics, params=params)

    # -- the live table --------------------------------------------------------------------------
    def _show_table(self, parent: Run) -> Any:
        try:
            from ..widgets.sweep_table import SweepTable
        except ImportError:
            return None
        names = [s.name for s in self.req.spaces]
        title = (f"Sweep {parent.info.run_name} ({self.req.mode}, {self.req.count} settings)"
                 + (f" - {self.req.direction} {self.req.metric}" if self.req.metric else ""))
        table = guarded(lambda: SweepTable(names, self.req.metric, self.req.direction,
                                           self.req.live, title), "show the sweep table")
        if table is not None and guarded(lambda: table.show() or True, "show the sweep table") is None:
            return None
        return table

    def _watch(self, index: int, run_id: str, name: str, values: Mapping[str, Any]) -> Callable[[], None]:
        """Show the child as RUNNING and its metrics as they are logged; returns the unwatcher."""
        if self.table is None:
            return lambda: None
        from ..widgets.sweep_table import SweepRow

        row = SweepRow(index, name, "RUNNING", dict(values))
        guarded(lambda: self.table.set_row(row), "update the sweep table")
        shown = [time.monotonic()]

        def on_points(rid: str, points: Any) -> None:
            if rid != run_id:
                return
            row.metrics.update((p.key, p.value) for p in points)
            if time.monotonic() - shown[0] >= LIVE_INTERVAL_S:  # a few redraws a second at most
                shown[0] = time.monotonic()
                self.table.set_row(row)

        return add_metric_listener(on_points)

    def _show_row(self, result: ChildResult) -> None:
        pruned = result.run.data.tags.get("nbtrack.pruned") == "true"
        shown = "PRUNED" if pruned else result.status  # a pruned child is KILLED in the store
        if self.table is None:
            metrics = ", ".join(f"{k}={v:.4g}" for k, v in result.run.data.metrics.items())
            print(f"nbtrack: child {result.index} {result.run.info.run_name}: {shown} {metrics}")
            return
        from ..widgets.sweep_table import SweepRow

        row = SweepRow(result.index, result.run.info.run_name, shown, result.values,
                       dict(result.run.data.metrics))
        guarded(lambda: self.table.set_row(row), "update the sweep table")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _optuna_quiet(mode: str) -> AbstractContextManager[Any]:
    if mode != "optuna":
        return nullcontext()
    from ..sweep.optuna import quiet

    return quiet()
