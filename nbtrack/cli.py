"""``nbtrack`` command line: list, show, compare and export runs from a terminal or CI."""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from datetime import datetime, timezone
from typing import Any, Sequence, TextIO

from .client import TrackingClient
from .entities import Run, ViewType
from .errors import ExperimentNotFoundError, NbtrackError

__all__ = ["main"]


def _fmt_time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return "" if value is None else str(value)


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def _run_dict(run: Run) -> dict[str, Any]:
    i = run.info
    return {
        "run_id": i.run_id,
        "run_name": i.run_name,
        "experiment_id": i.experiment_id,
        "status": i.status,
        "start_time": i.start_time,
        "end_time": i.end_time,
        "lifecycle_stage": i.lifecycle_stage,
        "artifact_uri": i.artifact_uri,
        "params": dict(run.data.params),
        "metrics": _json_safe(dict(run.data.metrics)),
        "tags": dict(run.data.tags),
    }


def _experiment_ids(client: TrackingClient, names: Sequence[str] | None) -> list[str]:
    if not names:
        return [e.experiment_id for e in client.search_experiments()]
    ids = []
    for name in names:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            if any(e.experiment_id == name for e in client.search_experiments(view_type=ViewType.ALL)):
                ids.append(name)
                continue
            raise ExperimentNotFoundError(f"No experiment named (or with id) {name!r}")
        ids.append(exp.experiment_id)
    return ids


def _search(client: TrackingClient, args: argparse.Namespace) -> list[Run]:
    return list(
        client.search_runs(
            _experiment_ids(client, args.experiment),
            filter_string=args.filter,
            order_by=args.order_by or None,
            max_results=args.max_results,
        )
    )


def _cmd_experiments(client: TrackingClient, args: argparse.Namespace, out: TextIO) -> None:
    exps = client.search_experiments(view_type=ViewType.ALL if args.all else ViewType.ACTIVE_ONLY)
    if args.json:
        json.dump([{"experiment_id": e.experiment_id, "name": e.name, "lifecycle_stage": e.lifecycle_stage,
                    "artifact_location": e.artifact_location, "tags": dict(e.tags)} for e in exps], out, indent=2)
        out.write("\n")
        return
    _table([["ID", "NAME", "STAGE"]] + [[e.experiment_id, e.name, e.lifecycle_stage] for e in exps], out)


def _cmd_runs(client: TrackingClient, args: argparse.Namespace, out: TextIO) -> None:
    runs = _search(client, args)
    if args.json:
        json.dump([_run_dict(r) for r in runs], out, indent=2)
        out.write("\n")
        return
    stale = set(client.find_stale_runs())
    metric_keys = sorted({k for r in runs for k in r.data.metrics})[:6]
    rows = [["RUN_ID", "NAME", "STATUS", "START"] + metric_keys]
    for r in runs:
        status = r.info.status + (" (stale)" if r.info.run_id in stale else "")
        rows.append([r.info.run_id, r.info.run_name, status, _fmt_time(r.info.start_time)]
                    + [_fmt_value(r.data.metrics.get(k)) for k in metric_keys])
    _table(rows, out)
    out.write(f"{len(runs)} run(s)\n")


def _cmd_show(client: TrackingClient, args: argparse.Namespace, out: TextIO) -> None:
    run = client.get_run(args.run_id)
    data = _run_dict(run)
    if args.json:
        json.dump(data, out, indent=2)
        out.write("\n")
        return
    for key in ("run_id", "run_name", "experiment_id", "status", "lifecycle_stage", "artifact_uri"):
        out.write(f"{key:15} {data[key]}\n")
    out.write(f"{'start_time':15} {_fmt_time(run.info.start_time)}\n")
    out.write(f"{'end_time':15} {_fmt_time(run.info.end_time)}\n")
    for section in ("params", "metrics", "tags"):
        out.write(f"{section}:\n")
        for k, v in sorted(getattr(run.data, section).items()):
            text = _fmt_value(v).replace("\n", "\\n")
            out.write(f"  {k} = {text[:200]}\n")


def _cmd_compare(client: TrackingClient, args: argparse.Namespace, out: TextIO) -> None:
    runs = [client.get_run(r) for r in args.run_ids]
    if args.json:
        json.dump([_run_dict(r) for r in runs], out, indent=2)
        out.write("\n")
        return
    rows = [["", *[r.info.run_name for r in runs]]]
    for section in ("params", "metrics"):
        keys = sorted({k for r in runs for k in getattr(r.data, section)})
        for k in keys:
            values = [_fmt_value(getattr(r.data, section).get(k)) for r in runs]
            mark = " *" if len(set(values)) > 1 else ""
            rows.append([f"{section}.{k}{mark}", *values])
    _table(rows, out)
    out.write("* values differ\n")


def _cmd_export(client: TrackingClient, args: argparse.Namespace, out: TextIO) -> None:
    runs = _search(client, args)
    if args.format == "json":
        json.dump([_run_dict(r) for r in runs], out, indent=2)
        out.write("\n")
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
        writer.writerow([i.run_id, i.run_name, i.experiment_id, i.status, i.start_time, i.end_time or ""]
                        + [r.data.params.get(k, "") for k in params]
                        + [_fmt_value(r.data.metrics.get(k)) for k in metrics]
                        + [r.data.tags.get(k, "") for k in tags])


def _cmd_close_stale(client: TrackingClient, args: argparse.Namespace, out: TextIO) -> None:
    closed = client.close_stale_runs()
    out.write(f"closed {len(closed)} stale run(s) as KILLED\n")
    for run_id in closed:
        out.write(f"  {run_id}\n")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nbtrack", description=__doc__)
    p.add_argument("--tracking-uri", help="store path or URI (default: $NBTRACK_TRACKING_URI or ./nbtrack-store)")
    sub = p.add_subparsers(dest="command", required=True)

    def search_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-e", "--experiment", action="append", help="experiment name or id (repeatable; default all)")
        sp.add_argument("-f", "--filter", default="", help="MLflow filter, e.g. \"metrics.acc > 0.9\"")
        sp.add_argument("-o", "--order-by", action="append", help="e.g. \"metrics.acc DESC\" (repeatable)")
        sp.add_argument("-n", "--max-results", type=int, default=1000)

    exps = sub.add_parser("experiments", help="list experiments")
    exps.add_argument("--all", action="store_true", help="include deleted experiments")
    exps.add_argument("--json", action="store_true")
    runs = sub.add_parser("runs", help="list runs")
    search_args(runs)
    runs.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="show one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true")
    cmp_ = sub.add_parser("compare", help="params and metrics of runs side by side")
    cmp_.add_argument("run_ids", nargs="+")
    cmp_.add_argument("--json", action="store_true")
    exp = sub.add_parser("export", help="export runs as CSV or JSON")
    search_args(exp)
    exp.add_argument("--format", choices=["csv", "json"], default="csv")
    sub.add_parser("close-stale", help="mark RUNNING runs whose process is gone as KILLED")
    return p


_COMMANDS = {
    "experiments": _cmd_experiments,
    "runs": _cmd_runs,
    "show": _cmd_show,
    "compare": _cmd_compare,
    "export": _cmd_export,
    "close-stale": _cmd_close_stale,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 usage or nbtrack error)."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        client = TrackingClient(args.tracking_uri)
        _COMMANDS[args.command](client, args, out)
    except NbtrackError as exc:
        sys.stderr.write(f"nbtrack: error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
