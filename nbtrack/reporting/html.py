"""``nbtrack report``: one self-contained HTML file to send about an experiment.

The file needs no network and no script: inline CSS (light, and dark when the reader's system
asks for it) and inline SVG charts. It holds the best run, metric charts of the top runs
(each history thinned with LTTB), the runs table and the params that differ. Every piece of
user text is escaped.
"""
from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Any, TextIO

from .._durations import format_duration, run_duration_ms
from ..entities import Run
from ..errors import ExperimentNotFoundError
from . import palette
from .svg import Series, line_chart

if TYPE_CHECKING:
    from ..client import TrackingClient

__all__ = ["REPORT_HELP", "add_report_arguments", "run_report", "render_report", "best_run"]

REPORT_HELP = "write one self-contained HTML report of an experiment"
CHART_RUNS = 10
CHART_POINTS = 400
MAX_CHARTS = 12
MAX_TABLE_RUNS = 2000
MAX_METRIC_COLUMNS = 10
_LOWER_IS_BETTER = re.compile(r"loss|err|mse|mae|rmse|perplexity", re.IGNORECASE)

def _series_vars(colours: tuple[str, ...]) -> str:
    return " ".join(f"--c{i}: {c};" for i, c in enumerate(colours))


_CSS = f"""
:root {{ --bg: #ffffff; --fg: #1b1b1b; --muted: #555555; --line: #d0d0d0; --head: #f3f3f3;
  {_series_vars(palette.LIGHT)} }}
@media (prefers-color-scheme: dark) {{
  :root {{ --bg: #1e1e1e; --fg: #eeeeee; --muted: #b0b0b0; --line: #4a4a4a; --head: #2b2b2b;
    {_series_vars(palette.DARK)} }}
}}
"""
_CSS += """
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 10px; }
.meta { color: var(--muted); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap;
  max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
thead th { background: var(--head); position: sticky; top: 0; }
th.num { text-align: right; }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: ui-monospace, monospace; }
tr.best td { font-weight: 700; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { display: block; overflow: visible; }
svg .grid { stroke: var(--line); } svg .axis { stroke: var(--muted); }
svg text { fill: var(--fg); font-size: 11px; }
svg .tick.y { text-anchor: end; dominant-baseline: middle; } svg .tick.x, svg .label { text-anchor: middle; }
svg .line { fill: none; stroke-width: 1.8; stroke-linecap: round; stroke-linejoin: round; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; padding: 0; margin: 0 0 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.status { border: 1px solid var(--line); border-radius: 10px; padding: 0 6px; font-size: 12px; font-weight: 600; }
.differs th { box-shadow: inset 3px 0 0 var(--c1); }
"""
_CSS += "".join(f".c{i} {{ stroke: var(--c{i}); }} .s{i} {{ background: var(--c{i}); }}\n" for i in range(10))


def _find_experiment(client: TrackingClient, ref: str) -> Any:
    exp = client.get_experiment_by_name(ref)
    if exp is not None:
        return exp
    try:
        return client.get_experiment(ref)
    except LookupError:
        raise ExperimentNotFoundError(f"No experiment named (or with id) {ref!r}") from None


def _all_runs(client: TrackingClient, experiment_id: str) -> list[Run]:
    runs: list[Run] = []
    token = None
    while len(runs) < MAX_TABLE_RUNS:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token,
                                  order_by=["start_time DESC"])
        runs.extend(page)
        token = getattr(page, "token", None)
        if not token:
            break
    return runs[:MAX_TABLE_RUNS]


def _primary_metric(runs: Sequence[Run], wanted: str | None) -> str | None:
    """``wanted``, else the metric most runs have (ties: alphabetical)."""
    if wanted:
        return wanted
    counts: dict[str, int] = {}
    for run in runs:
        for key in run.data.metrics:
            counts[key] = counts.get(key, 0) + 1
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None


def best_run(runs: Sequence[Run], metric: str | None) -> Run | None:
    """The run with the best finite ``metric`` (lowest for loss/error-like names, else highest)."""
    if metric is None:
        return None
    scored = [r for r in runs if math.isfinite(r.data.metrics.get(metric, math.nan))]
    if not scored:
        return None
    pick = min if _LOWER_IS_BETTER.search(metric) else max
    return pick(scored, key=lambda r: r.data.metrics[metric])


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def _time(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _chart_runs(runs: Sequence[Run], metric: str | None) -> list[Run]:
    """The runs to chart: the best ``CHART_RUNS`` by the primary metric, else the newest."""
    if metric is None:
        return list(runs[:CHART_RUNS])
    lower = bool(_LOWER_IS_BETTER.search(metric))
    def score(r: Run) -> float:
        v = r.data.metrics.get(metric, math.nan)
        return math.inf if not math.isfinite(v) else (v if lower else -v)
    return sorted(runs, key=score)[:CHART_RUNS]


def _charts(client: TrackingClient, runs: Sequence[Run]) -> str:
    import numpy as np

    from .lttb import lttb_indices

    keys = sorted({k for r in runs for k in r.data.metrics})[:MAX_CHARTS]
    figures = []
    for key in keys:
        series = []
        for run in runs:
            if key not in run.data.metrics:
                continue
            history = client.get_metric_history(run.info.run_id, key)
            steps = np.asarray([m.step for m in history], dtype=float)
            values = np.asarray([m.value for m in history], dtype=float)
            order = np.argsort(steps, kind="stable")
            steps, values = steps[order], values[order]
            keep = lttb_indices(steps, values, CHART_POINTS)
            series.append(Series(run.info.run_name, steps[keep].tolist(), values[keep].tolist()))
        # colours follow the run's place in the legend, not its place in this chart
        by_label = {s.label: s for s in series}
        ordered = [by_label.get(r.info.run_name, Series(r.info.run_name, [], [])) for r in runs]
        figures.append(f'<figure data-metric="{escape(key)}"><figcaption>{escape(key)}</figcaption>'
                       f"{line_chart(key, ordered)}</figure>")
    return f'<div class="grid">{"".join(figures)}</div>' if figures else '<p class="meta">No metrics.</p>'


def _legend(runs: Sequence[Run]) -> str:
    items = "".join(f'<li><span class="swatch s{i % 10}"></span>{escape(r.info.run_name)}</li>'
                    for i, r in enumerate(runs))
    return f'<ul class="legend">{items}</ul>'


def _runs_table(runs: Sequence[Run], metric: str | None, best: Run | None) -> str:
    metrics = sorted({k for r in runs for k in r.data.metrics})
    if metric in metrics:
        metrics.remove(metric)
        metrics.insert(0, metric)
    metrics = metrics[:MAX_METRIC_COLUMNS]
    params = [k for k in sorted({k for r in runs for k in r.data.params})
              if len({r.data.params.get(k) for r in runs}) > 1][:MAX_METRIC_COLUMNS]
    head = "".join(f"<th>{escape(h)}</th>" for h in ["Run", "Status", "Started", "Duration"])
    head += "".join(f'<th class="num" title="metrics.{escape(k)}">{escape(k)}</th>' for k in metrics)
    head += "".join(f'<th title="params.{escape(k)}">{escape(k)}</th>' for k in params)
    rows = []
    for r in runs:
        cells = [f'<td title="{escape(r.info.run_id)}">{escape(r.info.run_name)}</td>',
                 f'<td><span class="status">{escape(r.info.status)}</span></td>',
                 f"<td>{_time(r.info.start_time)}</td>",
                 f"<td>{format_duration(run_duration_ms(r.info))}</td>"]
        cells += [f'<td class="num">{_num(r.data.metrics.get(k))}</td>' for k in metrics]
        cells += [f"<td>{escape(r.data.params.get(k, ''))}</td>" for k in params]
        cls = ' class="best"' if best is not None and r.info.run_id == best.info.run_id else ""
        rows.append(f'<tr data-run-id="{escape(r.info.run_id)}"{cls}>{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table id="runs"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _params_diff(runs: Sequence[Run]) -> str:
    keys = sorted({k for r in runs for k in r.data.params})
    if not keys:
        return '<p class="meta">No params.</p>'
    head = "<th></th>" + "".join(f"<th>{escape(r.info.run_name)}</th>" for r in runs)
    rows = []
    for k in keys:
        values = [r.data.params.get(k) for r in runs]
        cls = ' class="differs"' if len(set(values)) > 1 else ""
        cells = "".join(f"<td>{escape(v) if v is not None else '—'}</td>" for v in values)
        rows.append(f"<tr{cls}><th>{escape(k)}</th>{cells}</tr>")
    return (f'<div class="scroll"><table id="params-diff"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _best_card(best: Run | None, metric: str | None) -> str:
    if best is None or metric is None:
        return '<p class="meta">No run has a finite value of the primary metric.</p>'
    direction = "lowest" if _LOWER_IS_BETTER.search(metric) else "highest"
    params = ", ".join(f"{escape(k)}={escape(v)}" for k, v in sorted(best.data.params.items()))
    return (f'<div class="card" id="best-run"><strong>{escape(best.info.run_name)}</strong> '
            f'<span class="meta">({escape(best.info.run_id)})</span><br>'
            f"{escape(metric)} = <strong>{_num(best.data.metrics[metric])}</strong> "
            f'<span class="meta">({direction} of the runs)</span><br>'
            f'<span class="meta">params:</span> {params or "none"}</div>')


def render_report(client: TrackingClient, experiment: str, metric: str | None = None) -> str:
    """The report of ``experiment`` (name or id) as one HTML document."""
    exp = _find_experiment(client, experiment)
    runs = _all_runs(client, exp.experiment_id)
    primary = _primary_metric(runs, metric)
    best = best_run(runs, primary)
    charted = _chart_runs(runs, primary)
    title = f"nbtrack report: {exp.name}"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # no request may leave the file: forbid every fetch, allow only the inline style
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(exp.name)}</h1>",
        f'<p class="meta">{len(runs)} runs · experiment {escape(exp.experiment_id)} · '
        f"generated {generated} by nbtrack</p>",
        f"<h2>Best run{f' by {escape(primary)}' if primary else ''}</h2>",
        _best_card(best, primary),
        f"<h2>Metrics of the top {len(charted)} runs</h2>",
        _legend(charted), _charts(client, charted),
        "<h2>Runs</h2>", _runs_table(runs, primary, best),
        "<h2>Parameters of the charted runs</h2>", _params_diff(charted),
        "</body></html>",
    ])


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", help="experiment name or id")
    p.add_argument("-o", "--output", default="report.html", help="file to write (default report.html)")
    p.add_argument("--metric", help="metric that picks the best run (default: the most common)")


def run_report(ctx: Any, out: TextIO) -> None:
    """CLI action: write the report and say where."""
    args = ctx.args
    html = render_report(ctx.client, args.experiment, args.metric)
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(html)
    out.write(f"wrote {args.output} ({len(html) // 1024} KB)\n")
