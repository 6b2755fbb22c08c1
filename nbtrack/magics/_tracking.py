"""IPython magics that turn notebook cells into tracked runs (``%load_ext nbtrack``).

``%%track_run`` runs its body through the shell (so magics, ``display``, ``!commands`` work as
in a plain cell), records what produced it (see :mod:`nbtrack.capture`) and always closes the
run: FINISHED, FAILED (traceback kept) or KILLED. A failed body also fails the outer cell, so
nbclient/nbconvert/papermill stop on it exactly as on a plain failing cell.
"""
from __future__ import annotations

import ast
import asyncio
import html
import math
import shlex
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

import nbtrack

from . import capture
from ._validation import MAX_TAG_VALUE_LENGTH, validate_key, validate_param_value
from .entities import Param, Run, RunStatus, RunTag
from .errors import ExperimentAlreadyExistsError, InvalidParameterError, NoActiveRunError

__all__ = ["TrackingMagics", "load_ipython_extension", "unload_ipython_extension"]

SUMMARY_METRICS = 8  # metrics shown in the end-of-cell summary


# -- argument helpers -----------------------------------------------------------------------------
def split_line(line: str) -> list[str]:
    """Shell-like words: quotes group (``note="a b"``), backslashes stay (``C:\\data``)."""
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise UsageError(f"cannot split {line!r}: {exc}") from None


def parse_args(magic: Any, line: str) -> Any:
    """Parse a magic's line with its ``@argument`` spec; errors are UsageErrors."""
    return magic.parser.parse_args(split_line(line))


def parse_value(text: str) -> Any:
    """A Python literal if ``text`` is one (``0.1``, ``[1, 2]``, ``'a b'``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def parse_pairs(tokens: Iterable[str], what: str) -> dict[str, str]:
    """``["k=v", ...]`` -> ``{k: raw v}``; UsageError naming a token that is not ``KEY=VALUE``."""
    pairs: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} must be KEY=VALUE, got {token!r}")
        pairs[key.strip()] = value
    return pairs


def _metric_value(key: str, raw: str) -> float:
    value = parse_value(raw)
    if isinstance(value, str):
        try:
            return float(value)  # nan, inf
        except ValueError:
            pass
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise UsageError(f"metric {key!r} must be a number, got {raw!r}")


def _checked_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Validate param names and values up front, as UsageError, before any run is touched."""
    try:
        return {validate_key(k, "param"): validate_param_value(k, v) for k, v in params.items()}
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None


def _lookup(ns: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    found = {}
    for name in names:
        if name not in ns:
            raise UsageError(f"variable {name!r} is not defined in the notebook namespace")
        found[name] = ns[name]
    return found


def _split_names(values: Iterable[str]) -> list[str]:
    return [n for v in values for n in v.split(",") if n]


# -- outcome and summary --------------------------------------------------------------------------
def _outcome(error: BaseException | None) -> str:
    if error is None:
        return RunStatus.FINISHED
    if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
        return RunStatus.KILLED
    return RunStatus.FAILED


def error_text(error: BaseException) -> str:
    """The traceback as plain text, without IPython's own ``run_code`` frame."""
    tb = error.__traceback__
    while tb is not None and "IPython" in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def summary_bundle(run: Run, experiment: str, duration_s: float) -> dict[str, str]:
    """One compact summary of a finished run as ``text/html`` plus a ``text/plain`` twin."""
    info = run.info
    metrics = list(run.data.metrics.items())[:SUMMARY_METRICS]
    shown = ", ".join(f"{k}={_fmt(v)}" for k, v in metrics)
    more = len(run.data.metrics) - len(metrics)
    if more > 0:
        shown += f" (+{more} more)"
    plain = (
        f"nbtrack run {info.run_name!r} ({info.run_id}) in experiment {experiment!r}: "
        f"{info.status} in {duration_s:.2f} s" + (f" | {shown}" if shown else "")
    )
    colour = {"FINISHED": "#2e7d32", "FAILED": "#c62828", "KILLED": "#ef6c00"}.get(info.status)
    e = html.escape
    rows = "".join(f"<code>{e(k)}</code>={e(_fmt(v))} " for k, v in metrics)
    rich = (
        '<div class="nbtrack-summary" style="font-family:monospace;font-size:12px">'
        f"<b>{e(info.run_name)}</b> <span style=\"color:#777\">{e(info.run_id)}</span> · "
        f"experiment <b>{e(experiment)}</b> · "
        f"<span style=\"color:{colour or '#555'}\">{e(info.status)}</span> · "
        f"{duration_s:.2f} s" + (f"<br>{rows}" if rows else "")
        + (f" (+{more} more)" if more > 0 else "") + "</div>"
    )
    return {"text/plain": plain, "text/html": rich}


def metrics_text(client: Any, run_id: str, keys: Iterable[str] | None) -> str:
    """Text stand-in for live curves: points, first, last, min and max of each metric."""
    run = client.get_run(run_id)
    lines = []
    for key in list(keys or run.data.metrics):
        points = client.get_metric_history(run_id, key)
        if not points:
            lines.append(f"  {key}: no points")
            continue
        values = [p.value for p in points]
        lines.append(
            f"  {key}: {len(values)} points, first {_fmt(values[0])}, last {_fmt(values[-1])}, "
            f"min {_fmt(min(values))}, max {_fmt(max(values))}"
        )
    return "Metrics:\n" + ("\n".join(lines) if lines else "  (none logged)")


# -- one tracked cell -----------------------------------------------------------------------------
@dataclass
class RunRequest:
    """What a ``%track_run`` / ``%%track_run`` line asked for, validated before any run starts."""

    name: str | None = None
    experiment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    nested: bool = False
    live: list[str] | None = None
    capture: bool = True


@dataclass
class _Tracked:
    """A %%track_run body in progress."""

    run_id: str
    parent_id: str | None
    t0: float
    live: Any
    live_keys: list[str] | None
    outer: Any  # ExecutionResult of the cell holding the magic (None if called directly)


_SELF = "get_ipython().magics_manager.registry['TrackingMagics']"


@magics_class
class TrackingMagics(Magics):
    """``%%track_run``, ``%track_run``, ``%log_params``, ``%log_metrics``, ``%set_tags``,
    ``%track_experiment``."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.papermill_params: dict[str, Any] = {}
        self.line_run: str | None = None  # id of the run opened by `%track_run NAME`
        self._line_run_cell: int | None = None
        self._line_run_t0 = 0.0
        self._current_cell = ""  # raw source and number of the cell being run, if any
        self._current_count: int | None = None
        self._depth = 0  # > 0 while a %%track_run body runs (its inner cell events are ignored)

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
        if args.live is not None and args.end:
            raise UsageError("--live cannot be combined with --end")
        params = dict(self.papermill_params)
        params.update(_lookup(self.shell.user_ns, _split_names(args.param)))
        tags = parse_pairs(args.tag, "-t")
        try:
            tags = {validate_key(k, "tag"): v for k, v in tags.items()}
        except InvalidParameterError as exc:
            raise UsageError(str(exc)) from None
        if self.papermill_params:
            tags["nbtrack.papermill"] = "true"
        live = None if args.live is None else _split_names([args.live])
        return RunRequest(args.run_name, args.experiment, tags, _checked_params(params),
                          args.nested, live, not args.no_capture)

    def _experiment_id(self, name: str | None) -> str | None:
        if name is None:
            return None
        for _ in range(2):  # another kernel may create it between our get and create
            exp = nbtrack.get_experiment_by_name(name)
            if exp is not None:
                return exp.experiment_id
            try:
                return nbtrack.create_experiment(name)
            except ExperimentAlreadyExistsError:
                continue
            except InvalidParameterError as exc:
                raise UsageError(str(exc)) from None
        raise UsageError(f"experiment {name!r} could not be created or found")

    def _open(self, req: RunRequest, source: str) -> tuple[str, str | None]:
        """Start the run with capture tags, params and artifacts; returns (run id, parent id)."""
        active = nbtrack.active_run()
        if active is not None and not req.nested:
            raise UsageError(
                f"run {active.info.run_name!r} ({active.info.run_id}) is still active; end it "
                "with `%track_run --end` or nbtrack.end_run(), or pass --nested to nest under it"
            )
        snap = capture.Capture()
        if req.capture:
            snap = capture.capture_cell(source, self.shell.execution_count, self.shell.user_ns)
        try:
            run = nbtrack.start_run(run_name=req.name, experiment_id=self._experiment_id(req.experiment),
                                    nested=req.nested, tags={**snap.tags, **req.tags})
        except InvalidParameterError as exc:
            raise UsageError(str(exc)) from None
        run_id = run.info.run_id
        try:
            client = nbtrack.TrackingClient()
            if req.params:
                client.log_batch(run_id, params=[Param(k, v) for k, v in req.params.items()])
            for path, text in snap.artifacts.items():
                client.log_text(run_id, text, path)
        except BaseException as exc:
            nbtrack.end_run(_outcome(exc))
            raise
        return run_id, active.info.run_id if active is not None else None

    def _cell_form(self, req: RunRequest, cell: str) -> None:
        tracked = self._begin(req, cell)
        error: BaseException | None = None
        try:
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
        run_id, parent_id = self._open(req, cell)
        live = _start_live(run_id, req.live) if req.live is not None else None
        self._depth += 1
        # the ExecutionResult of this very cell, which the body's run_cell replaces
        return _Tracked(run_id, parent_id, time.perf_counter(), live, req.live,
                        self.shell.displayhook.exec_result)

    def _finish(self, tracked: _Tracked, error: BaseException | None) -> None:
        self._depth -= 1
        self.shell.displayhook.exec_result = outer = tracked.outer
        self._close(tracked.run_id, tracked.parent_id, error,
                    time.perf_counter() - tracked.t0, tracked.live, tracked.live_keys)
        if error is not None and outer is not None and outer.error_in_exec is None:
            # The traceback is already shown; failing the outer result makes the kernel reply
            # "error" so nbclient/nbconvert stop here as on a plain failing cell.
            outer.error_in_exec = error

    def _close(self, run_id: str, parent_id: str | None, error: BaseException | None,
               duration_s: float, live: Any = None, live_keys: list[str] | None = None) -> None:
        """End the run (and any run the body left open above it) and show the summary."""
        status = _outcome(error)
        client = nbtrack.TrackingClient()
        try:
            tags = {"nbtrack.duration_s": f"{duration_s:.3f}"}
            if error is not None:
                text = error_text(error)
                tags["nbtrack.error"] = capture.truncate(text, MAX_TAG_VALUE_LENGTH)
                client.log_text(run_id, text, "error.txt")
            client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])
        finally:
            _end_runs_down_to(run_id, parent_id, status, client)
            nbtrack.flush()
        if live is not None:
            _guarded(live.finalize, "finish the live curves")
        elif live_keys is not None:
            print(metrics_text(client, run_id, live_keys))
        run = client.get_run(run_id)
        experiment = client.get_experiment(run.info.experiment_id).name
        display(summary_bundle(run, experiment, duration_s), raw=True)

    # -- line form ---------------------------------------------------------------------------
    def _line_form(self, args: Any) -> None:
        if args.end:
            if args.run_name or args.tag or args.param or args.experiment or args.nested:
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
        run_id, _ = self._open(req, self._current_cell or f"%track_run {req.name or ''}".rstrip())
        self.line_run, self._line_run_t0 = run_id, time.perf_counter()
        self._line_run_cell = self._current_count
        print(f"nbtrack: run {run_id} is open; the cells you run are added to it until "
              "`%track_run --end`.")

    def _end_line_run(self, status: str = RunStatus.FINISHED) -> None:
        if self.line_run is None:
            raise UsageError("no run opened by `%track_run NAME` is open; nothing to end")
        run_id, self.line_run = self.line_run, None
        self._close(run_id, None, None, time.perf_counter() - self._line_run_t0)

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
        values = {**_lookup(self.shell.user_ns, names), **{k: parse_value(v) for k, v in pairs.items()}}
        _call(nbtrack.log_params, _checked_params(values))

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
        _call(nbtrack.log_metrics, {k: _metric_value(k, v) for k, v in pairs.items()}, step=args.step)

    @magic_arguments()
    @argument("items", nargs="*", metavar="KEY=VALUE", help="Tags (text).")
    @line_magic
    def set_tags(self, line: str) -> None:
        """Set tags on the active run: ``%set_tags stage=tuning note="first try"``."""
        items = parse_args(self.set_tags, line).items
        if not items:
            raise UsageError("%set_tags needs at least one KEY=VALUE")
        pairs = parse_pairs(items, "%set_tags item")
        _call(nbtrack.set_tags, pairs)

    @magic_arguments()
    @argument("name", help="Experiment name (created if missing).")
    @line_magic
    def track_experiment(self, line: str) -> None:
        """Make NAME the experiment of the runs started next: ``%track_experiment mnist``."""
        name = parse_args(self.track_experiment, line).name
        exp = _call(nbtrack.set_experiment, name)
        print(f"nbtrack: experiment {exp.name!r} (id {exp.experiment_id}) is active.")

    # -- shell events ------------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        """Remember papermill's injected parameters for every run started after them."""
        source = getattr(info, "raw_cell", "") or ""
        if getattr(info, "store_history", False) and not self._depth:
            self._current_cell, self._current_count = source, self.shell.execution_count
        params = capture.parse_papermill_parameters(source)
        if params:
            self.papermill_params.update(params)

    def post_run_cell(self, result: Any) -> None:
        """Add each cell run while a line-form run is open to that run as ``cells/<n>.py``."""
        if self._depth or result is None or not result.info.store_history:
            return
        self._current_cell, self._current_count = "", None
        if self.line_run is None:
            return
        info = result.info
        count = result.execution_count
        if count is None or count == self._line_run_cell:
            return
        _guarded(lambda: nbtrack.TrackingClient().log_text(
            self.line_run, info.raw_cell or "", f"cells/{count}.py"), "add the cell to the run")


# -- small helpers ----------------------------------------------------------------------------
def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a fluent verb, turning a user mistake into a UsageError (no traceback)."""
    try:
        return fn(*args, **kwargs)
    except (InvalidParameterError, NoActiveRunError) as exc:
        raise UsageError(str(exc)) from None


def _guarded(fn: Any, what: str) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a display helper must not fail the run
        warnings.warn(f"nbtrack could not {what}: {type(exc).__name__}: {exc}", stacklevel=2)
        return None


def _start_live(run_id: str, keys: list[str]) -> Any:
    try:
        from .widgets import LiveCurves
    except ImportError:
        return None
    live = _guarded(lambda: LiveCurves(run_id, keys=keys or None), "start the live curves")
    if live is not None and _guarded(lambda: live.show() or True, "show the live curves") is None:
        return None
    return live


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


# -- extension entry points -------------------------------------------------------------------
_EVENTS = ("pre_run_cell", "post_run_cell")


def _magic_classes() -> list[type]:
    classes: list[type] = [TrackingMagics]
    try:
        from .panel_magics import PanelMagics
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.panel_magics":
            warnings.warn(f"nbtrack panel magics are unavailable: {exc}", stacklevel=3)
    except ImportError as exc:
        warnings.warn(f"nbtrack panel magics are unavailable: {exc}", stacklevel=3)
    else:
        classes.append(PanelMagics)
    return classes


def load_ipython_extension(ip: Any) -> None:
    """Register the magics and the cell hooks (``%load_ext nbtrack``)."""
    if "TrackingMagics" in ip.magics_manager.registry:
        unload_ipython_extension(ip)
    for cls in _magic_classes():
        ip.register_magics(cls)
    magics = ip.magics_manager.registry["TrackingMagics"]
    for event in _EVENTS:
        ip.events.register(event, getattr(magics, event))
    ip.input_transformers_cleanup.append(magics.await_transform)


def unload_ipython_extension(ip: Any) -> None:
    """Remove the hooks and magics; a run opened by ``%track_run NAME`` is ended first."""
    registry = ip.magics_manager.registry
    magics = registry.get("TrackingMagics")
    if magics is None:
        return
    if magics.line_run is not None:
        magics._end_line_run()
    for event in _EVENTS:
        if getattr(magics, event) in ip.events.callbacks[event]:
            ip.events.unregister(event, getattr(magics, event))
    if magics.await_transform in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.remove(magics.await_transform)
    for name in [n for n in ("TrackingMagics", "PanelMagics") if n in registry]:
        owner = registry.pop(name)
        for kind, table in ip.magics_manager.magics.items():
            for magic in list(owner.magics.get(kind, {})):
                if getattr(table.get(magic), "__self__", None) is owner:
                    del table[magic]
