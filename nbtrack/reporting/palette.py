"""The series colours of every nbtrack chart, in one place, with the contrast rule they meet.

- :data:`LIGHT` colours text and lines on a light background (contrast >= 4.5:1 on white);
- :data:`DARK` does the same on a dark one (>= 4.5:1 on JupyterLab's dark ``#111111`` and
  ``#212121``);
- :data:`LINES` is for marks drawn where the theme is not known (bqplot lines): >= 3:1 (WCAG's
  bar for graphics) on white and on ``#111111`` alike.

Static SVG picks LIGHT or DARK per theme through CSS classes (:func:`series_css`), so a chart
twin reads in JupyterLab's light and dark themes and in an exported page.
"""
from __future__ import annotations

__all__ = ["LIGHT", "DARK", "LINES", "contrast_ratio", "series_class", "series_css"]

LIGHT = ("#1565c0", "#bf4800", "#2e7d32", "#c62828", "#6a1b9a",
         "#00838f", "#ad1457", "#4e342e", "#44781f", "#37474f")
DARK = ("#64b5f6", "#ffb74d", "#81c784", "#e57373", "#ce93d8",
        "#4dd0e1", "#f48fb1", "#bcaaa4", "#aed581", "#b0bec5")
LINES = ("#1f77b4", "#d95f02", "#5a9a18", "#d62728", "#9467bd",
         "#1b98ad", "#e7298a", "#8c564b", "#7f7f7f", "#bf4800")

#: How JupyterLab marks a dark theme (on ``<body>``); nbconvert's lab template does the same.
_DARK_SCOPE = 'body[data-jp-theme-light="false"]'


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def series_class(i: int) -> str:
    """CSS class of the ``i``-th series (colours repeat after ten)."""
    return f"nbtrack-c{i % len(LIGHT)}"


def series_css() -> str:
    """Rules that colour ``.nbtrack-c<i>`` strokes and text: LIGHT, DARK in a dark theme."""
    rules = []
    for i, (light, dark) in enumerate(zip(LIGHT, DARK)):
        rules.append(f"path.nbtrack-c{i}{{stroke:{light}}}text.nbtrack-c{i}{{fill:{light}}}"
                     f"{_DARK_SCOPE} path.nbtrack-c{i}{{stroke:{dark}}}"
                     f"{_DARK_SCOPE} text.nbtrack-c{i}{{fill:{dark}}}")
    return "".join(rules)
