"""Static SVG line charts for files that must read without a script (``nbtrack report``).

Round ticks (1, 2 or 5 times a power of ten) with one shared precision per axis, a line per
series with gaps at non-finite values, colours from CSS classes so the page's stylesheet picks
them per light/dark scheme. Every label is escaped.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Series", "nice_ticks", "format_ticks", "line_chart"]

PALETTE_SIZE = 10


@dataclass(frozen=True)
class Series:
    """One line: its label and parallel x / y values."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if lo == hi:
        return [lo]
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 5, 10) if m * power >= raw), 10 * power)
    first = math.ceil(lo / step) * step
    ticks, i = [], 0
    while first + i * step <= hi + step * 1e-9:
        v = first + i * step
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        i += 1
    return ticks


def format_ticks(ticks: Sequence[float]) -> list[str]:
    """Labels with the fewest decimals that tell neighbouring ticks apart (one per axis)."""
    if not ticks:
        return []
    big = max(abs(t) for t in ticks)
    if big >= 1e6 or 0 < big < 1e-3:
        return ["0" if t == 0 else f"{t:.1e}" for t in ticks]
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else (big or 1)
    decimals = max(0, min(6, -math.floor(math.log10(step))))
    return [f"{t:.{decimals}f}" for t in ticks]


def _extent(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else (math.nan, math.nan)


def _scale(lo: float, hi: float, a: float, b: float):
    if hi == lo:
        return lambda v: (a + b) / 2
    return lambda v: a + (v - lo) / (hi - lo) * (b - a)


def _path(series: Series, sx, sy) -> str:
    parts, pen = [], 0
    for x, y in zip(series.xs, series.ys):
        if not math.isfinite(y):
            if pen == 1:
                parts.append("l0.01,0")
            pen = 0
            continue
        parts.append(f"{'L' if pen else 'M'}{sx(x):.1f},{sy(y):.1f}")
        pen += 1
    if pen == 1:
        parts.append("l0.01,0")
    return "".join(parts)


def line_chart(title: str, series: Sequence[Series], width: int = 520, height: int = 220,
               x_label: str = "step") -> str:
    """An ``<svg>`` chart of ``series`` with axes, ticks, gridlines and an accessible title."""
    left, right, top, bottom = 56, 14, 10, 34
    xs = [x for s in series for x in s.xs]
    x0, x1 = _extent([float(x) for x in xs])
    y0, y1 = _extent([float(y) for s in series for y in s.ys])
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)} chart"><title>{escape(title)}</title>']
    if not math.isfinite(x0) or not math.isfinite(y0):
        out.append(f'<text class="label" x="{width / 2}" y="{height / 2}">no finite values</text></svg>')
        return "".join(out)
    sx = _scale(x0, x1, left, width - right)
    sy = _scale(y0, y1, height - bottom, top)
    yt = nice_ticks(y0, y1, 5)
    for t, text in zip(yt, format_ticks(yt)):
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}"/>'
                   f'<text class="tick y" x="{left - 5}" y="{sy(t):.1f}">{text}</text>')
    xt = nice_ticks(x0, x1, max(2, (width - left - right) // 80))
    for t, text in zip(xt, format_ticks(xt)):
        out.append(f'<text class="tick x" x="{sx(t):.1f}" y="{height - bottom + 14}">{text}</text>')
    out.append(f'<line class="axis" x1="{left}" x2="{width - right}" y1="{height - bottom}" '
               f'y2="{height - bottom}"/>')
    out.append(f'<text class="label" x="{(left + width - right) / 2}" y="{height - 4}">{escape(x_label)}</text>')
    for i, s in enumerate(series):
        out.append(f'<path class="line c{i % PALETTE_SIZE}" d="{_path(s, sx, sy)}">'
                   f'<title>{escape(s.label)}</title></path>')
    out.append("</svg>")
    return "".join(out)
