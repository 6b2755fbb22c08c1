"""What a tracked cell shows and keeps when it ends: the run or sweep summary, the error text."""
from __future__ import annotations

import html
import math
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from .._durations import format_duration, run_duration_ms
from ..entities import Run
from ..widgets.static import short_id, status_badge

__all__ = ["SUMMARY_METRICS", "error_text", "metrics_text", "summary_bundle", "sweep_summary"]

SUMMARY_METRICS = 8  # metrics shown in the end-of-cell summary

_LINE_STYLE = "font-family:monospace;font-size:12px;color:var(--jp-ui-font-color1)"


def error_text(error: BaseException) -> str:
    """The traceback as plain text, without IPython's own ``run_code`` frame."""
    tb = error.__traceback__
    while tb is not None and "IPython" in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def summary_bundle(run: Run, experiment: str) -> dict[str, str]:
    """One compact summary of a finished run as ``text/html`` plus a ``text/plain`` twin."""
    info = run.info
    duration = format_duration(run_duration_ms(info))
    metrics = list(run.data.metrics.items())[:SUMMARY_METRICS]
    shown = ", ".join(f"{k}={_fmt(v)}" for k, v in metrics)
    more = len(run.data.metrics) - len(metrics)
    if more > 0:
        shown += f" (+{more} more)"
    plain = (
        f"nbtrack run {info.run_name!r} ({info.run_id}) in experiment {experiment!r}: "
        f"{info.status} in {duration}" + (f" | {shown}" if shown else "")
    )
    e = html.escape
    rows = "".join(f"<code>{e(k)}</code>={e(_fmt(v))} " for k, v in metrics)
    rich = (
        f'<div class="nbtrack-summary" style="{_LINE_STYLE}">'
        f"<b>{e(info.run_name)}</b> {short_id(info.run_id)} · "
        f"experiment <b>{e(experiment)}</b> · {status_badge(info.status)} · "
        f"{e(duration)}" + (f"<br>{rows}" if rows else "")
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



def _counts(results: Sequence[Any]) -> str:
    counts = Counter(r.status for r in results)
    pruned = sum(1 for r in results if r.run.data.tags.get("nbtrack.pruned") == "true")
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    if pruned:
        parts.append(f"{pruned} pruned")
    return ", ".join(parts) or "none"


def sweep_summary(parent: Run, experiment: str, results: Sequence[Any], best: Any,
                  req: Any) -> dict[str, str]:
    """``text/plain`` and ``text/html`` of how the sweep ended and which setting won."""
    info = parent.info
    duration = format_duration(run_duration_ms(info))
    ran = f"{len(results)} of {req.count} children ({_counts(results)})"
    best_text = ""
    if best is not None:
        setting = ", ".join(f"{k}={v!r}" for k, v in best.values.items())
        value = best.run.data.metrics[req.metric]
        best_text = (f"best {req.metric}={_fmt(value)} at {setting} "
                     f"(run {best.run.info.run_name!r}, {best.run.info.run_id})")
    elif req.metric:
        best_text = f"no finished child logged {req.metric!r}"
    plain = (f"nbtrack sweep {info.run_name!r} ({info.run_id}) in experiment {experiment!r}: "
             f"{info.status} in {duration}, {ran}" + (f" | {best_text}" if best_text else ""))
    e = html.escape
    rich = (
        f'<div class="nbtrack-summary nbtrack-sweep-summary" style="{_LINE_STYLE}">'
        f"sweep <b>{e(info.run_name)}</b> {short_id(info.run_id)} · "
        f"experiment <b>{e(experiment)}</b> · {status_badge(info.status)}"
        f" · {e(duration)} · {e(ran)}" + (f"<br>{e(best_text)}" if best_text else "") + "</div>"
    )
    return {"text/plain": plain, "text/html": rich}
