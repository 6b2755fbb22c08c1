"""Opening and closing the run of a tracked cell (or span of cells), whatever the body did.

A run opened here is always ended: FINISHED, FAILED (traceback kept as tag ``nbtrack.error``
and artifact ``error.txt``) or KILLED, also when the body left nested runs open or ended ours.
"""
from __future__ import annotations

import asyncio
import functools
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

import nbtrack

from .. import capture
from .._durations import run_duration_ms
from .._validation import MAX_TAG_VALUE_LENGTH
from ..entities import Param, Run, RunStatus, RunTag
from ..errors import InvalidParameterError, RunPrunedError
from ._args import RunRequest
from ._count import cell_number
from ._summary import error_text, metrics_text, summary_bundle

__all__ = ["close_run", "guarded", "open_run", "outcome", "start_live"]


def outcome(error: BaseException | None) -> str:
    """The run status for how the body ended: FINISHED, KILLED (interrupted, pruned) or FAILED."""
    if error is None:
        return RunStatus.FINISHED
    if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError, RunPrunedError)):
        return RunStatus.KILLED
    return RunStatus.FAILED


def guarded(fn: Callable[[], Any], what: str) -> Any:
    """``fn()``, or None with a warning if it fails: a display helper must not fail the run."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a display helper must not fail the run
        warnings.warn(f"nbtrack could not {what}: {type(exc).__name__}: {exc}", stacklevel=2)
        return None


def _experiment_id(name: str | None) -> str | None:
    """The id of experiment ``name``, created if missing (None: the active experiment)."""
    if name is None:
        return None
    client = nbtrack.TrackingClient(nbtrack.get_tracking_uri())
    try:
        return client.get_or_create_experiment(name).experiment_id
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None


def open_run(shell: Any, req: RunRequest, source: str,
             count: int | None = None) -> tuple[str, str | None]:
    """Start the run with capture tags, params and artifacts; returns (run id, parent id).

    ``count`` is the prompt number of the cell holding the magic (tag
    ``nbtrack.execution_count``); default: :func:`~._count.cell_number` now.
    """
    active = nbtrack.active_run()
    if active is not None and not req.nested:
        raise UsageError(
            f"run {active.info.run_name!r} ({active.info.run_id}) is still active; end it "
            "with `%track_run --end` or nbtrack.end_run(), or pass --nested to nest under it"
        )
    snap = capture.Capture()
    if req.capture:
        count = cell_number(shell) if count is None else count
        snap = capture.capture_cell(source, count, shell.user_ns)
    try:
        run = nbtrack.start_run(run_name=req.name, experiment_id=_experiment_id(req.experiment),
                                nested=req.nested, tags={**snap.tags, **req.tags},
                                log_system_metrics=req.system or None)
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None
    _log_inputs(run.info.run_id, req.params, snap.artifacts)
    if req.autolog:
        from ..autologging import enter_scope

        guarded(lambda: enter_scope(run.info.run_id), "turn on autologging")
    return run.info.run_id, active.info.run_id if active is not None else None


def _log_inputs(run_id: str, params: Mapping[str, str], artifacts: Mapping[str, str]) -> None:
    """Log the requested params and the captured files; on any failure end the run, re-raise."""
    try:
        client = nbtrack.TrackingClient()
        if params:
            client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
        for path, text in artifacts.items():
            client.log_text(run_id, text, path)
    except BaseException as exc:
        nbtrack.end_run(outcome(exc))
        raise


def close_run(run_id: str, parent_id: str | None, error: BaseException | None,
              live: Any = None, live_keys: list[str] | None = None,
              snapshot: capture.Capture | None = None, summary: bool = True) -> Run:
    """End the run (and any run the body left open above it), show the summary, return the run.

    ``snapshot`` holds files kept at run end (see :func:`nbtrack.capture.snapshot`). The
    duration shown and tagged (``nbtrack.duration_s``) is the run's own ``end_time -
    start_time``, the one every other view shows.
    """
    status = outcome(error)
    client = nbtrack.TrackingClient()
    try:
        if snapshot is not None:
            for path, text in snapshot.artifacts.items():
                guarded(functools.partial(client.log_text, run_id, text, path), f"keep {path}")
        _record_outcome(client, run_id, error)
    finally:
        if "nbtrack.autologging" in sys.modules:
            sys.modules["nbtrack.autologging"].exit_scope(run_id)
        _end_runs_down_to(run_id, parent_id, status, client)
        _tag_duration(client, run_id)
        nbtrack.flush()
    if live is not None:
        guarded(live.finalize, "finish the live curves")
    elif live_keys is not None:
        print(metrics_text(client, run_id, live_keys))
    run = client.get_run(run_id)
    if summary:
        experiment = client.get_experiment(run.info.experiment_id).name
        display(summary_bundle(run, experiment), raw=True)
    return run


def _record_outcome(client: Any, run_id: str, error: BaseException | None) -> None:
    """After pruning tag it; after a failure keep the traceback as a tag and ``error.txt``."""
    tags: dict[str, str] = {}
    if isinstance(error, RunPrunedError):
        tags.update({"nbtrack.pruned": "true", "nbtrack.pruned_step": str(error.step)})
    elif error is not None:
        text = error_text(error)
        tags["nbtrack.error"] = capture.truncate(text, MAX_TAG_VALUE_LENGTH)
        client.log_text(run_id, text, "error.txt")
    if tags:
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])


def _tag_duration(client: Any, run_id: str) -> None:
    """Tag ``nbtrack.duration_s``: the ended run's ``end_time - start_time``, in seconds."""
    ms = run_duration_ms(client.get_run(run_id).info)
    if ms is not None:
        client.set_tag(run_id, "nbtrack.duration_s", f"{ms / 1000:.3f}")


def _end_runs_down_to(run_id: str, parent_id: str | None, status: str, client: Any) -> None:
    """End runs the body left open above ours, then ours; never the parent's."""
    for _ in range(100):
        active = nbtrack.active_run()
        if active is None or active.info.run_id == parent_id:
            break
        nbtrack.end_run(status)
        if active.info.run_id == run_id:
            return
    if client.get_run(run_id).info.status == RunStatus.RUNNING:  # the body ended it oddly
        client.set_terminated(run_id, status)


def start_live(run_id: str, keys: list[str]) -> Any:
    """Show live curves of ``keys`` (all if empty); None if widgets are missing or fail."""
    try:
        from ..widgets import LiveCurves
    except ImportError:
        return None
    live = guarded(lambda: LiveCurves(run_id, keys=keys or None), "start the live curves")
    if live is not None and guarded(lambda: live.show() or True, "show the live curves") is None:
        return None
    return live
