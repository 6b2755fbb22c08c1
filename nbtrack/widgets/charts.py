"""Pure SVG renderers: line charts, sparklines, parallel coordinates.

They draw the static twin of every chart (the ``image/svg+xml`` / inline SVG that survives
``nbconvert --to html``), and RunComparison shows its parallel-coordinates view with them.
No ipywidgets or matplotlib import; all text is escaped.

Each line series is one ``<path>``: its ``d`` holds one ``M``/``L`` command per drawn point.
Non-finite values (and values <= 0 on a log axis) are not drawn; the path restarts with ``M``
after such a gap. Series longer than ``max_points`` are thinned by an even stride that keeps
the first and last points.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..reporting.palette import LIGHT, LINES, series_class, series_css
from ..reporting.svg import format_ticks
from .static import escape, format_value

__all__ = [
    "PALETTE",
    "Series",
    "Axis",
    "nice_ticks",
    "thin",
    "line_chart_svg",
    "sparkline_svg",
    "parallel_coordinates_svg",
    "stack_svgs",
    "legend_html",
    "swatch_html",
    "tick_format_for",
]

#: Colours of successive bqplot lines (both themes; see :mod:`nbtrack.reporting.palette`).
PALETTE = LINES
_FONT = 'font-family="system-ui,sans-serif" font-size="11"'
#: Text and rules take the theme's colours where JupyterLab's variables exist (a notebook, an
#: exported page), else the fallback; series colours come from :func:`series_css`.
_INK = "fill:var(--jp-ui-font-color1,#1b1b1b)"
_MUTED_INK = "fill:var(--jp-ui-font-color2,#5c5c5c)"
_RULE = "stroke:var(--jp-border-color1,#8a8a8a)"
_GRID = "stroke:var(--jp-border-color3,#e6e6e6)"
#: A chart fills its output's width (within a bound, so its text stays a sensible size).
_SVG_OPEN = ('<svg xmlns="http://www.w3.org/2000/svg" class="nbtrack-chart" width="100%" '
             'viewBox="0 0 {w} {h}" preserveAspectRatio="xMinYMin meet" '
             'style="display:block;height:auto;max-width:{m}px;">')
_CHAR_PX = 6.5  # average width of an 11 px character
_LAST_LABEL_CHARS = 30


def _open(width: int, height: int, styled: bool = True, grow: float = 1.5) -> str:
    """The opening tag of a chart (and the series colour rules): it shrinks to a narrow
    output and grows to at most ``grow`` times its drawn size in a wide one."""
    head = _SVG_OPEN.format(w=width, h=height, m=round(width * grow))
    return head + (f"<style>{series_css()}</style>" if styled else "")


class Series(NamedTuple):
    """One line: a label and its x and y values (equal lengths)."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]


class Axis(NamedTuple):
    """One parallel-coordinates axis: a name and one value per line (numbers or text)."""

    name: str
    values: Sequence[Any]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def thin(n: int, max_points: int) -> range | list[int]:
    """Indices of ``n`` points to draw when at most ``max_points`` fit (first and last kept)."""
    if n <= max_points:
        return range(n)
    stride = math.ceil((n - 1) / (max_points - 1))
    idx = list(range(0, n - 1, stride))
    idx.append(n - 1)
    return idx


def _drawable(value: float, log_y: bool) -> bool:
    return value is not None and math.isfinite(value) and (value > 0 or not log_y)


def _extent(values: list[float], pad_if_flat: float) -> tuple[float, float]:
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    if hi == lo:
        return lo - pad_if_flat, hi + pad_if_flat
    return lo, hi


def _flat_pad(values: list[float], log_y: bool) -> float:
    """Half-height given to a chart whose values are all equal."""
    if log_y or not values:
        return 0.5
    return max(abs(values[0]) * 0.1, 1e-9)


def _path(points: list[tuple[float, float] | None]) -> str:
    """``M``/``L`` commands for the points; ``None`` marks a gap."""
    parts, pen_down = [], False
    for p in points:
        if p is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{p[0]:.1f},{p[1]:.1f}")
        pen_down = True
    return " ".join(parts)


def _spread_labels(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move label baselines apart so they do not overlap (keeps their order)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = list(ys)
    prev = lo - gap
    for i in order:
        placed[i] = max(placed[i], prev + gap)
        prev = placed[i]
    overflow = prev - hi
    if overflow > 0:
        for i in order:
            placed[i] -= overflow
    return placed


class _Frame(NamedTuple):
    """Plot area (pixels) and data domain of one chart; y domain in log10 units if log_y."""

    left: float
    top: float
    pw: float
    ph: float
    x0: float
    x1: float
    y0: float
    y1: float
    log_y: bool

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * self.pw

    def py(self, y: float) -> float:
        v = math.log10(y) if self.log_y else y
        return self.top + self.ph - (v - self.y0) / (self.y1 - self.y0) * self.ph


def _frame(kept: list[list[tuple[float, float]]], log_y: bool, left: float, top: float,
           pw: float, ph: float) -> _Frame:
    """Fit the domain to the drawable points (4% headroom on y)."""
    xs = [x for pts in kept for x, y in pts if _drawable(y, log_y)]
    ys = [math.log10(y) if log_y else y for pts in kept for _, y in pts if _drawable(y, log_y)]
    x0, x1 = _extent(xs, 1.0)
    y0, y1 = _extent(ys, _flat_pad(ys, log_y))
    pad = (y1 - y0) * 0.04
    return _Frame(left, top, pw, ph, x0, x1, y0 - pad, y1 + pad, log_y)


def line_chart_svg(
    series: Sequence[Series],
    *,
    title: str = "",
    x_label: str = "step",
    log_y: bool = False,
    width: int = 520,
    height: int = 240,
    max_points: int = 2000,
    show_last: bool = True,
    x_format: Callable[[float], str] | None = None,
) -> str:
    """An SVG line chart: axes, ticks, title, one ``<path>`` per series, last values beside.

    ``x_format`` writes the x tick labels (default: numbers), e.g. clock times for wall time.
    """
    longest = max((len(_end_text(s)) for s in series if s.ys), default=0)
    right = 12 + (min(longest, _LAST_LABEL_CHARS) * _CHAR_PX + 6 if show_last else 0)
    left, top, bottom = 58, 22 if title else 10, 34
    kept = [[(float(s.xs[i]), s.ys[i]) for i in thin(len(s.ys), max_points)] for s in series]
    frame = _frame(kept, log_y, left, top, max(width - left - right, 40),
                   max(height - top - bottom, 40))
    out = [_open(width, height), f'<g {_FONT} style="{_INK}">']
    if title:
        out.append(f'<text x="{left}" y="14" font-weight="bold">{escape(title)}</text>')
    out.append(_axes(frame, x_label, x_format or format_value))
    if not any(_drawable(y, log_y) for pts in kept for _, y in pts):
        out.append(f'<text x="{left + frame.pw / 2:.1f}" y="{top + frame.ph / 2:.1f}" '
                   f'text-anchor="middle" style="{_MUTED_INK}">no data yet</text>')
    out.append("</g>")
    paths, ends = _series_paths(frame, series, kept)
    out.extend(paths)
    if show_last:
        out.extend(_last_labels(frame, ends))
    out.append("</svg>")
    return "".join(out)


def _series_paths(frame: _Frame, series: Sequence[Series], kept: list[list[tuple[float, float]]]
                  ) -> tuple[list[str], list[tuple[int, float, str]]]:
    """One ``<path>`` per series, and (index, pixel y, label) of each line's last point."""
    out, ends = [], []
    for i, (s, pts) in enumerate(zip(series, kept)):
        points = [(frame.px(x), frame.py(y)) if _drawable(y, frame.log_y) else None for x, y in pts]
        out.append(
            f'<path class="nbtrack-line {series_class(i)}" data-key="{escape(s.label)}" fill="none" '
            f'stroke="{LIGHT[i % len(LIGHT)]}" stroke-width="1.5" d="{_path(points)}">'
            f"<title>{escape(s.label)}</title></path>"
        )
        last = next((p for p in reversed(points) if p is not None), None)
        if last is not None and s.ys:
            ends.append((i, last[1], _end_text(s)))
    return out, ends


def _end_text(s: Series) -> str:
    return f"{s.label} {format_value(s.ys[-1])}" if s.ys else s.label


def _last_labels(frame: _Frame, ends: list[tuple[int, float, str]]) -> list[str]:
    """``label value`` beside each line's end, nudged apart so they do not overlap; a label
    longer than the margin keeps its start and value around an ellipsis (whole in its title)."""
    placed = _spread_labels([e[1] + 4 for e in ends], 12, frame.top + 8, frame.top + frame.ph + 4)
    out = []
    for (i, _, text), y in zip(ends, placed):
        shown = text
        if len(text) > _LAST_LABEL_CHARS:
            label, _, value = text.rpartition(" ")
            keep = max(_LAST_LABEL_CHARS - len(value) - 2, 4)
            shown = f"{label[:keep]}… {value}"
        out.append(f'<text class="nbtrack-last {series_class(i)}" x="{frame.left + frame.pw + 6}" '
                   f'y="{y:.1f}" {_FONT} fill="{LIGHT[i % len(LIGHT)]}"><title>{escape(text)}</title>'
                   f"{escape(shown)}</text>")
    return out


def _axes(frame: _Frame, x_label: str, x_format: Callable[[float], str]) -> str:
    """Frame, grid lines and tick labels of a chart (y ticks at powers of ten when log_y)."""
    left, top, pw, ph = frame.left, frame.top, frame.pw, frame.ph
    out = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" style="{_RULE}"/>']
    x_ticks = nice_ticks(frame.x0, frame.x1, 6)
    x_labels = format_ticks(x_ticks) if x_format is format_value else [x_format(t) for t in x_ticks]
    for t, text in zip(x_ticks, x_labels):
        x = left + (t - frame.x0) / (frame.x1 - frame.x0) * pw
        out.append(f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 4}" style="{_RULE}"/>'
                   f'<text x="{x:.1f}" y="{top + ph + 15}" text-anchor="middle">{escape(text)}</text>')
    y_ticks = [float(t) for t in range(math.ceil(frame.y0), math.floor(frame.y1) + 1)] if frame.log_y else []
    if y_ticks:
        y_labels = [format_value(10 ** t) for t in y_ticks]
    else:  # one precision for every tick of the axis
        y_ticks = nice_ticks(frame.y0, frame.y1, 5)
        y_labels = format_ticks(y_ticks)
    for t, label in zip(y_ticks, y_labels):
        y = top + ph - (t - frame.y0) / (frame.y1 - frame.y0) * ph
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" style="{_GRID}"/>'
                   f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    scale = " (log)" if frame.log_y else ""
    out.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph + 29}" text-anchor="middle">'
               f'{escape(x_label)}{scale}</text>')
    return "".join(out)


def sparkline_svg(values: Sequence[float], *, width: int = 90, height: int = 18,
                  max_points: int = 200) -> str:
    """A tiny axis-less line of ``values`` (one ``<path>``), with a dot on the last point."""
    pts = [values[i] for i in thin(len(values), max_points)]
    finite = [v for v in pts if _drawable(v, False)]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" style="vertical-align:middle;">']
    if finite:
        lo, hi = _extent(finite, 0.5)
        n = max(len(pts) - 1, 1)
        coords = [
            (1 + i / n * (width - 4), height - 2 - (v - lo) / (hi - lo) * (height - 4))
            if _drawable(v, False) else None
            for i, v in enumerate(pts)
        ]
        out.append(f'<path class="nbtrack-spark" fill="none" stroke="{LINES[0]}" stroke-width="1" '
                   f'd="{_path(coords)}"/>')
        last = next((c for c in reversed(coords) if c is not None), None)
        if last is not None:
            out.append(f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="1.8" fill="{LINES[3]}"/>')
    out.append("</svg>")
    return "".join(out)


def _normalise(values: Sequence[Any]) -> tuple[list[float | None], list[tuple[float, str]]]:
    """Map an axis' values to [0, 1] and return tick (position, label) pairs.

    All-numeric axes are scaled min..max (a constant axis sits at 0.5); anything else is
    treated as categories spaced evenly in sorted order. Missing values map to None.
    """
    present = [v for v in values if v is not None and v != ""]
    nums = [_as_float(v) for v in present]
    finite = [n for n in nums if n is not None and math.isfinite(n)]
    if present and len(finite) == len(nums):
        lo, hi = min(finite), max(finite)
        span = hi - lo
        pos: list[float | None] = []
        for v in values:
            n = None if v is None or v == "" else _as_float(v)
            pos.append(None if n is None else (0.5 if span == 0 else (n - lo) / span))
        ticks = [(0.5, format_value(lo))] if span == 0 else [(0.0, format_value(lo)), (1.0, format_value(hi))]
        return pos, ticks
    cats = sorted({str(v) for v in present})
    where = {c: (0.5 if len(cats) == 1 else i / (len(cats) - 1)) for i, c in enumerate(cats)}
    return [None if v is None or v == "" else where[str(v)] for v in values], [(where[c], c) for c in cats]


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ramp(t: float) -> str:
    """Blue (0) to red (1) colour for a line's metric value."""
    t = min(max(t, 0.0), 1.0)
    r, g, b = int(31 + t * (214 - 31)), int(119 - t * (119 - 39)), int(180 - t * (180 - 40))
    return f"#{r:02x}{g:02x}{b:02x}"


def parallel_coordinates_svg(
    axes: Sequence[Axis], labels: Sequence[str], *, title: str = "",
    width: int = 560, height: int = 260,
) -> str:
    """One polyline per line label across normalised axes; the last axis colours the lines."""
    top, bottom, side = 24 if title else 12, 40, 50
    ph = height - top - bottom
    gap = (width - 2 * side) / max(len(axes) - 1, 1)
    norm = [_normalise(a.values) for a in axes]
    out = [_open(width, height, styled=False, grow=1.0), f'<g {_FONT} style="{_INK}">']
    if title:
        out.append(f'<text x="{side}" y="15" font-weight="bold">{escape(title)}</text>')
    for j, (axis, (_, ticks)) in enumerate(zip(axes, norm)):
        x = side + j * gap
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" style="{_RULE}"/>'
                   f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle" font-weight="bold">'
                   f'{escape(axis.name)}</text>')
        last = j == len(axes) - 1 and j > 0  # the last axis labels to its left: never clipped
        for pos, text in ticks[:12]:
            y = top + ph - pos * ph
            place = f'x="{x - 3:.1f}" text-anchor="end"' if last else f'x="{x + 3:.1f}"'
            out.append(f'<text {place} y="{y + 4:.1f}">{escape(text)}</text>')
    out.append("</g>")
    colour_axis = norm[-1][0] if norm else []
    for i, label in enumerate(labels):
        points = [
            None if (p := pos[i]) is None else (side + j * gap, top + ph - p * ph)
            for j, (pos, _) in enumerate(norm)
        ]
        shade = colour_axis[i] if colour_axis else None
        t = shade if shade is not None else 0.0
        out.append(f'<path class="nbtrack-pc-line" fill="none" stroke="{_ramp(t)}" stroke-width="2" '
                   f'stroke-opacity="0.8" d="{_path(points)}"><title>{escape(label)}</title></path>')
    out.append("</svg>")
    return "".join(out)


def stack_svgs(svgs: Sequence[str], width: int, heights: Sequence[int]) -> str:
    """Stack complete SVG documents vertically into one (for an ``image/svg+xml`` output)."""
    total = sum(heights)
    out = [_SVG_OPEN.format(w=width, h=max(total, 1), m=round(width * 1.5))]
    y = 0
    for svg, h in zip(svgs, heights):
        out.append(f'<g transform="translate(0,{y})">{svg}</g>')
        y += h
    out.append("</svg>")
    return "".join(out)


def swatch_html(colour: str) -> str:
    """A small colour square (a box, not a text glyph: contrast rules are for text)."""
    return (f'<span style="display:inline-block;width:10px;height:10px;margin-right:5px;'
            f'vertical-align:middle;background:{colour};"></span>')


def legend_html(labels: Sequence[str]) -> str:
    """A one-row HTML legend of bqplot lines: :data:`PALETTE` swatches, text in the theme colour."""
    items = "".join(
        f'<span style="margin-right:14px;white-space:nowrap;">'
        f"{swatch_html(PALETTE[i % len(PALETTE)])}{escape(label)}</span>"
        for i, label in enumerate(labels))
    return f'<div class="nbtrack-legend" style="font-size:12px;color:var(--jp-ui-font-color1);">{items}</div>'


def tick_format_for(values: Sequence[float]) -> str | None:
    """A d3 number format giving every y tick of ``values``' range one precision (bqplot).

    The precision is that of the finest ticks d3 draws by default (about ten), so
    neighbouring ticks never read alike; None when there is nothing finite to scale.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite or min(finite) == max(finite):
        return None
    ticks = nice_ticks(min(finite), max(finite), 10)
    big = max(abs(min(finite)), abs(max(finite)))
    if big >= 1e6 or big < 1e-3 or len(ticks) < 2:
        return ".2~e"
    decimals = max(0, min(6, -math.floor(math.log10(ticks[1] - ticks[0]))))
    return f".{decimals}f"
