"""Pure HTML renderers for the panels' tables and their offline "static twin".

Nothing here imports ipywidgets: the same strings feed the live HTML widgets and the
``text/html`` output that ``jupyter nbconvert --to html`` keeps. Every piece of user text goes
through :func:`html.escape`; styles are inline so the HTML needs no stylesheet, JavaScript or
CDN.
"""
from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._durations import format_duration  # one rule for every view (sidebar too)

__all__ = [
    "MARK_STYLES",
    "STATUS_COLOURS",
    "Markup",
    "short_id",
    "status_badge",
    "escape",
    "format_value",
    "format_timestamp",
    "format_duration",
    "html_table",
    "error_html",
    "message_html",
    "twin_html",
    "hide_twin_css",
]

#: Cell marks a caller may ask for, and how each one looks. JupyterLab theme variables only (an
#: exported notebook defines them too); a state colours a bar beside the text, never the text's
#: background, so the text keeps the theme's contrast in light and dark.
MARK_STYLES: dict[str, str] = {
    "diff": "box-shadow:inset 3px 0 0 var(--jp-warn-color1);font-weight:600;",
    "best": "box-shadow:inset 3px 0 0 var(--jp-success-color1);font-weight:bold;",
    "stale": "box-shadow:inset 3px 0 0 var(--jp-error-color1);",
    "selected": "background:var(--jp-layout-color2);",
    "muted": "color:var(--jp-ui-font-color2);",
}

#: Colour of each run status, as a JupyterLab theme variable: shown as a bar beside the status
#: text (the text itself keeps the theme's font colour, so it reads in every theme).
STATUS_COLOURS: dict[str, str] = {
    "RUNNING": "var(--jp-brand-color1)",
    "SCHEDULED": "var(--jp-border-color1)",
    "FINISHED": "var(--jp-success-color1)",
    "FAILED": "var(--jp-error-color1)",
    "KILLED": "var(--jp-warn-color1)",
    "READY": "var(--jp-success-color1)",  # model versions
    "PENDING_REGISTRATION": "var(--jp-brand-color1)",
    "FAILED_REGISTRATION": "var(--jp-error-color1)",
}
SHORT_ID = 8
#: Marks drawn as a bar: a marked row shows its bar once, on its first cell.
_BARS = frozenset(k for k, v in MARK_STYLES.items() if "box-shadow" in v)
#: Cells longer than this are cut with an ellipsis; the full text is in their title.
_CUT_AT = 28

_TABLE_STYLE = (
    "border-collapse:collapse;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
    "font-size:12px;margin:4px 0;"
)
_TH_STYLE = ("border-bottom:2px solid var(--jp-border-color1);padding:3px 8px;text-align:left;"
             "white-space:nowrap;")
_TD_STYLE = ("border-bottom:1px solid var(--jp-border-color2);padding:3px 8px;text-align:left;"
             "white-space:nowrap;color:var(--jp-ui-font-color1);")
_CUT_STYLE = "max-width:16em;overflow:hidden;text-overflow:ellipsis;"


class Markup(str):
    """Text that is already HTML (built and escaped by the caller): tables insert it as is."""


def short_id(run_id: str) -> Markup:
    """The first 8 characters of a run id, the full id in the tooltip."""
    full = escape(run_id)
    return Markup(f'<span class="nbtrack-id" title="{full}" style="font-family:monospace;">'
                  f"{escape(run_id[:SHORT_ID])}</span>")


def status_badge(status: str, stale: bool = False) -> Markup:
    """The status text with a bar in its theme colour (``(stale)`` appended for dead runs)."""
    colour = STATUS_COLOURS["FAILED"] if stale else STATUS_COLOURS.get(status, "var(--jp-border-color1)")
    text = f"{status} (stale)" if stale else status
    return Markup(f'<span class="nbtrack-status nbtrack-status-{escape(status.lower())}" '
                  f'style="box-shadow:inset 3px 0 0 {colour};padding-left:7px;">{escape(text)}</span>')


def escape(value: Any) -> str:
    """HTML-escape ``value`` (quotes included) after turning it into text."""
    return html.escape(str(value), quote=True)


def format_value(value: Any) -> str:
    """Short human text for a table cell: 4 significant digits for floats, '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def format_timestamp(ms: int | None) -> str:
    """Local ``YYYY-MM-DD HH:MM:SS`` for a time in ms since the epoch ('' for None)."""
    if ms is None:
        return ""
    return _dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    marks: Mapping[tuple[int, int], str] | None = None,
    row_marks: Mapping[int, str] | None = None,
    caption: str | None = None,
    raw_columns: Sequence[int] = (),
    css_class: str = "nbtrack-table",
    widths: Sequence[int] | None = None,
    head: bool = True,
) -> str:
    """Render an escaped HTML table.

    ``marks`` maps (row, column) to a :data:`MARK_STYLES` name, ``row_marks`` marks whole
    rows. Cells are formatted with :func:`format_value` and escaped, except in
    ``raw_columns`` and :class:`Markup` cells, which hold markup the caller built itself
    (e.g. a sparkline SVG). Long text is cut with an ellipsis (full text in the title); a table
    wider than its output scrolls inside it. ``widths`` (pixels per column) fixes the layout,
    so separately rendered rows (``head=False``) line up under one header.
    """
    marks = marks or {}
    row_marks = row_marks or {}
    raw = set(raw_columns)
    fixed, wrap = "", '<div style="overflow-x:auto;max-width:100%;">'
    if widths:  # laid out by the caller, who scrolls the whole panel part
        fixed, wrap = f"table-layout:fixed;width:{sum(widths)}px;margin:0;", "<div>"
    out = [f'{wrap}<table class="{escape(css_class)}" style="{_TABLE_STYLE}{fixed}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold;white-space:nowrap;">{escape(caption)}</caption>')
    if widths:
        out.append("<colgroup>" + "".join(f'<col style="width:{w}px">' for w in widths) + "</colgroup>")
    cut = _CUT_STYLE if widths else ""
    if head:
        out.append("<thead><tr>")
        out.extend(f'<th style="{_TH_STYLE}{cut}" title="{escape(h)}">{escape(h)}</th>' for h in headers)
        out.append("</tr></thead>")
    out.append("<tbody>")
    for r, row in enumerate(rows):
        row_mark = row_marks.get(r)
        row_attr = f' class="nbtrack-{row_mark}"' if row_mark else ""
        out.append(f"<tr{row_attr}>")
        for c, cell in enumerate(row):
            mark = marks.get((r, c)) or row_mark
            drawn = mark if mark != row_mark or c == 0 or mark not in _BARS else None
            style = _TD_STYLE + cut + (MARK_STYLES.get(drawn, "") if drawn else "")
            cls = f' class="nbtrack-{mark}"' if mark else ""
            if c in raw or isinstance(cell, Markup):
                text = str(cell)
            else:
                plain = format_value(cell)
                text = escape(plain)
                if len(plain) > _CUT_AT or (widths and len(plain) * 7 + 16 > widths[c]):
                    style += _CUT_STYLE  # cut, the whole text one hover away
                    cls += f' title="{text}"'
            out.append(f'<td{cls} style="{style}">{text}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def error_html(message: Any) -> str:
    """An escaped error box with a red bar (inline filter errors and failed actions)."""
    return (
        '<div class="nbtrack-error" style="color:var(--jp-ui-font-color1);'
        "background:var(--jp-layout-color1);border:1px solid var(--jp-border-color2);"
        'border-left:4px solid var(--jp-error-color1);padding:4px 8px;font-family:monospace;white-space:pre-wrap;">'
        f"{escape(message)}</div>"
    )


def message_html(message: Any) -> str:
    """A neutral, escaped one-line status message."""
    return f'<div class="nbtrack-message" style="color:var(--jp-ui-font-color1);">{escape(message)}</div>'


def twin_html(uid: str, body: str, title: str = "") -> str:
    """Wrap a panel's static rendering so the live widget can hide it (see hide_twin_css)."""
    head = f'<div style="font-weight:bold;margin:2px 0;">{escape(title)}</div>' if title else ""
    return f'<div class="nbtrack-twin nbtrack-twin-{escape(uid)}">{head}{body}</div>'


def hide_twin_css(uid: str) -> str:
    """CSS that hides the static twin of panel ``uid``.

    The live widget carries this style, so wherever the widget actually renders (JupyterLab,
    or an exported HTML page whose JavaScript runs) the twin disappears; where it cannot (an
    nbconvert HTML read offline), only the twin shows.
    """
    cls = f".nbtrack-twin-{escape(uid)}"
    return (
        f"<style>{cls}{{display:none !important}}"
        f".jp-OutputArea-child:has({cls}){{display:none !important}}</style>"
    )
