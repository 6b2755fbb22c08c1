"""nbtrack command line: list, show, compare and export runs from a terminal or CI.

Each subcommand is one :class:`Command` in :data:`COMMANDS` (name, help, arguments, action), so
adding one is adding an entry. Commands read the store the notebook rule finds (see
:mod:`nbtrack.store.discovery`) and never create one unless they are meant to write.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

from .._durations import format_duration, run_duration_ms
from .._floats import encode_float
from .._run_ids import resolve_run_id
from ..entities import Run, ViewType
from ..errors import ExperimentNotFoundError, NbtrackError
from ..reporting.html import REPORT_HELP, add_report_arguments, run_report
from ..sync._cli import SYNC_HELP, add_sync_arguments, run_sync
from .ui import UI_HELP, add_ui_arguments, run_ui

if TYPE_CHECKING:
    from ..client import TrackingClient

__all__ = ["COMMANDS", "Command", "Context", "main"]

DESCRIPTION = "List, show, compare and export nbtrack runs from a terminal or CI."
EPILOG = (
    "Store: --tracking-uri, else $NBTRACK_TRACKING_URI, else the nearest nbtrack-store/ folder "
    "found walking up from the current folder. Commands that only read never create a store. "
    "Runs are named by full id, a unique id prefix (6+ characters) or an exact run name."
)
TABLE_DIGITS = 6  # significant digits of floats in tables (JSON and CSV keep full precision)
TABLE_METRICS = 6  # metric columns in `runs`
SIGPIPE_EXIT = 128 + 13


# -- formatting ------------------------------------------------------------------------------
def _table_time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(ms: int | None) -> str:
    """ISO-8601 UTC with milliseconds (``2026-12-01T12:00:00.123Z``); '' for None."""
    if ms is None:
        return ""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def table_value(value: Any) -> str:
    """A value for a table cell: floats with 6 significant digits."""
    if isinstance(value, float):
        return f"{value:.{TABLE_DIGITS}g}" if math.isfinite(value) else str(encode_float(value))
    return "" if value is None else str(value)


def exact_value(value: Any) -> str:
    """A value for CSV: floats at full precision (shortest exact repr)."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(encode_float(value))
    return "" if value is None else str(value)


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _dump(data: Any, out: TextIO) -> None:
    json.dump(_json_safe(data), out, indent=2)
    out.write("\n")


def _run_dict(run: Run) -> dict[str, Any]:
    i = run.info
    return {
        "run_id": i.run_id,
        "run_name": i.run_name,
        "experiment_id": i.experiment_id,
        "status": i.status,
        "start_time": i.start_time,
        "end_time": i.end_time,
        "duration_ms": run_duration_ms(i),
        "lifecycle_stage": i.lifecycle_stage,
        "artifact_uri": i.artifact_uri,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "tags": dict(run.data.tags),
    }


# -- the store and the runs a command names ------------------------------------------------------
class Context:
    """What a command works on: its arguments and, opened on first use, the store's client."""

    def __init__(self, args: argparse.Namespace, creates_store: bool):
        self.args = args
        self._creates_store = creates_store
        self._client: TrackingClient | None = None

    @property
    def client(self) -> TrackingClient:
        """The client on the chosen store; StoreNotFoundError if it is missing and we only read."""
        if self._client is None:
            from ..client import TrackingClient
            from ..store import existing_store_uri

            uri = self.args.tracking_uri
            if not self._creates_store:
                uri = existing_store_uri(uri)
            self._client = TrackingClient(uri)
        return self._client

    def experiment_ids(self) -> list[str]:
        """Ids of the ``-e`` experiments (names or ids), else of every active experiment."""
        client, names = self.client, getattr(self.args, "experiment", None)
        if not names:
            return [e.experiment_id for e in client.search_experiments()]
        every = client.search_experiments(view_type=ViewType.ALL)
        ids = []
        for name in names:
            exp = client.get_experiment_by_name(name)
            if exp is not None:
                ids.append(exp.experiment_id)
            elif any(e.experiment_id == name for e in every):
                ids.append(name)
            else:
                raise ExperimentNotFoundError(f"No experiment named (or with id) {name!r}")
        return ids

    def run(self, ref: str) -> Run:
        """The run ``ref`` names (id, unique prefix or name, within ``-e`` if given)."""
        scope = self.experiment_ids() if getattr(self.args, "experiment", None) else None
        return self.client.get_run(resolve_run_id(self.client, ref, scope))

    def search(self) -> list[Run]:
        a = self.args
        return list(self.client.search_runs(self.experiment_ids(), filter_string=a.filter,
                                            order_by=a.order_by or None, max_results=a.max_results))


# -- commands ------------------------------------------------------------------------------------
def _cmd_experiments(ctx: Context, out: TextIO) -> None:
    view = ViewType.ALL if ctx.args.all else ViewType.ACTIVE_ONLY
    exps = ctx.client.search_experiments(view_type=view)
    if ctx.args.json:
        _dump([{"experiment_id": e.experiment_id, "name": e.name, "lifecycle_stage": e.lifecycle_stage,
                "artifact_location": e.artifact_location, "tags": dict(e.tags)} for e in exps], out)
        return
    _table([["ID", "NAME", "STAGE"]] + [[e.experiment_id, e.name, e.lifecycle_stage] for e in exps], out)


def _cmd_runs(ctx: Context, out: TextIO) -> None:
    runs = ctx.search()
    if ctx.args.json:
        _dump([_run_dict(r) for r in runs], out)
        return
    client = ctx.client
    stale = set(client.find_stale_runs())
    names = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ALL)}
    one_experiment = len(ctx.args.experiment or []) == 1
    metric_keys = sorted({k for r in runs for k in r.data.metrics})[:TABLE_METRICS]
    head = ["RUN_ID", "NAME"] + ([] if one_experiment else ["EXPERIMENT"])
    rows = [head + ["STATUS", "START", "DURATION"] + metric_keys]
    for r in runs:
        status = r.info.status + (" (stale)" if r.info.run_id in stale else "")
        row = [r.info.run_id, r.info.run_name]
        if not one_experiment:
            row.append(names.get(r.info.experiment_id, r.info.experiment_id))
        rows.append(row + [status, _table_time(r.info.start_time),
                           format_duration(run_duration_ms(r.info))]
                    + [table_value(r.data.metrics.get(k)) for k in metric_keys])
    _table(rows, out)
    out.write(f"{len(runs)} run(s)\n")


def _cmd_show(ctx: Context, out: TextIO) -> None:
    run = ctx.run(ctx.args.run_id)
    data = _run_dict(run)
    if ctx.args.json:
        _dump(data, out)
        return
    for key in ("run_id", "run_name", "experiment_id", "status", "lifecycle_stage", "artifact_uri"):
        out.write(f"{key:15} {data[key]}\n")
    out.write(f"{'start_time':15} {_table_time(run.info.start_time)}\n")
    out.write(f"{'end_time':15} {_table_time(run.info.end_time)}\n")
    out.write(f"{'duration':15} {format_duration(data['duration_ms'])}\n")
    for section in ("params", "metrics", "tags"):
        out.write(f"{section}:\n")
        for k, v in sorted(getattr(run.data, section).items()):
            text = table_value(v).replace("\n", "\\n")
            out.write(f"  {k} = {text[:200]}\n")


def _cmd_compare(ctx: Context, out: TextIO) -> None:
    runs = [ctx.run(ref) for ref in ctx.args.run_ids]
    if ctx.args.json:
        _dump([_run_dict(r) for r in runs], out)
        return
    rows = [["", *[r.info.run_name for r in runs]]]
    for section in ("params", "metrics"):
        keys = sorted({k for r in runs for k in getattr(r.data, section)})
        for k in keys:
            values = [table_value(getattr(r.data, section).get(k)) for r in runs]
            mark = " *" if len(set(values)) > 1 else ""
            rows.append([f"{section}.{k}{mark}", *values])
    _table(rows, out)
    out.write("* values differ\n")


def _cmd_export(ctx: Context, out: TextIO) -> None:
    runs = ctx.search()
    if ctx.args.format == "json":
        _dump([_run_dict(r) for r in runs], out)
        return
    params = sorted({k for r in runs for k in r.data.params})
    metrics = sorted({k for r in runs for k in r.data.metrics})
    tags = sorted({k for r in runs for k in r.data.tags})
    writer = csv.writer(out)
    writer.writerow(["run_id", "run_name", "experiment_id", "status", "start_time", "end_time"]
                    + [f"params.{k}" for k in params] + [f"metrics.{k}" for k in metrics]
                    + [f"tags.{k}" for k in tags])
    for r in runs:
        i = r.info
        writer.writerow([i.run_id, _cell(i.run_name), i.experiment_id, i.status,
                         iso_time(i.start_time), iso_time(i.end_time)]
                        + [_cell(r.data.params.get(k, "")) for k in params]
                        + [exact_value(r.data.metrics.get(k)) for k in metrics]
                        + [_cell(r.data.tags.get(k, "")) for k in tags])


def _cell(text: str) -> str:
    """OWASP CSV-injection rule: a text cell a spreadsheet would run as a formula gets a leading '.

    Metric cells are exact numerals (``-1.5``) and stay as they are.
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cmd_close_stale(ctx: Context, out: TextIO) -> None:
    closed = ctx.client.close_stale_runs()
    if ctx.args.json:
        _dump({"closed": closed}, out)
        return
    out.write(f"closed {len(closed)} stale run(s) as KILLED\n")
    for run_id in closed:
        out.write(f"  {run_id}\n")


# -- the command table -------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """One subcommand: ``add_arguments(parser)`` declares it, ``run(ctx, out)`` does it.

    ``creates_store``: the command may create the store it writes to (listings never do).
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context, TextIO], None]
    creates_store: bool = False


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-e", "--experiment", action="append",
                   help="experiment name or id (repeatable; default: all)")
    p.add_argument("-f", "--filter", default="", help="MLflow filter, e.g. \"metrics.acc > 0.9\"")
    p.add_argument("-o", "--order-by", action="append",
                   help="e.g. \"metrics.acc DESC\" (repeatable)")
    p.add_argument("-n", "--max-results", type=int, default=1000)


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def _experiments_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", action="store_true", help="include deleted experiments")
    _json_flag(p)


def _runs_args(p: argparse.ArgumentParser) -> None:
    _search_args(p)
    _json_flag(p)


def _show_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", help="run id, unique id prefix (6+ characters) or run name")
    p.add_argument("-e", "--experiment", action="append", help="look the name up in this experiment")
    _json_flag(p)


def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_ids", nargs="+", help="run ids, unique id prefixes or run names")
    p.add_argument("-e", "--experiment", action="append", help="look names up in this experiment")
    _json_flag(p)


def _export_args(p: argparse.ArgumentParser) -> None:
    _search_args(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv",
                   help="csv (ISO-8601 times, full-precision values) or json")


COMMANDS: list[Command] = [
    Command("experiments", "list experiments", _experiments_args, _cmd_experiments),
    Command("runs", "list runs", _runs_args, _cmd_runs),
    Command("show", "show one run", _show_args, _cmd_show),
    Command("compare", "params and metrics of runs side by side", _compare_args, _cmd_compare),
    Command("export", "export runs as CSV or JSON", _export_args, _cmd_export),
    Command("close-stale", "mark RUNNING runs whose process is gone as KILLED", _json_flag,
            _cmd_close_stale),
    Command("sync", SYNC_HELP, add_sync_arguments, run_sync, creates_store=True),
    Command("report", REPORT_HELP, add_report_arguments, run_report),
    Command("ui", UI_HELP, add_ui_arguments, run_ui),
]


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = argparse.ArgumentParser(prog="nbtrack", description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("--version", action="version", version=f"nbtrack {__version__}")
    p.add_argument("--tracking-uri", metavar="URI",
                   help="store folder or URI (default: $NBTRACK_TRACKING_URI, else the nearest "
                        "nbtrack-store/ up from here)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.name, help=command.help,
                                             description=command.help[:1].upper() + command.help[1:] + "."))
    return p


def _quiet_on_closed_pipe() -> int:
    """stdout's reader went away (``nbtrack runs | head``): stop without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
    return SIGPIPE_EXIT


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 usage or nbtrack error, 141 closed pipe)."""
    args = _parser().parse_args(argv)
    command = next(c for c in COMMANDS if c.name == args.command)
    stream = out or sys.stdout
    try:
        command.run(Context(args, command.creates_store), stream)
        stream.flush()
    except NbtrackError as exc:
        sys.stderr.write(f"nbtrack: error: {exc}\n")
        return 2
    except BrokenPipeError:
        if out is not None:
            raise
        return _quiet_on_closed_pipe()
    return 0
